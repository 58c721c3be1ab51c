"""What the merchant hears when the background resolver settles an operation that was in
doubt: the receipt, or the bank's word that nothing was posted, in the merchant's language,
where the command came from: the chat (SMS as the fallback) or, for a command given by SMS,
an SMS; both through the outbound pipeline, once per operation."""

from __future__ import annotations

from aiogram.utils.i18n import I18n

from bot.config import Settings
from bot.services.money_commands import MoneyCommandEngine
from bot.services.money_settlement import InDoubtResolver, Settled
from bot.services.money_store import MoneyCommandStore, PendingOperation
from bot.services.outbound import Outbox, OutgoingMessage, Priority
from bot.views.money_commands import MoneyTexts


class MoneyNotices:
    """The `ResolutionNotifier` of `InDoubtResolver`, on the outbound pipeline."""

    def __init__(
        self,
        outbox: Outbox,
        store: MoneyCommandStore,
        i18n: I18n,
        settings: Settings,
    ) -> None:
        self.outbox = outbox
        self.store = store
        self.i18n = i18n
        self.settings = settings

    async def tell(self, pending: PendingOperation, outcome: Settled) -> None:
        locale = await self.store.locale(pending.customer_id) or self.settings.default_locale
        with self.i18n.context(), self.i18n.use_locale(locale):
            text = MoneyTexts(self.settings.currency, locale, self.settings.zone).render(outcome)
        key = f"money-settled:{pending.id}"
        if pending.chat_id is not None:
            message = OutgoingMessage(
                key=key,
                chat_id=pending.chat_id,
                text=text,
                sms_text=text,
                customer_id=pending.customer_id,
                priority=Priority.URGENT,
            )
        elif pending.reply_phone is not None:
            message = OutgoingMessage.by_sms(key, pending.reply_phone, text, Priority.URGENT)
        else:
            return
        await self.outbox.enqueue(message)


def build_in_doubt_resolver(
    engine: MoneyCommandEngine, outbox: Outbox, i18n: I18n, settings: Settings
) -> InDoubtResolver:
    """The worker's resolver: call `run_once(clock.now())` every few seconds, supervised."""
    notices = MoneyNotices(outbox, engine.store, i18n, settings)
    return InDoubtResolver(engine.settlement, notices)
