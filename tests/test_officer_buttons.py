"""Officers' button data is untrusted: what does not parse or fit gets "this button is out
of date" in the officer's language and changes nothing; forged data never reaches the
error handler."""

from __future__ import annotations

import itertools
import logging
from dataclasses import replace

import pytest
from aiogram.types import CallbackQuery, Update
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_officer_journeys import OFFICER_EN, OFFICER_ZH, SUPERVISOR_EN, Desk, bind, submit

from bot.background import Background
from bot.demo.driver import ChatDriver, ChatUser
from bot.factory import App
from bot.views.officers import OFFICER_PREFIXES, LeadVerb, TaskVerb
from integrations.bank.models import LeadStatus
from integrations.bank.protocol import BankAdapter
from integrations.sms.outbound import RecordingSmsSender

OFFICER_RU = replace(OFFICER_EN, language_code="ru")
UNBOUND = ChatUser("stranger", 5099, "Stranger", "en", "+8613900000099")
UPDATE_IDS = itertools.count(800_000_000)
OUT_OF_DATE = {
    "en": "This button is no longer active.",
    "zh": "此按钮已失效。",
    "ru": "Эта кнопка больше не действует.",
}


@pytest.fixture
def desk(app: App, background: Background) -> Desk:
    return Desk(app.services.officers, background)


async def press_data(driver: ChatDriver, user: ChatUser, data: str) -> str | None:
    """Press a button carrying `data`; the alert the user was shown, if any."""
    before = len(driver.session.alerts)
    query = CallbackQuery(
        id=f"q{next(UPDATE_IDS)}",
        from_user=user.as_telegram_user(),
        chat_instance=str(user.user_id),
        data=data,
    )
    await driver.deliver(Update(update_id=next(UPDATE_IDS), callback_query=query))
    alerts = driver.session.alerts[before:]
    return alerts[-1] if alerts else None


@pytest.mark.parametrize(
    ("user", "expected"), [(OFFICER_EN, "en"), (OFFICER_ZH, "zh"), (OFFICER_RU, "ru")]
)
async def test_buttons_that_do_not_parse_or_fit_are_out_of_date_and_change_nothing(
    driver: ChatDriver,
    sms: RecordingSmsSender,
    bank: BankAdapter,
    desk: Desk,
    user: ChatUser,
    expected: str,
) -> None:
    await bind(driver, sms, user, "K001")
    lead_id = await submit(bank)
    await desk.deliver()
    stale = [
        f"ol:bogus:{lead_id}:",  # no such action
        f"ol:claim:{lead_id}",  # a part missing
        f"ol:why:{lead_id}:because",  # no such reason to pass
        f"ol:set:{lead_id}:disbursed",  # not a status an officer sets
        f"ol:day:{lead_id}:20261399",  # no such day
        f"ol:time:{lead_id}:2026112325",  # no such time
        f"ol:to:{lead_id}:",  # reassign to nobody
        "ot:done:T1:-1",  # no such page
        "ok:T1:lazy",  # no such kind of borrower
        "oq:many",
        "ol:claim:LD 1/../x:",  # not an id
    ]
    for data in stale:
        assert await press_data(driver, user, data) == OUT_OF_DATE[expected], data
    lead = await bank.get_lead(lead_id)
    assert lead.status is LeadStatus.ROUTED and lead.claimed_at is None and not lead.passed_by


officer_data = st.one_of(
    st.builds(
        lambda prefix, parts: ":".join([prefix, *parts]),
        st.sampled_from(OFFICER_PREFIXES),
        st.lists(st.text(max_size=12), max_size=5),
    ),
    st.builds(
        lambda verb, lead, arg: f"ol:{verb}:{lead}:{arg}",
        st.sampled_from([verb.value for verb in LeadVerb]),
        st.sampled_from(["LD000001", "LD999999", "", "x" * 41]) | st.text(max_size=10),
        st.text(max_size=14),
    ),
    st.builds(
        lambda verb, task, page: f"ot:{verb}:{task}:{page}",
        st.sampled_from([verb.value for verb in TaskVerb]) | st.text(max_size=5),
        st.text(max_size=10),
        st.integers(min_value=-(10**20), max_value=10**20),
    ),
    st.builds(lambda page: f"oq:{page}", st.integers() | st.text(max_size=8)),
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=officer_data, user=st.sampled_from([OFFICER_EN, SUPERVISOR_EN, UNBOUND]))
async def test_forged_officer_buttons_never_reach_the_error_handler(
    driver: ChatDriver,
    sms: RecordingSmsSender,
    caplog: pytest.LogCaptureFixture,
    data: str,
    user: ChatUser,
) -> None:
    if not driver.seen(SUPERVISOR_EN):  # the same chat for every example
        await bind(driver, sms, OFFICER_EN, "K001")
        await bind(driver, sms, SUPERVISOR_EN, "S001")
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="bot.errors"):
        alert = await press_data(driver, user, data[:64])
    assert not [record for record in caplog.records if record.name == "bot.errors"], data
    assert alert is None or "Reference" not in alert, data
