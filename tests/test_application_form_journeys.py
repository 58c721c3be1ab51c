"""Leaving the application and coming back, in Chinese, English and Russian: for the
calculator, for another language, by Back, by editing a section, by cancelling (asked first)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.demo.driver import ChatDriver, ChatUser
from tests.test_application_journeys import answer_all, seen_by, start_application


@dataclass(frozen=True)
class Words:
    """What each language shows at the points these journeys look at."""

    user: ChatUser
    welcome_back: str
    premises: str
    name: str
    confirm_cancel: str
    yes_delete: str
    cancelled: str
    consent: str
    loan_section: str
    summary: str
    term: str  # a term typed as people write it in that language
    waiting: str


CHEN = Words(
    ChatUser("chen", 5301, "陈", "zh-hans", "+8613880000301"),
    welcome_back="欢迎回来", premises="经营场所是自有、租赁还是市场摊位？", name="您的姓名",
    confirm_cancel="要取消申请吗？", yes_delete="是的，删除", cancelled="申请已取消",
    consent="贷款预申请", loan_section="贷款", summary="请核对您的申请", term="十八个月",
    waiting="您的申请停在第 7 步（共 20 步）",
)  # fmt: skip
BEN = Words(
    ChatUser("ben", 5302, "Ben", "en", "+8618980000302"),
    welcome_back="Welcome back", premises="Are the premises owned", name="Your full name",
    confirm_cancel="Cancel the application?", yes_delete="Yes, delete",
    cancelled="Application cancelled", consent="Loan pre-application", loan_section="The loan",
    summary="Please check your application", term="18 months",
    waiting="Your application is waiting at step 7 of 20.",
)  # fmt: skip
OLGA = Words(
    ChatUser("olga", 5303, "Ольга", "ru", "+8613800000303"),
    welcome_back="С возвращением", premises="Помещение собственное", name="Ваше полное имя",
    confirm_cancel="Отменить заявку?", yes_delete="Да, удалить", cancelled="Заявка отменена",
    consent="Предварительная заявка", loan_section="Кредит", summary="Проверьте заявку",
    term="18 мес", waiting="Ваша заявка ждёт на шаге 7 из 20.",
)  # fmt: skip
EVERYONE = pytest.mark.parametrize("words", [CHEN, BEN, OLGA], ids=["zh_Hans", "en", "ru"])


async def to_the_premises(driver: ChatDriver, user: ChatUser) -> None:
    """Six answers given: the application waits at 7/20."""
    await start_application(driver, user)
    await driver.send(user, "陈小梅")
    await driver.press(user, seen_by(user, "零售"))
    await driver.press(user, seen_by(user, "金牛区"))
    await driver.send(user, "3")
    await driver.send(user, "2")
    assert driver.last(user).text.startswith("7/20")


@EVERYONE
async def test_the_application_resumes_after_the_calculator(
    driver: ChatDriver, words: Words
) -> None:
    user = words.user
    await to_the_premises(driver, user)
    await driver.send(user, "/calc")
    await driver.send(user, "50000")
    await driver.send(user, words.term)  # the calculator reads a term as the form does
    assert "18" in driver.last(user).text and "24" not in driver.last(user).text
    await driver.press(user, "#1")
    await driver.send(user, "/apply")
    offer = driver.last(user).text
    assert words.welcome_back in offer and "7" in offer and "20" in offer
    await driver.press(user, "#1")  # continue
    asked = driver.last(user).text
    assert asked.startswith("7/20") and words.premises in asked
    await driver.press(user, "#1")
    assert driver.last(user).text.startswith("8/20")
    for leave in ("/apply", "/cancel", "/start"):  # the calculator left halfway, in turn
        await driver.send(user, "/calc")
        await driver.send(user, leave)
        await driver.send(user, "/apply")
        assert words.welcome_back in driver.last(user).text, leave
        await driver.press(user, "#1")
        assert driver.last(user).text.startswith("8/20"), leave


@EVERYONE
async def test_another_language_keeps_the_question(driver: ChatDriver, words: Words) -> None:
    other = BEN if words is not BEN else OLGA
    user = words.user
    await to_the_premises(driver, user)
    await driver.send(user, "/language")
    await driver.press(user, {BEN: "English", OLGA: "Русский"}[other])
    asked = driver.last(user).text
    assert asked.startswith("7/20") and other.premises in asked
    await driver.press(user, "#2")  # rented
    assert driver.last(user).text.startswith("8/20")


@EVERYONE
async def test_another_language_with_the_application_paused_says_it_waits(
    driver: ChatDriver, words: Words
) -> None:
    other = BEN if words is not BEN else OLGA
    user = words.user
    await to_the_premises(driver, user)
    await driver.send(user, "/calc")
    await driver.send(user, "/cancel")  # the calculator left: nothing under way
    await driver.send(user, "/language")
    await driver.press(user, {BEN: "English", OLGA: "Русский"}[other])
    said = driver.last(user)
    assert said.text == other.waiting
    assert [button.text for button in said.flat_buttons()] == [
        {BEN: "▶ Continue", OLGA: "▶ Продолжить"}[other]
    ]
    await driver.press(user, "▶")
    asked = driver.last(user).text
    assert asked.startswith("7/20") and other.premises in asked


@EVERYONE
async def test_cancel_asks_first_and_continue_keeps_everything(
    driver: ChatDriver, words: Words
) -> None:
    user = words.user
    await to_the_premises(driver, user)
    await driver.press(user, "✖")
    assert words.confirm_cancel in driver.last(user).text
    await driver.press(user, "▶")  # no: continue
    assert driver.last(user).text.startswith("7/20")
    await driver.send(user, "/cancel")
    assert words.confirm_cancel in driver.last(user).text
    await driver.press(user, words.yes_delete)
    assert words.cancelled in driver.last(user).text
    await driver.send(user, "/apply")
    assert words.consent in driver.last(user).text  # a new application from the start


@EVERYONE
async def test_back_and_editing_a_section_from_the_summary(
    driver: ChatDriver, words: Words
) -> None:
    user = words.user
    await start_application(driver, user)
    await driver.send(user, "陈小梅")
    await driver.press(user, "◀")
    asked = driver.last(user).text
    assert asked.startswith("2/20") and words.name in asked
    await answer_all(driver, user)  # the name again, then the rest
    assert words.summary in driver.last(user).text
    await driver.press(user, words.loan_section)
    assert driver.last(user).text.startswith("15/20")
    await driver.send(user, "6万")
    await driver.send(user, words.term)
    await driver.press(user, "#1")
    assert driver.last(user).text.startswith("18/20")  # the purpose ends the section
    await driver.send(user, "进货")
    summary = driver.last(user).text
    assert words.summary in summary and "60" in summary and "18" in summary


SHORT_TERM = {
    CHEN: "1 个月的期限不能选：\n• 按月付息，每两个月还本（至少 2 个月）",
    BEN: "Not available for 1 month:\n• Monthly interest, principal every 2 months (from 2 months)",
    OLGA: "Недоступно на срок 1 месяц:\n• ",
}


@EVERYONE
async def test_a_short_term_offers_only_the_plans_that_fit_it(
    driver: ChatDriver, words: Words
) -> None:
    user = words.user
    await start_application(driver, user)
    await answer_all(driver, user)
    await driver.press(user, words.loan_section)
    await driver.send(user, "5万")
    await driver.send(user, "1")
    plans = driver.last(user)
    assert plans.text.startswith("17/20") and SHORT_TERM[words] in plans.text
    offered = [button.text for button in plans.flat_buttons()][:-2]  # back, cancel
    assert len(offered) == 4  # not the five that need two months or more
    await driver.press(user, offered[3])
    assert driver.last(user).text.startswith("18/20")


@EVERYONE
async def test_a_failed_officer_binding_keeps_the_paused_application(
    driver: ChatDriver, words: Words
) -> None:
    user = words.user
    await to_the_premises(driver, user)
    await driver.send(user, "/officer")
    await driver.send(user, "K001")  # someone else's staff code: the code goes to their phone
    for _attempt in range(10):
        await driver.send(user, "000000")
        if "/officer" in driver.last(user).text:  # too many wrong codes: the flow ends
            break
    else:
        raise AssertionError(driver.last(user).text)
    await driver.send(user, "/apply")
    assert words.welcome_back in driver.last(user).text
    await driver.press(user, "#1")
    assert driver.last(user).text.startswith("7/20")
