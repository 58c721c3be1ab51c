"""The schedule chart: a PNG drawn with matplotlib in fonts that cover every language we speak."""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Protocol

from bot.domain.schedule import Schedule

logger = logging.getLogger(__name__)

# Latin and Cyrillic come from matplotlib's own DejaVu Sans; CJK from the first font found
# (the Makefile and the Dockerfile install fonts-wqy-microhei).
LATIN_FAMILY = "DejaVu Sans"
CJK_FONT_FILES = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),
)


@cache
def prepare_chart_fonts() -> str | None:
    """Selects the chart fonts once per process (at start-up) and returns the CJK family used.

    Glyphs missing from DejaVu Sans (Chinese) fall back to the CJK font, glyph by glyph.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager

    found = next((path for path in CJK_FONT_FILES if path.is_file()), None)
    if found is None:
        logger.warning("no CJK font installed: Chinese chart labels will show as boxes")
        matplotlib.rcParams["font.family"] = [LATIN_FAMILY]
        return None
    font_manager.fontManager.addfont(str(found))  # whether or not matplotlib's cache has it
    family = font_manager.FontProperties(fname=str(found)).get_name()
    matplotlib.rcParams["font.family"] = [LATIN_FAMILY, family]
    return family


class ChartRow(Protocol):
    """An installment as the chart needs it (the calculator's, or a bank offer's)."""

    @property
    def number(self) -> int: ...

    @property
    def principal(self) -> Decimal: ...

    @property
    def interest(self) -> Decimal: ...


def schedule_chart(schedule: Schedule, labels: tuple[str, str, str]) -> bytes:
    """A PNG of principal and interest stacked per installment (CPU work: run it in a thread)."""
    return installments_chart(schedule.installments, labels)


def installments_chart(rows: Sequence[ChartRow], labels: tuple[str, str, str]) -> bytes:
    prepare_chart_fonts()  # a no-op after start-up
    from matplotlib.figure import Figure

    principal_label, interest_label, title = labels
    numbers = [row.number for row in rows]
    principal = [float(row.principal) for row in rows]
    interest = [float(row.interest) for row in rows]
    figure = Figure(figsize=(8, 4.5), dpi=100)
    axes = figure.subplots()
    axes.bar(numbers, principal, label=principal_label, color="#2f6fb0")
    axes.bar(numbers, interest, bottom=principal, label=interest_label, color="#f0a030")
    axes.set_title(title)
    axes.set_xlabel("#")
    axes.legend()
    figure.tight_layout()
    output = io.BytesIO()
    figure.savefig(output, format="png")
    return output.getvalue()
