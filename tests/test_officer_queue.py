"""The officer's /queue: each lead opens its card again at the bottom of the chat; tasks are
moved to a working day the officer picks, counted from the task's own due date, with the
officer's own note."""

from __future__ import annotations

from dataclasses import replace

import pytest
from test_officer_journeys import (
    OFFICER2_ZH,
    OFFICER_EN,
    OFFICER_ZH,
    SUPERVISOR_ZH,
    Desk,
    bind,
    forge,
    session_alerts,
    submit,
)

from bot.background import Background
from bot.demo.driver import ChatDriver, ChatUser
from bot.factory import App
from bot.views.officers import QueueOpen, TaskDay
from integrations.bank.protocol import BankAdapter
from integrations.sms.outbound import RecordingSmsSender

OFFICER_RU = replace(OFFICER_ZH, language_code="ru")
OUT_OF_DATE = {
    "zh-hans": "此按钮已失效。",
    "en": "This button is no longer active.",
    "ru": "Эта кнопка больше не действует.",
}


@pytest.fixture
def desk(app: App, background: Background) -> Desk:
    return Desk(app.services.officers, background)


async def officer_id(desk: Desk, user: ChatUser) -> str:
    member = await desk.services.directory.by_chat(user.user_id)
    assert member is not None
    return member.officer_id


@pytest.mark.parametrize(
    ("user", "open_label", "claimed"),
    [
        (OFFICER_ZH, "打开第2项卡片", "由您负责 · 已认领"),
        (OFFICER_EN, "2 open the card", "yours · claimed"),
        (OFFICER_RU, "2: открыть карточку", "ваша · взята"),
    ],
)
async def test_a_queued_lead_opens_its_card_again_and_it_works_there(
    driver: ChatDriver,
    sms: RecordingSmsSender,
    bank: BankAdapter,
    desk: Desk,
    user: ChatUser,
    open_label: str,
    claimed: str,
) -> None:
    await bind(driver, sms, user, "K001")
    lead_id = await submit(bank)
    await desk.deliver()
    first_card = driver.last(user)
    await driver.send(user, "/queue")
    assert lead_id in driver.last(user).text

    await driver.press(user, open_label)
    again = driver.last(user)
    assert again.message_id != first_card.message_id
    assert lead_id in again.text and again.text == first_card.text
    await driver.press(user, "#1")  # Claim, on the copy at the bottom of the chat
    assert claimed in driver.last(user).text
    assert driver.last(user).message_id == again.message_id
    assert (await bank.get_lead(lead_id)).claimed_at is not None


async def test_the_supervisor_opens_an_unclaimed_lead_with_reassign_buttons(
    driver: ChatDriver, sms: RecordingSmsSender, bank: BankAdapter, desk: Desk
) -> None:
    await bind(driver, sms, OFFICER2_ZH, "K002")
    await bind(driver, sms, SUPERVISOR_ZH, "S001")
    lead_id = await submit(bank)
    await desk.deliver()
    await driver.send(SUPERVISOR_ZH, "/queue")
    await driver.press(SUPERVISOR_ZH, "打开第1项卡片")
    card = driver.last(SUPERVISOR_ZH)
    assert lead_id in card.text and "尚未被认领" in card.text
    assert [button.text for button in card.flat_buttons()] == ["改派给 王经理"]
    await driver.press(SUPERVISOR_ZH, "王经理")
    assert (await bank.get_lead(lead_id)).officer_id == await officer_id(desk, OFFICER2_ZH)


@pytest.mark.parametrize("user", [OFFICER_ZH, OFFICER_EN, OFFICER_RU])
async def test_a_lead_outside_the_queue_cannot_be_opened(
    driver: ChatDriver, sms: RecordingSmsSender, bank: BankAdapter, desk: Desk, user: ChatUser
) -> None:
    await bind(driver, sms, user, "K001")
    await bind(driver, sms, replace(OFFICER2_ZH, language_code=user.language_code), "K002")
    south = await submit(bank, district="WUHOU")  # 王经理's
    await desk.deliver()
    seen = len(driver.seen(user))
    for lead_id in (south, "LD999999"):
        await forge(driver, user, QueueOpen(lead=lead_id).pack())
        assert session_alerts(driver)[-1] == OUT_OF_DATE[user.language_code]
    assert len(driver.seen(user)) == seen


@pytest.mark.parametrize(
    ("user", "move", "first_day", "moved"),
    [
        (OFFICER_ZH, "第2项改期", "2026年11月26日", "任务 TK000001 已改到 2026年11月27日。"),
        (
            OFFICER_EN,
            "2 move to another day",
            "Nov 26, 2026",
            "Task TK000001 moved to Nov 27, 2026.",
        ),
        (
            OFFICER_RU,
            "2: перенести",
            "26 нояб. 2026",
            "Задача TK000001 перенесена на 27 нояб. 2026",
        ),
    ],
)
async def test_a_task_moves_to_a_picked_working_day_after_its_due_date_with_a_note(
    driver: ChatDriver,
    sms: RecordingSmsSender,
    bank: BankAdapter,
    desk: Desk,
    user: ChatUser,
    move: str,
    first_day: str,
    moved: str,
) -> None:
    await bind(driver, sms, user, "K001")
    await driver.send(user, "/queue")
    queue = driver.last(user)
    assert "TK000001" in queue.text  # due on Wednesday 25 November; today is Sunday the 22nd

    await driver.press(user, move)
    days = [button.text for button in queue.flat_buttons()]
    assert days[0].startswith(first_day) and len(days) == 6  # five working days and Back
    await driver.press(user, "#2")  # Friday the 27th
    await driver.send(user, "Shop closed for a wedding")
    assert driver.last(user).text.startswith(moved)
    tasks = await bank.list_officer_tasks(await officer_id(desk, user))
    task = next(t for t in tasks if t.id == "TK000001")
    assert task.due_on.isoformat() == "2026-11-27" and task.note == "Shop closed for a wedding"
    assert queue.flat_buttons()[0].text != days[0]  # the queue is back, redrawn in place


async def test_a_day_not_offered_or_a_task_of_someone_else_changes_nothing(
    driver: ChatDriver, sms: RecordingSmsSender, bank: BankAdapter, desk: Desk
) -> None:
    await bind(driver, sms, OFFICER_EN, "K001")
    await bind(driver, sms, OFFICER2_ZH, "K002")
    before = await bank.list_officer_tasks(await officer_id(desk, OFFICER_EN))
    await forge(driver, OFFICER_EN, TaskDay(task="TK000001", day="20261125").pack())  # its day
    assert session_alerts(driver)[-1] == OUT_OF_DATE["en"]
    await forge(driver, OFFICER_EN, TaskDay(task="TK000001", day="20261128").pack())  # Saturday
    assert session_alerts(driver)[-1] == OUT_OF_DATE["en"]
    await forge(driver, OFFICER2_ZH, TaskDay(task="TK000001", day="20261126").pack())
    assert session_alerts(driver)[-1] == "这项任务不归您处理。"
    await driver.send(OFFICER2_ZH, "a note nobody asked for")
    assert await bank.list_officer_tasks(await officer_id(desk, OFFICER_EN)) == before
