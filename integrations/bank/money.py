"""Money as Decimal yuan at the edges, integer fen inside the ledger, and how it is written."""

from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_currency

FEN = Decimal("0.01")


def round_fen(amount: Decimal) -> Decimal:
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def to_fen(amount: Decimal) -> int:
    return int(round_fen(amount) * 100)


def from_fen(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(FEN)


def format_money(amount: Decimal, currency: str, locale: str) -> str:
    """The one way money is written for people, in the chat, by SMS and in the bank's own
    texts: Babel's pattern for the locale (¥3,000.00 in zh_Hans, 3 000,00 CN¥ in ru)."""
    return format_currency(amount, currency, locale=locale)
