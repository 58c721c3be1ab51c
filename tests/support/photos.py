"""Camera photos for the tests: small JPEGs with or without EXIF (camera time, GPS)."""

from __future__ import annotations

import io
from datetime import datetime

from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from bot.domain.fieldwork import Point

EXIF_IFD, GPS_IFD = 0x8769, 0x8825


def photo(*, taken_at: datetime | None = None, place: Point | None = None, shade: int = 0) -> bytes:
    """A 32x24 JPEG whose pixels depend on `shade` (another shade, another sha256); with
    EXIF as a camera writes it when `taken_at` or `place` is given."""
    image = Image.new("RGB", (32, 24), (shade % 256, (shade // 256) % 256, 90))
    exif = Image.Exif()
    if taken_at is not None:
        details = exif.get_ifd(EXIF_IFD)
        details[36867] = taken_at.strftime("%Y:%m:%d %H:%M:%S")
        details[36881] = taken_at.strftime("%z")[:3] + ":" + taken_at.strftime("%z")[3:]
    if place is not None:
        gps = exif.get_ifd(GPS_IFD)
        gps[1], gps[2] = ("N" if place.latitude >= 0 else "S"), _dms(abs(place.latitude))
        gps[3], gps[4] = ("E" if place.longitude >= 0 else "W"), _dms(abs(place.longitude))
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes() if len(exif) or taken_at or place else b"")
    return out.getvalue()


def _dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round((value - degrees - minutes / 60) * 3600 * 1000)
    return IFDRational(degrees, 1), IFDRational(minutes, 1), IFDRational(seconds, 1000)
