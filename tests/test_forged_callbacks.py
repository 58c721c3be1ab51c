"""Forged and out-of-date buttons: callback data made by hand (or left on an old keyboard)
for every prefix the bot uses, pressed at several points of the users' journeys. None may
reach the errors handler; data that does not parse, or does not match where the user is,
gets the short "this button is out of date" answer and changes nothing."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.methods import AnswerCallbackQuery, TelegramMethod
from aiogram.types import CallbackQuery, Message, Update
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.demo.driver import ChatDriver, ChatUser
from bot.factory import App
from bot.local_session import LocalSession
from integrations.bank.errors import NotFound
from integrations.bank.models import BindingStart
from integrations.bank.protocol import BankAdapter
from integrations.bank.sandbox import seed
from integrations.sms.outbound import RecordingSmsSender
from tests.test_application_journeys import answer_all, start_application

# Every prefix the bot's keyboards use (the test below checks that none is missing).
FUZZED_PREFIXES = (
    *("lang", "aw", "ap", "fg", "cs", "cv", "ln", "st", "ub", "rm"),
    *("ol", "ot", "ok", "oq", "ou", "oo", "od"),  # officers' buttons
    *("mc", "pp", "ra"),  # money commands' and repayments' buttons
    *("kc", "kv"),  # the credit committee's buttons
    *("wf", "wk", "wv"),  # the worksheet's buttons
    *("of", "tl"),  # the merchant's offer, a lead's timeline
    "vc",  # the visit's buttons
)
EXAMPLES = int(os.environ.get("BOT_FUZZ_EXAMPLES", "150"))

OUT_OF_DATE = {
    "zh_Hans": "此按钮已失效。",
    "en": "This button is no longer active.",
    "ru": "Эта кнопка больше не действует.",
}
WORDS = (
    # actions, question keys, sections, plans, locales and numbers the real buttons carry
    "agree", "decline", "pick", "toggle", "done", "skip", "back", "cancel", "edit", "submit",
    "resume", "restart", "discard", "use_amount", "use_months", "remind_later", "months", "plan",
    "compare", "table", "page", "chart", "csv", "schedule", "repay", "paid", "mute", "toggle",
    "reduce_installment", "reduce_term", "installment", "overdue", "payoff", "LN000001",
    "phone", "name", "industry", "district", "premises", "assets", "amount", "guarantor",
    "call_time", "employees", "summary", "contact", "business", "loan", "other", "owned",
    "home", "spouse", "morning", "equal_installments", "equal_principal", "zh_Hans", "en",
    "ru", "0", "1", "-1", "3", "12", "24", "50000", "1e999", "NaN", "Infinity", "-0", "0.001",
    "99999999999999999999", "²", "١٢", "", " ", "LN-0001", "L-1", "retail", "jinniu",
)  # fmt: skip
PART = st.one_of(st.sampled_from(WORDS), st.text(max_size=10), st.integers().map(str))

CHEN = ChatUser("chen", 5201, "陈", "zh-hans", "+8613880000201")
BEN = ChatUser("ben", 5202, "Ben", "en", "+8618980000202")
OLGA = ChatUser("olga", 5203, "Ольга", "ru", "+8613800000203")
MERCHANT = ChatUser(
    "merchant", seed.MERCHANT_CHAT_USER_ID, "陈小梅", "zh-hans", seed.MERCHANT_PHONE
)


def forged_data(prefixes: tuple[str, ...]) -> st.SearchStrategy[str]:
    """Mostly the right number of fields for the prefix (so the values are what is tested),
    sometimes any number, sometimes another separator."""
    arity = {cls.__prefix__: len(cls.model_fields) for cls in _all_factories()}
    exact = st.sampled_from(prefixes).flatmap(
        lambda prefix: st.lists(PART, min_size=arity[prefix], max_size=arity[prefix]).map(
            lambda parts: ":".join([prefix, *parts])
        )
    )
    loose = st.builds(
        lambda prefix, parts, separator: separator.join([prefix, *parts]),
        st.sampled_from(prefixes),
        st.lists(PART, max_size=6),
        st.sampled_from([":", "", "::", "|"]),
    )
    packed = st.one_of(exact, exact, exact, loose)
    return packed.filter(lambda data: 1 <= len(data.encode()) <= 64)


class ErrorsHandlerCalls(logging.Handler):
    """Counts what the errors handler (handlers/errors.py) logs: one record per apology."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("handler failed"):
            self.calls.append(record.getMessage())


@pytest.fixture
def errors_handler_calls() -> Iterator[ErrorsHandlerCalls]:
    counter = ErrorsHandlerCalls()
    logger = logging.getLogger("bot.errors")
    logger.addHandler(counter)
    yield counter
    logger.removeHandler(counter)


def unpacks(data: str) -> bool:
    """Whether any of the bot's callback factories parses `data`."""
    return any(_unpacks(factory, data) for factory in _factories())


def _unpacks(factory: type[CallbackData], data: str) -> bool:
    try:
        factory.unpack(data)
    except (TypeError, ValueError):
        return False
    return True


def _factories() -> list[type[CallbackData]]:
    return [cls for cls in _all_factories() if cls.__prefix__ in FUZZED_PREFIXES]


def _all_factories() -> list[type[CallbackData]]:
    import bot.factory  # noqa: F401  every router module, so every factory, is imported

    return _all_subclasses(CallbackData)


def _all_subclasses(cls: type[CallbackData]) -> list[type[CallbackData]]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_all_subclasses(sub)]
    return found


@dataclass
class Point:
    """A user at a point of a journey, whose FSM state and data are put back after each press."""

    driver: ChatDriver
    app: App
    user: ChatUser

    @property
    def session(self) -> LocalSession:
        return self.driver.session

    def context(self) -> FSMContext:
        return self.app.dispatcher.fsm.get_context(
            self.driver.bot, self.user.user_id, self.user.user_id
        )

    async def snapshot(self) -> tuple[str | None, dict[str, Any]]:
        context = self.context()
        return await context.get_state(), await context.get_data()

    async def restore(self, snapshot: tuple[str | None, dict[str, Any]]) -> None:
        context = self.context()
        await context.set_state(snapshot[0])
        await context.set_data(snapshot[1])

    async def press(self, data: str) -> list[TelegramMethod[Any]]:
        """Press a button carrying `data` under the user's latest message; what the bot did."""
        shown = self.session.chat(self.user.user_id).last()
        message = Message(
            message_id=shown.message_id if shown else 1,
            date=datetime.now(UTC),
            chat=self.user.chat(),
            text=shown.text if shown else "",
        )
        query = CallbackQuery(
            id=f"q{len(self.session.calls)}",
            from_user=self.user.as_telegram_user(),
            chat_instance=str(self.user.user_id),
            message=message,
            data=data,
        )
        before = len(self.session.calls)
        await self.driver.deliver(Update(update_id=before + 10**6, callback_query=query))
        return self.session.calls[before:]


async def at_no_state(driver: ChatDriver, app: App) -> Point:
    await driver.send(BEN, "/start")
    return Point(driver, app, BEN)


async def mid_application(driver: ChatDriver, app: App) -> Point:
    await start_application(driver, CHEN)
    await driver.send(CHEN, "陈小梅")  # now at the industry question
    return Point(driver, app, CHEN)


async def at_the_summary(driver: ChatDriver, app: App) -> Point:
    await start_application(driver, OLGA)
    await answer_all(driver, OLGA)  # every answer given: Submit, edit a section or cancel
    return Point(driver, app, OLGA)


async def in_the_calculator(driver: ChatDriver, app: App) -> Point:
    await driver.send(OLGA, "/calc")
    await driver.send(OLGA, "50000")
    await driver.press(OLGA, "12")  # now choosing the repayment method
    return Point(driver, app, OLGA)


async def bound_customer(driver: ChatDriver, app: App) -> Point:
    await driver.send(MERCHANT, "/loans")
    return Point(driver, app, MERCHANT)


JOURNEY_POINTS = [at_no_state, mid_application, at_the_summary, in_the_calculator, bound_customer]


@pytest.fixture
def reached() -> dict[str, tuple[Point, tuple[str | None, dict[str, Any]]]]:
    """The journey point of this test, reached at its first example and kept for the rest."""
    return {}


@pytest.mark.parametrize("reach", JOURNEY_POINTS, ids=lambda reach: reach.__name__)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=forged_data(FUZZED_PREFIXES))
async def test_forged_buttons_never_reach_the_errors_handler(
    driver: ChatDriver,
    app: App,
    errors_handler_calls: ErrorsHandlerCalls,
    reached: dict[str, tuple[Point, tuple[str | None, dict[str, Any]]]],
    bank: BankAdapter,
    sms: RecordingSmsSender,
    reach: Any,
    data: str,
) -> None:
    if not reached:
        point = await reach(driver, app)
        reached["point"] = (point, await point.snapshot())
    point, start = reached["point"]
    errors_handler_calls.calls.clear()  # each example on its own, also while shrinking
    done = await point.press(data)
    assert errors_handler_calls.calls == [], data
    if reach is bound_customer:
        await _keep_bound(bank, sms)  # a forged `ub:1` is the user's own (valid) unlink
    if not unpacks(data):
        assert _only_out_of_date(done), (data, done)
    if _only_out_of_date(done):
        assert await point.snapshot() == start, data
    await point.restore(start)


async def _keep_bound(bank: BankAdapter, sms: RecordingSmsSender) -> None:
    try:
        await bank.get_binding(MERCHANT.user_id)
    except NotFound:
        challenge = await bank.start_binding(
            BindingStart(chat_user_id=MERCHANT.user_id, phone=MERCHANT.phone)
        )
        code = re.search(r"\d{6}", sms.last_to(MERCHANT.phone) or "")
        assert code is not None
        await bank.confirm_binding(challenge.id, code.group())


def _only_out_of_date(done: list[TelegramMethod[Any]]) -> bool:
    """The one answer, in any language: a forged `lang:` button may have changed it."""
    return (
        len(done) == 1
        and isinstance(done[0], AnswerCallbackQuery)
        and done[0].text in OUT_OF_DATE.values()
    )


def test_every_prefix_in_the_code_is_fuzzed_or_listed() -> None:
    prefixes = {cls.__prefix__ for cls in _all_factories()}
    assert prefixes == set(FUZZED_PREFIXES)


async def test_an_answer_button_for_another_question_is_out_of_date_in_chinese(
    driver: ChatDriver, app: App
) -> None:
    point = await mid_application(driver, app)  # at the industry question
    start = await point.snapshot()
    for data in ("ap:pick:district:jinniu", "ap:done::", "ap:back::", "ap:use_amount::abc"):
        done = await point.press(data)
        assert [call.text for call in done] == ["此按钮已失效。"], data  # type: ignore[attr-defined]
        assert await point.snapshot() == start


async def test_old_buttons_after_leaving_the_application_are_out_of_date_in_english(
    driver: ChatDriver, app: App
) -> None:
    await start_application(driver, BEN)
    old_cancel = driver.last(BEN).flat_buttons()[-1].callback_data  # the phone question's
    assert old_cancel is not None
    await driver.send(BEN, "/cancel")
    await driver.press(BEN, "Yes, delete")  # /cancel asks first
    point = Point(driver, app, BEN)
    start = await point.snapshot()
    for data in (old_cancel, "ap:submit::", "ap:agree::", "ap:resume::"):
        done = await point.press(data)
        assert [call.text for call in done] == ["This button is no longer active."]  # type: ignore[attr-defined]
        assert await point.snapshot() == start


async def test_a_calculator_step_already_passed_and_a_forged_loan_are_out_of_date_in_russian(
    driver: ChatDriver, app: App
) -> None:
    point = await in_the_calculator(driver, app)  # months chosen, choosing the method
    start = await point.snapshot()
    forged = (
        "cs:months:12",  # the term question is behind
        "cs:plan:no_such_plan",
        "cs:months:²",  # a digit int() does not read
        "aw:abc:12:equal_installments",  # an amount that is not a number
        "aw:50000:12:equal_installments:extra",
        "cv:table:1e999:12:equal_installments:0",
        "cv:table:50000:12:equal_installments:-1",
        "lang:xx",
        "cs",  # a prefix alone
        "old:agree",  # a prefix no keyboard uses any more
    )
    for data in forged:
        done = await point.press(data)
        assert [call.text for call in done] == ["Эта кнопка больше не действует."], data  # type: ignore[attr-defined]
        assert await point.snapshot() == start


async def test_a_digit_that_int_cannot_read_is_a_wrong_answer_not_an_apology(
    driver: ChatDriver, app: App, errors_handler_calls: ErrorsHandlerCalls
) -> None:
    await driver.send(BEN, "/calc")
    await driver.send(BEN, "50000")
    await driver.send(BEN, "²")  # str.isdigit() says yes, int() says no
    assert driver.last(BEN).text == "Please send a whole number of months from 1 to 24, e.g. 12."
    await start_application(driver, CHEN)
    await driver.send(CHEN, "陈小梅")
    await driver.press(CHEN, "零售")
    await driver.press(CHEN, "金牛区")
    await driver.send(CHEN, "3年")
    await driver.send(CHEN, "²")  # employees
    assert errors_handler_calls.calls == []
    assert driver.last(CHEN).text == "请发送 0 到 999 之间的整数。例如：3。"


async def test_delete_and_unlink_buttons_count_only_under_their_question(
    driver: ChatDriver, app: App, bank: BankAdapter
) -> None:
    """`fg:1` and `ub:1` made by hand, or pressed again, do not skip the question."""
    point = await mid_application(driver, app)
    start = await point.snapshot()
    assert texts_of(await point.press("fg:1")) == [OUT_OF_DATE["zh_Hans"]]
    assert await point.snapshot() == start  # the draft is still there

    point = await at_no_state(driver, app)
    start = await point.snapshot()
    for data in ("ub:1", "fg:0"):
        assert texts_of(await point.press(data)) == [OUT_OF_DATE["en"]], data
        assert await point.snapshot() == start

    await driver.send(OLGA, "/forget")
    await driver.press(OLGA, "Оставить")
    point = Point(driver, app, OLGA)
    start = await point.snapshot()
    assert texts_of(await point.press("fg:1")) == [OUT_OF_DATE["ru"]]  # answered already
    assert await point.snapshot() == start

    point = await bound_customer(driver, app)
    assert texts_of(await point.press("ub:1")) == [OUT_OF_DATE["zh_Hans"]]
    assert await bank.get_binding(MERCHANT.user_id)  # still linked
    await driver.send(MERCHANT, "/unbind")
    await point.press("ub:1")  # now it was asked: the merchant's own choice
    with pytest.raises(NotFound):
        await bank.get_binding(MERCHANT.user_id)


def texts_of(done: list[TelegramMethod[Any]]) -> list[str | None]:
    """What the bot did: the text of each callback answer, the name of anything else."""
    return [
        call.text if isinstance(call, AnswerCallbackQuery) else type(call).__name__ for call in done
    ]
