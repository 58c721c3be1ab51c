"""The button that opens a lead's timeline (on the lead card, and paging the timeline)."""

from __future__ import annotations

from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton
from aiogram.utils.i18n import gettext as _
from pydantic import Field

LeadId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")]


class TimelineButton(CallbackData, prefix="tl"):
    """A page of a lead's timeline; the server checks who may read it."""

    lead: LeadId
    page: Annotated[int, Field(ge=0, le=1000)] = 0
    edit: bool = False


def timeline_button(lead_id: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=_("🕘 Timeline"), callback_data=TimelineButton(lead=lead_id).pack()
    )
