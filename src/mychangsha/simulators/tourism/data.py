"""The tourism platform's catalogue: real Changsha attractions, as the platform's JSON records.

Coordinates are WGS-84 (what the graph's geo queries expect), rounded to four decimals
(about 10 m). Opening hours, prices and reservation rules follow the places' public
information as of 2025; they are simulator data, good enough to exercise the graph, not a
guide to plan a trip with. The record types double as the validation schema of the admin
patch endpoint (pydantic validates TypedDicts), so the catalogue and its patches cannot drift.
"""

from __future__ import annotations

import copy
from typing import Annotated, Final

from pydantic import ConfigDict, Field, with_config
from typing_extensions import TypedDict

_STRICT = ConfigDict(extra="forbid", strict=True)
_HHMM = r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$"

CATALOGUE_UPDATED_AT: Final = "2025-03-01T09:00:00+08:00"


@with_config(_STRICT)
class LocationRecord(TypedDict):
    """WGS-84 degrees."""

    lat: Annotated[float, Field(ge=-90, le=90)]
    lng: Annotated[float, Field(ge=-180, le=180)]


@with_config(_STRICT)
class OpeningHoursRecord(TypedDict):
    """One rule: `days` like "Mon-Sun" or "Tue-Sun", local times "HH:MM" ("24:00" = midnight)."""

    days: Annotated[str, Field(min_length=3)]
    open: Annotated[str, Field(pattern=_HHMM)]
    close: Annotated[str, Field(pattern=_HHMM)]


@with_config(_STRICT)
class TicketRecord(TypedDict):
    """A ticket type; money in fen, free entry is a 0-fen ticket."""

    id: Annotated[str, Field(min_length=1)]
    name: Annotated[str, Field(min_length=1)]
    priceFen: Annotated[int, Field(ge=0)]
    reservationRequired: bool


@with_config(_STRICT)
class AttractionRecord(TypedDict):
    """An attraction exactly as `GET /v1/attractions/{id}` returns it."""

    id: Annotated[str, Field(min_length=1)]
    name: Annotated[str, Field(min_length=1)]
    nameEn: str | None
    district: Annotated[str, Field(min_length=1)]
    address: str
    location: LocationRecord
    level: str | None
    description: str
    tags: list[str]
    openingHours: list[OpeningHoursRecord]
    tickets: list[TicketRecord]
    capacity: Annotated[int, Field(ge=0)]
    updatedAt: str


def _daily(opens: str, closes: str, days: str = "Mon-Sun") -> list[OpeningHoursRecord]:
    return [{"days": days, "open": opens, "close": closes}]


def _free(attraction_id: str, *, reservation: bool = False) -> TicketRecord:
    name = "免费预约参观" if reservation else "免费开放"
    return {
        "id": f"{attraction_id}-free",
        "name": name,
        "priceFen": 0,
        "reservationRequired": reservation,
    }


def _paid(attraction_id: str, suffix: str, name: str, price_fen: int) -> TicketRecord:
    return {
        "id": f"{attraction_id}-{suffix}",
        "name": name,
        "priceFen": price_fen,
        "reservationRequired": False,
    }


def _attraction(
    attraction_id: str,
    name: str,
    name_en: str,
    district: str,
    address: str,
    lat_lng: tuple[float, float],
    level: str | None,
    description: str,
    tags: list[str],
    hours: list[OpeningHoursRecord],
    tickets: list[TicketRecord],
    capacity: int,
) -> AttractionRecord:
    return {
        "id": attraction_id,
        "name": name,
        "nameEn": name_en,
        "district": district,
        "address": address,
        "location": {"lat": lat_lng[0], "lng": lat_lng[1]},
        "level": level,
        "description": description,
        "tags": tags,
        "openingHours": hours,
        "tickets": tickets,
        "capacity": capacity,
        "updatedAt": CATALOGUE_UPDATED_AT,
    }


_CATALOGUE: Final[tuple[AttractionRecord, ...]] = (
    _attraction(
        "att-yuelushan",
        "岳麓山",
        "Yuelu Mountain",
        "岳麓区",
        "长沙市岳麓区登高路58号",
        (28.1839, 112.9375),
        "5A",
        "岳麓山是南岳衡山七十二峰的最后一峰，集儒释道文化与红枫秋色于一山。",
        ["自然", "登山", "人文", "红叶"],
        _daily("06:00", "23:00"),
        [
            _free("att-yuelushan"),
            _paid("att-yuelushan", "shuttle", "景区观光车（单程）", 2000),
        ],
        30000,
    ),
    _attraction(
        "att-yuelu-academy",
        "岳麓书院",
        "Yuelu Academy",
        "岳麓区",
        "长沙市岳麓区麓山南路273号（湖南大学内）",
        (28.1826, 112.9433),
        "5A",
        "岳麓书院创建于北宋开宝九年，是中国古代四大书院之一，千年弦歌不绝。",
        ["人文", "历史", "书院"],
        _daily("08:00", "18:00"),
        [_paid("att-yuelu-academy", "adult", "成人票", 4000)],
        3000,
    ),
    _attraction(
        "att-aiwan-pavilion",
        "爱晚亭",
        "Aiwan Pavilion",
        "岳麓区",
        "长沙市岳麓区岳麓山清风峡",
        (28.1837, 112.9409),
        "5A",
        "爱晚亭因杜牧“停车坐爱枫林晚”的诗句得名，是中国四大名亭之一。",
        ["人文", "红叶", "古建筑"],
        _daily("06:00", "23:00"),
        [_free("att-aiwan-pavilion")],
        2000,
    ),
    _attraction(
        "att-orange-isle",
        "橘子洲",
        "Orange Isle",
        "岳麓区",
        "长沙市岳麓区橘子洲头2号",
        (28.1740, 112.9590),
        "5A",
        "橘子洲是湘江中的狭长江心洲，洲头矗立着青年毛泽东艺术雕塑。",
        ["自然", "江景", "红色旅游"],
        _daily("07:00", "22:00"),
        [
            _free("att-orange-isle"),
            _paid("att-orange-isle", "train", "观光小火车（单程）", 2000),
        ],
        40000,
    ),
    _attraction(
        "att-hunan-museum",
        "湖南博物院",
        "Hunan Museum",
        "开福区",
        "长沙市开福区东风路50号",
        (28.2136, 112.9938),
        "4A",
        "湖南博物院收藏马王堆汉墓出土的素纱单衣等珍贵文物，是国家一级博物馆。",
        ["博物馆", "历史", "文物"],
        _daily("09:00", "17:00", days="Tue-Sun"),
        [_free("att-hunan-museum", reservation=True)],
        6000,
    ),
    _attraction(
        "att-tianxin-pavilion",
        "天心阁",
        "Tianxin Pavilion",
        "天心区",
        "长沙市天心区天心路17号",
        (28.1897, 112.9838),
        None,
        "天心阁是长沙古城墙仅存的一段城楼，登阁可俯瞰老城街巷。",
        ["人文", "古城墙", "古建筑"],
        _daily("08:00", "18:00"),
        [_free("att-tianxin-pavilion")],
        5000,
    ),
    _attraction(
        "att-taiping-street",
        "太平老街",
        "Taiping Old Street",
        "天心区",
        "长沙市天心区太平街",
        (28.1946, 112.9714),
        None,
        "太平老街保留了明清时期的街巷格局，青石板路两旁是老字号与特色小吃。",
        ["街区", "美食", "历史"],
        _daily("09:00", "23:00"),
        [_free("att-taiping-street")],
        15000,
    ),
    _attraction(
        "att-pozi-street",
        "坡子街",
        "Pozi Street",
        "天心区",
        "长沙市天心区坡子街",
        (28.1923, 112.9731),
        None,
        "坡子街是长沙有名的美食街，火宫殿的臭豆腐与糖油粑粑在这里代代相传。",
        ["美食", "街区"],
        _daily("09:00", "23:00"),
        [_free("att-pozi-street")],
        20000,
    ),
    _attraction(
        "att-wuyi-square",
        "五一广场",
        "Wuyi Square",
        "芙蓉区",
        "长沙市芙蓉区五一大道与黄兴中路交汇处",
        (28.1958, 112.9767),
        None,
        "五一广场是长沙的城市中心与商业核心，地下是地铁1号线与2号线的换乘站。",
        ["城市地标", "购物"],
        _daily("00:00", "24:00"),
        [_free("att-wuyi-square")],
        30000,
    ),
    _attraction(
        "att-huangxing-road",
        "黄兴路步行街",
        "Huangxing Road Pedestrian Street",
        "天心区",
        "长沙市天心区黄兴中路",
        (28.1912, 112.9770),
        None,
        "黄兴路步行街是长沙最繁华的步行商业街，汇集老字号、潮牌与网红小吃。",
        ["购物", "美食", "街区"],
        _daily("10:00", "22:30"),
        [_free("att-huangxing-road")],
        30000,
    ),
    _attraction(
        "att-changsha-ifs",
        "长沙国金中心",
        "Changsha IFS",
        "芙蓉区",
        "长沙市芙蓉区解放西路188号",
        (28.1930, 112.9795),
        None,
        "长沙国金中心是五一商圈的地标综合体，楼顶露台的巨型KAWS雕塑是热门打卡点。",
        ["购物", "城市地标", "打卡"],
        _daily("10:00", "22:00"),
        [_free("att-changsha-ifs")],
        25000,
    ),
    _attraction(
        "att-hunan-forest-botanical-garden",
        "湖南省森林植物园",
        "Hunan Forest Botanical Garden",
        "雨花区",
        "长沙市雨花区植物园路111号",
        (28.1087, 113.0250),
        "4A",
        "湖南省森林植物园以春季樱花和郁金香闻名，是城南的大型森林公园。",
        ["自然", "赏花", "亲子"],
        _daily("08:00", "18:00"),
        [_free("att-hunan-forest-botanical-garden")],
        20000,
    ),
    _attraction(
        "att-window-of-the-world",
        "长沙世界之窗",
        "Window of the World Changsha",
        "开福区",
        "长沙市开福区三一大道485号",
        (28.2274, 113.0567),
        "4A",
        "长沙世界之窗是微缩世界名胜与游乐设施相结合的大型主题公园。",
        ["主题公园", "亲子", "游乐"],
        _daily("09:30", "17:30"),
        [
            _paid("att-window-of-the-world", "adult", "成人票", 18000),
            _paid("att-window-of-the-world", "child", "儿童票（1.2-1.5米）", 9000),
        ],
        15000,
    ),
    _attraction(
        "att-underwater-world",
        "长沙海底世界",
        "Changsha Underwater World",
        "开福区",
        "长沙市开福区三一大道东段",
        (28.2230, 113.0525),
        "4A",
        "长沙海底世界是湖南规模最大的海洋馆，可以近距离观看鲨鱼与海洋动物表演。",
        ["亲子", "海洋馆", "科普"],
        _daily("09:00", "17:30"),
        [
            _paid("att-underwater-world", "adult", "成人票", 15000),
            _paid("att-underwater-world", "child", "儿童票（1.2-1.5米）", 8000),
        ],
        8000,
    ),
    _attraction(
        "att-meixihu-arts-centre",
        "梅溪湖国际文化艺术中心",
        "Meixi Lake International Culture and Arts Centre",
        "岳麓区",
        "长沙市岳麓区梅溪湖路",
        (28.1943, 112.8738),
        None,
        "梅溪湖国际文化艺术中心由扎哈·哈迪德设计，芙蓉花瓣般的流线造型是长沙新地标。",
        ["建筑", "艺术", "演出"],
        _daily("09:00", "17:00", days="Tue-Sun"),
        [_free("att-meixihu-arts-centre")],
        3000,
    ),
    _attraction(
        "att-xie-zilong-photography-museum",
        "谢子龙影像艺术馆",
        "Xie Zilong Photography Museum",
        "岳麓区",
        "长沙市岳麓区洋湖大道",
        (28.1117, 112.9380),
        None,
        "谢子龙影像艺术馆以影像艺术为主题，清水混凝土建筑本身就是一件展品。",
        ["艺术", "摄影", "建筑"],
        _daily("09:30", "17:30", days="Tue-Sun"),
        [_free("att-xie-zilong-photography-museum", reservation=True)],
        2000,
    ),
    _attraction(
        "att-tongguan-kiln-town",
        "铜官窑古镇",
        "Tongguan Kiln Ancient Town",
        "望城区",
        "长沙市望城区铜官街道",
        (28.4285, 112.8228),
        "4A",
        "铜官窑古镇依托唐代长沙窑遗址而建，可以体验陶艺制作并观看夜间烟花表演。",
        ["古镇", "陶瓷", "夜游"],
        _daily("09:00", "22:00"),
        [_free("att-tongguan-kiln-town")],
        20000,
    ),
    _attraction(
        "att-jinggang-ancient-town",
        "靖港古镇",
        "Jinggang Ancient Town",
        "望城区",
        "长沙市望城区靖港镇",
        (28.3341, 112.7478),
        "4A",
        "靖港古镇是湘江西岸的千年水乡古镇，旧时商贾云集，素有“小汉口”之称。",
        ["古镇", "水乡", "美食"],
        _daily("08:00", "22:00"),
        [_free("att-jinggang-ancient-town")],
        15000,
    ),
    _attraction(
        "att-dawei-mountain",
        "大围山国家森林公园",
        "Dawei Mountain National Forest Park",
        "浏阳市",
        "长沙市浏阳市大围山镇",
        (28.4236, 114.0804),
        "4A",
        "大围山是湘东名山，春季杜鹃花海与冬季雾凇都吸引大批游客。",
        ["自然", "登山", "赏花", "避暑"],
        _daily("08:00", "17:30"),
        [_paid("att-dawei-mountain", "adult", "成人票", 6000)],
        10000,
    ),
    _attraction(
        "att-huitang-hot-spring",
        "灰汤温泉",
        "Huitang Hot Spring",
        "宁乡市",
        "长沙市宁乡市灰汤镇",
        (27.9702, 112.2508),
        None,
        "灰汤温泉是全国有名的高温复合温泉，泉水出口温度接近九十摄氏度。",
        ["温泉", "度假", "康养"],
        _daily("09:00", "23:00"),
        [_paid("att-huitang-hot-spring", "spa", "温泉门票", 19800)],
        4000,
    ),
    _attraction(
        "att-liu-shaoqi-residence",
        "刘少奇故居",
        "Former Residence of Liu Shaoqi",
        "宁乡市",
        "长沙市宁乡市花明楼镇炭子冲村",
        (27.9441, 112.5560),
        "5A",
        "刘少奇故居位于花明楼炭子冲，是一座土木结构的四合院农舍。",
        ["红色旅游", "名人故居", "历史"],
        _daily("08:30", "17:30"),
        [_free("att-liu-shaoqi-residence")],
        8000,
    ),
    _attraction(
        "att-martyrs-park",
        "湖南烈士公园",
        "Hunan Martyrs' Park",
        "开福区",
        "长沙市开福区东风路",
        (28.2112, 113.0023),
        "4A",
        "湖南烈士公园以烈士纪念塔和年嘉湖为中心，是长沙城区最大的综合性公园之一。",
        ["红色旅游", "公园", "湖泊"],
        _daily("06:00", "22:00"),
        [_free("att-martyrs-park")],
        30000,
    ),
    _attraction(
        "att-kaifu-temple",
        "开福寺",
        "Kaifu Temple",
        "开福区",
        "长沙市开福区开福寺路136号",
        (28.2177, 112.9843),
        None,
        "开福寺始建于五代时期，是湖南著名的佛教禅宗寺院。",
        ["寺庙", "宗教", "古建筑"],
        _daily("07:00", "17:30"),
        [_paid("att-kaifu-temple", "entry", "门票", 1000)],
        3000,
    ),
    _attraction(
        "att-du-fu-pavilion",
        "杜甫江阁",
        "Du Fu River Pavilion",
        "天心区",
        "长沙市天心区湘江中路二段",
        (28.1907, 112.9683),
        None,
        "杜甫江阁为纪念诗人杜甫晚年寓居长沙而建，临江可远眺橘子洲与岳麓山。",
        ["人文", "江景", "古建筑"],
        _daily("09:00", "17:00"),
        [_free("att-du-fu-pavilion")],
        1500,
    ),
    _attraction(
        "att-xiangjiang-scenic-belt",
        "湘江风光带",
        "Xiangjiang River Scenic Belt",
        "天心区",
        "长沙市天心区湘江中路",
        (28.1983, 112.9663),
        None,
        "湘江风光带沿湘江东岸延伸，是散步、骑行和观看橘子洲焰火的好去处。",
        ["江景", "骑行", "夜景"],
        _daily("00:00", "24:00"),
        [_free("att-xiangjiang-scenic-belt")],
        50000,
    ),
    _attraction(
        "att-changsha-garden-eco-park",
        "长沙园林生态园",
        "Changsha Garden Ecological Park",
        "雨花区",
        "长沙市雨花区香樟路",
        (28.1170, 113.0105),
        None,
        "长沙园林生态园汇集多种园林风格的主题园，是城南市民休闲赏景的免费公园。",
        ["公园", "园林", "自然"],
        _daily("06:00", "22:00"),
        [_free("att-changsha-garden-eco-park")],
        15000,
    ),
    _attraction(
        "att-shiyan-lake",
        "石燕湖",
        "Shiyan Lake",
        "雨花区",
        "长沙市雨花区跳马镇石燕湖村",
        (28.0280, 113.0870),
        "4A",
        "石燕湖是长株潭城市群绿心的山间湖泊，可以划船、露营和走玻璃桥。",
        ["自然", "湖泊", "露营"],
        _daily("08:30", "17:30"),
        [_paid("att-shiyan-lake", "adult", "成人票", 5000)],
        8000,
    ),
    _attraction(
        "att-heimi-peak",
        "黑麋峰",
        "Heimi Peak",
        "望城区",
        "长沙市望城区桥驿镇黑麋峰村",
        (28.4338, 112.9881),
        "4A",
        "黑麋峰是长沙近郊的高峰，山顶可俯瞰抽水蓄能电站的上水库。",
        ["自然", "登山", "森林"],
        _daily("08:00", "17:30"),
        [_paid("att-heimi-peak", "adult", "成人票", 4500)],
        6000,
    ),
    _attraction(
        "att-qianlong-lake",
        "千龙湖",
        "Qianlong Lake",
        "望城区",
        "长沙市望城区茶亭镇",
        (28.4632, 112.8971),
        "4A",
        "千龙湖是集湖泊垂钓、水上乐园与农家休闲于一体的生态度假区。",
        ["自然", "湖泊", "度假"],
        _daily("08:30", "17:30"),
        [_paid("att-qianlong-lake", "adult", "成人票", 5000)],
        6000,
    ),
    _attraction(
        "att-yanghu-wetland-park",
        "洋湖湿地公园",
        "Yanghu Wetland Park",
        "岳麓区",
        "长沙市岳麓区洋湖大道",
        (28.1036, 112.9221),
        "4A",
        "洋湖湿地公园是城市近郊的大型湿地公园，栈道穿行于荷塘与芦苇之间。",
        ["自然", "湿地", "亲子"],
        _daily("06:00", "22:00"),
        [_free("att-yanghu-wetland-park")],
        20000,
    ),
    _attraction(
        "att-bamboo-slips-museum",
        "长沙简牍博物馆",
        "Changsha Bamboo Slips Museum",
        "天心区",
        "长沙市天心区白沙路92号",
        (28.1811, 112.9857),
        None,
        "长沙简牍博物馆收藏走马楼三国吴简等十余万枚简牍，是专门研究和展示简牍的博物馆。",
        ["博物馆", "历史", "文物"],
        _daily("09:00", "17:00", days="Tue-Sun"),
        [_free("att-bamboo-slips-museum", reservation=True)],
        2000,
    ),
    _attraction(
        "att-jia-yi-residence",
        "贾谊故居",
        "Former Residence of Jia Yi",
        "天心区",
        "长沙市天心区太平街28号",
        (28.1950, 112.9716),
        None,
        "贾谊故居是西汉政论家贾谊任长沙王太傅时的旧宅，被誉为“长沙第一名胜”。",
        ["人文", "名人故居", "历史"],
        _daily("08:30", "17:30"),
        [_free("att-jia-yi-residence")],
        1000,
    ),
    _attraction(
        "att-baisha-well",
        "白沙古井",
        "Baisha Ancient Well",
        "天心区",
        "长沙市天心区白沙路白沙井公园",
        (28.1826, 112.9846),
        None,
        "白沙古井是长沙的千年名泉，市民至今仍排队在这里取水。",
        ["人文", "古迹", "市井"],
        _daily("06:00", "22:00"),
        [_free("att-baisha-well")],
        1500,
    ),
    _attraction(
        "att-changsha-museum",
        "长沙博物馆",
        "Changsha Museum",
        "开福区",
        "长沙市开福区湘江中路新河三角洲",
        (28.2141, 112.9710),
        None,
        "长沙博物馆以通史陈列讲述这座城市三千年的历史。",
        ["博物馆", "历史"],
        _daily("09:00", "17:00", days="Tue-Sun"),
        [_free("att-changsha-museum", reservation=True)],
        3000,
    ),
    _attraction(
        "att-tan-sitong-residence",
        "谭嗣同故居",
        "Former Residence of Tan Sitong",
        "浏阳市",
        "长沙市浏阳市淮川街道北正中路98号",
        (28.1534, 113.6354),
        None,
        "谭嗣同故居是戊戌变法志士谭嗣同的祖居，为清代砖木结构的院落。",
        ["名人故居", "历史"],
        _daily("08:30", "17:30"),
        [_free("att-tan-sitong-residence")],
        1000,
    ),
    _attraction(
        "att-yang-kaihui-memorial",
        "杨开慧纪念馆",
        "Yang Kaihui Memorial Hall",
        "长沙县",
        "长沙市长沙县开慧镇板仓",
        (28.5576, 113.2473),
        None,
        "杨开慧纪念馆坐落在开慧镇板仓，由故居、陵园和生平事迹陈列馆组成。",
        ["红色旅游", "名人故居"],
        _daily("08:30", "17:30"),
        [_free("att-yang-kaihui-memorial")],
        3000,
    ),
    _attraction(
        "att-songya-lake",
        "松雅湖",
        "Songya Lake",
        "长沙县",
        "长沙市长沙县星沙街道",
        (28.2660, 113.1140),
        None,
        "松雅湖是星沙城区的湖泊公园，环湖绿道适合散步与骑行。",
        ["湖泊", "公园", "骑行"],
        _daily("00:00", "24:00"),
        [_free("att-songya-lake")],
        20000,
    ),
)


def original_catalogue() -> list[AttractionRecord]:
    """A fresh deep copy of the catalogue, so patches never leak into the original."""
    return copy.deepcopy(list(_CATALOGUE))
