"""The officer's visit, pure: distances on the ground, the verdict on a photo's EXIF, and
the pre-loan checklist 五查四看一走访十确认 (five checks, four looks, one round of visits, ten
confirmations).

Used by the bank (which enforces the distance rule and records the verdicts) and by the bot
(which names the checklist's items).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

EARTH_RADIUS_M = 6_371_008.8  # the mean radius (IUGG)


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float

    def __post_init__(self) -> None:
        if not (-90 <= self.latitude <= 90 and -180 <= self.longitude <= 180):
            raise ValueError("not a point on the earth")


def distance_m(a: Point, b: Point) -> int:
    """The great-circle distance in whole metres (haversine; plenty for a street visit)."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    half_dlat = (lat2 - lat1) / 2
    half_dlon = math.radians(b.longitude - a.longitude) / 2
    h = math.sin(half_dlat) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(half_dlon) ** 2
    return round(2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h))))


class ExifVerdict(StrEnum):
    OK = "ok"
    NO_EXIF = "no_exif"  # a compressed photo, a scan, a PDF: nothing to check
    FAR = "far"  # taken farther from the business than the check-in limit
    STALE = "stale"  # taken long before the visit


@dataclass(frozen=True)
class ExifFacts:
    """What a photo's EXIF says, when it says it."""

    taken_at: datetime | None = None
    place: Point | None = None


def exif_verdict(
    facts: ExifFacts,
    *,
    business: Point,
    visit_at: datetime,
    radius_m: int,
    max_age: timedelta,
) -> ExifVerdict:
    """Far before stale: a photo from elsewhere is the graver doubt."""
    if facts.taken_at is None and facts.place is None:
        return ExifVerdict.NO_EXIF
    if facts.place is not None and distance_m(facts.place, business) > radius_m:
        return ExifVerdict.FAR
    if facts.taken_at is not None and visit_at - facts.taken_at > max_age:
        return ExifVerdict.STALE
    return ExifVerdict.OK


class ChecklistGroup(StrEnum):
    CHECK = "check"  # 五查
    LOOK = "look"  # 四看
    VISIT = "visit"  # 一走访
    CONFIRM = "confirm"  # 十确认


@dataclass(frozen=True)
class ChecklistItem:
    code: str
    group: ChecklistGroup


def _items(group: ChecklistGroup, *codes: str) -> tuple[ChecklistItem, ...]:
    return tuple(ChecklistItem(code, group) for code in codes)


# seed 002 line 246, in its order
CHECKLIST: tuple[ChecklistItem, ...] = (
    _items(
        ChecklistGroup.CHECK,
        "internet",  # 查互联网
        "tax",  # 纳税凭证
        "electricity",  # 用电量及电费缴纳情况
        "bank_accounts",  # 银行账户
        "credit_bureau",  # 央行征信系统
    )
    + _items(
        ChecklistGroup.LOOK,
        "papers",  # 看经营要件
        "books_stock",  # 账务与实物
        "equipment",  # 生产设备
        "site",  # 生产现场
    )
    + _items(ChecklistGroup.VISIT, "round")  # 走访工商、税务、电力、同行、当地干部与居民
    + _items(
        ChecklistGroup.CONFIRM,
        "product",  # 产品合法性和竞争力
        "sales",  # 市场销售是否良好
        "operation",  # 经营是否正常
        "cash_flow",  # 现金流量是否正常
        "credit",  # 信用状况
        "licences",  # 经营资质
        "books_true",  # 账务真实性
        "capacity",  # 是否有生产能力
        "management",  # 管理是否科学规范
        "owner",  # 企业负责人资信
    )
)
CHECKLIST_CODES = frozenset(item.code for item in CHECKLIST)
