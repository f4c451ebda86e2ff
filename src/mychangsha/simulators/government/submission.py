"""Reading and checking what an applicant sends: the multipart body, form fields, materials.

An application is `multipart/form-data`: one part named `application` holding JSON, and one
file part per uploaded file named `materials[<material name>]` (repeat the name for several
files of one material). A supplement has only file parts and an optional text part `note`.
File types are decided by content (magic bytes), never by file name or declared type, the
way a platform that must not store disguised executables decides them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import UploadFile
from starlette.requests import Request

from mychangsha.simulators.base import ApiError, describe_validation_error
from mychangsha.simulators.government.applications import Applicant
from mychangsha.simulators.government.errors import invalid_field, material_error
from mychangsha.simulators.government.model import FormField, Target
from mychangsha.simulators.realname.data import check_character

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_TOTAL_BYTES",
    "ApplicationJson",
    "Multipart",
    "Upload",
    "check_applicant",
    "check_fields",
    "check_materials",
    "file_type",
    "parse_application",
    "read_multipart",
    "valid_id_number",
]

MAX_FILE_BYTES: Final = 10 * 1024 * 1024
MAX_TOTAL_BYTES: Final = 30 * 1024 * 1024
MAX_FILES: Final = 20
_MATERIAL_PART: Final = re.compile(r"materials\[(.+)\]")
_ID_NUMBER: Final = re.compile(r"[1-9]\d{16}[\dX]")
_PHONE: Final = re.compile(r"1[3-9]\d{9}")
_MAX_TEXT: Final = 200
# (type, magic bytes, content type): how a file's type is decided.
_MAGIC: Final = (
    ("pdf", b"%PDF-", "application/pdf"),
    ("png", b"\x89PNG\r\n\x1a\n", "image/png"),
    ("jpg", b"\xff\xd8\xff", "image/jpeg"),
)


class _ApplicantJson(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    name: str
    id_number: str = Field(alias="idNumber")
    phone: str


class ApplicationJson(BaseModel):
    """The `application` part: a service or a bundle, the applicant, fields, our id."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    service_code: str | None = Field(default=None, alias="serviceCode")
    bundle_code: str | None = Field(default=None, alias="bundleCode")
    applicant: _ApplicantJson
    fields: dict[str, Any] = Field(default_factory=dict)
    external_id: str = Field(alias="externalId", min_length=1, max_length=64)
    callback_url: str | None = Field(
        default=None, alias="callbackUrl", max_length=2000, pattern=r"^https?://\S+$"
    )


@dataclass(frozen=True, slots=True)
class Upload:
    """One file part: the material it is for, its name as sent, its bytes."""

    material: str
    file_name: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Multipart:
    """A parsed body: the `application` JSON (if any), the files, the `note` (if any)."""

    application: bytes | None
    uploads: list[Upload]
    note: str | None


async def _read(part: UploadFile, material: str) -> bytes:
    data = await part.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise material_error("INVALID_MATERIAL", [material], f"{material}：单个文件不能超过 10 MB")
    return data


async def read_multipart(request: Request) -> Multipart:
    """The body's parts; 415 unless multipart, 400 for parts the platform does not know."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise ApiError(415, "send multipart/form-data", code="UNSUPPORTED_MEDIA_TYPE")
    application: bytes | None = None
    note: str | None = None
    uploads: list[Upload] = []
    async with request.form(max_files=MAX_FILES, max_fields=10) as form:
        for key, value in form.multi_items():
            if key == "application":
                application = (
                    await value.read() if isinstance(value, UploadFile) else value.encode()
                )
            elif key == "note" and isinstance(value, str):
                note = value.strip()[:_MAX_TEXT] or None
            elif match := _MATERIAL_PART.fullmatch(key):
                material = match.group(1)
                if not isinstance(value, UploadFile):
                    raise ApiError(400, f"part {key!r} must be a file")
                data = await _read(value, material)
                uploads.append(Upload(material, value.filename or material, data))
            else:
                raise ApiError(400, f"unexpected part {key!r}")
    if sum(len(upload.data) for upload in uploads) > MAX_TOTAL_BYTES:
        names = sorted({upload.material for upload in uploads})
        raise material_error("INVALID_MATERIAL", names, "材料总大小不能超过 30 MB")
    return Multipart(application, uploads, note)


def parse_application(raw: bytes | None) -> ApplicationJson:
    """The `application` part as a model; 400 when absent or malformed."""
    if raw is None:
        raise ApiError(400, "the part 'application' (JSON) is required")
    try:
        parsed = ApplicationJson.model_validate_json(raw)
    except ValidationError as exc:
        raise ApiError(400, f"application: {describe_validation_error(exc)}") from exc
    if (parsed.service_code is None) == (parsed.bundle_code is None):
        raise ApiError(400, "application: give exactly one of serviceCode and bundleCode")
    return parsed


def valid_id_number(value: str) -> bool:
    """GB 11643-1999: 18 characters, a real birth date, the right check character."""
    if not _ID_NUMBER.fullmatch(value):
        return False
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return check_character(value[:17]) == value[17]


def check_applicant(parsed: ApplicationJson) -> Applicant:
    """The applicant, or INVALID_FIELD naming `applicant.<field>`."""
    given = parsed.applicant
    name = given.name.strip()
    if not 1 <= len(name) <= 30:
        raise invalid_field("applicant.name", "申请人姓名应为 1 到 30 个字")
    if not valid_id_number(given.id_number):
        raise invalid_field("applicant.idNumber", "公民身份号码格式或校验位不正确")
    if not _PHONE.fullmatch(given.phone):
        raise invalid_field("applicant.phone", "手机号码格式不正确")
    return Applicant(name, given.id_number, given.phone)


def _number(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            parsed = Decimal(value.strip())
        except InvalidOperation:
            return None
        if not parsed.is_finite():
            return None
        value = int(parsed) if parsed == parsed.to_integral_value() else float(parsed)
    if isinstance(value, int | float) and math.isfinite(value) and value >= 0:
        return value
    return None


def _field_value(form_field: FormField, value: Any) -> Any:
    """The normalised value, or raise INVALID_FIELD saying what was expected."""
    name, label = form_field.name, form_field.label
    if form_field.type == "number":
        number = _number(value)
        if number is None:
            raise invalid_field(name, f"{label}应为非负数字")
        return number
    if not isinstance(value, str) or not value.strip():
        raise invalid_field(name, f"{label}应为非空文本")
    text = value.strip()
    if form_field.type == "date":
        return _date(form_field, text)
    if form_field.type == "select" and text not in (form_field.options or ()):
        raise invalid_field(name, f"{label}应为以下之一：{'、'.join(form_field.options or ())}")
    if len(text) > _MAX_TEXT:
        raise invalid_field(name, f"{label}不能超过 {_MAX_TEXT} 个字")
    if name.endswith("IdNumber") and not valid_id_number(text):
        raise invalid_field(name, f"{label}格式或校验位不正确")
    return text


def _date(form_field: FormField, text: str) -> str:
    """A calendar date written YYYY-MM-DD (no times, no other spellings)."""
    try:
        if len(text) == 10:
            return date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    raise invalid_field(form_field.name, f"{form_field.label}应为 YYYY-MM-DD 格式的日期")


def check_fields(target: Target, given: dict[str, Any]) -> dict[str, Any]:
    """The form's values, normalised; INVALID_FIELD for unknown, missing or malformed ones."""
    form = {form_field.name: form_field for form_field in target.form_fields}
    for name in given:
        if name not in form:
            raise invalid_field(name, f"“{target.name}”没有表单字段 {name}")
    values: dict[str, Any] = {}
    for name, form_field in form.items():
        value = given.get(name)
        if value is None or value == "":
            if form_field.required:
                raise invalid_field(name, f"{form_field.label}为必填项")
            continue
        values[name] = _field_value(form_field, value)
    return values


def file_type(data: bytes) -> tuple[str, str] | None:
    """(type, content type) decided by the file's first bytes, or None if not accepted at all."""
    for kind, magic, content_type in _MAGIC:
        if data.startswith(magic):
            return kind, content_type
    return None


def check_materials(
    target: Target, uploads: list[Upload], required: tuple[str, ...]
) -> list[tuple[Upload, str]]:
    """Each upload with its content type; 422 for unknown, wrong-typed, empty or missing ones."""
    accepted = {material.name: material.accepted_types for material in target.materials}
    unknown = sorted({u.material for u in uploads if u.material not in accepted})
    if unknown:
        raise material_error("UNKNOWN_MATERIAL", unknown, f"不需要以下材料：{'、'.join(unknown)}")
    typed: list[tuple[Upload, str]] = []
    bad: list[str] = []
    for upload in uploads:
        detected = file_type(upload.data)
        if detected is None or detected[0] not in accepted[upload.material]:
            bad.append(upload.material)
        else:
            typed.append((upload, detected[1]))
    if bad:
        names = sorted(set(bad))
        message = f"以下材料文件为空或类型不符（按文件内容判断）：{'、'.join(names)}"
        raise material_error("INVALID_MATERIAL", names, message)
    present = {upload.material for upload in uploads}
    missing = [name for name in required if name not in present]
    if missing:
        raise material_error("MISSING_MATERIALS", missing, f"缺少必要材料：{'、'.join(missing)}")
    return typed
