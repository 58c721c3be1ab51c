"""With BOT_WEBAPP_URL set, /calc and the chat's menu button offer the Mini App; without it,
the chat is as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiogram.methods import SetChatMenuButton
from aiogram.types import MenuButtonWebApp
from test_officer_journeys import OFFICER_EN, OFFICER_ZH, bind

from bot.config import Settings, SettingsError, load_settings
from bot.demo.driver import ChatDriver, ChatUser
from bot.factory import App, build_bot
from bot.local_session import LocalSession
from bot.webapp.menu import publish_menu_button
from integrations.sms.outbound import RecordingSmsSender
from tests.conftest import REDIS_URL

MINI_APP_URL = "https://bot.example.com/app/"
with_mini_app = pytest.mark.parametrize("settings", [MINI_APP_URL], indirect=True)


@pytest.fixture
def settings(tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """Default settings, or with the Mini App's address given as the indirect parameter."""
    url = getattr(request, "param", None)
    return Settings(  # type: ignore[call-arg]
        _env_file=None, redis_url=REDIS_URL, sandbox_db=tmp_path / "sandbox.db", webapp_url=url
    )


@with_mini_app
@pytest.mark.parametrize(
    ("user_name", "label"), [("bob", "🧮 Loan calculator"), ("alice", "🧮 贷款计算器")]
)
async def test_calc_offers_the_mini_app_above_the_chat_form(
    driver: ChatDriver, request: pytest.FixtureRequest, user_name: str, label: str
) -> None:
    user: ChatUser = request.getfixturevalue(user_name)
    await driver.send(user, "/calc")
    buttons = driver.last(user).flat_buttons()
    assert buttons[0].web_app == MINI_APP_URL
    assert buttons[0].text == label
    assert buttons[1].callback_data is not None  # Cancel: the chat form goes on as before
    await driver.send(user, "50000")
    assert all(button.web_app is None for button in driver.last(user).flat_buttons())


async def test_without_a_mini_app_url_calc_is_unchanged(driver: ChatDriver, bob: ChatUser) -> None:
    await driver.send(bob, "/calc")
    assert [button.text for button in driver.last(bob).flat_buttons()] == ["✖ Cancel"]


@with_mini_app
async def test_the_menu_button_opens_the_mini_app(
    app: App, settings: Settings, session: LocalSession
) -> None:
    bot = build_bot("42:TEST", settings, app.storage, session=session)
    await publish_menu_button(bot, settings, app.i18n)
    [call] = [call for call in session.calls if isinstance(call, SetChatMenuButton)]
    assert isinstance(call.menu_button, MenuButtonWebApp)
    assert call.menu_button.web_app.url == MINI_APP_URL
    assert call.menu_button.text == "贷款计算器"
    await bot.session.close()


async def test_without_a_mini_app_url_the_menu_button_is_left_alone(
    app: App, settings: Settings, session: LocalSession
) -> None:
    bot = build_bot("42:TEST", settings, app.storage, session=session)
    await publish_menu_button(bot, settings, app.i18n)
    assert not [call for call in session.calls if isinstance(call, SetChatMenuButton)]
    await bot.session.close()


def test_the_mini_app_address_must_be_https(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_WEBAPP_URL", "http://bot.example.com/app/")
    with pytest.raises(SettingsError, match="BOT_WEBAPP_URL"):
        load_settings(_env_file=None)


@with_mini_app
@pytest.mark.parametrize(
    ("officer", "label"), [(OFFICER_EN, "📊 Dashboard"), (OFFICER_ZH, "📊 看板")]
)
async def test_queue_offers_the_dashboard_to_officers(
    driver: ChatDriver, sms: RecordingSmsSender, officer: ChatUser, label: str
) -> None:
    await bind(driver, sms, officer, "K001")
    await driver.send(officer, "/queue")
    dashboard = driver.last(officer).flat_buttons()[-1]
    assert (dashboard.text, dashboard.web_app) == (label, MINI_APP_URL + "desk")


async def test_without_a_mini_app_url_queue_offers_no_dashboard(
    driver: ChatDriver, sms: RecordingSmsSender
) -> None:
    await bind(driver, sms, OFFICER_EN, "K001")
    await driver.send(OFFICER_EN, "/queue")
    assert all(button.web_app is None for button in driver.last(OFFICER_EN).flat_buttons())
