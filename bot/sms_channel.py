"""Money commands by plain SMS: the inbound webhook's handler, built on the same engine as
the chat. The sender's number must belong to a bank customer; replies go back by SMS in
the customer's language, split into correctly sized segments."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import asdict

from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiohttp import web
from redis.asyncio import Redis

from bot.config import Settings
from bot.domain.commands import CommandError, KeywordStyle, keyword_of
from bot.redis_keys import SMS, SMS_INBOX
from bot.services.money_commands import MoneyCommandEngine
from bot.services.money_outcomes import BankDown, InDoubt, Invalid, Outcome
from bot.services.money_store import ReplyTo
from bot.supervision import Heartbeats
from bot.update_queue import UpdateQueue
from bot.views.money_commands import MoneyTexts
from integrations.bank.masking import mask_phone
from integrations.sms.gateway import HttpSmsGateway, SegmentingSender
from integrations.sms.inbound import InboundSms, SmsAuth, build_sms_app
from integrations.sms.outbound import ConsoleSmsSender, SmsSender

log = logging.getLogger(__name__)
STYLE_LOCALES = {KeywordStyle.ENGLISH: "en", KeywordStyle.CHINESE: "zh_Hans"}


def e164(sender: str, default_country: str = "86") -> str:
    """Gateways send +8613..., 8613... or 13...: the bank knows E.164."""
    digits = "".join(char for char in sender if char in "0123456789")
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
        keyword = keyword_of(message.text)
        style = keyword[1] if keyword else None
        outcome: Outcome
        locale: str
        if isinstance(customer_id, BankDown):
            outcome, locale = customer_id, await self._locale(None, style)
        elif isinstance(customer_id, InDoubt):
            outcome = customer_id
            locale = await self._locale(customer_id.pending.customer_id, style)
        elif isinstance(parsed, CommandError):
            outcome, locale = Invalid(parsed), await self._locale(customer_id, style)
        else:
            outcome = await self.engine.run(customer_id, parsed.command, ReplyTo(phone=phone))
            locale = await self._locale(customer_id, parsed.style)
        with self.i18n.context(), self.i18n.use_locale(locale):
            text = MoneyTexts(self.settings.currency, locale, self.settings.zone).render(outcome)
        await self.sender.send(phone, text)

    async def _locale(self, customer_id: str | None, style: KeywordStyle | None) -> str:
        """An English or Chinese command word says it; else what the chat last used."""
        if style in STYLE_LOCALES:
            return STYLE_LOCALES[style]
        stored = await self.engine.store.locale(customer_id) if customer_id else None
        return stored or self.settings.default_locale

    async def _not_registered(self, phone: str) -> None:
        locale = self.settings.default_locale
        with self.i18n.context(), self.i18n.use_locale(locale):
            text = _("This number is not registered for SMS banking.")
        await self.sender.send(phone, text)


def outbound_sms(settings: Settings) -> SmsSender:
    """The SMS gateway; or, with BOT_SMS_CONSOLE=1 and no gateway, texts printed with the
    number and the codes masked. Anything else is a SettingsError naming the variable."""
    settings.require_sms_delivery()
    if settings.sms_gateway_url and settings.sms_gateway_token:
        return HttpSmsGateway(
            settings.sms_gateway_url, settings.sms_gateway_token.get_secret_value()
        )
    return ConsoleSmsSender(label_for=mask_phone)


def sms_auth(settings: Settings) -> SmsAuth | None:
    """How the inbound webhook checks the gateway; None when SMS commands are not set up."""
    max_age = settings.sms_max_age_seconds
    if settings.sms_hmac_secret is not None:
        return SmsAuth(
            hmac_secret=settings.sms_hmac_secret.get_secret_value(), max_age_seconds=max_age
        )
    if settings.sms_basic_user and settings.sms_basic_password is not None:
        return SmsAuth(
            basic_user=settings.sms_basic_user,
            basic_password=settings.sms_basic_password.get_secret_value(),
            max_age_seconds=max_age,
        )
    return None


class SmsInbox:
    """Inbound texts go into a Redis Stream before the gateway is answered; consumers in any
    bot process handle them with the money-command engine."""

    def __init__(self, redis: Redis, channel: SmsCommandChannel, consumer: str) -> None:
        self.channel = channel
        # a few at a time: the same process must keep answering the gateway quickly
        self.queue = UpdateQueue(redis, consumer, keys=SMS_INBOX, concurrency=8)

    async def accept(self, message: InboundSms) -> None:
        await self.queue.put(json.dumps(asdict(message)).encode())

    async def serve(self, stop: asyncio.Event, heartbeats: Heartbeats | None = None) -> None:
        """Supervised: survives Redis going away and the stream being emptied."""
        await self.queue.serve(self._handle, stop, heartbeats=heartbeats)

    async def _handle(self, raw: bytes) -> None:
        await self.channel(InboundSms(**json.loads(raw)))

    def web_app(self, redis: Redis, auth: SmsAuth) -> web.Application:
        return build_sms_app(self.accept, redis, auth, SMS.seen)
