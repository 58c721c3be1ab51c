"""Putting translated pieces together the way each language writes them: Chinese runs
sentences on without a space and writes a full-width colon after a label."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _


def sentences(*parts: str) -> str:
    """Sentences one after another (empty ones left out)."""
    text = ""
    for part in parts:
        if part:
            text = _("{sentence} {next}").format(sentence=text, next=part) if text else part
    return text


def labelled(label: str, value: str) -> str:
    """`label: value` in the current language."""
    return _("{label}: {value}").format(label=label, value=value)
