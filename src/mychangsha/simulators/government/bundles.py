"""The 一件事一次办 bundles: real joint services combining several departments' 事项.

Each bundle names its services by their catalogue names (checked when the catalogue is
built, so a renamed service cannot silently drop out of a bundle) and lists what one of its
services produces for the others — the 营业执照 of 开办企业一件事 is issued inside the bundle,
so the applicant is never asked to upload it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from mychangsha.simulators.government.model import Bundle, Service

__all__ = ["BUNDLE_SPECS", "BundleSpec", "build_bundles"]


@dataclass(frozen=True, slots=True)
class BundleSpec:
    """A bundle as written down: name, life event, description, services, produced names."""

    name: str
    life_event: str
    description: str
    services: tuple[str, ...]
    produced: tuple[str, ...] = ()


_S = BundleSpec

# fmt: off
BUNDLE_SPECS: Final[tuple[BundleSpec, ...]] = (
    _S("新生儿出生一件事", "出生",
       "出生医学证明、户口登记、医保参保、社会保障卡申领、预防接种证一次申请，材料一次提交",
       ("出生医学证明首次签发", "出生登记（新生儿入户）", "新生儿参保登记", "社会保障卡申领",
        "预防接种证办理"), ("出生医学证明",)),
    _S("开办企业一件事", "开办企业",
       "营业执照、公章刻制、涉税事项、社保登记和公积金缴存登记一网通办，一日办结",
       ("企业设立登记", "公章刻制备案", "新办纳税人涉税事项", "企业职工基本养老保险参保登记",
        "单位住房公积金缴存登记"), ("营业执照", "creditCode")),
    _S("开办餐饮店一件事", "开办企业",
       "个体工商户登记、食品经营许可、门店招牌设置和涉税事项联办",
       ("个体工商户设立登记", "食品经营许可（新办）", "门店招牌设置备案", "新办纳税人涉税事项"),
       ("营业执照", "creditCode")),
    _S("开办运输企业一件事", "开办企业",
       "公司登记、道路货物运输经营许可、道路运输证配发和涉税事项联办",
       ("有限责任公司设立登记", "道路货物运输经营许可", "道路运输证配发", "新办纳税人涉税事项"),
       ("营业执照", "creditCode")),
    _S("企业信息变更一件事", "企业经营",
       "企业登记信息变更后，社保、医保、税务信息同步变更，无需分别申请",
       ("企业变更登记", "社会保险参保信息变更登记", "基本医疗保险参保信息变更登记",
        "税务登记（信息确认）")),
    _S("企业注销一件事", "企业经营",
       "清税、注销登记、公章缴销和公积金缴存注销一次申请、并联办理",
       ("清税申报", "企业简易注销登记", "公章缴销", "单位住房公积金缴存注销"), ("清税证明",)),
    _S("退休一件事", "退休",
       "企业职工退休申请、养老金申领、医保退休待遇核定和公积金提取一次办",
       ("职工正常退休申请", "基本养老金申领", "职工医保退休人员待遇核定",
        "离休退休提取住房公积金")),
    _S("二手房转移登记一件事", "住房",
       "存量房网签、税费申报和不动产转移登记一窗受理，并联动水电气网过户",
       ("存量房买卖合同网签备案", "存量房交易税费申报", "国有建设用地使用权及房屋所有权转移登记")),
    _S("不动产登记一件事", "住房",
       "新建商品房网签备案、预告登记、契税申报和转移登记联办，交房即交证",
       ("商品房买卖合同网签备案", "预购商品房预告登记", "契税申报",
        "国有建设用地使用权及房屋所有权转移登记"), ("完税凭证",)),
    _S("入学一件事", "入学",
       "义务教育新生入学报名，户籍、居住证和预防接种证信息自动核验",
       ("义务教育阶段新生入学登记（小学）", "户籍证明开具", "居住证申领",
        "入托入学预防接种证查验")),
    _S("婚育一件事", "婚育",
       "结婚登记、生育登记、婚姻状况变更和投靠配偶落户一次办",
       ("内地居民结婚登记", "生育登记", "户口登记项目变更更正", "投靠类户口迁入"), ("结婚证",)),
    _S("就业一件事", "就业",
       "就业登记、养老保险和医疗保险参保、公积金开户一次办",
       ("就业登记", "企业职工基本养老保险参保登记", "职工基本医疗保险参保登记",
        "住房公积金个人账户设立")),
    _S("身后事一件事", "身后事",
       "死亡证明、户口注销、火化、丧葬抚恤、公积金和医保个人账户、社保卡注销一次办",
       ("居民死亡医学证明（推断）书签发", "死亡注销户口", "遗体火化", "丧葬补助金、抚恤金申领",
        "职工死亡提取住房公积金", "医保个人账户一次性支取", "社会保障卡注销"),
       ("居民死亡医学证明", "火化证明")),
    _S("残疾人服务一件事", "社会保障",
       "残疾人证办理与两项补贴、辅助器具适配一次申请",
       ("残疾人证新办", "困难残疾人生活补贴申领", "重度残疾人护理补贴申领",
        "残疾人辅助器具适配申请"), ("残疾人证",)),
    _S("社保卡居民服务一件事", "社会保障",
       "社会保障卡申领，同步办理城乡居民养老保险和医疗保险参保",
       ("社会保障卡申领", "城乡居民基本养老保险参保登记", "城乡居民基本医疗保险参保登记")),
    _S("军人退役一件事", "就业",
       "退役军人优待证、户口迁入、一次性经济补助和社保关系转移一次办",
       ("退役军人优待证申领", "退役士兵户口迁入", "自主就业退役士兵一次性经济补助金申领",
        "企业职工基本养老保险关系转移接续", "基本医疗保险关系转移接续")),
)
# fmt: on


def build_bundles(by_name: Mapping[str, Service], updated_at: str) -> list[Bundle]:
    """The bundles over the catalogue's services, coded 430100-YJS-001 onwards."""
    bundles = []
    for number, spec in enumerate(BUNDLE_SPECS, start=1):
        missing = [name for name in spec.services if name not in by_name]
        if missing:
            raise ValueError(f"{spec.name} names services not in the catalogue: {missing}")
        bundles.append(
            Bundle(
                code=f"430100-YJS-{number:03d}",
                name=spec.name,
                description=spec.description,
                life_event=spec.life_event,
                services=tuple(by_name[name] for name in spec.services),
                updated_at=updated_at,
                produced=frozenset(spec.produced),
            )
        )
    return bundles
