"""/help says what this user can do: a merchant not linked yet, a linked merchant, an
officer or a supervisor; an officer's chat menu lists the same commands, set when the chat
is linked and removed when it is unlinked."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from aiogram.methods import DeleteMyCommands, SetMyCommands
from test_officer_journeys import OFFICER_ZH, SUPERVISOR_ZH, bind

from bot.demo.driver import ChatDriver, ChatUser
from bot.local_session import LocalSession
from integrations.bank.sandbox import seed
from integrations.sms.outbound import RecordingSmsSender

MERCHANT = ChatUser("merchant", seed.MERCHANT_CHAT_USER_ID, "陈小梅", "en", seed.MERCHANT_PHONE)
LANGUAGES = ("zh-hans", "en", "ru")


def commands_in(text: str) -> list[str]:
    return re.findall(r"^/(\w+)", text, flags=re.MULTILINE)


def chat_menu(session: LocalSession, chat_id: int) -> list[str]:
    scoped = [
        call
        for call in session.calls
        if isinstance(call, SetMyCommands) and getattr(call.scope, "chat_id", None) == chat_id
    ]
    assert scoped, "no command menu was set for the chat"
    return [command.command for command in scoped[-1].commands]


@pytest.mark.parametrize("language", LANGUAGES)
async def test_an_officers_help_and_menu_list_the_officers_commands(
    driver: ChatDriver, sms: RecordingSmsSender, session: LocalSession, language: str
) -> None:
    officer = replace(OFFICER_ZH, language_code=language)
    await driver.send(officer, "/help")
    assert "overdue" not in commands_in(driver.last(officer).text)

    await bind(driver, sms, officer, seed.OFFICER_STAFF_CODE)
    await driver.send(officer, "/help")
    listed = commands_in(driver.last(officer).text)
    assert listed == chat_menu(session, officer.user_id)
    assert {"queue", "overdue", "officer"} <= set(listed)
    assert not {"apply", "balance", "team"} & set(listed)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_supervisors_help_and_menu_list_the_team(
    driver: ChatDriver, sms: RecordingSmsSender, session: LocalSession, language: str
) -> None:
    supervisor = replace(SUPERVISOR_ZH, language_code=language)
    await bind(driver, sms, supervisor, seed.SUPERVISOR_STAFF_CODE)
    await driver.send(supervisor, "/help")
    listed = commands_in(driver.last(supervisor).text)
    assert listed == chat_menu(session, supervisor.user_id)
    assert {"queue", "team"} <= set(listed) and "overdue" not in listed


@pytest.mark.parametrize(
    ("language", "unlink", "yes", "done"),
    [
        ("zh-hans", "解除本聊天的绑定", "是，解除绑定", "已解除绑定"),
        ("en", "Unlink this chat", "Yes, unlink", "Unlinked"),
        ("ru", "Отвязать этот чат", "Да, отвязать", "Чат отвязан"),
    ],
)
async def test_an_officer_unlinks_and_the_menu_and_help_go_with_it(
    driver: ChatDriver,
    sms: RecordingSmsSender,
    session: LocalSession,
    language: str,
    unlink: str,
    yes: str,
    done: str,
) -> None:
    officer = replace(OFFICER_ZH, language_code=language)
    await bind(driver, sms, officer, seed.OFFICER_STAFF_CODE)
    await driver.send(officer, "/officer")
    await driver.press(officer, unlink)
    await driver.press(officer, yes)
    assert driver.last(officer).text.startswith(done)
    removed = [c for c in session.calls if isinstance(c, DeleteMyCommands)]
    assert [getattr(c.scope, "chat_id", None) for c in removed] == [officer.user_id]

    await driver.send(officer, "/help")
    listed = commands_in(driver.last(officer).text)
    assert "bind" in listed and "queue" not in listed
    await driver.send(officer, "/queue")
    assert "/officer" in driver.last(officer).text


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_merchant_sees_the_commands_for_a_linked_chat_or_how_to_link_it(
    driver: ChatDriver, alice: ChatUser, language: str
) -> None:
    newcomer = replace(alice, language_code=language)
    await driver.send(newcomer, "/help")
    listed = commands_in(driver.last(newcomer).text)
    assert {"apply", "calc", "bind"} <= set(listed)
    assert not {"balance", "unbind", "queue"} & set(listed)

    merchant = replace(MERCHANT, language_code=language)
    await driver.send(merchant, "/help")
    listed = commands_in(driver.last(merchant).text)
    assert {"apply", "calc", "balance", "loans", "unbind"} <= set(listed)
    assert not {"bind", "queue", "overdue"} & set(listed)


async def test_an_officers_menu_follows_the_language_chosen(
    driver: ChatDriver, sms: RecordingSmsSender, session: LocalSession
) -> None:
    await bind(driver, sms, OFFICER_ZH, seed.OFFICER_STAFF_CODE)
    await driver.send(OFFICER_ZH, "/language")
    await driver.press(OFFICER_ZH, "Русский")
    scoped = [
        call for call in session.calls if isinstance(call, SetMyCommands) and call.scope is not None
    ]
    descriptions = [command.description for command in scoped[-1].commands]
    assert "Сменить язык" in descriptions and len(scoped) == 2
    await driver.send(OFFICER_ZH, "/help")
    assert commands_in(driver.last(OFFICER_ZH).text) == [c.command for c in scoped[-1].commands]
