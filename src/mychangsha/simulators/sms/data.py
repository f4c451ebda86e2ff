"""The SMS gateway's approved templates, as a Chinese gateway (Aliyun, Tencent Cloud) has them.

Chinese carriers only deliver pre-approved templates under a registered signature (签名), so
a sender never submits free text: it names a template and fills its variables. Each variable
has a pattern, because the gateways reject variables that do not fit their declared kind
(a verification code must be a short alphanumeric string, for instance).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

__all__ = ["DEFAULT_SIGN_NAMES", "TEMPLATES", "Template"]

DEFAULT_SIGN_NAMES: Final = ("我的长沙",)

_CODE = re.compile(r"[0-9A-Za-z]{4,8}")
_MINUTES = re.compile(r"[1-9][0-9]{0,2}")
_TEXT = re.compile(r"[^\r\n{}]{1,35}")


@dataclass(frozen=True, slots=True)
class Template:
    """An approved template: its text with `{variable}` slots and each variable's pattern."""

    text: str
    params: Mapping[str, re.Pattern[str]]

    def problems(self, params: Mapping[str, str]) -> list[str]:
        """Why these variables cannot fill the template (empty when they can)."""
        found = []
        if missing := sorted(self.params.keys() - params.keys()):
            found.append(f"missing params: {', '.join(missing)}")
        if extra := sorted(params.keys() - self.params.keys()):
            found.append(f"unknown params: {', '.join(extra)}")
        for name, pattern in self.params.items():
            value = params.get(name)
            if value is not None and not pattern.fullmatch(value):
                found.append(f"param {name} does not fit {pattern.pattern!r}: {value!r}")
        return found

    def render(self, sign_name: str, params: Mapping[str, str]) -> str:
        """The text as the phone shows it: the signature in 【】 first, as carriers require."""
        return f"【{sign_name}】" + self.text.format_map(dict(params))


TEMPLATES: Final[Mapping[str, Template]] = MappingProxyType(
    {
        "LOGIN_CODE": Template(
            "您的登录验证码为{code}，{minutes}分钟内有效。请勿泄露给他人。",
            {"code": _CODE, "minutes": _MINUTES},
        ),
        "CHANGE_PHONE_CODE": Template(
            "您正在更换绑定手机，验证码为{code}，{minutes}分钟内有效。如非本人操作，请忽略本短信。",
            {"code": _CODE, "minutes": _MINUTES},
        ),
        "APPOINTMENT_REMINDER": Template(
            "您已预约{hospital}{department}，就诊时间{time}，请提前15分钟到院签到。",
            {"hospital": _TEXT, "department": _TEXT, "time": _TEXT},
        ),
        "APPLICATION_UPDATE": Template(
            "您办理的{service}（受理编号{number}）有新进展：{status}。详情请查看我的长沙App。",
            {"service": _TEXT, "number": _TEXT, "status": _TEXT},
        ),
    }
)
