"""Services for enterprises and property (法人办事, 不动产): registration, tax, housing, permits.

Enterprise registration is generated the way the real catalogue lists it: each kind of market
entity (有限责任公司, 个人独资企业, …) has its own 设立 / 变更 / 注销 / 备案 services, and each
kind of real-estate right its own 首次 / 转移 / 变更 / 注销 registration. Order matters:
codes are numbered in the order services appear here, so appending keeps every existing code.
"""

from __future__ import annotations

from typing import Final

from mychangsha.simulators.government.catalogue_data import Family

__all__ = ["BUSINESS_FAMILIES"]

_F = Family
_ENTITIES: Final = (
    "有限责任公司", "股份有限公司", "个人独资企业", "合伙企业", "农民专业合作社",
    "外商投资企业", "分公司",
)  # fmt: skip
_RIGHTS: Final = (
    "国有建设用地使用权及房屋所有权", "国有建设用地使用权", "宅基地使用权及房屋所有权",
    "集体建设用地使用权及建筑物所有权",
)  # fmt: skip
_COMPANY: Final = "companyName enterpriseType registeredCapital businessScope businessAddress"


def _each(prefixes: tuple[str, ...], suffix: str) -> tuple[str, ...]:
    """`有限责任公司设立登记`, `股份有限公司设立登记`, …: one name per kind of entity or right."""
    return tuple(prefix + suffix for prefix in prefixes)


# fmt: off
BUSINESS_FAMILIES: Final[tuple[Family, ...]] = (
    # --- 市场监督管理局 ------------------------------------------------------------------
    _F("scjg", "QR", "开办企业", (
        "企业设立登记", "个体工商户设立登记", *_each(_ENTITIES, "设立登记"),
    ),
       "居民身份证 住所使用证明 公司章程? 法定代表人任职文件? 申请表?", _COMPANY,
       (0, 1), 0.9, "营业执照"),
    _F("scjg", "QR", "企业经营", (
        "企业变更登记", "个体工商户变更登记", *_each(_ENTITIES, "变更登记"),
    ), "营业执照 股东会决议? 住所使用证明? 申请表?", "companyName creditCode businessScope?",
       (0, 3), 0.9),
    _F("scjg", "QR", "企业经营", (
        "企业简易注销登记", "个体工商户注销登记", *_each(_ENTITIES, "注销登记"),
    ), "营业执照 清税证明 清算报告? 股东会决议?", "companyName creditCode", (0, 3), 0.9),
    _F("scjg", "QT", "企业经营", (
        *_each(_ENTITIES, "备案"), "企业名称自主申报", "营业执照补领", "企业年度报告公示",
        "企业信用修复申请",
    ), "营业执照? 申请表", "companyName creditCode?", (0, 5), 1.0),
    _F("scjg", "XK", "开办企业 企业经营", (
        "食品经营许可（新办）", "食品经营许可（变更）", "食品经营许可（延续）",
        "食品经营许可（注销）", "食品生产许可（新办）", "食品生产许可（变更）",
        "小餐饮经营许可", "食品小作坊登记",
    ), "营业执照 场所平面图 管理制度文本 从业人员资格证明? 设备清单?",
       "companyName creditCode businessAddress", (3, 15), 0.8),
    _F("scjg", "XK", "企业经营", (
        "药品零售企业许可（新办）", "药品零售企业许可（变更）", "第二类医疗器械经营备案",
        "特种设备使用登记", "工业产品生产许可证核发",
    ), "营业执照 申请表 从业人员资格证明 管理制度文本 设备清单?",
       "companyName creditCode businessAddress", (5, 20), 0.6),
    # --- 税务局 --------------------------------------------------------------------------
    _F("swj", "QR", "开办企业", (
        "新办纳税人涉税事项", "税务登记（信息确认）", "增值税一般纳税人登记",
    ),
       "营业执照 居民身份证", "companyName creditCode bankName bankAccount", (0, 1), 1.0),
    _F("swj", "QT", "开办企业 企业经营", (
        "发票领用", "发票遗失、损毁报告", "增值税专用发票最高开票限额审批",
    ),
       "营业执照 申请表?", "companyName creditCode", (0, 10), 0.9),
    _F("swj", "ZS", "住房", ("契税申报", "存量房交易税费申报"),
       "居民身份证 房屋买卖合同 不动产权证书?", "propertyLocation floorArea transactionPrice",
       (0, 1), 0.7),
    _F("swj", "ZS", "企业经营", (
        "印花税申报", "房产税申报", "城镇土地使用税申报", "车辆购置税申报", "跨区域涉税事项报告",
    ), "营业执照? 申请表?", "companyName? creditCode?", (0, 1), 1.0),
    _F("swj", "ZS", "就业 社会保障", (
        "个人所得税综合所得汇算清缴", "城乡居民基本养老保险费缴纳", "城乡居民基本医疗保险费缴纳",
        "灵活就业人员社会保险费缴纳",
    ), "居民身份证", "bankAccount?", (0, 0), 1.0),
    _F("swj", "QT", "企业经营 住房", ("完税证明开具", "个人所得税纳税记录开具", "纳税信用复评"),
       "居民身份证? 营业执照?", "reason?", (0, 15), 1.0),
    _F("swj", "QT", "企业经营", ("清税申报", "税务注销"), "营业执照 清算报告? 股东会决议?",
       "companyName creditCode", (0, 20), 0.9),
    # --- 住房和城乡建设局 ----------------------------------------------------------------
    _F("zjj", "QT", "住房", (
        "商品房买卖合同网签备案", "存量房买卖合同网签备案", "住房租赁合同登记备案",
        "长沙市购房资格审核", "存量房交易资金监管",
    ), "居民身份证 居民户口簿? 房屋买卖合同? 租赁合同? 结婚证?",
       "propertyLocation floorArea? transactionPrice?", (0, 5), 0.8),
    _F("zjj", "GF", "住房 社会保障", ("公共租赁住房申请", "保障性租赁住房申请"),
       "居民身份证 居民户口簿 收入证明 住房证明", "familySize monthlyIncome", (20, 30), 0.7),
    _F("zjj", "XK", "企业经营", (
        "建筑工程施工许可证核发", "商品房预售许可", "建筑业企业资质核准",
        "房地产开发企业资质核定", "燃气经营许可",
    ), "营业执照 申请表 项目批准文件? 施工合同? 管理制度文本?",
       "companyName projectName? projectLocation?", (5, 20), 0.8),
    _F("zjj", "GG", "住房", ("住宅专项维修资金使用", "既有住宅加装电梯申请"),
       "申请表 不动产权证书 检测报告?", "propertyLocation amountYuan?", (10, 20), 0.5),
    # --- 不动产登记中心 ------------------------------------------------------------------
    _F("bdc", "QR", "住房", (
        *_each(_RIGHTS, "首次登记"), *_each(_RIGHTS, "转移登记"), "不动产转移登记",
    ),
       "居民身份证 不动产登记申请书 房屋买卖合同? 完税凭证? 不动产权证书? 结婚证?",
       "propertyLocation propertyUnitNumber? floorArea", (1, 10), 0.6, "不动产权证书"),
    _F("bdc", "QR", "住房", (*_each(_RIGHTS, "变更登记"), *_each(_RIGHTS, "注销登记")),
       "居民身份证 不动产登记申请书 不动产权证书", "propertyLocation propertyUnitNumber",
       (1, 10), 0.6),
    _F("bdc", "QR", "住房", (
        "抵押权首次登记", "抵押权变更登记", "抵押权注销登记", "预购商品房预告登记",
        "预购商品房抵押预告登记", "居住权登记",
    ), "居民身份证 不动产登记申请书 抵押合同? 房屋买卖合同? 不动产权证书?",
       "propertyLocation propertyUnitNumber? loanAmount?", (1, 5), 0.8),
    _F("bdc", "QR", "住房 身后事", ("继承不动产转移登记",),
       "居民身份证 不动产登记申请书 不动产权证书 居民死亡医学证明 亲属关系证明",
       "propertyLocation deceasedName relationship", (5, 15), 0.3, "不动产权证书"),
    _F("bdc", "QT", "住房", (
        "更正登记", "异议登记", "不动产权证书补证", "不动产权证书换证", "不动产登记资料查询",
    ), "居民身份证 不动产登记申请书? 不动产权证书?", "propertyLocation reason?", (0, 10), 0.7),
    # --- 住房公积金管理中心 --------------------------------------------------------------
    _F("gjj", "GF", "住房", (
        "住房公积金提取", "购买自住住房提取住房公积金", "偿还住房贷款本息提取住房公积金",
        "租赁住房提取住房公积金", "既有住宅加装电梯提取住房公积金",
    ), "居民身份证 房屋买卖合同? 贷款合同? 租赁合同? 银行卡", "amountYuan bankName bankAccount",
       (0, 3), 0.9),
    _F("gjj", "GF", "退休 就业", (
        "离休退休提取住房公积金", "与单位终止劳动关系提取住房公积金", "出境定居提取住房公积金",
    ), "居民身份证 银行卡 解除劳动合同证明?", "bankName bankAccount", (0, 3), 0.9),
    _F("gjj", "GF", "身后事", ("职工死亡提取住房公积金",), "居民死亡医学证明 亲属关系证明 银行卡",
       "deceasedName deceasedIdNumber relationship bankAccount", (3, 10), 0.4),
    _F("gjj", "GG", "住房", ("住房公积金个人贷款申请", "住房公积金贷款提前还款"),
       "居民身份证 房屋买卖合同 结婚证? 收入证明", "loanAmount loanYears propertyLocation",
       (5, 15), 0.6),
    _F("gjj", "GG", "就业 开办企业", (
        "住房公积金个人账户设立", "住房公积金个人账户转移", "单位住房公积金缴存登记",
        "单位住房公积金缴存注销", "灵活就业人员住房公积金自愿缴存", "住房公积金缴存证明开具",
    ), "居民身份证? 营业执照? 劳动合同?", "employerName? companyName? creditCode?", (0, 3), 1.0),
    # --- 自然资源和规划局 ----------------------------------------------------------------
    _F("zrzy", "XK", "企业经营", (
        "建设项目用地预审与选址意见书核发", "建设用地规划许可证核发", "建设工程规划许可证核发",
        "乡村建设规划许可证核发", "临时建设工程规划许可", "建设工程规划核实",
    ), "申请表 项目批准文件 建设工程设计方案? 土地权属证明?",
       "projectName projectLocation landArea", (10, 20), 0.8),
    _F("zrzy", "QT", "企业经营", ("地质灾害危险性评估备案", "测绘成果资料提供"),
       "申请表 检测报告?", "projectName projectLocation", (5, 10), 0.9),
    # --- 交通运输局 ----------------------------------------------------------------------
    _F("jtj", "XK", "开办企业 企业经营", (
        "道路旅客运输经营许可", "道路货物运输经营许可", "道路运输证配发",
        "机动车维修经营备案", "机动车驾驶员培训经营备案",
    ), "营业执照 申请表 管理制度文本 设备清单? 从业人员资格证明?",
       "companyName creditCode businessAddress", (5, 20), 0.8),
    _F("jtj", "XK", "就业 出行", (
        "网络预约出租汽车驾驶员证核发", "出租汽车驾驶员从业资格证核发",
        "网络预约出租汽车运输证核发", "道路运输从业人员从业资格证换发",
    ), "居民身份证 机动车驾驶证 无犯罪记录证明? 近期免冠证件照",
       "plateNumber? vehicleType?", (5, 20), 0.7),
    _F("jtj", "XK", "企业经营 出行", ("公路超限运输许可", "涉路施工许可"),
       "申请表 机动车行驶证? 项目批准文件?", "plateNumber? projectLocation?", (2, 20), 0.9),
    # --- 其他部门 ------------------------------------------------------------------------
    _F("wlgt", "XK", "开办企业 企业经营", (
        "营业性演出许可", "娱乐场所经营许可", "旅行社设立许可", "互联网上网服务营业场所经营许可",
    ), "营业执照 申请表 场所平面图? 管理制度文本", "companyName businessAddress", (10, 20), 0.7),
    _F("sthj", "XK", "企业经营", ("排污许可证核发", "建设项目环境影响报告表审批"),
       "营业执照 申请表 检测报告 项目批准文件?", "companyName projectName projectLocation",
       (10, 30), 0.8),
    _F("cgj", "XK", "开办企业 企业经营", (
        "户外广告设施设置审批", "城市道路挖掘许可", "门店招牌设置备案",
    ), "营业执照 申请表 场所平面图?", "companyName businessAddress", (3, 10), 0.8),
    _F("nync", "XK", "企业经营 住房", (
        "农村村民住宅建设审批", "农药经营许可", "兽药经营许可", "动物防疫条件合格证核发",
    ), "居民身份证? 营业执照? 申请表 场所平面图?", "projectLocation? companyName?", (10, 20), 0.5),
)
# fmt: on
