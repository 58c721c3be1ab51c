"""Files the bot sends: CSV that Excel opens in any language."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence


def csv_document(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """UTF-8 with a byte-order mark: without it Excel reads Chinese and Cyrillic as mojibake."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")
