"""Masking of account numbers and phone numbers for display and logs."""

MASK = "****"


def mask_account(number: str) -> str:
    """Keep only the last 4 digits: '6222020200112233' -> '****2233'."""
    return MASK + number[-4:]


def mask_phone(phone: str) -> str:
    """Keep the country prefix and the last 4 digits: '+8613800000001' -> '+86*******0001'."""
    if len(phone) <= 7:
        return MASK + phone[-4:]
    prefix = phone[:3]
    return prefix + "*" * (len(phone) - len(prefix) - 4) + phone[-4:]
