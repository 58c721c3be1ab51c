"""The visit's pure rules: distances on the ground, the EXIF verdict, the checklist; and
the bank's reading of a photo's EXIF, written by Pillow as a camera would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from bot.domain.fieldwork import (
    CHECKLIST,
    CHECKLIST_CODES,
    ChecklistGroup,
    ExifFacts,
    ExifVerdict,
    Point,
    distance_m,
    exif_verdict,
)
from bot.local_session import compressed_photo
from integrations.bank.sandbox.exif import content_type, read_exif
from tests.support.photos import photo

SHANGHAI = ZoneInfo("Asia/Shanghai")
points = st.builds(
    Point,
    st.floats(min_value=-89.9, max_value=89.9),
    st.floats(min_value=-179.9, max_value=179.9),
)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2037, 1, 1), timezones=st.just(UTC)
)


@given(points, points, points)
def test_distance_is_a_metric(a: Point, b: Point, c: Point) -> None:
    assert distance_m(a, a) == 0
    assert distance_m(a, b) == distance_m(b, a)
    assert distance_m(a, c) <= distance_m(a, b) + distance_m(b, c) + 1  # whole metres
    assert distance_m(a, b) <= 20_015_100  # half the earth's circumference


@given(points, st.floats(min_value=0, max_value=5000))
def test_a_step_north_is_as_long_as_it_is(start: Point, metres: float) -> None:
    moved = Point(min(90.0, start.latitude + metres / 111_195), start.longitude)
    if moved.latitude < 90:
        assert abs(distance_m(start, moved) - metres) <= metres * 0.002 + 1


def test_a_known_distance_in_chengdu() -> None:
    # 金牛区 to 成华区 centres in the seed: about 5.9 km
    assert 5_800 <= distance_m(Point(30.6913, 104.0516), Point(30.6599, 104.1015)) <= 6_000


@given(
    facts=st.builds(ExifFacts, st.none() | moments, st.none() | points),
    business=points,
    visit=moments,
    radius=st.integers(min_value=0, max_value=5000),
    age_hours=st.integers(min_value=0, max_value=1000),
)
def test_the_verdict_says_what_is_wrong_far_first(
    facts: ExifFacts, business: Point, visit: datetime, radius: int, age_hours: int
) -> None:
    age = timedelta(hours=age_hours)
    verdict = exif_verdict(facts, business=business, visit_at=visit, radius_m=radius, max_age=age)
    far = facts.place is not None and distance_m(facts.place, business) > radius
    stale = facts.taken_at is not None and visit - facts.taken_at > age
    if facts.taken_at is None and facts.place is None:
        assert verdict is ExifVerdict.NO_EXIF
    elif far:
        assert verdict is ExifVerdict.FAR
    elif stale:
        assert verdict is ExifVerdict.STALE
    else:
        assert verdict is ExifVerdict.OK


def test_the_checklist_is_five_four_one_ten() -> None:
    counts = {group: sum(item.group is group for item in CHECKLIST) for group in ChecklistGroup}
    assert counts == {
        ChecklistGroup.CHECK: 5,
        ChecklistGroup.LOOK: 4,
        ChecklistGroup.VISIT: 1,
        ChecklistGroup.CONFIRM: 10,
    }
    assert len(CHECKLIST_CODES) == 20


@given(
    taken=st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2036, 12, 31)),
    offset_minutes=st.sampled_from([480, 0, -300, 330, 345]),
    place=points,
    shade=st.integers(min_value=0, max_value=65535),
)
def test_exif_written_by_a_camera_is_read_back(
    taken: datetime, offset_minutes: int, place: Point, shade: int
) -> None:
    moment = taken.replace(microsecond=0, tzinfo=timezone(timedelta(minutes=offset_minutes)))
    facts = read_exif(photo(taken_at=moment, place=place, shade=shade), SHANGHAI)

    assert facts.taken_at == moment
    assert facts.place is not None
    assert distance_m(facts.place, place) <= 1  # seconds to the thousandth: centimetres


@given(st.binary(max_size=300))
def test_anything_else_reads_as_no_exif_and_types_by_its_first_bytes(data: bytes) -> None:
    assert read_exif(data, SHANGHAI) == ExifFacts() or data.startswith(b"\xff\xd8")
    found = content_type(data)
    assert found is None or data[:3] in (b"\xff\xd8\xff", b"\x89PN", b"%PD", b"RIF")


def test_a_compressed_photo_and_a_plain_one_have_no_exif() -> None:
    moment = datetime(2026, 11, 22, 9, 50, tzinfo=SHANGHAI)
    camera = photo(taken_at=moment, place=Point(30.69, 104.05))
    assert read_exif(compressed_photo(camera), SHANGHAI) == ExifFacts()
    assert read_exif(photo(), SHANGHAI) == ExifFacts()
    assert content_type(camera) == "image/jpeg"
    assert content_type(b"%PDF-1.7") == "application/pdf"
    assert content_type(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
