"""One error handler: a short apology with a reference id; the log gets the id, the error's
type and where it happened, never its message (it may carry a phone number or an amount)."""

from __future__ import annotations

import logging
import secrets

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import ErrorEvent
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.supervision import where_it_failed

log = logging.getLogger("bot.errors")


async def apologize(event: ErrorEvent, bot: Bot, i18n: I18n, locale: str | None = None) -> bool:
    reference = secrets.token_hex(4).upper()
    update = event.update
    error_name = type(event.exception).__name__
    log.error(
        "handler failed ref=%s update_id=%s type=%s error=%s\n%s",
        reference,
        update.update_id,
        update.event_type,
        error_name,
        where_it_failed(event.exception),
        extra={"ref": reference, "update_id": update.update_id, "error": error_name},
    )
    with i18n.context(), i18n.use_locale(locale or i18n.default_locale):
        text = _(
            "Sorry, something went wrong on our side. "
            "Please try again in a minute. Reference: {reference}"
        ).format(reference=reference)
        try:
            if update.callback_query is not None:
                await bot.answer_callback_query(update.callback_query.id, text, show_alert=True)
            elif update.message is not None:
                await bot.send_message(update.message.chat.id, text)
        except TelegramAPIError:
            log.warning("could not deliver the apology ref=%s", reference, extra={"ref": reference})
    return True
