"""The texts of messages owed later, in the merchant's language."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram.utils.i18n import I18n

from bot.services.later import LaterMessage
from bot.views import application as application_views


class LaterTexts:
    def __init__(self, i18n: I18n, zone: ZoneInfo) -> None:
        self.i18n = i18n
        self.zone = zone

    def text(self, message: LaterMessage) -> str:
        with self.i18n.context(), self.i18n.use_locale(message.locale):
            if message.kind == "visit":
                details = message.details
                return application_views.visit_tomorrow(
                    details["lead"],
                    details.get("officer"),
                    datetime.fromisoformat(details["at"]),
                    self.zone,
                    message.locale,
                )
            return application_views.reapply_invitation()
