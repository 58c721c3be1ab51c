"""Every user-facing string is translated in every catalog, and none is fuzzy."""

import re

import pytest
from babel.messages.pofile import read_po

from bot.config import SUPPORTED_LOCALES
from bot.i18n import LOCALES_DIR


def _catalog(locale: str):  # type: ignore[no-untyped-def]
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as file:
        return read_po(file, locale=locale)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_entry_is_translated_and_not_fuzzy(locale: str) -> None:
    problems = [
        message.id
        for message in _catalog(locale)
        if message.id
        and (
            message.fuzzy
            or not message.string
            or (isinstance(message.string, tuple) and not all(message.string))
        )
    ]
    assert problems == []


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_catalogs_hold_the_same_messages_as_the_template(locale: str) -> None:
    with (LOCALES_DIR / "messages.pot").open("rb") as file:
        template = {m.id for m in read_po(file) if m.id}
    assert {m.id for m in _catalog(locale) if m.id} == template


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_placeholders_survive_translation(locale: str) -> None:
    braces = re.compile(r"\{[a-z_]+\}")
    for message in _catalog(locale):
        if message.id and isinstance(message.id, str):
            assert sorted(braces.findall(message.id)) == sorted(braces.findall(message.string)), (
                message.id
            )
