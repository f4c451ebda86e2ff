"""The vocabulary the catalogue is written in: departments, life events, materials, form fields.

Services (`services_people.py`, `services_business.py`) name materials and form fields by
key instead of repeating them, so the same material is described, typed and deduplicated the
same way in every service and in every 一件事 bundle that combines them. A family of services
(`Family`) shares its department, kind, life events, materials, fields and time limits; the
generator (`catalogue.py`) turns each name of a family into one service.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

__all__ = [
    "DEPARTMENTS",
    "FEES",
    "FIELDS",
    "KINDS",
    "LIFE_EVENTS",
    "MATERIALS",
    "Family",
    "FieldType",
]

FieldType = Literal["text", "date", "number", "select"]

# Code, full name and the short name citizens use. Codes are the simulator's own short keys.
DEPARTMENTS: Final[Mapping[str, tuple[str, str]]] = MappingProxyType(
    {
        "scjg": ("长沙市市场监督管理局", "市场监管局"),
        "rsj": ("长沙市人力资源和社会保障局", "人社局"),
        "gaj": ("长沙市公安局", "公安局"),
        "wjw": ("长沙市卫生健康委员会", "卫健委"),
        "zjj": ("长沙市住房和城乡建设局", "住建局"),
        "ybj": ("长沙市医疗保障局", "医保局"),
        "swj": ("国家税务总局长沙市税务局", "税务局"),
        "mzj": ("长沙市民政局", "民政局"),
        "jyj": ("长沙市教育局", "教育局"),
        "zrzy": ("长沙市自然资源和规划局", "自然资源和规划局"),
        "bdc": ("长沙市不动产登记中心", "不动产登记中心"),
        "gjj": ("长沙住房公积金管理中心", "公积金中心"),
        "cl": ("长沙市残疾人联合会", "残联"),
        "jtj": ("长沙市交通运输局", "交通运输局"),
        "tyjr": ("长沙市退役军人事务局", "退役军人事务局"),
        "wlgt": ("长沙市文化旅游广电局", "文旅广电局"),
        "sthj": ("长沙市生态环境局", "生态环境局"),
        "cgj": ("长沙市城市管理和综合执法局", "城管执法局"),
        "nync": ("长沙市农业农村局", "农业农村局"),
        "sfj": ("长沙市司法局", "司法局"),
    }
)

# The 事项类型 (kind of power or service) and its two-letter part of the service code.
KINDS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "XK": "行政许可",
        "QR": "行政确认",
        "GF": "行政给付",
        "ZS": "行政征收",
        "CJ": "行政裁决",
        "QT": "其他行政权力",
        "GG": "公共服务",
    }
)

# Life events (人生事件 / 企业生命周期) by name, with a stable ASCII id for URLs.
LIFE_EVENTS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "出生": "birth",
        "入学": "school",
        "就业": "employment",
        "婚育": "marriage",
        "住房": "housing",
        "就医": "medical",
        "退休": "retirement",
        "开办企业": "business-start",
        "企业经营": "business-operation",
        "身后事": "after-death",
        "出行": "travel",
        "社会保障": "social-security",
    }
)

_ALL: Final = ("pdf", "jpg", "png")
_PDF: Final = ("pdf",)
_IMAGES: Final = ("jpg", "png")

# Material name → (description, accepted file types).
MATERIALS: Final[Mapping[str, tuple[str, tuple[str, ...]]]] = MappingProxyType(
    {
        "居民身份证": ("申请人有效居民身份证正反面", _ALL),
        "居民户口簿": ("户主页及本人页", _ALL),
        "近期免冠证件照": ("近六个月内白底免冠彩色证件照", _IMAGES),
        "申请表": ("填写完整并签字（盖章）的申请表", _ALL),
        "授权委托书": ("委托他人代办时提交，并附受托人身份证", _ALL),
        "结婚证": ("夫妻双方结婚证", _ALL),
        "离婚证": ("离婚证或法院生效判决书、调解书", _ALL),
        "出生医学证明": ("新生儿《出生医学证明》", _ALL),
        "营业执照": ("企业或个体工商户营业执照", _ALL),
        "公司章程": ("全体股东签署的公司章程", _PDF),
        "住所使用证明": ("经营场所房屋产权证明或租赁合同", _ALL),
        "法定代表人任职文件": ("股东会决议或董事会任命文件", _ALL),
        "股东会决议": ("涉及本次事项的股东会（股东）决议", _ALL),
        "清算报告": ("经全体投资人确认的清算报告", _PDF),
        "清税证明": ("税务机关出具的清税证明", _ALL),
        "印章印模": ("拟刻制印章的印模样式", _IMAGES),
        "不动产权证书": ("不动产权证书或原房屋所有权证、土地使用证", _ALL),
        "不动产登记申请书": ("不动产登记申请书（签字）", _ALL),
        "房屋买卖合同": ("网签备案的房屋买卖合同", _PDF),
        "完税凭证": ("契税等税费的完税凭证", _ALL),
        "抵押合同": ("抵押合同及主债权合同", _PDF),
        "租赁合同": ("登记备案的住房租赁合同", _ALL),
        "劳动合同": ("与用人单位签订的劳动合同", _PDF),
        "解除劳动合同证明": ("解除或终止劳动关系证明", _ALL),
        "社会保障卡": ("社会保障卡正反面", _ALL),
        "银行卡": ("本人一类银行账户（银行卡）信息", _ALL),
        "医学诊断证明": ("二级及以上医疗机构出具的诊断证明", _ALL),
        "病历资料": ("门诊病历、检查报告或出院小结", _ALL),
        "医疗费用票据": ("医疗收费票据及费用明细清单", _ALL),
        "残疾人证": ("第二代中华人民共和国残疾人证", _ALL),
        "残疾评定表": ("指定医疗机构出具的残疾评定表", _ALL),
        "居民死亡医学证明": ("《居民死亡医学证明（推断）书》", _ALL),
        "火化证明": ("殡仪馆出具的遗体火化证明", _ALL),
        "亲属关系证明": ("户口簿、结婚证或出生证明等亲属关系证明", _ALL),
        "居住证": ("湖南省居住证", _ALL),
        "住房证明": ("长沙市房屋产权证明或住房租赁登记备案证明", _ALL),
        "预防接种证": ("儿童预防接种证", _ALL),
        "户口迁移证": ("《户口迁移证》或准迁证明", _ALL),
        "毕业证书": ("学历（毕业）证书", _ALL),
        "职业资格证书": ("职业资格或职业技能等级证书", _ALL),
        "退役证": ("退出现役证或退伍证", _ALL),
        "无犯罪记录证明": ("公安机关出具的无犯罪记录证明", _ALL),
        "机动车登记证书": ("机动车登记证书", _ALL),
        "机动车行驶证": ("机动车行驶证", _ALL),
        "机动车驾驶证": ("机动车驾驶证", _ALL),
        "身体条件证明": ("机动车驾驶人身体条件证明", _ALL),
        "场所平面图": ("经营场所平面布局图", _ALL),
        "管理制度文本": ("安全、卫生等管理制度文本", _PDF),
        "从业人员资格证明": ("主要从业人员资格证明或健康证明", _ALL),
        "设备清单": ("主要设施设备清单", _ALL),
        "项目批准文件": ("项目立项批准、核准或备案文件", _PDF),
        "建设工程设计方案": ("建设工程设计方案总平面图", _PDF),
        "土地权属证明": ("国有土地使用权证明或用地批准文件", _ALL),
        "施工合同": ("建设工程施工合同", _PDF),
        "检测报告": ("有资质机构出具的检测或评估报告", _PDF),
        "贷款合同": ("住房贷款借款合同", _PDF),
        "收入证明": ("家庭成员收入证明", _ALL),
        "家庭经济状况核对授权书": ("家庭成员签字的经济状况核对授权书", _ALL),
        "组织章程": ("社会组织章程草案", _PDF),
        "工伤事故材料": ("事故调查报告、伤情诊断证明", _ALL),
    }
)

# Field name → (label, type, options). Names are the JSON keys of an application's `fields`.
FIELDS: Final[Mapping[str, tuple[str, FieldType, tuple[str, ...] | None]]] = MappingProxyType(
    {
        "address": ("联系地址", "text", None),
        "reason": ("申请事由", "text", None),
        "companyName": ("企业（字号）名称", "text", None),
        "registeredCapital": ("注册资本（万元）", "number", None),
        "enterpriseType": (
            "主体类型",
            "select",
            ("有限责任公司", "股份有限公司", "个人独资企业", "合伙企业", "个体工商户"),
        ),
        "businessScope": ("经营范围", "text", None),
        "businessAddress": ("经营场所", "text", None),
        "employeeCount": ("从业人数", "number", None),
        "creditCode": ("统一社会信用代码", "text", None),
        "sealCount": ("刻制印章数量", "number", None),
        "newbornName": ("新生儿姓名", "text", None),
        "birthDate": ("出生日期", "date", None),
        "gender": ("性别", "select", ("男", "女")),
        "birthHospital": ("出生医院", "text", None),
        "spouseName": ("配偶姓名", "text", None),
        "spouseIdNumber": ("配偶公民身份号码", "text", None),
        "appointmentDate": ("预约办理日期", "date", None),
        "propertyLocation": ("不动产坐落", "text", None),
        "propertyUnitNumber": ("不动产单元号", "text", None),
        "floorArea": ("建筑面积（平方米）", "number", None),
        "transactionPrice": ("成交价格（元）", "number", None),
        "workStartDate": ("参加工作时间", "date", None),
        "retirementType": ("退休类别", "select", ("正常退休", "特殊工种提前退休", "因病提前退休")),
        "studentName": ("学生姓名", "text", None),
        "schoolStage": ("入学学段", "select", ("小学一年级", "初中一年级")),
        "preferredSchool": ("意向学校", "text", None),
        "residenceType": ("居住情况", "select", ("自有住房", "租赁住房", "随迁居住")),
        "employerName": ("就业单位", "text", None),
        "employmentType": (
            "就业形式",
            "select",
            ("单位就业", "灵活就业", "自主创业", "公益性岗位"),
        ),
        "deceasedName": ("逝者姓名", "text", None),
        "deceasedIdNumber": ("逝者公民身份号码", "text", None),
        "deathDate": ("死亡日期", "date", None),
        "relationship": ("与逝者关系", "select", ("配偶", "子女", "父母", "其他亲属")),
        "disabilityCategory": (
            "残疾类别",
            "select",
            ("视力残疾", "听力残疾", "言语残疾", "肢体残疾", "智力残疾", "精神残疾", "多重残疾"),
        ),
        "disabilityLevel": ("残疾等级", "select", ("一级", "二级", "三级", "四级")),
        "plateNumber": ("号牌号码", "text", None),
        "vehicleType": (
            "车辆类型",
            "select",
            ("小型汽车", "小型新能源汽车", "大型汽车", "普通二轮摩托车"),
        ),
        "amountYuan": ("申请金额（元）", "number", None),
        "bankName": (
            "开户银行",
            "select",
            ("中国工商银行", "中国建设银行", "中国农业银行", "中国银行", "长沙银行"),
        ),
        "bankAccount": ("银行账号", "text", None),
        "contributionLevel": (
            "缴费档次",
            "select",
            ("200元", "300元", "500元", "1000元", "2000元", "3000元"),
        ),
        "medicalInstitution": ("就诊医疗机构", "text", None),
        "diseaseName": ("病种名称", "text", None),
        "destination": ("前往地", "text", None),
        "projectName": ("项目名称", "text", None),
        "projectLocation": ("项目地址", "text", None),
        "landArea": ("用地面积（平方米）", "number", None),
        "organizationName": ("组织名称", "text", None),
        "loanAmount": ("贷款金额（万元）", "number", None),
        "loanYears": ("贷款年限", "number", None),
        "familySize": ("家庭人口数", "number", None),
        "monthlyIncome": ("家庭月人均收入（元）", "number", None),
    }
)

# Fees fixed by regulation (工本费), in fen; every other service is free.
FEES: Final[Mapping[str, int]] = MappingProxyType(
    {
        "居民身份证换领": 2000,
        "居民身份证补领": 4000,
        "临时居民身份证申领": 1000,
        "普通护照申领": 12000,
        "普通护照换发": 12000,
        "往来港澳通行证及签注申领": 6000,
        "往来台湾通行证及签注申领": 6000,
        "机动车驾驶证补领": 1000,
        "机动车驾驶证期满换证": 1000,
        "机动车号牌补领": 10000,
        "不动产权证书补证": 8000,
        "不动产权证书换证": 8000,
        "国有建设用地使用权及房屋所有权转移登记": 8000,
        "国有建设用地使用权及房屋所有权首次登记": 8000,
        "抵押权首次登记": 8000,
    }
)


@dataclass(frozen=True, slots=True)
class Family:
    """Services that share a department, kind, life events, materials, fields and limits.

    `materials` and `fields` are space-separated keys of `MATERIALS` / `FIELDS`; a trailing
    `?` marks an optional one. `days` bounds the promised time limit (0 = 即办, done at once);
    `online` is the share of the family that can be done fully online; `issues` names the
    e-certificate type a completed application of the family issues to the applicant.
    """

    department: str
    kind: str
    events: str
    names: tuple[str, ...]
    materials: str
    fields: str = ""
    days: tuple[int, int] = (1, 10)
    online: float = 0.6
    issues: str | None = None
