"""The platform's events calendar: exhibitions, festivals and performances around Changsha.

The dates are offsets from the simulator clock's local date when the feed is built (at start
and on every reset), so the calendar always holds past, running and coming events whatever
day it runs, and the same date always yields the same feed. Venues that are attractions of
the catalogue (`data.py`) take its name, address and location and link it by `attractionId`;
halls inside an attraction keep the link under their own name. Like the catalogue, this is
simulator data shaped like the real programme, not a listing to plan an evening with.

The record types double as the validation schema of the admin endpoint, as in `data.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Final, Literal

from pydantic import ConfigDict, Field, TypeAdapter, ValidationError, with_config
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from typing_extensions import TypedDict

from mychangsha.simulators.base import (
    ApiError,
    OrjsonResponse,
    SimulatorClock,
    aware_now,
    describe_validation_error,
    read_json_object,
)
from mychangsha.simulators.tourism.crowd import SHANGHAI
from mychangsha.simulators.tourism.data import (
    AttractionRecord,
    LocationRecord,
    original_catalogue,
)
from mychangsha.simulators.tourism.openapi import DEFAULT_EVENT_PAGE_SIZE, MAX_PAGE_SIZE
from mychangsha.simulators.tourism.paging import page_body

_STRICT = ConfigDict(extra="forbid", strict=True)
_DATE = r"^\d{4}-\d{2}-\d{2}$"
_HHMM = r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$"
_PLATFORM_FIELDS: Final = frozenset({"id", "updatedAt"})

EventCategory = Literal["exhibition", "festival", "performance"]


@with_config(_STRICT)
class VenueRecord(TypedDict):
    """Where an event takes place; `attractionId` links the catalogue when the venue is in it."""

    name: Annotated[str, Field(min_length=1)]
    address: str
    location: LocationRecord
    attractionId: str | None


@with_config(_STRICT)
class EventRecord(TypedDict):
    """An event exactly as `GET /v1/events` returns it; dates and times are local."""

    id: Annotated[str, Field(min_length=1)]
    title: Annotated[str, Field(min_length=1)]
    titleEn: str | None
    category: EventCategory
    startDate: Annotated[str, Field(pattern=_DATE)]
    endDate: Annotated[str, Field(pattern=_DATE)]
    dailyStart: Annotated[str, Field(pattern=_HHMM)] | None
    dailyEnd: Annotated[str, Field(pattern=_HHMM)] | None
    venue: VenueRecord
    description: str
    priceFen: Annotated[int, Field(ge=0)] | None
    reservationRequired: bool
    updatedAt: str


_RECORD: Final = TypeAdapter(EventRecord)


def check_event(record: EventRecord) -> None:
    """What the schema cannot say: real calendar dates, in order, and daily times in pairs."""
    try:
        start = date.fromisoformat(record["startDate"])
        end = date.fromisoformat(record["endDate"])
    except ValueError as exc:
        raise ValueError(f"startDate/endDate: {exc}") from exc
    if end < start:
        raise ValueError("endDate is before startDate")
    if (record["dailyStart"] is None) != (record["dailyEnd"] is None):
        raise ValueError("dailyStart and dailyEnd are given together or not at all")


# --- the programme ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Hall:
    """A venue that is not an attraction of the catalogue."""

    name: str
    address: str
    lat_lng: tuple[float, float]


_HALLS: Final[dict[str, _Hall]] = {
    "art-museum": _Hall("长沙美术馆", "长沙市开福区八一路", (28.2030, 112.9905)),
    "concert-hall": _Hall(
        "长沙音乐厅", "长沙市开福区湘江中路新河三角洲滨江文化园", (28.2128, 112.9722)
    ),
    "helong-stadium": _Hall("贺龙体育中心", "长沙市天心区劳动西路", (28.1820, 112.9920)),
}


@dataclass(frozen=True, slots=True)
class _Plan:
    """One event of the programme, its dates as day offsets from the feed's anchor date."""

    id: str
    title: str
    title_en: str | None
    category: EventCategory
    starts: int
    days: int
    hours: tuple[str, str] | None
    venue: str  # an attraction id of the catalogue, or a key of _HALLS
    description: str
    price_fen: int | None  # the lowest ticket price; None while the price is not announced
    reservation: bool
    hall: str | None = None  # a hall inside the attraction, shown as the venue's name


_MUSEUM_HOURS: Final = ("09:00", "17:00")
_EVENING: Final = ("19:30", "21:30")

_PROGRAMME: Final[tuple[_Plan, ...]] = (
    # exhibitions
    _Plan(
        "evt-mawangdui-han-tombs",
        "长沙马王堆汉墓陈列",
        "Mawangdui Han Tombs of Changsha",
        "exhibition",
        -30,
        151,
        _MUSEUM_HOURS,
        "att-hunan-museum",
        "素纱襌衣、T形帛画与辛追夫人，展出马王堆三座汉墓出土的文物精华。",
        0,
        True,
    ),
    _Plan(
        "evt-hunan-museum-bronzes",
        "国宝里的湖南：商周青铜器特展",
        "Bronzes of Shang and Zhou from Hunan",
        "exhibition",
        -20,
        91,
        _MUSEUM_HOURS,
        "att-hunan-museum",
        "汇集湖南出土的商周青铜重器，四羊方尊等国宝级文物集中亮相。",
        5000,
        True,
    ),
    _Plan(
        "evt-hunan-museum-silk-road",
        "丝路遗珍：丝绸之路沿线文物特展",
        "Treasures of the Silk Road",
        "exhibition",
        30,
        91,
        _MUSEUM_HOURS,
        "att-hunan-museum",
        "联合丝路沿线多家博物馆，展出金银器、织锦与壁画等文物。",
        6000,
        True,
    ),
    _Plan(
        "evt-changsha-museum-tongguan-ware",
        "千年窑火：长沙铜官窑瓷器精品展",
        "A Thousand Years of Tongguan Kiln Ware",
        "exhibition",
        5,
        56,
        _MUSEUM_HOURS,
        "att-changsha-museum",
        "唐代长沙窑釉下多彩瓷器与诗文瓷，讲述海上丝绸之路上的长沙制造。",
        0,
        True,
    ),
    _Plan(
        "evt-bamboo-slips-zoumalou",
        "走马楼三国吴简特展",
        "Wu Bamboo Slips from Zoumalou",
        "exhibition",
        -15,
        56,
        _MUSEUM_HOURS,
        "att-bamboo-slips-museum",
        "从走马楼古井出土的十万余枚三国吴简中遴选精品，复原孙吴时期长沙的日常。",
        0,
        True,
    ),
    _Plan(
        "evt-xie-zilong-photo-biennale",
        "长沙国际影像双年展",
        "Changsha International Photography Biennale",
        "exhibition",
        -10,
        56,
        ("10:00", "18:00"),
        "att-xie-zilong-photography-museum",
        "来自二十多个国家的摄影师以“城市与河流”为题，展出三百余件影像作品。",
        5000,
        False,
    ),
    _Plan(
        "evt-xie-zilong-documentary",
        "凝视：中国纪实摄影四十年",
        "Gaze: Forty Years of Chinese Documentary Photography",
        "exhibition",
        50,
        61,
        ("10:00", "18:00"),
        "att-xie-zilong-photography-museum",
        "以四十年来的纪实摄影作品，记录普通人的生活与城市的变迁。",
        4000,
        False,
    ),
    _Plan(
        "evt-art-museum-ink",
        "湖湘水墨名家作品展",
        "Masters of Hunan Ink Painting",
        "exhibition",
        -30,
        26,
        _MUSEUM_HOURS,
        "art-museum",
        "展出齐白石以来湖湘水墨名家的山水、花鸟与人物作品八十余件。",
        0,
        False,
    ),
    _Plan(
        "evt-art-museum-young-artists",
        "长沙青年艺术家双年展",
        None,
        "exhibition",
        20,
        61,
        _MUSEUM_HOURS,
        "art-museum",
        "面向四十岁以下艺术家的双年展，涵盖绘画、装置与新媒体艺术。",
        0,
        False,
    ),
    # festivals
    _Plan(
        "evt-yuelushan-red-maple",
        "岳麓山红枫节",
        "Yuelu Mountain Red Maple Festival",
        "festival",
        40,
        31,
        ("07:00", "18:00"),
        "att-yuelushan",
        "爱晚亭一带枫叶渐红，“停车坐爱枫林晚”，赏枫步道与摄影大赛同期举行。",
        0,
        False,
    ),
    _Plan(
        "evt-changsha-marathon",
        "长沙国际马拉松",
        "Changsha International Marathon",
        "festival",
        55,
        1,
        ("07:30", "13:30"),
        "helong-stadium",
        "全程、半程与健康跑三个项目，赛道经湘江风光带与橘子洲大桥，报名需实名。",
        15000,
        True,
    ),
    _Plan(
        "evt-orange-isle-music-festival",
        "橘洲音乐节",
        "Orange Isle Music Festival",
        "festival",
        75,
        2,
        ("14:00", "22:30"),
        "att-orange-isle",
        "两天三个舞台，摇滚、民谣与电子乐队在湘江江心的草坪上演出。",
        48000,
        True,
    ),
    _Plan(
        "evt-tongguan-kiln-festival",
        "铜官窑窑火节",
        "Tongguan Kiln Fire Festival",
        "festival",
        10,
        16,
        ("09:00", "22:00"),
        "att-tongguan-kiln-town",
        "古窑开窑点火、拉坯体验与夜间窑火表演，重现唐代长沙窑的烟火气。",
        None,
        False,
    ),
    _Plan(
        "evt-taiping-street-night-market",
        "太平街非遗夜市",
        "Taiping Street Intangible Heritage Night Market",
        "festival",
        -30,
        91,
        ("18:00", "23:00"),
        "att-taiping-street",
        "湘绣、糖画、剪纸与长沙小吃摊位沿太平老街铺开，周末有花鼓戏快闪。",
        0,
        False,
    ),
    _Plan(
        "evt-jinggang-lantern-fair",
        "靖港古镇灯会",
        "Jinggang Ancient Town Lantern Fair",
        "festival",
        90,
        21,
        ("18:00", "22:00"),
        "att-jinggang-ancient-town",
        "千盏彩灯沿沩水河岸点亮，古镇夜游与湘江渔歌演出同期举行。",
        0,
        False,
    ),
    _Plan(
        "evt-botanical-garden-tulips",
        "湖南省森林植物园郁金香花展",
        "Tulip Show at Hunan Forest Botanical Garden",
        "festival",
        -5,
        31,
        ("07:30", "18:00"),
        "att-hunan-forest-botanical-garden",
        "百余个品种的郁金香与樱花同季开放，园内设置花海摄影点。",
        0,
        False,
    ),
    _Plan(
        "evt-window-of-the-world-lights",
        "世界之窗欢乐灯光节",
        "Window of the World Light Festival",
        "festival",
        30,
        61,
        ("18:00", "22:00"),
        "att-window-of-the-world",
        "世界名胜微缩景观披上灯光，夜场有烟火秀与花车巡游。",
        12000,
        False,
    ),
    _Plan(
        "evt-du-fu-pavilion-poetry",
        "杜甫江阁湘江诗会",
        "Xiangjiang Poetry Evening at Du Fu Pavilion",
        "festival",
        12,
        1,
        ("19:30", "21:30"),
        "att-du-fu-pavilion",
        "在杜甫晚年停留的湘江边吟诵唐诗，诗人与市民同台朗诵。",
        0,
        True,
    ),
    _Plan(
        "evt-martyrs-park-chrysanthemums",
        "湖南烈士公园菊花展",
        "Chrysanthemum Show at Hunan Martyrs' Park",
        "festival",
        -12,
        31,
        ("06:00", "22:00"),
        "att-martyrs-park",
        "数万盆菊花沿年嘉湖布展，造型菊与名品菊分区展出。",
        0,
        False,
    ),
    _Plan(
        "evt-dawei-mountain-azaleas",
        "大围山杜鹃花节",
        "Dawei Mountain Azalea Festival",
        "festival",
        95,
        26,
        ("07:00", "18:00"),
        "att-dawei-mountain",
        "万亩野生杜鹃在山顶次第开放，景区开通赏花专线车。",
        8000,
        False,
    ),
    _Plan(
        "evt-songya-lake-food-festival",
        "松雅湖星沙美食节",
        None,
        "festival",
        100,
        9,
        ("16:00", "22:00"),
        "att-songya-lake",
        "口味虾、臭豆腐与湘菜名店在湖畔集中出摊，夜间有露天音乐会。",
        0,
        False,
    ),
    _Plan(
        "evt-huangxing-road-shopping-nights",
        "黄兴路步行街夜购节",
        None,
        "festival",
        -3,
        14,
        ("18:00", "23:30"),
        "att-huangxing-road",
        "商圈联合打折与街头表演，地铁延长运营至午夜。",
        0,
        False,
    ),
    _Plan(
        "evt-yanghu-wetland-birdwatching",
        "洋湖湿地观鸟节",
        "Yanghu Wetland Birdwatching Festival",
        "festival",
        60,
        5,
        ("07:00", "17:00"),
        "att-yanghu-wetland-park",
        "观鸟向导带队认识湿地越冬候鸟，现场提供望远镜租借。",
        0,
        True,
    ),
    # performances
    _Plan(
        "evt-meixihu-swan-lake",
        "芭蕾舞剧《天鹅湖》",
        "Swan Lake (ballet)",
        "performance",
        18,
        2,
        _EVENING,
        "att-meixihu-arts-centre",
        "柴可夫斯基的经典芭蕾，全本四幕，现场乐队伴奏。",
        18000,
        True,
        hall="梅溪湖国际文化艺术中心大剧院",
    ),
    _Plan(
        "evt-meixihu-cats",
        "音乐剧《猫》中文版",
        "Cats (musical, Chinese version)",
        "performance",
        42,
        6,
        ("19:30", "22:00"),
        "att-meixihu-arts-centre",
        "韦伯的经典音乐剧以中文演唱，《回忆》等名曲原汁原味。",
        28000,
        True,
        hall="梅溪湖国际文化艺术中心大剧院",
    ),
    _Plan(
        "evt-meixihu-xiangju",
        "湘剧《李贞回乡》",
        None,
        "performance",
        8,
        1,
        _EVENING,
        "att-meixihu-arts-centre",
        "湖南省湘剧院的现代湘剧，讲述开国女将军李贞回到浏阳故乡的故事。",
        8000,
        True,
        hall="梅溪湖国际文化艺术中心大剧院",
    ),
    _Plan(
        "evt-meixihu-dance-drama",
        "舞剧《永不消逝的电波》",
        "The Eternal Wave (dance drama)",
        "performance",
        63,
        3,
        _EVENING,
        "att-meixihu-arts-centre",
        "以舞蹈讲述隐蔽战线的谍战故事，光影与舞美极具电影感。",
        18000,
        True,
        hall="梅溪湖国际文化艺术中心大剧院",
    ),
    _Plan(
        "evt-concert-hall-season-opening",
        "湖南交响乐团音乐季开幕音乐会",
        "Hunan Symphony Orchestra Season Opening",
        "performance",
        3,
        1,
        _EVENING,
        "concert-hall",
        "开幕音乐会上演德沃夏克《第九交响曲“自新大陆”》。",
        8000,
        True,
    ),
    _Plan(
        "evt-concert-hall-chamber-night",
        "室内乐之夜：勃拉姆斯弦乐六重奏",
        "Chamber Night: Brahms String Sextets",
        "performance",
        -6,
        1,
        _EVENING,
        "concert-hall",
        "在室内乐厅演出勃拉姆斯两首弦乐六重奏。",
        5000,
        True,
    ),
    _Plan(
        "evt-concert-hall-organ",
        "管风琴音乐会",
        "Organ Recital",
        "performance",
        30,
        1,
        _EVENING,
        "concert-hall",
        "交响乐厅的大型管风琴独奏，曲目从巴赫到梅西安。",
        6000,
        True,
    ),
    _Plan(
        "evt-concert-hall-new-year",
        "新年音乐会",
        "New Year's Concert",
        "performance",
        100,
        1,
        _EVENING,
        "concert-hall",
        "施特劳斯家族的圆舞曲与波尔卡，以《拉德茨基进行曲》作结。",
        12000,
        True,
    ),
)

_FIREWORKS_WINDOW: Final = range(-14, 28)  # six Saturdays, whatever the anchor's weekday
_SATURDAY: Final = 5


def _fireworks(anchor: date) -> list[_Plan]:
    """橘子洲's weekend fireworks: one single-evening event per Saturday around the anchor."""
    shows = []
    for offset in _FIREWORKS_WINDOW:
        day = anchor + timedelta(days=offset)
        if day.weekday() == _SATURDAY:
            shows.append(
                _Plan(
                    f"evt-orange-isle-fireworks-{day:%Y%m%d}",
                    "橘子洲周末焰火",
                    "Orange Isle Weekend Fireworks",
                    "festival",
                    offset,
                    1,
                    ("20:30", "20:50"),
                    "att-orange-isle",
                    "周六晚在橘子洲头燃放焰火，湘江两岸与杜甫江阁均可观赏。",
                    0,
                    False,
                )
            )
    return shows


def _venue(plan: _Plan, attractions: Mapping[str, AttractionRecord]) -> VenueRecord:
    hall = _HALLS.get(plan.venue)
    if hall is not None:
        lat, lng = hall.lat_lng
        return {
            "name": hall.name,
            "address": hall.address,
            "location": {"lat": lat, "lng": lng},
            "attractionId": None,
        }
    attraction = attractions[plan.venue]
    location = attraction["location"]
    return {
        "name": plan.hall or attraction["name"],
        "address": attraction["address"],
        "location": {"lat": location["lat"], "lng": location["lng"]},
        "attractionId": attraction["id"],
    }


def _record(
    plan: _Plan, anchor: date, updated_at: str, attractions: Mapping[str, AttractionRecord]
) -> EventRecord:
    start = anchor + timedelta(days=plan.starts)
    end = start + timedelta(days=plan.days - 1)
    return {
        "id": plan.id,
        "title": plan.title,
        "titleEn": plan.title_en,
        "category": plan.category,
        "startDate": start.isoformat(),
        "endDate": end.isoformat(),
        "dailyStart": plan.hours[0] if plan.hours else None,
        "dailyEnd": plan.hours[1] if plan.hours else None,
        "venue": _venue(plan, attractions),
        "description": plan.description,
        "priceFen": plan.price_fen,
        "reservationRequired": plan.reservation,
        "updatedAt": updated_at,
    }


def original_events(anchor: date) -> list[EventRecord]:
    """The programme around a local date, fresh on every call, so changes never leak into it.

    Published the day before the anchor, so any change made after it looks newer to a sync.
    """
    published = datetime.combine(anchor - timedelta(days=1), time(9), SHANGHAI).isoformat()
    attractions = {record["id"]: record for record in original_catalogue()}
    plans = [*_PROGRAMME, *_fireworks(anchor)]
    return [_record(plan, anchor, published, attractions) for plan in plans]


def local_date(moment: datetime) -> date:
    """The calendar date in Changsha at a moment."""
    return moment.astimezone(SHANGHAI).date()


# --- the feed and its test controls -----------------------------------------------------------


def _next_updated_at(now: datetime, previous: str) -> str:
    """Now in +08:00, strictly after the previous stamp so every change is visible to sync."""
    stamp = now.astimezone(SHANGHAI).replace(microsecond=0)
    before = datetime.fromisoformat(previous)
    if stamp <= before:
        stamp = (before + timedelta(seconds=1)).astimezone(SHANGHAI)
    return stamp.isoformat()


class EventFeed:
    """The events as currently served, the endpoints serving them, and what reset restores."""

    def __init__(self, clock: SimulatorClock) -> None:
        self._clock = clock
        self.events: dict[str, EventRecord] = {}
        self.reset()

    def reset(self) -> None:
        """The programme around the clock's current local date, without admin changes."""
        anchor = local_date(aware_now(self._clock))
        self.events = {record["id"]: record for record in original_events(anchor)}

    def routes(self) -> list[BaseRoute]:
        """The public feed."""
        return [Route("/v1/events", self.list_events, methods=["GET"])]

    def admin_routes(self) -> list[BaseRoute]:
        """Test controls: change, add and remove events."""
        return [
            Route("/__admin/events/{event_id}", self.put_event, methods=["PUT"]),
            Route("/__admin/events/{event_id}", self.delete_event, methods=["DELETE"]),
        ]

    async def list_events(self, request: Request) -> Response:
        """One page of events ordered by id, in the catalogue's paging shape."""
        records = [self.events[key] for key in sorted(self.events)]
        body = page_body(
            request,
            "/v1/events",
            records,
            default_size=DEFAULT_EVENT_PAGE_SIZE,
            max_size=MAX_PAGE_SIZE,
        )
        return OrjsonResponse(body)

    async def put_event(self, request: Request) -> Response:
        """Merge the given fields into an event (or add a complete new one); updatedAt moves on."""
        event_id = request.path_params["event_id"]
        patch = await read_json_object(request)
        if forbidden := sorted(_PLATFORM_FIELDS & patch.keys()):
            raise ApiError(400, f"{', '.join(forbidden)} cannot be patched")
        current = self.events.get(event_id)
        base: dict[str, Any] = dict(current) if current is not None else {"id": event_id}
        previous = current["updatedAt"] if current is not None else "1970-01-01T00:00:00+00:00"
        stamp = _next_updated_at(aware_now(self._clock), previous)
        try:
            record = _RECORD.validate_python({**base, **patch, "updatedAt": stamp})
            check_event(record)
        except ValidationError as exc:
            raise ApiError(400, describe_validation_error(exc)) from exc
        except ValueError as exc:
            raise ApiError(400, str(exc)) from exc
        self.events[event_id] = record
        return OrjsonResponse(record, status_code=200 if current is not None else 201)

    async def delete_event(self, request: Request) -> Response:
        """Remove an event until the next reset."""
        event_id = request.path_params["event_id"]
        if self.events.pop(event_id, None) is None:
            raise ApiError(404, f"no event with id {event_id!r}")
        return Response(status_code=204)
