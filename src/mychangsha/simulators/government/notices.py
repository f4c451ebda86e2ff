"""Public notices of the government platform (通知公告): what the home screen shows everyone.

Dated relative to the platform's clock, so the dev stack always has fresh ones; newest first.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from mychangsha.simulators.base import ApiError, OrjsonResponse
from mychangsha.simulators.government.catalogue import SHANGHAI
from mychangsha.simulators.government.openapi_common import (
    BAD,
    STRING,
    TIME,
    array,
    obj,
    operation,
    query_param,
    reply,
)
from mychangsha.simulators.government.state import GovernmentState

MAX_LIMIT: Final = 50
DEFAULT_LIMIT: Final = 10

# (id, days before today, category, department, title, summary)
_NOTICES: Final = (
    (
        "ntc-ybjf-2027",
        1,
        "便民提醒",
        "长沙市医疗保障局",
        "2027年度城乡居民医保集中缴费开始",
        "2027年度城乡居民基本医疗保险集中缴费期为即日起至2027年2月28日，可在“我的长沙”App缴费。",
    ),
    (
        "ntc-hukou-online",
        2,
        "政策解读",
        "长沙市公安局",
        "户籍业务“跨省通办”再扩围",
        "新增迁入、投靠等12项户籍业务全程网办，申请人无需往返两地。",
    ),
    (
        "ntc-yjs-kaiban",
        4,
        "一件事",
        "长沙市数据资源局",
        "开办企业一件事：一日办结",
        "营业执照、公章刻制、税务登记、社保登记一次申请，材料齐全的当日办结。",
    ),
    (
        "ntc-gjj-rate",
        6,
        "政策解读",
        "长沙住房公积金管理中心",
        "住房公积金个人住房贷款利率调整",
        "首套住房公积金贷款利率下调0.25个百分点，自发布之日起执行。",
    ),
    (
        "ntc-museum-night",
        8,
        "文旅资讯",
        "长沙市文化旅游广电局",
        "周末博物馆夜场开放",
        "湖南博物院周六延时开放至21:00，夜场同样需实名预约。",
    ),
    (
        "ntc-system-maint",
        10,
        "系统公告",
        "长沙市数据资源局",
        "政务服务平台系统维护通知",
        "本周日01:00至05:00平台升级维护，期间网上办事暂停受理。",
    ),
    (
        "ntc-newborn",
        13,
        "一件事",
        "长沙市卫生健康委员会",
        "出生一件事：出生医学证明、户口、医保一次办",
        "新生儿父母可在线一次申请出生医学证明、户口登记、医保参保和社保卡。",
    ),
    (
        "ntc-flu-vaccine",
        15,
        "便民提醒",
        "长沙市疾病预防控制中心",
        "流感疫苗接种预约开放",
        "全市社区卫生服务中心开放流感疫苗接种预约，60岁以上老人免费接种。",
    ),
)


class NoticesApi:
    """`GET /v1/notices`: the latest notices, newest first."""

    def __init__(self, state: GovernmentState) -> None:
        self.state = state

    def routes(self) -> list[BaseRoute]:
        """The notices endpoint."""
        return [Route("/v1/notices", self.list_notices, methods=["GET"])]

    async def list_notices(self, request: Request) -> Response:
        """At most `limit` notices (1–50, default 10)."""
        raw = request.query_params.get("limit", str(DEFAULT_LIMIT))
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
            raise ApiError(400, f"limit must be an integer from 1 to {MAX_LIMIT}, got {raw!r}")
        today = (
            self.state.now().astimezone(SHANGHAI).replace(hour=9, minute=0, second=0, microsecond=0)
        )
        items = [
            {
                "id": notice_id,
                "category": category,
                "department": department,
                "title": title,
                "summary": summary,
                "publishedAt": (today - timedelta(days=days_ago)).isoformat(),
            }
            for notice_id, days_ago, category, department, title, summary in _NOTICES
        ]
        return OrjsonResponse({"items": items[: int(raw)]})


def notice_paths() -> dict[str, Any]:
    """The OpenAPI paths of the notices endpoint."""
    return {
        "/v1/notices": {
            "get": operation(
                "listNotices",
                "The latest public notices (通知公告), newest first",
                "catalogue",
                {"200": reply("NoticeList", "The notices"), "400": BAD},
                parameters=[
                    query_param("limit", "How many (1–50, default 10)", {"type": "integer"})
                ],
            )
        }
    }


NOTICE_SCHEMAS: Final = {
    "NoticeList": obj(
        ["items"],
        {
            "items": array(
                obj(
                    ["id", "category", "department", "title", "summary", "publishedAt"],
                    {
                        "id": STRING,
                        "category": STRING,
                        "department": STRING,
                        "title": STRING,
                        "summary": STRING,
                        "publishedAt": TIME,
                    },
                )
            )
        },
    )
}
