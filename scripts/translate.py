"""Fill catalog entries from JSON files: {"msgid": ["zh_Hans text", "ru text"]}; en = msgid.

Usage (after `make messages`): .venv/bin/python scripts/translate.py FILE.json [FILE.json ...]
Prints, per locale, the entries still untranslated.
"""

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

LOCALES = ("zh_Hans", "en", "ru")


def load(names: list[str]) -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for name in names:
        table.update(json.loads(Path(name).read_text(encoding="utf-8")))
    return table


def fill(locale: str, table: dict[str, list[str]]) -> list[str]:
    path = Path("locales") / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as file:
        catalog = read_po(file, locale=locale)
    for message in catalog:
        if message.id and message.id in table:
            chinese, russian = table[message.id]
            message.string = {"zh_Hans": chinese, "en": message.id, "ru": russian}[locale]
            message.flags.discard("fuzzy")
    with path.open("wb") as file:
        write_po(file, catalog, width=100)
    return [message.id for message in catalog if message.id and not message.string]


def main() -> None:
    table = load(sys.argv[1:])
    for locale in LOCALES:
        missing = fill(locale, table)
        print(f"{locale}: {len(missing)} untranslated", *missing[:10], sep="\n  ")


if __name__ == "__main__":
    main()
