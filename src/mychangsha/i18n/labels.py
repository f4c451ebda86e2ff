"""Human-readable names of the enum values a client displays, in English and zh-CN.

Keyed by the GraphQL enum's name and the member's name, so this leaf module needs nothing
from the schema; a test checks every enum with a `…Label` field is complete here.
"""

from __future__ import annotations

import enum
from typing import Final

from mychangsha.i18n.locales import Locale

# enum name -> member name -> (English, Simplified Chinese)
LABELS: Final[dict[str, dict[str, tuple[str, str]]]] = {
    "AppointmentStatus": {
        "BOOKED": ("Booked", "已预约"),
        "CANCELLED": ("Cancelled", "已取消"),
        "FULFILLED": ("Visited", "已就诊"),
        "NOSHOW": ("Missed", "已爽约"),
        "ARRIVED": ("Checked in", "已签到"),
    },
    "ApplicationStatus": {
        "SUBMITTED": ("Submitted", "已提交"),
        "ACCEPTED": ("Accepted", "已受理"),
        "IN_REVIEW": ("In review", "审核中"),
        "NEEDS_SUPPLEMENT": ("Needs more materials", "待补正材料"),
        "APPROVED": ("Approved", "审核通过"),
        "REJECTED": ("Rejected", "未通过"),
        "COMPLETED": ("Completed", "已办结"),
    },
    "TicketStatus": {
        "AWAITING_PAYMENT": ("Awaiting payment", "待支付"),
        "CONFIRMED": ("Confirmed", "预约成功"),
        "CANCELLED": ("Cancelled", "已取消"),
        "EXPIRED": ("Expired", "已过期"),
    },
    "BillStatus": {
        "UNPAID": ("Unpaid", "待缴费"),
        "PAID": ("Paid", "已缴费"),
        "CANCELLED": ("Cancelled", "已作废"),
    },
    "CrowdLevel": {
        "COMFORTABLE": ("Comfortable", "舒适"),
        "BUSY": ("Busy", "较拥挤"),
        "CROWDED": ("Crowded", "拥挤"),
    },
    "FamilyRelation": {
        "CHILD": ("Child", "子女"),
        "PARENT": ("Parent", "父母"),
        "SPOUSE": ("Spouse", "配偶"),
        "GRANDPARENT": ("Grandparent", "祖父母/外祖父母"),
        "GRANDCHILD": ("Grandchild", "孙子女/外孙子女"),
        "SIBLING": ("Sibling", "兄弟姐妹"),
        "OTHER": ("Other", "其他"),
    },
    "ReportCategory": {
        "LAB": ("Lab test", "检验报告"),
        "IMAGING": ("Imaging", "检查报告"),
    },
}


def label(value: enum.Enum, locale: Locale) -> str:
    """The display name of an enum value; its member name if the table lacks it."""
    english, chinese = LABELS.get(type(value).__name__, {}).get(value.name, (value.name,) * 2)
    return english if locale == "en" else chinese
