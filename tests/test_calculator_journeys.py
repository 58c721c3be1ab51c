"""The loan calculator in the chat, as a merchant uses it, in English and Chinese."""

from __future__ import annotations

import pytest
from aiogram.fsm.storage.base import StorageKey
from aiogram.methods import SendDocument, SendPhoto
from redis.asyncio import Redis

from bot.clock import SimulatedClock
from bot.config import Settings
from bot.demo.driver import ChatDriver, ChatUser
from bot.factory import Outside, build_bot, build_dispatcher, build_storage
from bot.redis_keys import conversation_key_builder
from integrations.bank.protocol import BankAdapter


async def _to_plan_step(driver: ChatDriver, user: ChatUser, amount: str = "5万") -> None:
    await driver.send(user, "/calc")
    await driver.send(user, amount)
    await driver.press(user, "12")


async def test_equal_installments_from_start_to_schedule(driver: ChatDriver, bob: ChatUser) -> None:
    await driver.send(bob, "/calc")
    first = driver.last(bob)
    assert first.text.startswith("Step 1 of 3\nHow much would you like to borrow?")
    assert "CN¥5,000.00 to CN¥500,000.00" in first.text

    await driver.send(bob, "50k")
    assert driver.last(bob).text.startswith("Step 2 of 3\nFor how many months? From 1 to 24.")
    assert [b.text for b in driver.last(bob).flat_buttons()][:5] == [
        "3 mo",
        "6 mo",
        "12 mo",
        "18 mo",
        "24 mo",
    ]
    await driver.send(bob, "12")
    plans = driver.last(bob)
    assert plans.text.startswith("Step 3 of 3\nCN¥50,000.00 for 12 months at 12% a year.")
    assert "1. Equal monthly installments (等额本息): The same payment every month." in plans.text
    assert len(plans.flat_buttons()) == 9 + 3  # the product's plans, compare, back, cancel

    await driver.press(bob, "Equal monthly installments")
    result = driver.last(bob)
    assert result.message_id == plans.message_id  # edited in place
    assert "Each payment: CN¥4,442.44" in result.text
    assert "Total interest: CN¥3,309.27" in result.text
    assert "annual percentage rate (年化利率) 12.68%" in result.text

    await driver.press(bob, "Schedule")
    table = driver.last(bob)
    assert table.text.startswith("Repayment schedule, page 1 of 1")
    assert "\n  1  2026-12-22   3,942.44    500.00  4,442.44  46,057.56\n" in table.text
    assert table.text.endswith("\n 12  2027-11-22   4,398.45     43.98  4,442.43       0.00")


async def test_a_long_schedule_pages_in_place(driver: ChatDriver, bob: ChatUser) -> None:
    await driver.send(bob, "/calc")
    await driver.send(bob, "100000")
    await driver.press(bob, "24")
    await driver.press(bob, "Equal principal")
    await driver.press(bob, "Schedule")
    table = driver.last(bob)
    assert table.text.startswith("Repayment schedule, page 1 of 2")
    await driver.press(bob, "▶")
    assert table.text.startswith("Repayment schedule, page 2 of 2") and table.edits == 1
    assert "\n 24  2028-11-22   4,166.59     41.67  4,208.26       0.00" in table.text
    await driver.press(bob, "◀")
    assert table.text.startswith("Repayment schedule, page 1 of 2")


async def test_chart_csv_and_comparison(driver: ChatDriver, bob: ChatUser) -> None:
    await _to_plan_step(driver, bob)
    await driver.press(bob, "Equal principal")
    await driver.press(bob, "Chart")
    photo = driver.last(bob)
    assert photo.file_bytes is not None and photo.file_bytes.startswith(b"\x89PNG")
    await driver.press(bob, "CSV")
    document = driver.last(bob)
    assert document.file_name == "schedule.csv"
    lines = (document.file_bytes or b"").decode("utf-8-sig").splitlines()
    assert lines[0] == "No.,Due,Principal,Interest,Payment,Balance"
    assert lines[1] == "1,2026-12-22,4166.67,500.00,4666.67,45833.33"
    assert len(lines) == 13
    sent = [type(call) for call in driver.session.calls]
    assert SendPhoto in sent and SendDocument in sent

    await driver.press(bob, "Compare methods")
    compared = driver.last(bob)
    assert compared.text.startswith("All repayment methods for the same loan:")
    assert (
        "• Monthly interest, loan at the end\n"
        "   first payment CN¥500.00, total interest CN¥6,000.00" in compared.text
    )
    await driver.press(bob, "All at the end")
    assert "One payment: CN¥56,000.00" in driver.last(bob).text


async def test_compare_all_from_the_form_in_chinese(driver: ChatDriver, alice: ChatUser) -> None:
    await driver.send(alice, "🧮 贷款计算器")
    assert driver.last(alice).text.startswith("第 1 步，共 3 步")
    await driver.send(alice, "5.5万")
    await driver.send(alice, "6个月")
    assert "¥55,000.00" in driver.last(alice).text
    await driver.press(alice, "比较全部")
    text = driver.last(alice).text
    assert "等额本息" in text and "利随本清" in text
    assert "前3个月只付息，之后每2个月还本" in text


async def test_bad_answers_are_explained_with_examples(
    driver: ChatDriver, bob: ChatUser, alice: ChatUser
) -> None:
    await driver.send(bob, "/calc")
    await driver.send(bob, "a lot")
    assert driver.last(bob).text == (
        "I could not read an amount in that. Examples: 50000, 5万, 5.5万, 50k, 50,000"
    )
    await driver.send(bob, "3000")
    assert driver.last(bob).text.startswith(
        "CN¥3,000.00 is less than the smallest loan, CN¥5,000.00."
    )
    await driver.send(bob, "1e5")
    assert driver.last(bob).text.startswith("Please write the amount with digits only.")
    await driver.send(bob, "600000")
    assert "is more than this loan can be, CN¥500,000.00" in driver.last(bob).text
    await driver.send(bob, "20000")
    await driver.send(bob, "36")
    assert driver.last(bob).text == ("Please send a whole number of months from 1 to 24, e.g. 12.")
    await driver.send(alice, "/calc")
    await driver.send(alice, "50.123")
    assert driver.last(alice).text.startswith("金额最多保留两位小数")


async def test_back_and_cancel(driver: ChatDriver, bob: ChatUser) -> None:
    await _to_plan_step(driver, bob)
    await driver.press(bob, "Back")
    assert driver.last(bob).text.startswith("Step 2 of 3")
    await driver.press(bob, "Back")
    assert driver.last(bob).text.startswith("Step 1 of 3")
    await driver.press(bob, "Cancel")
    assert driver.last(bob).text == "How can I help?"
    await driver.send(bob, "12")  # no form any more: not taken as an answer
    assert driver.last(bob).text.startswith("Sorry, I did not understand that.")


async def test_cancel_command_leaves_the_form(driver: ChatDriver, bob: ChatUser) -> None:
    await driver.send(bob, "/calc")
    await driver.send(bob, "/cancel")
    assert driver.last(bob).text == "Cancelled. Nothing was kept."


async def test_the_form_continues_across_two_processes_sharing_redis(
    driver: ChatDriver,
    settings: Settings,
    redis: Redis,
    bank: BankAdapter,
    clock: SimulatedClock,
    bob: ChatUser,
) -> None:
    # a second process: its own Dispatcher and storage, the same Redis and the same Telegram
    other_storage = build_storage(redis, settings)
    other_app = build_dispatcher(settings, redis, other_storage, Outside(bank, clock))
    other_bot = build_bot("42:TEST", settings, other_storage, session=driver.session)
    other = ChatDriver(other_app.dispatcher, other_bot, driver.session)
    await driver.send(bob, "/calc")
    await other.send(bob, "80000")
    assert other.last(bob).text.startswith("Step 2 of 3")
    await driver.send(bob, "6")
    assert driver.last(bob).text.startswith("Step 3 of 3\nCN¥80,000.00 for 6 months")
    await other.press(bob, "Equal principal")
    assert "CN¥80,000.00 for 6 months" in other.last(bob).text


async def test_every_answer_is_in_redis_before_the_reply(
    driver: ChatDriver, redis: Redis, bob: ChatUser
) -> None:
    seen_before_reply: list[bytes | None] = []
    conversation = StorageKey(bot_id=driver.bot.id, chat_id=bob.user_id, user_id=bob.user_id)
    state_key = conversation_key_builder().build(conversation, "state")

    async def record(make_request, bot, method):  # type: ignore[no-untyped-def]
        seen_before_reply.append(await redis.get(state_key))
        return await make_request(bot, method)

    driver.bot.session.middleware(record)
    await driver.send(bob, "/calc")
    await driver.send(bob, "50000")
    assert seen_before_reply == [b"CalcForm:amount", b"CalcForm:months"]


SHORT_TERM = {
    "en": (
        ChatUser("bob", 5002, "Bob", "en", "+8613900000012"),
        "Not available for 1 month:\n• Monthly interest, principal every 2 months (from 2 months)",
    ),
    "zh_Hans": (
        ChatUser("alice", 5001, "小李", "zh-hans", "+8613900000011"),
        "1 个月的期限不能选：\n• 按月付息，每两个月还本（至少 2 个月）",
    ),
    "ru": (
        ChatUser("ivan", 5013, "Иван", "ru", "+8613900000023"),
        "Недоступно на срок 1 месяц:\n• ",
    ),
}


@pytest.mark.parametrize("language", sorted(SHORT_TERM))
async def test_a_short_term_offers_only_the_methods_that_fit_it(
    driver: ChatDriver, language: str
) -> None:
    user, why = SHORT_TERM[language]
    await driver.send(user, "/calc")
    await driver.send(user, "5万")
    await driver.send(user, "1")
    plans = driver.last(user)
    assert why in plans.text  # said before the choice
    offered = [button.text for button in plans.flat_buttons()][:-3]  # compare, back, cancel
    assert [label.split(".", 1)[0] for label in offered] == ["1", "2", "3", "4"]
    listed = plans.text.split("\n\n")[1].splitlines()
    assert all(line.startswith(label) for line, label in zip(listed, offered, strict=True))
    await driver.press(user, "#2")
    assert "2026-12-22" not in driver.last(user).text
    assert driver.last(user).message_id == plans.message_id
