"""What a file says about itself: its type from its first bytes (never from its name or
the sender's word), and from a photo's EXIF the camera time and the GPS position."""

from __future__ import annotations

import io
import warnings
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from PIL import Image, UnidentifiedImageError

from bot.domain.fieldwork import ExifFacts, Point

SIGNATURES = (  # content type by leading bytes
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)
EXIF_IFD, GPS_IFD = 0x8769, 0x8825
DATE_TIME_ORIGINAL, OFFSET_TIME_ORIGINAL, DATE_TIME = 36867, 36881, 306
GPS_LATITUDE_REF, GPS_LATITUDE, GPS_LONGITUDE_REF, GPS_LONGITUDE = 1, 2, 3, 4


def content_type(data: bytes) -> str | None:
    """The type of a file the store takes, or None."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for magic, kind in SIGNATURES if data.startswith(magic)), None)


def read_exif(data: bytes, zone: ZoneInfo) -> ExifFacts:
    """The camera time (local times without an offset are taken in `zone`) and position;
    nothing for a file without EXIF or one Pillow cannot read."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as image:
                exif = image.getexif()
                details, gps = exif.get_ifd(EXIF_IFD), exif.get_ifd(GPS_IFD)
                stamp = details.get(DATE_TIME_ORIGINAL) or exif.get(DATE_TIME)
                offset = details.get(OFFSET_TIME_ORIGINAL)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return ExifFacts()
    return ExifFacts(taken_at=_moment(stamp, offset, zone), place=_place(gps))


def _moment(stamp: object, offset: object, zone: ZoneInfo) -> datetime | None:
    try:
        local = datetime.strptime(str(stamp).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    return local.replace(tzinfo=_offset(offset) or zone)


def _offset(offset: object) -> timezone | None:
    text = str(offset or "").strip("\x00 ")
    if len(text) != 6 or text[0] not in "+-" or text[3] != ":":
        return None
    try:
        minutes = int(text[1:3]) * 60 + int(text[4:6])
    except ValueError:
        return None
    return timezone(timedelta(minutes=-minutes if text[0] == "-" else minutes))


def _place(gps: dict[int, object]) -> Point | None:
    try:
        latitude = _degrees(gps[GPS_LATITUDE], gps.get(GPS_LATITUDE_REF), "S")
        longitude = _degrees(gps[GPS_LONGITUDE], gps.get(GPS_LONGITUDE_REF), "W")
        return Point(latitude, longitude)
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None


def _degrees(value: object, ref: object, negative: str) -> float:
    degrees, minutes, seconds = (float(part) for part in value)  # type: ignore[attr-defined]
    sign = -1 if str(ref or "").strip("\x00 ").upper() == negative else 1
    return sign * (degrees + minutes / 60 + seconds / 3600)
