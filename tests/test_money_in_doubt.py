"""A bank whose answer is lost: a real proxy between the HTTP adapter and the bank's REST
server forwards the transfer and drops the answer (or never forwards it). The merchant is
told the truth ("checking"), QX and a new command are refused while the operation is in
doubt, and the bank's status of the key settles it: one posting, never "no money was taken"
without the bank's word. In Chinese, English and Russian."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from aiogram.types import CallbackQuery, Message, Update
from bank.lossy_proxy import Fault
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from money_world import (
    NOT_POSTED,
    POSTED,
    STATUS,
    TRANSFER,
    MoneyWorld,
    assert_checking,
    latest_code,
)
from redis.asyncio import Redis

from bot.clock import SimulatedClock
from bot.demo.driver import ChatUser
from bot.local_session import LocalSession
from bot.redis_keys import MONEY
from integrations.bank.models import OperationState, TransferRequest
from integrations.bank.protocol import BankAdapter
from integrations.bank.sandbox import seed
from integrations.sms.outbound import RecordingSmsSender

MERCHANT = seed.MERCHANT_CHAT_USER_ID
SPEAKERS = {
    "zh_Hans": ChatUser("merchant", MERCHANT, "陈小梅", "zh-hans", seed.MERCHANT_PHONE),
    "en": ChatUser("merchant", MERCHANT, "Mei", "en", seed.MERCHANT_PHONE),
    "ru": ChatUser("merchant", MERCHANT, "Мэй", "ru", seed.MERCHANT_PHONE),
}


async def confirm_while_the_bank_is_silent(
    world: MoneyWorld, sms: RecordingSmsSender, merchant: ChatUser, transfer_fault: Fault
) -> None:
    await world.driver.send(merchant, "ZZ 张三 100")
    world.proxy.fault(TRANSFER, transfer_fault)
    world.proxy.fault(STATUS, Fault.DROP_ANSWER)
    await world.driver.send(merchant, f"QR {latest_code(sms)}")


@pytest.mark.parametrize("locale", list(SPEAKERS))
async def test_a_lost_answer_is_checking_then_the_receipt_and_one_posting(
    world: MoneyWorld, sms: RecordingSmsSender, locale: str
) -> None:
    merchant = SPEAKERS[locale]
    before, count = await world.balance(), await world.transfers_out()

    await confirm_while_the_bank_is_silent(world, sms, merchant, Fault.DROP_ANSWER)
    assert_checking(world.driver.last(merchant).text, locale)
    assert await world.balance() == before - Decimal("100")  # the bank did post it
    codes_sent = len(sms.messages_to(seed.MERCHANT_PHONE))

    await world.driver.send(merchant, "QX")
    assert_checking(world.driver.last(merchant).text, locale)
    await world.driver.send(merchant, "ZZ 张三 100")
    assert_checking(world.driver.last(merchant).text, locale)
    assert len(sms.messages_to(seed.MERCHANT_PHONE)) == codes_sent  # no new code, no new op

    world.heal()
    await world.driver.send(merchant, "YE")
    settled = world.driver.last(merchant).text
    assert settled.startswith(POSTED[locale]) and "张三 ****1234" in settled
    await world.driver.send(merchant, "QX")
    assert POSTED[locale] not in world.driver.last(merchant).text
    assert await world.balance() == before - Decimal("100")
    assert await world.transfers_out() == count + 1
    assert world.proxy.forwarded.count(TRANSFER) == 3  # the adapter's retries, one posting


async def test_the_background_resolver_sends_the_receipt_to_the_chat(
    world: MoneyWorld, sms: RecordingSmsSender, clock: SimulatedClock
) -> None:
    merchant = SPEAKERS["en"]
    before = await world.balance()
    await confirm_while_the_bank_is_silent(world, sms, merchant, Fault.DROP_ANSWER)
    assert_checking(world.driver.last(merchant).text, "en")
    shown = len(world.driver.seen(merchant))

    assert await world.work_until(clock.now() + timedelta(minutes=1)) == 0
    assert len(world.driver.seen(merchant)) == shown  # still no answer: nothing said
    world.heal()
    assert await world.work_until(clock.now()) == 0  # not due for a check yet
    assert await world.work_until(clock.now() + timedelta(minutes=2)) == 1

    notice = world.driver.last(merchant).text
    assert notice.startswith(POSTED["en"]) and "Reference: " in notice
    assert await world.work_until(clock.now() + timedelta(minutes=3)) == 0
    assert len(world.driver.seen(merchant)) == shown + 1  # told once
    await world.driver.send(merchant, "ZZ 张三 100")
    assert "Please check:" in world.driver.last(merchant).text  # settled: a new one may start
    assert await world.balance() == before - Decimal("100")


@pytest.mark.parametrize("locale", list(SPEAKERS))
async def test_a_request_that_never_arrived_is_not_posted_only_on_the_banks_word(
    world: MoneyWorld, sms: RecordingSmsSender, bank: BankAdapter, locale: str
) -> None:
    merchant = SPEAKERS[locale]
    before, count = await world.balance(), await world.transfers_out()

    await confirm_while_the_bank_is_silent(world, sms, merchant, Fault.DROP_REQUEST)
    assert_checking(world.driver.last(merchant).text, locale)
    await world.driver.send(merchant, "QX")
    assert_checking(world.driver.last(merchant).text, locale)
    assert TRANSFER not in world.proxy.forwarded

    world.heal()
    await world.driver.send(merchant, "QX")
    assert NOT_POSTED[locale] in world.driver.last(merchant).text
    assert await world.balance() == before and await world.transfers_out() == count
    pending = world.engine.store
    assert await pending.pending(await world.merchant_id()) is None


async def test_a_lost_answer_is_settled_at_once_when_the_status_gets_through(
    world: MoneyWorld, sms: RecordingSmsSender
) -> None:
    merchant = SPEAKERS["zh_Hans"]
    before = await world.balance()
    await world.driver.send(merchant, "ZZ 张三 100")
    world.proxy.fault(TRANSFER, Fault.DROP_ANSWER)
    await world.driver.send(merchant, f"QR {latest_code(sms)}")
    assert world.driver.last(merchant).text.startswith(POSTED["zh_Hans"])
    assert await world.balance() == before - Decimal("100")


async def test_a_late_request_cannot_post_after_the_bank_said_unknown(
    world: MoneyWorld, sms: RecordingSmsSender, bank: BankAdapter
) -> None:
    merchant = SPEAKERS["en"]
    await confirm_while_the_bank_is_silent(world, sms, merchant, Fault.DROP_REQUEST)
    pending = await world.engine.pending(await world.merchant_id())
    assert pending is not None and pending.sent
    world.heal()
    await world.driver.send(merchant, "YE")
    assert NOT_POSTED["en"] in world.driver.last(merchant).text
    status = await bank.operation_status(pending.idempotency_key)
    assert status.state is OperationState.UNKNOWN


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("zh_Hans", "银行暂时无法响应"), ("en", "The bank is not answering right now"),
     ("ru", "Банк сейчас не отвечает")],
)  # fmt: skip
async def test_the_binding_lookup_while_the_bank_is_down_says_so(
    world: MoneyWorld, locale: str, expected: str
) -> None:
    world.proxy.fault("*", Fault.DROP_REQUEST)
    await world.driver.send(SPEAKERS[locale], "ZZ 张三 100")
    text = world.driver.last(SPEAKERS[locale]).text
    assert expected in text and "Reference" not in text


async def test_the_preview_buttons_change_nothing_while_in_doubt(
    world: MoneyWorld, sms: RecordingSmsSender, session: LocalSession
) -> None:
    merchant = SPEAKERS["en"]
    before = await world.balance()
    await confirm_while_the_bank_is_silent(world, sms, merchant, Fault.DROP_ANSWER)

    await world.driver.press(merchant, "Confirm")  # the preview's button, pressed again
    assert_checking(session.alerts[-1], "en")  # the breaker is open: who it is, from Redis
    world.breaker_clock.seconds += 31  # the bank can tell who it is, not the status
    await world.driver.press(merchant, "Confirm")
    assert session.alerts[-1] == "This transaction is no longer waiting."
    await world.driver.press(merchant, "Cancel")
    assert_checking(world.driver.last(merchant).text, "en")

    world.heal()
    await world.driver.press(merchant, "Cancel")
    assert world.driver.last(merchant).text.startswith(POSTED["en"])
    assert await world.balance() == before - Decimal("100")


async def test_a_sent_operation_outlives_its_code_until_the_bank_answers(
    world: MoneyWorld, sms: RecordingSmsSender, redis: Redis, clock: SimulatedClock
) -> None:
    merchant = SPEAKERS["ru"]
    await confirm_while_the_bank_is_silent(world, sms, merchant, Fault.DROP_ANSWER)
    assert await redis.ttl(MONEY.pending(await world.merchant_id())) == -1  # no expiry

    clock.advance(timedelta(hours=3))  # far past the code's 5 minutes
    await world.driver.send(merchant, "ZZ 张三 100")
    assert_checking(world.driver.last(merchant).text, "ru")
    world.heal()
    await world.driver.send(merchant, "ZZ 张三 100")
    assert world.driver.last(merchant).text.startswith(POSTED["ru"])


def callback(user: ChatUser, data: str, update_id: int) -> Update:
    query = CallbackQuery(
        id=str(update_id),
        from_user=user.as_telegram_user(),
        chat_instance=str(user.user_id),
        message=Message(message_id=1, date=datetime.now(UTC), chat=user.chat(), text="preview"),
        data=data,
    )
    return Update(update_id=update_id, callback_query=query)


FORGED = st.one_of(
    st.text(max_size=64).map(lambda tail: f"mc:{tail}"),
    st.builds(lambda action, operation: f"mc:{action}:{operation}",
              st.sampled_from(["confirm", "cancel", "CONFIRM", "", "delete"]),
              st.text(alphabet="0123456789abcdef:", max_size=20)),
)  # fmt: skip


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=FORGED)
async def test_forged_money_buttons_change_nothing(
    world: MoneyWorld, sms: RecordingSmsSender, session: LocalSession, data: str
) -> None:
    merchant = SPEAKERS["en"]
    customer_id = await world.merchant_id()
    if await world.engine.pending(customer_id) is None:
        await world.driver.send(merchant, "ZZ 张三 100")
    pending = await world.engine.pending(customer_id)
    assert pending is not None
    matches = data in {f"mc:cancel:{pending.id}", f"mc:confirm:{pending.id}"}

    await world.driver.deliver(callback(merchant, data, update_id=10**9 + len(session.alerts)))

    assert not any("Reference" in alert for alert in session.alerts)
    if not matches:
        assert await world.engine.pending(customer_id) == pending


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    transfer_fault=st.sampled_from(Fault),
    status_fault=st.sampled_from([Fault.NONE, Fault.DROP_ANSWER, Fault.DROP_REQUEST]),
    locale=st.sampled_from(list(SPEAKERS)),
)
async def test_whatever_is_lost_the_merchant_hears_only_what_the_bank_said(
    world: MoneyWorld,
    sms: RecordingSmsSender,
    transfer_fault: Fault,
    status_fault: Fault,
    locale: str,
) -> None:
    merchant = SPEAKERS[locale]
    before, count = await world.balance(), await world.transfers_out()
    await world.driver.send(merchant, "ZZ 张三 1")
    world.proxy.fault(TRANSFER, transfer_fault)
    world.proxy.fault(STATUS, status_fault)
    await world.driver.send(merchant, f"QR {latest_code(sms)}")
    first = world.driver.last(merchant).text
    world.heal()
    await world.driver.send(merchant, "QX")
    told = first + "\n" + world.driver.last(merchant).text

    posted = await world.transfers_out() - count
    assert posted == (0 if transfer_fault is Fault.DROP_REQUEST else 1)
    assert await world.balance() == before - posted
    if posted:
        assert NOT_POSTED[locale] not in told
        assert POSTED[locale] in told or first.startswith(("交易完成", "Done.", "Готово."))
    else:
        assert NOT_POSTED[locale] in told and POSTED[locale] not in told
    assert await world.engine.pending(await world.merchant_id()) is None


@pytest.mark.parametrize(
    ("locale", "reason"),
    [("zh_Hans", "余额不足"), ("en", "Not enough money"), ("ru", "Недостаточно денег")],
)
async def test_a_refusal_whose_answer_was_lost_is_told_with_the_banks_reason(
    world: MoneyWorld, sms: RecordingSmsSender, locale: str, reason: str
) -> None:
    merchant = SPEAKERS[locale]
    await world.driver.send(merchant, "ZZ 张三 100")
    customer_id = await world.merchant_id()
    drain = await world.balance() - Decimal("50")  # spent meanwhile, e.g. at the counter
    spend = TransferRequest(customer_id=customer_id, destination="张三", amount=drain)
    await world.bank.transfer(spend, idempotency_key="spent-at-the-counter")
    world.proxy.fault(TRANSFER, Fault.DROP_ANSWER)

    await world.driver.send(merchant, f"QR {latest_code(sms)}")

    told = world.driver.last(merchant).text
    assert reason in told and NOT_POSTED[locale] in told
    assert await world.balance() == Decimal("50")


async def test_a_prepayment_whose_answer_is_lost_posts_once_with_its_kind(
    world: MoneyWorld, sms: RecordingSmsSender, bank: BankAdapter
) -> None:
    merchant = SPEAKERS["en"]
    before = await world.balance()
    await world.driver.send(merchant, "HK 5000 SQ")
    world.proxy.fault("POST /v1/repayments", Fault.DROP_ANSWER)
    world.proxy.fault(STATUS, Fault.DROP_ANSWER)
    await world.driver.send(merchant, f"QR {latest_code(sms)}")
    assert "has not confirmed Repay loan LN000001 (****0001) CN¥5,000.00 yet. We are checking" in (
        world.driver.last(merchant).text
    )
    world.heal()
    await world.driver.send(merchant, "DK")
    settled = world.driver.last(merchant).text
    assert settled.startswith(POSTED["en"]) and "Applied in this order" in settled
    assert await world.balance() == before - Decimal("5000")
    loan = await bank.get_loan("LN000001")
    assert loan.schedule[-1].total == Decimal("56.71")  # the shorter term, posted once
