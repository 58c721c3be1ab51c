"""A number next to a noun takes the noun's plural form in each language: 1 month and
2 months in English; 1 месяц, 2 месяца, 5 месяцев, 11 месяцев, 21 месяц in Russian."""

from __future__ import annotations

import pytest

from bot.demo.driver import ChatDriver, ChatUser
from bot.i18n import build_i18n
from bot.services.accounts import BindingError, BindingProblem
from bot.views.accounts import binding_problem

CASES = [
    ("ru", 1, "на 1 месяц под"),
    ("ru", 2, "на 2 месяца под"),
    ("ru", 5, "на 5 месяцев под"),
    ("ru", 11, "на 11 месяцев под"),
    ("ru", 21, "на 21 месяц под"),
    ("en", 1, "for 1 month at"),
    ("en", 2, "for 2 months at"),
    ("zh-hans", 1, "，1 个月，"),
]


@pytest.mark.parametrize(("language_code", "months", "expected"), CASES)
async def test_the_calculator_says_the_term_in_the_right_form(
    driver: ChatDriver, language_code: str, months: int, expected: str
) -> None:
    user = ChatUser("carol", 30_001, "Carol", language_code, "+8613900000301")
    await driver.send(user, "/calc")
    await driver.send(user, "5万")
    await driver.send(user, str(months))
    assert expected in driver.last(user).text.replace("\xa0", " ")


@pytest.mark.parametrize(
    ("locale", "minutes", "expected"),
    [
        ("ru", 1, "на 1 минуту;"),
        ("ru", 2, "на 2 минуты;"),
        ("ru", 5, "на 5 минут;"),
        ("ru", 11, "на 11 минут;"),
        ("ru", 21, "на 21 минуту;"),
        ("en", 1, "for 1 minute;"),
        ("en", 2, "for 2 minutes;"),
        ("zh_Hans", 1, "暂停 1 分钟"),
    ],
)
def test_the_linking_lockout_says_the_minutes_in_the_right_form(
    locale: str, minutes: int, expected: str
) -> None:
    i18n = build_i18n("zh_Hans")
    with i18n.context(), i18n.use_locale(locale):
        text = binding_problem(BindingError(BindingProblem.BLOCKED, minutes=minutes))
    assert expected in text
