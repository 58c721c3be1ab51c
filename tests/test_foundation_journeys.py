"""The first minutes with the bot, as a user sees them, in Chinese and in English."""

from __future__ import annotations

from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.methods import SendMessage, SetMyCommands
from redis.asyncio import Redis

from bot.demo.driver import ChatDriver, ChatUser
from bot.factory import App, publish_commands
from bot.redis_keys import UPDATE_GATE


async def test_start_greets_in_chinese_with_the_main_menu(
    driver: ChatDriver, alice: ChatUser
) -> None:
    await driver.send(alice, "/start")
    shown = driver.last(alice)
    assert "您好" in shown.text and "小李" in shown.text
    labels = [b.text for row in shown.keyboard for b in row]
    assert labels == [
        "📝 申请贷款", "🧮 贷款计算器", "💳 余额", "📋 我的贷款", "❓ 帮助", "🌐 语言",
    ]  # fmt: skip


async def test_start_greets_in_english(driver: ChatDriver, bob: ChatUser) -> None:
    await driver.send(bob, "/start")
    shown = driver.last(bob)
    assert shown.text.startswith("Hello, Bob!")
    assert shown.keyboard[0][1].text == "🧮 Loan calculator"


async def test_language_choice_edits_in_place_and_sticks(
    driver: ChatDriver, alice: ChatUser
) -> None:
    await driver.send(alice, "/language")
    picker = driver.last(alice)
    assert picker.text == "请选择语言："
    assert [b.text for b in picker.flat_buttons()] == ["✓ 简体中文", "English", "Русский"]

    await driver.press(alice, "English")
    assert picker.text == "Language: English" and picker.edits == 1
    assert [b.text for b in picker.flat_buttons()][1] == "✓ English"
    assert driver.last(alice).text == "Done. How can I help?"

    await driver.send(alice, "/cancel")
    assert driver.last(alice).text == "There is nothing to cancel."
    await driver.send(alice, "/help")
    assert "/calc: what a loan costs" in driver.last(alice).text


async def test_russian_from_the_menu_button(driver: ChatDriver, bob: ChatUser) -> None:
    await driver.send(bob, "/start")
    await driver.press(bob, "Language")
    await driver.press(bob, "Русский")
    await driver.send(bob, "что-то непонятное")
    assert driver.last(bob).text.startswith("Извините, я не понял")


async def test_unknown_text_gets_a_helpful_answer(
    driver: ChatDriver, alice: ChatUser, bob: ChatUser
) -> None:
    await driver.send(alice, "你好啊")
    assert "/help" in driver.last(alice).text and "抱歉" in driver.last(alice).text
    await driver.send(bob, "hello?")
    assert driver.last(bob).text == (
        "Sorry, I did not understand that. Choose an action below or send /help."
    )


async def test_a_redelivered_update_is_handled_once(driver: ChatDriver, bob: ChatUser) -> None:
    update = driver.text_update(bob, "/help")
    await driver.deliver(update)
    await driver.deliver(update)
    sent = [call for call in driver.session.calls if isinstance(call, SendMessage)]
    assert len(sent) == 1


async def test_a_failure_mid_handler_gets_an_apology_with_a_reference(
    driver: ChatDriver, bob: ChatUser, alice: ChatUser
) -> None:
    driver.session.fail_next(  # not Telegram's passing trouble: that one is run again
        TelegramBadRequest(method=SendMessage(chat_id=1, text="x"), message="can't parse entities")
    )
    await driver.send(bob, "/help")
    text = driver.last(bob).text
    assert text.startswith("Sorry, something went wrong on our side.")
    assert "Reference: " in text and "Traceback" not in text

    driver.session.fail_next(  # not Telegram's passing trouble: that one is run again
        TelegramBadRequest(method=SendMessage(chat_id=1, text="x"), message="can't parse entities")
    )
    await driver.send(alice, "/help")
    assert driver.last(alice).text.startswith("抱歉，我们这边出了点问题")


async def test_flood_control_is_waited_out(driver: ChatDriver, bob: ChatUser) -> None:
    driver.session.fail_next(
        TelegramRetryAfter(
            method=SendMessage(chat_id=1, text="x"), message="Too Many Requests", retry_after=0
        )
    )
    await driver.send(bob, "/help")
    assert "/calc: what a loan costs" in driver.last(bob).text


async def test_language_is_kept_apart_from_conversation_state(
    driver: ChatDriver, bob: ChatUser, redis: Redis
) -> None:
    await driver.send(bob, "/language")
    await driver.press(bob, "Русский")
    assert await redis.get(UPDATE_GATE.locale(bob.user_id)) == b"ru"
    await driver.send(bob, "/start")  # /start clears the conversation state
    assert driver.last(bob).text.startswith("Здравствуйте, Bob!")


async def test_command_menus_are_published_in_every_language(driver: ChatDriver, app: App) -> None:
    await publish_commands(driver.bot, app.i18n)
    menus = {
        call.language_code: [command.description for command in call.commands]
        for call in driver.session.calls
        if isinstance(call, SetMyCommands)
    }
    assert set(menus) == {None, "zh", "en", "ru"}
    assert menus[None] == menus["zh"]
    assert menus["en"][1] == "Loan calculator" and menus["zh"][1] == "贷款计算器"
    assert menus["ru"][1] == "Кредитный калькулятор"
