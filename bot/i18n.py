"""Languages: gettext catalogs, the user's locale, and Babel formatting for money and dates."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject
from aiogram.utils.i18n import I18n
from babel.dates import format_date, format_time, get_datetime_format
from babel.lists import format_list
from babel.numbers import format_decimal

from bot.config import SUPPORTED_LOCALES
from integrations.bank.money import format_money

# Installed from the wheel, the compiled catalogs are inside the package; in a checkout
# they are compiled beside it (make catalogs).
_PACKAGED_LOCALES = Path(__file__).resolve().parent / "locales"
LOCALES_DIR = (
    _PACKAGED_LOCALES
    if _PACKAGED_LOCALES.is_dir()
    else Path(__file__).resolve().parent.parent / "locales"
)
LOCALE_NAMES = {"zh_Hans": "简体中文", "en": "English", "ru": "Русский"}


def build_i18n(default_locale: str) -> I18n:
    return I18n(path=LOCALES_DIR, default_locale=default_locale, domain="messages")


def locale_from_language_code(language_code: str | None) -> str | None:
    """Map Telegram's IETF language code (zh-hans, zh-CN, en-US, ru) to a catalog locale."""
    if not language_code:
        return None
    primary = language_code.replace("_", "-").split("-")[0].lower()
    if primary == "zh":
        return "zh_Hans"
    return primary if primary in SUPPORTED_LOCALES else None


def choose_locale(stored: str | None, language_code: str | None, default: str) -> str:
    if stored in SUPPORTED_LOCALES:
        return stored
    return locale_from_language_code(language_code) or default


class LocaleMiddleware(BaseMiddleware):
    """Runs the rest of the update in the locale the update gate resolved (data["locale"])."""

    def __init__(self, i18n: I18n) -> None:
        self.i18n = i18n

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        data["i18n"] = self.i18n
        locale = data.get("locale") or self.i18n.default_locale
        with self.i18n.context(), self.i18n.use_locale(locale):
            return await handler(event, data)


@lru_cache(maxsize=4096)
def money(amount: Decimal, currency: str, locale: str) -> str:
    """Cached: the product's bounds and common amounts are shown at many steps, and babel
    takes longer to format one than the rest of such a step."""
    return format_money(amount, currency, locale)


def signed_money(amount: Decimal, currency: str, locale: str) -> str:
    """Money in or out of an account: "+¥1.00", "−¥1.00" (a true minus sign), "¥0.00"."""
    sign = "+" if amount > 0 else "\u2212" if amount < 0 else ""
    return sign + money(abs(amount), currency, locale)


def number(value: Decimal | int, locale: str) -> str:
    return format_decimal(value, locale=locale)


def amount(value: Decimal, locale: str) -> str:
    """A number with exactly two decimals: money in aligned tables, rates in percent."""
    return format_decimal(value, format="#,##0.00", locale=locale)


def listing(items: list[str], locale: str) -> str:
    """Items as a list is written in the language: 住房、汽车和店铺; home, car, and shop."""
    return format_list(items, locale=locale)


def day(value: date, locale: str) -> str:
    return format_date(value, format="medium", locale=locale)


def moment(value: datetime, locale: str) -> str:
    """A date and a time of day as people read them: to the minute, never with seconds."""
    pattern = str(get_datetime_format("medium", locale=locale)).replace("'", "")
    return pattern.replace("{0}", format_time(value, format="short", locale=locale)).replace(
        "{1}", day(value.date(), locale)
    )


def local_moment(value: datetime, zone: str, locale: str) -> str:
    """A moment of the bank's (UTC) as read in the time zone ``zone``."""
    return moment(value.astimezone(ZoneInfo(zone)).replace(tzinfo=None), locale)
