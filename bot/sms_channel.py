"""Money commands by plain SMS: the inbound webhook's handler, built on the same engine as
the chat. The sender's number must belong to a bank customer; replies go back by SMS in
the customer's language, split into correctly sized segments."""

from __future__ import annotations

import logging

from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.config import Settings
from bot.domain.commands import CommandError, KeywordStyle, keyword_of
from bot.services.money_commands import Invalid, MoneyCommandEngine, Outcome
from bot.views.money_commands import MoneyTexts
from integrations.sms.gateway import SegmentingSender
from integrations.sms.inbound import InboundSms
from integrations.sms.outbound import SmsSender

log = logging.getLogger(__name__)
STYLE_LOCALES = {KeywordStyle.ENGLISH: "en", KeywordStyle.CHINESE: "zh_Hans"}


def e164(sender: str, default_country: str = "86") -> str:
    """Gateways send +8613..., 8613... or 13...: the bank knows E.164."""
    digits = "".join(char for char in sender if char.isdigit())
    if sender.strip().startswith("+"):
        return "+" + digits
    if digits.startswith(default_country) and len(digits) > 11:
        return "+" + digits
    return f"+{default_country}{digits}"


class SmsCommandChannel:
    def __init__(
        self, engine: MoneyCommandEngine, sender: SmsSender, i18n: I18n, settings: Settings
    ) -> None:
        self.engine = engine
        self.sender = SegmentingSender(sender)
        self.i18n = i18n
        self.settings = settings

    async def __call__(self, message: InboundSms) -> None:
        phone = e164(message.sender)
        customer_id = await self.engine.customer_of_phone(phone)
        if customer_id is None:
            await self._not_registered(phone)
            return
        parsed = self.engine.parse(message.text)
        outcome: Outcome
        if isinstance(parsed, CommandError):
            keyword = keyword_of(message.text)
            style = keyword[1] if keyword else None
            outcome, locale = Invalid(parsed), await self._locale(customer_id, style)
        else:
            outcome = await self.engine.run(customer_id, parsed.command)
            locale = await self._locale(customer_id, parsed.style)
        with self.i18n.context(), self.i18n.use_locale(locale):
            text = MoneyTexts(self.settings.currency, locale, self.settings.zone).render(outcome)
        await self.sender.send(phone, text)

    async def _locale(self, customer_id: str, style: KeywordStyle | None) -> str:
        """An English or Chinese command word says it; else what the chat last used."""
        if style in STYLE_LOCALES:
            return STYLE_LOCALES[style]
        stored = await self.engine.store.locale(customer_id)
        return stored or self.settings.default_locale

    async def _not_registered(self, phone: str) -> None:
        locale = self.settings.default_locale
        with self.i18n.context(), self.i18n.use_locale(locale):
            text = _("This number is not registered for SMS banking.")
        await self.sender.send(phone, text)
