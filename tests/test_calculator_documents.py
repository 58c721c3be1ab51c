"""The chart and the CSV the calculator sends, readable in zh_Hans, en and ru."""

from __future__ import annotations

import warnings

import pytest

from bot.demo.driver import ChatDriver, ChatUser
from bot.views.chart import prepare_chart_fonts

MERCHANTS = {
    "zh_Hans": ChatUser("lin", 5011, "小林", "zh-hans", "+8613900000021"),
    "en": ChatUser("ben", 5012, "Ben", "en", "+8613900000022"),
    "ru": ChatUser("ivan", 5013, "Иван", "ru", "+8613900000023"),
}


async def _result(driver: ChatDriver, user: ChatUser) -> None:
    await driver.send(user, "/calc")
    await driver.send(user, "5万")
    await driver.send(user, "12")
    await driver.press(user, "#2")  # equal principal, in every language


@pytest.mark.parametrize("language", ["zh_Hans", "ru"])
async def test_the_chart_draws_every_glyph(driver: ChatDriver, language: str) -> None:
    merchant = MERCHANTS[language]
    assert prepare_chart_fonts() is not None, "no CJK font: install fonts-wqy-microhei"
    await _result(driver, merchant)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        await driver.press(merchant, "📊")
    photo = driver.last(merchant)
    assert photo.file_bytes is not None and photo.file_bytes.startswith(b"\x89PNG")
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert missing == []


EXPECTED_HEADERS = {
    "zh_Hans": "期数,还款日,本金,利息,还款额,剩余本金",
    "en": "No.,Due,Principal,Interest,Payment,Balance",
    "ru": "№,Дата,Основной долг,Проценты,Платёж,Остаток",
}


@pytest.mark.parametrize("language", sorted(MERCHANTS))
async def test_the_csv_speaks_the_users_language_and_opens_in_excel(
    driver: ChatDriver, language: str
) -> None:
    merchant = MERCHANTS[language]
    await _result(driver, merchant)
    await driver.press(merchant, "CSV")
    document = driver.last(merchant)
    assert document.file_name == "schedule.csv"
    data = document.file_bytes or b""
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == EXPECTED_HEADERS[language]
    assert lines[1] == "1,2026-12-22,4166.67,500.00,4666.67,45833.33"
    assert len(lines) == 13
