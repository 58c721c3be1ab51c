"""Drawing the case pack: the text pages with matplotlib in the charts' fonts (Chinese
renders), then pages of photo thumbnails made with Pillow. CPU work: run it in a thread."""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PIL import Image, ImageOps

from bot.views.chart import prepare_chart_fonts

if TYPE_CHECKING:
    from matplotlib.figure import Figure

LINES_PER_PAGE = 48
THUMBNAIL_COLUMNS = 3
THUMBNAILS_PER_PAGE = THUMBNAIL_COLUMNS * 4
THUMBNAIL_PIXELS = (360, 360)
CAPTION_WIDTH = 36
WRAP_WIDTH = 88  # in narrow characters; a Chinese character counts two
PAGE_SIZE = (8.27, 11.69)  # A4, inches
# the chat's emoji (✅, 🚩, the variation selector): the pack's fonts draw none of them
EMOJI = re.compile("[\u2705\ufe0f\U0001f000-\U0001faff] ?")


@dataclass(frozen=True)
class PackLine:
    text: str
    heading: bool = False


@dataclass(frozen=True)
class PackPhoto:
    """A file of the lead's evidence with its caption; drawn as a thumbnail if an image."""

    caption: str
    content: bytes


def render_pack(
    lines: list[PackLine], photos: list[PackPhoto], photos_title: str
) -> tuple[bytes, bytes]:
    """The PDF and a PNG of its first page: the text, then pages of the photos' thumbnails
    (a file that is no image, a PDF, is left to the text's list)."""
    prepare_chart_fonts()  # a no-op after start-up
    from matplotlib.backends.backend_pdf import PdfPages

    pdf, png = io.BytesIO(), io.BytesIO()
    with PdfPages(pdf) as document:
        for number, figure in enumerate(_text_pages(lines)):
            document.savefig(figure)
            if number == 0:
                figure.savefig(png, format="png", dpi=90)
        for figure in _photo_pages(photos, photos_title):
            document.savefig(figure)
    return pdf.getvalue(), png.getvalue()


def _text_pages(lines: list[PackLine]) -> list[Figure]:
    from matplotlib.figure import Figure

    wrapped = [
        PackLine(part, line.heading) for line in lines for part in _wrap(EMOJI.sub("", line.text))
    ]
    pages = [wrapped[i : i + LINES_PER_PAGE] for i in range(0, len(wrapped), LINES_PER_PAGE)]
    figures = []
    for page in pages or [[]]:
        figure = Figure(figsize=PAGE_SIZE)
        for row, line in enumerate(page):
            figure.text(
                0.07, 0.95 - row * 0.0190, line.text,
                fontsize=11 if line.heading else 9,
                fontweight="bold" if line.heading else "normal",
            )  # fmt: skip
        figures.append(figure)
    return figures


def _photo_pages(photos: list[PackPhoto], title: str) -> list[Figure]:
    from matplotlib.figure import Figure

    thumbnails = [(photo.caption, image) for photo in photos if (image := _thumbnail(photo))]
    figures = []
    for start in range(0, len(thumbnails), THUMBNAILS_PER_PAGE):
        figure = Figure(figsize=PAGE_SIZE)
        figure.text(0.07, 0.95, title, fontsize=11, fontweight="bold")
        for place, (caption, image) in enumerate(thumbnails[start : start + THUMBNAILS_PER_PAGE]):
            _draw_thumbnail(figure, place, caption, image)
        figures.append(figure)
    return figures


def _thumbnail(photo: PackPhoto) -> Image.Image | None:
    """A small copy the right way up; None for a file Pillow cannot read as an image."""
    try:
        with Image.open(io.BytesIO(photo.content)) as opened:
            upright = ImageOps.exif_transpose(opened)
            upright.thumbnail(THUMBNAIL_PIXELS)
            return upright.convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def _draw_thumbnail(figure: Figure, place: int, caption: str, image: Image.Image) -> None:
    """The `place`-th cell of a 3-column grid under the page's title."""
    row, column = divmod(place, THUMBNAIL_COLUMNS)
    width, height = 0.26, 0.17
    left, bottom = 0.07 + column * 0.30, 0.72 - row * 0.22
    axes = figure.add_axes((left, bottom, width, height))
    axes.imshow(image)
    axes.set_axis_off()
    text = "\n".join(_wrap(EMOJI.sub("", caption), CAPTION_WIDTH))
    figure.text(left, bottom - 0.005, text, fontsize=7, verticalalignment="top")


def _wrap(text: str, width: int = WRAP_WIDTH) -> list[str]:
    """Lines no wider than `width`, counting East Asian wide characters twice."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        current = ""
        for char in paragraph:
            if _width(current + char) > width:
                head, space, tail = current.rpartition(" ")
                if space and not _is_wide(char):  # break Latin text between words
                    lines.append(head)
                    current = tail
                else:
                    lines.append(current)
                    current = ""
            current += char
        lines.append(current)
    return lines


def _is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def _width(text: str) -> int:
    return sum(2 if _is_wide(char) else 1 for char in text)
