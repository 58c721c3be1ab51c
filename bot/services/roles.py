"""Who a chat belongs to, for what /help lists: a merchant linked to the bank or not yet,
an officer or a supervisor."""

from __future__ import annotations

from enum import StrEnum

from bot.services.accounts import AccountsService, BankLookupError
from bot.services.officers.staff import StaffDirectory


class ChatRole(StrEnum):
    UNBOUND = "unbound"  # not linked to the bank (yet)
    MERCHANT = "merchant"  # a customer linked with /bind
    OFFICER = "officer"
    SUPERVISOR = "supervisor"


async def role_of(
    chat_id: int, locale: str, accounts: AccountsService, directory: StaffDirectory
) -> ChatRole:
    member = await directory.by_chat(chat_id)
    if member is not None:
        return ChatRole.SUPERVISOR if member.is_supervisor else ChatRole.OFFICER
    try:
        customer_id = await accounts.customer_of(chat_id, locale)
    except BankLookupError:
        return ChatRole.MERCHANT  # every merchant command, each says what it needs
    return ChatRole.UNBOUND if customer_id is None else ChatRole.MERCHANT
