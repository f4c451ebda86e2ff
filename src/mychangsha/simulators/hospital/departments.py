"""Clinical departments by hospital kind: the pools the generated catalogue draws from.

A general hospital gets internal medicine, surgery and the senses; a children's hospital gets
paediatric subspecialties; and so on, so that "儿科" finds the children's hospital and "肿瘤"
the cancer hospital, as a citizen would expect. Each department names a few areas of
expertise its doctors list as their specialty (冠心病、高血压 …), which the graph's doctor
search can match.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from mychangsha.simulators.hospital.hospitals import HospitalKind


@dataclass(frozen=True, slots=True)
class DepartmentInfo:
    """A department template: `slug` makes the FHIR ids (`dept-{slug}`), stable forever."""

    slug: str
    name: str
    category: str
    expertise: tuple[str, ...]


def _d(slug: str, name: str, category: str, expertise: str) -> DepartmentInfo:
    return DepartmentInfo(slug, name, category, tuple(expertise.split("、")))


_INTERNAL = "内科"
_SURGERY = "外科"
_SENSES = "五官科"
_WOMEN_CHILDREN = "妇儿科"
_TCM = "中医科"
_OTHER = "其他"

CARDIOLOGY: Final = _d("cardiology", "心血管内科", _INTERNAL, "冠心病、高血压、心律失常、心力衰竭")
RESPIRATORY: Final = _d("respiratory", "呼吸内科", _INTERNAL, "慢阻肺、哮喘、肺部感染、肺结节")
GASTRO: Final = _d("gastroenterology", "消化内科", _INTERNAL, "胃炎、消化道溃疡、肝硬化、胃肠镜")
NEUROLOGY: Final = _d("neurology", "神经内科", _INTERNAL, "脑卒中、癫痫、头痛、帕金森病")
ENDOCRINE: Final = _d("endocrinology", "内分泌科", _INTERNAL, "糖尿病、甲状腺疾病、骨质疏松")
NEPHROLOGY: Final = _d("nephrology", "肾内科", _INTERNAL, "肾炎、慢性肾病、血液透析")
HEMATOLOGY: Final = _d("hematology", "血液内科", _INTERNAL, "贫血、白血病、淋巴瘤")
RHEUMATOLOGY: Final = _d("rheumatology", "风湿免疫科", _INTERNAL, "类风湿关节炎、痛风、红斑狼疮")
GERIATRICS: Final = _d("geriatrics", "老年医学科", _INTERNAL, "老年综合征、多病共存、营养评估")
INFECTIOUS: Final = _d("infectious", "感染科", _INTERNAL, "病毒性肝炎、发热待查、结核病")
GENERAL_SURGERY: Final = _d(
    "general-surgery", "普通外科", _SURGERY, "胆结石、疝气、甲状腺结节、阑尾炎"
)
ORTHOPEDICS: Final = _d("orthopedics", "骨科", _SURGERY, "骨折、关节置换、脊柱疾病、运动损伤")
UROLOGY: Final = _d("urology", "泌尿外科", _SURGERY, "泌尿系结石、前列腺疾病、泌尿系肿瘤")
NEUROSURGERY: Final = _d("neurosurgery", "神经外科", _SURGERY, "脑肿瘤、颅脑外伤、脑血管病")
THORACIC: Final = _d("thoracic-surgery", "胸外科", _SURGERY, "肺癌、食管癌、纵隔肿瘤、肺结节")
BREAST: Final = _d("breast-surgery", "乳腺外科", _SURGERY, "乳腺结节、乳腺癌、乳腺炎")
OPHTHALMOLOGY: Final = _d("ophthalmology", "眼科", _SENSES, "白内障、青光眼、近视、眼底病")
ENT: Final = _d("ent", "耳鼻咽喉科", _SENSES, "鼻炎、鼻窦炎、中耳炎、咽喉疾病")
STOMATOLOGY: Final = _d("stomatology", "口腔科", _SENSES, "龋齿、牙周病、口腔修复、正畸")
DERMATOLOGY: Final = _d("dermatology", "皮肤科", _OTHER, "湿疹、痤疮、银屑病、皮肤过敏")
GYNECOLOGY: Final = _d("gynecology", "妇科", _WOMEN_CHILDREN, "子宫肌瘤、月经不调、宫颈疾病")
OBSTETRICS: Final = _d("obstetrics", "产科", _WOMEN_CHILDREN, "产前检查、高危妊娠、妊娠期糖尿病")
PEDIATRICS: Final = _d("pediatrics", "儿科", _WOMEN_CHILDREN, "小儿发热、小儿咳嗽、儿童腹泻")
TCM: Final = _d("tcm", "中医科", _TCM, "中医调理、脾胃病、失眠、亚健康")
REHABILITATION: Final = _d("rehabilitation", "康复医学科", _OTHER, "中风康复、颈肩腰腿痛、术后康复")
PSYCHIATRY: Final = _d("psychiatry", "精神科", _OTHER, "抑郁症、焦虑症、精神分裂症")
PSYCHOLOGY: Final = _d("psychology", "心理咨询科", _OTHER, "心理咨询、睡眠障碍、青少年心理")

_GENERAL: Final = (
    CARDIOLOGY, RESPIRATORY, GASTRO, NEUROLOGY, ENDOCRINE, GENERAL_SURGERY, ORTHOPEDICS,
    PEDIATRICS, GYNECOLOGY, OPHTHALMOLOGY, ENT, STOMATOLOGY, DERMATOLOGY, NEPHROLOGY,
    UROLOGY, HEMATOLOGY, RHEUMATOLOGY, TCM, OBSTETRICS, NEUROSURGERY, THORACIC,
    REHABILITATION, INFECTIOUS, GERIATRICS,
)  # fmt: skip
_CHILDREN: Final = (
    _d("pediatrics", "儿科", _WOMEN_CHILDREN, "小儿发热、小儿咳嗽、儿童腹泻"),
    _d("neonatology", "新生儿科", _WOMEN_CHILDREN, "新生儿黄疸、早产儿、新生儿肺炎"),
    _d("pediatric-respiratory", "小儿呼吸科", _WOMEN_CHILDREN, "支气管炎、哮喘、肺炎"),
    _d("pediatric-gastro", "小儿消化科", _WOMEN_CHILDREN, "腹泻、便秘、营养不良"),
    _d("pediatric-neurology", "小儿神经内科", _WOMEN_CHILDREN, "热性惊厥、癫痫、抽动症"),
    _d("pediatric-surgery", "小儿外科", _SURGERY, "疝气、包茎、先天畸形"),
    _d("child-health", "儿童保健科", _WOMEN_CHILDREN, "生长发育、营养评估、疫苗咨询"),
    _d("pediatric-ent", "小儿耳鼻喉科", _SENSES, "腺样体肥大、扁桃体炎、中耳炎"),
    _d("pediatric-ophthalmology", "小儿眼科", _SENSES, "斜视、弱视、近视防控"),
    _d("pediatric-dermatology", "小儿皮肤科", _OTHER, "湿疹、荨麻疹、胎记"),
)
_CANCER: Final = (
    _d("medical-oncology", "肿瘤内科", _INTERNAL, "化疗、靶向治疗、免疫治疗"),
    _d("radiotherapy", "放疗科", _OTHER, "精准放疗、鼻咽癌放疗、肺癌放疗"),
    THORACIC,
    BREAST,
    _d("gynecologic-oncology", "妇瘤科", _WOMEN_CHILDREN, "宫颈癌、卵巢癌、子宫内膜癌"),
    _d("head-neck-surgery", "头颈外科", _SURGERY, "甲状腺癌、喉癌、口腔癌"),
    GASTRO,
    _d("hepatobiliary-surgery", "肝胆外科", _SURGERY, "肝癌、胆管癌、胰腺癌"),
    TCM,
    _d("pain", "疼痛科", _OTHER, "癌痛、神经痛、姑息治疗"),
)
_MATERNAL: Final = (
    GYNECOLOGY,
    OBSTETRICS,
    PEDIATRICS,
    BREAST,
    _d("neonatology", "新生儿科", _WOMEN_CHILDREN, "新生儿黄疸、早产儿、新生儿肺炎"),
    _d("reproductive", "生殖医学科", _WOMEN_CHILDREN, "不孕不育、试管婴儿、排卵障碍"),
    _d("child-health", "儿童保健科", _WOMEN_CHILDREN, "生长发育、营养评估、疫苗咨询"),
    _d("prenatal", "产前诊断科", _WOMEN_CHILDREN, "唐氏筛查、无创DNA、遗传咨询"),
)
_TCM_POOL: Final = (
    _d("tcm-internal", "中医内科", _TCM, "失眠、头痛、体虚调理"),
    _d("acupuncture", "针灸推拿科", _TCM, "颈椎病、腰椎间盘突出、面瘫"),
    _d("tcm-orthopedics", "中医骨伤科", _TCM, "骨折复位、骨关节炎、软组织损伤"),
    _d("tcm-gynecology", "中医妇科", _TCM, "月经不调、不孕、更年期综合征"),
    _d("tcm-pediatrics", "中医儿科", _TCM, "小儿厌食、反复感冒、小儿推拿"),
    _d("spleen-stomach", "脾胃病科", _TCM, "慢性胃炎、功能性消化不良、肠易激"),
    _d("lung-disease", "肺病科", _TCM, "慢性咳嗽、哮喘、慢阻肺"),
    CARDIOLOGY,
    ENDOCRINE,
    DERMATOLOGY,
)
_NEURO: Final = (
    NEUROLOGY,
    PSYCHIATRY,
    PSYCHOLOGY,
    NEUROSURGERY,
    _d("sleep", "睡眠医学科", _OTHER, "失眠、睡眠呼吸暂停、嗜睡"),
    _d("geriatric-psychiatry", "老年精神科", _OTHER, "阿尔茨海默病、老年抑郁"),
    REHABILITATION,
    CARDIOLOGY,
)

POOLS: Final[Mapping[HospitalKind, tuple[DepartmentInfo, ...]]] = MappingProxyType(
    {
        HospitalKind.GENERAL: _GENERAL,
        HospitalKind.CHILDREN: _CHILDREN,
        HospitalKind.CANCER: _CANCER,
        HospitalKind.MATERNAL: _MATERNAL,
        HospitalKind.TCM: _TCM_POOL,
        HospitalKind.NEURO: _NEURO,
    }
)
