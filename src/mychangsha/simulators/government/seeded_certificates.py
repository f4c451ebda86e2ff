"""The certificates Changsha's licence library already holds for the real-name population.

Every active citizen of the real-name simulator (`realname.data.RECORDS`) gets the documents
someone of that age plausibly has: a household register for all; an ID card and a social
security card from 16; a birth certificate for minors; a marriage certificate, a property
certificate or a sole trader's business licence for some adults. Which ones, and every
number and date, follow from the seed and the ID number, so tests can name them in advance.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Final

from mychangsha.simulators.government.certificates import Certificate, credit_code, digest_number
from mychangsha.simulators.realname.data import RECORDS, AgeGroup, CitizenRecord

__all__ = ["seeded_certificates"]

_STREETS: Final = (
    "五一大道",
    "芙蓉中路",
    "人民中路",
    "麓山南路",
    "湘江中路",
    "万家丽路",
    "韶山南路",
)
_HOSPITALS: Final = ("湖南省妇幼保健院", "长沙市妇幼保健院", "中南大学湘雅医院", "湖南省人民医院")
_SHOPS: Final = ("米粉店", "便利店", "茶饮店", "五金店", "水果店", "理发店")
_SPOUSES: Final = ("刘敏", "陈刚", "杨静", "赵勇", "黄磊", "周丽", "吴强", "孙燕")
_ETHNICITY: Final = "汉族"
_REFERENCE_DAY: Final = date(2025, 1, 1)  # no certificate of the seed is issued after it


def _police(district: str) -> str:
    """The public-security bureau of a district (分局) or county-level city (公安局)."""
    if district.endswith("区"):
        return f"长沙市公安局{district[:-1]}分局"
    return f"{district}公安局"


def _address(record: CitizenRecord, seed: int) -> str:
    """Where the citizen is registered: the same on the ID card and the household register."""
    n = digest_number(seed, record.id_number, "address")
    street = _STREETS[n % len(_STREETS)]
    return f"湖南省长沙市{record.district}{street}{n % 300 + 1}号"


def _years_after(start: date, years: int) -> date:
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February
        return start.replace(year=start.year + years, day=28)


def _cert(
    record: CitizenRecord,
    n: int,
    kind: str,
    *,
    issuer: str,
    issued: date,
    number: str,
    data: dict[str, str],
    valid_until: date | None = None,
    holder_name: str | None = None,
) -> Certificate:
    return Certificate(
        id=f"cert-{n:016x}",
        type=kind,
        number=number,
        holder_name=holder_name or record.name,
        holder_id_number=record.id_number,
        issuer=issuer,
        issued_on=issued,
        valid_until=valid_until,
        data=data,
    )


def _id_card(record: CitizenRecord, seed: int) -> Certificate:
    """Valid 10 years if issued under 26, 20 years under 46, else 长期 (no expiry)."""
    n = digest_number(seed, record.id_number, "居民身份证")
    issued = date(2015, 1, 1) + timedelta(days=n % 3000)
    age = (issued - record.birth_date).days // 365
    years = 10 if age < 26 else 20 if age < 46 else None
    data = {
        "gender": "男" if record.is_male else "女",
        "ethnicity": _ETHNICITY,
        "birthDate": record.birth_date.isoformat(),
        "address": _address(record, seed),
    }
    valid = None if years is None else _years_after(issued, years)
    return _cert(
        record, n, "居民身份证", issuer=_police(record.district), issued=issued,
        number=record.id_number, data=data, valid_until=valid,
    )  # fmt: skip


def _for_record(record: CitizenRecord, seed: int) -> list[Certificate]:
    """The certificates one citizen holds."""
    born, district, ident = record.birth_date, record.district, record.id_number
    pick = digest_number(seed, ident, "holdings")
    n = digest_number(seed, ident, "居民户口簿")
    certificates = [
        _cert(
            record, n, "居民户口簿", issuer=_police(district), issued=born,
            number=f"{n % 10**9:09d}", data={"address": _address(record, seed), "relation": "户主"},
        )
    ]  # fmt: skip
    if record.age_group is AgeGroup.MINOR:
        n = digest_number(seed, ident, "出生医学证明")
        hospital = _HOSPITALS[n % len(_HOSPITALS)]
        gender = "男" if record.is_male else "女"
        data = {"birthDate": born.isoformat(), "gender": gender, "birthPlace": hospital}
        certificates.append(
            _cert(record, n, "出生医学证明", issuer=hospital, issued=born,
                  number=f"R{n % 10**9:09d}", data=data)
        )  # fmt: skip
        return certificates
    certificates.append(_id_card(record, seed))
    n = digest_number(seed, ident, "社会保障卡")
    issued = date(2019, 3, 1) + timedelta(days=n % 700)
    certificates.append(
        _cert(record, n, "社会保障卡", issuer="长沙市人力资源和社会保障局", issued=issued,
              number=ident, data={"cardNumber": f"A{n % 10**8:08d}", "bank": "长沙银行"},
              valid_until=_years_after(issued, 10))
    )  # fmt: skip
    if pick % 10 < 7:  # most adults of the data are married
        n = digest_number(seed, ident, "结婚证")
        married = min(_years_after(born, 24 + n % 8), _REFERENCE_DAY)
        certificates.append(
            _cert(record, n, "结婚证", issuer=f"长沙市{district}民政局", issued=married,
                  number=f"J{record.region_code}-{married.year}-{n % 10**6:06d}",
                  data={"spouseName": _SPOUSES[n % len(_SPOUSES)]})
        )  # fmt: skip
    if pick // 10 % 2 == 0:
        n = digest_number(seed, ident, "不动产权证书")
        issued = date(2012, 1, 1) + timedelta(days=n % 4000)
        data = {
            "location": _address(record, seed),
            "floorArea": f"{60 + n % 90}.00㎡",
            "use": "住宅",
        }
        certificates.append(
            _cert(record, n, "不动产权证书", issuer="长沙市自然资源和规划局", issued=issued,
                  number=f"湘（{issued.year}）长沙市不动产权第{n % 10**7:07d}号", data=data)
        )  # fmt: skip
    if record.age_group is AgeGroup.ADULT and pick // 20 % 3 == 0:
        n = digest_number(seed, ident, "营业执照")
        shop = f"长沙市{district}{record.name[0]}记{_SHOPS[n % len(_SHOPS)]}"
        data = {"entityType": "个体工商户", "legalRepresentative": record.name}
        certificates.append(
            _cert(record, n, "营业执照", issuer=f"长沙市{district}市场监督管理局",
                  issued=date(2020, 9, 1) + timedelta(days=n % 1500),
                  number=credit_code("2", record.region_code, n), data=data, holder_name=shop)
        )  # fmt: skip
    return certificates


def seeded_certificates(seed: int) -> tuple[Certificate, ...]:
    """Every certificate of every active citizen of the real-name population."""
    return tuple(c for record in RECORDS if record.verifies for c in _for_record(record, seed))
