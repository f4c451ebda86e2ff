"""Real Changsha hospitals: the fixed part of the simulator's catalogue.

Names, grades, districts and street addresses follow the hospitals' public information as of
2025; coordinates are WGS-84 (what the graph's geo queries expect), rounded to four decimals
and approximate (a few hundred metres). Phone numbers are the switchboards as commonly
published. This is simulator data, good enough to exercise search, distance and booking, not
a guide to find a ward with.

`code` is the hospital's stable id everywhere (FHIR base `/fhir/{code}`, Organization id,
`urn:mychangsha:hospital`); it never changes once published. Note that some codes are
prefixes of others (`xiangya`, `xiangya2`): a path-prefix fault for one hospital must end
with a slash (`/fhir/xiangya/`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final


class HospitalKind(enum.Enum):
    """Which department pool a hospital draws from."""

    GENERAL = "general"
    CHILDREN = "children"
    CANCER = "cancer"
    MATERNAL = "maternal"
    TCM = "tcm"
    NEURO = "neuro"


@dataclass(frozen=True, slots=True)
class HospitalInfo:
    """One hospital as published: identity, grade, where it is and how to call it."""

    code: str
    name: str
    aliases: tuple[str, ...]
    grade: str
    district: str
    street: str
    lat: float
    lng: float
    phone: str
    kind: HospitalKind

    @property
    def address_text(self) -> str:
        """The full postal address as one line, province first (Chinese order)."""
        return f"湖南省长沙市{self.district}{self.street}"


_G = HospitalKind.GENERAL

# fmt: off
HOSPITALS: Final[tuple[HospitalInfo, ...]] = (
    HospitalInfo("xiangya", "中南大学湘雅医院", ("湘雅", "湘雅医院", "湘雅一医院"),
                 "三级甲等", "开福区", "湘雅路87号",
                 28.2162, 112.9826, "0731-84328888", _G),
    HospitalInfo("xiangya2", "中南大学湘雅二医院", ("湘雅二医院", "湘雅附二", "湘雅二"),
                 "三级甲等", "芙蓉区", "人民中路139号",
                 28.1985, 112.9896, "0731-85295888", _G),
    HospitalInfo("xiangya3", "中南大学湘雅三医院", ("湘雅三医院", "湘雅三"),
                 "三级甲等", "岳麓区", "桐梓坡路138号",
                 28.2155, 112.9491, "0731-88618888", _G),
    HospitalInfo("hnsrmyy", "湖南省人民医院", ("省人民医院", "省人医", "湖南师范大学附属第一医院"),
                 "三级甲等", "芙蓉区", "解放西路61号",
                 28.1960, 112.9907, "0731-83929999", _G),
    HospitalInfo("cssyy", "长沙市中心医院", ("市中心医院", "南华大学附属长沙中心医院"),
                 "三级甲等", "天心区", "韶山南路161号",
                 28.1537, 112.9921, "0731-85667999", _G),
    HospitalInfo("hnszlyy", "湖南省肿瘤医院", ("省肿瘤医院", "中南大学湘雅医学院附属肿瘤医院"),
                 "三级甲等", "岳麓区", "桐梓坡路283号",
                 28.2172, 112.9338, "0731-88651900", HospitalKind.CANCER),
    HospitalInfo("hnsetyy", "湖南省儿童医院", ("省儿童医院", "省儿童"),
                 "三级甲等", "雨花区", "梓园路86号",
                 28.1730, 112.9975, "0731-85600000", HospitalKind.CHILDREN),
    HospitalInfo("hnzyfy", "湖南中医药大学第一附属医院", ("中医附一", "湖南中医附一"),
                 "三级甲等", "雨花区", "韶山中路95号",
                 28.1812, 113.0004, "0731-85600800", HospitalKind.TCM),
    HospitalInfo("hnszyy", "湖南省中医院", ("中医附二", "湖南中医药大学第二附属医院"),
                 "三级甲等", "芙蓉区", "蔡锷北路233号",
                 28.2033, 112.9855, "0731-84917800", HospitalKind.TCM),
    HospitalInfo("hnsfybjy", "湖南省妇幼保健院", ("省妇幼", "湖南省妇女儿童医院"),
                 "三级甲等", "开福区", "湘春路53号",
                 28.2075, 112.9864, "0731-84332000", HospitalKind.MATERNAL),
    HospitalInfo("csdyyy", "长沙市第一医院", ("市一医院", "长沙市一医院"),
                 "三级甲等", "开福区", "营盘路311号",
                 28.2040, 112.9905, "0731-84911988", _G),
    HospitalInfo("csdsyy", "长沙市第三医院", ("市三医院", "长沙市三医院"),
                 "三级甲等", "天心区", "劳动西路176号",
                 28.1850, 112.9745, "0731-85171950", _G),
    HospitalInfo("csdsiyy", "长沙市第四医院", ("市四医院", "湖南师范大学附属长沙医院"),
                 "三级甲等", "岳麓区", "枫林三路28号",
                 28.2207, 112.9222, "0731-88913000", _G),
    HospitalInfo("csfybjy", "长沙市妇幼保健院", ("市妇幼", "长沙市妇幼"),
                 "三级甲等", "雨花区", "城南东路416号",
                 28.1858, 113.0054, "0731-84195100", HospitalKind.MATERNAL),
    HospitalInfo("hnsdermyy", "湖南省第二人民医院", ("湖南省脑科医院", "省脑科医院", "省二医院"),
                 "三级甲等", "芙蓉区", "韶山北路427号",
                 28.2110, 113.0041, "0731-85232000", HospitalKind.NEURO),
    HospitalInfo("cszyy", "长沙市中医医院", ("长沙市第八医院", "市八医院", "市中医院"),
                 "三级甲等", "芙蓉区", "八一路22号",
                 28.2002, 112.9953, "0731-84436000", HospitalKind.TCM),
    HospitalInfo("hnzyyjy", "湖南省中医药研究院附属医院", ("中研院附院", "省中医研究院医院"),
                 "三级甲等", "岳麓区", "麓山路58号",
                 28.1921, 112.9442, "0731-88854000", HospitalKind.TCM),
    HospitalInfo("hnhtyy", "湖南航天医院", ("航天医院",),
                 "三级", "岳麓区", "枫林二路189号",
                 28.2114, 112.9080, "0731-88611120", _G),
    HospitalInfo("hnwwyy", "湖南旺旺医院", ("旺旺医院",),
                 "三级", "雨花区", "万家丽中路二段128号",
                 28.1833, 113.0390, "0731-84888888", _G),
    HospitalInfo("csxrmyy", "长沙县人民医院", ("县人民医院", "星沙人民医院"),
                 "三级", "长沙县", "星沙街道板仓路",
                 28.2420, 113.0830, "0731-84012000", _G),
    HospitalInfo("lysrmyy", "浏阳市人民医院", ("浏阳人民医院", "浏阳市一医院"),
                 "三级", "浏阳市", "集里街道北正北路",
                 28.1600, 113.6430, "0731-83612000", _G),
    HospitalInfo("nxsrmyy", "宁乡市人民医院", ("宁乡人民医院",),
                 "三级", "宁乡市", "玉潭街道一环北路",
                 28.2780, 112.5580, "0731-87883000", _G),
    HospitalInfo("wcqrmyy", "长沙市望城区人民医院", ("望城区人民医院", "望城人民医院"),
                 "二级甲等", "望城区", "高塘岭街道郭亮北路",
                 28.3650, 112.8200, "0731-88081120", _G),
)
# fmt: on
