"""The case pack's text layout: lines fit the page, Chinese counted double, nothing lost."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.views.committee_pdf import WRAP_WIDTH, _width, _wrap


@given(text=st.text(alphabet=st.sampled_from("ab 中文,"), max_size=300))
def test_the_pack_wraps_lines_without_losing_text(text: str) -> None:
    lines = _wrap(text)
    assert all(_width(line) <= WRAP_WIDTH for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
