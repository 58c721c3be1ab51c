"""How any form's question looks: "n/total · section", the prompt, its buttons and the
navigation row (Back, Skip where optional, Cancel). The form's own callback data factory
(fields `action`, `key`, `value`) packs the buttons."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _


class Packable(Protocol):
    def pack(self) -> str: ...


StepFactory = Callable[..., Packable]  # called with action=, key= and value=


@dataclass(frozen=True)
class Asked:
    """One question as shown: what the engine says about it and its buttons' labels."""

    key: str
    options: tuple[tuple[str, str], ...]  # (value, label)
    multiple: bool
    can_go_back: bool
    optional: bool
    width: int = 2  # buttons a row


def heading(position: int, total: int, section: str) -> str:
    return f"{position}/{total} · {section}"


def question_keyboard(asked: Asked, locale: str, step: StepFactory) -> InlineKeyboardMarkup:
    return _keyboard(asked, locale, step)


@lru_cache(maxsize=1024)
def _keyboard(asked: Asked, locale: str, step: StepFactory) -> InlineKeyboardMarkup:
    """The same for everyone at this question in this language (`locale` is the cache's key):
    built once, as building buttons costs more than the rest of a step."""
    action = "toggle" if asked.multiple else "pick"
    buttons = [
        button(label, step(action=action, key=asked.key, value=value))
        for value, label in asked.options
    ]
    if asked.multiple:
        buttons.append(button(_("Done"), step(action="done", key=asked.key)))
    width = asked.width
    rows = [buttons[start : start + width] for start in range(0, len(buttons), width)]
    return InlineKeyboardMarkup(inline_keyboard=[*rows, nav_row(asked, step)])


def nav_keyboard(asked: Asked, locale: str, step: StepFactory) -> InlineKeyboardMarkup:
    """The navigation row alone (under a question answered with a reply keyboard)."""
    return _nav_keyboard(asked, locale, step)


@lru_cache(maxsize=128)
def _nav_keyboard(asked: Asked, locale: str, step: StepFactory) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[nav_row(asked, step)])


def nav_row(asked: Asked, step: StepFactory) -> list[InlineKeyboardButton]:
    row = []
    if asked.can_go_back:
        row.append(button(_("◀ Back"), step(action="back", key=asked.key)))
    if asked.optional:
        row.append(button(_("Skip ▶"), step(action="skip", key=asked.key)))
    row.append(button(_("✖ Cancel"), step(action="cancel")))
    return row


def button(text: str, data: Packable) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())
