"""Officers under load: lead cards and the claim race.

50 officers (in the two seeded territories and teams) use the bot; 2,000 leads enter the
bank's queues over a minute (about 33 a second) while the worker's officer pass runs as in
production (`bot.background.OFFICER_TICK_SECONDS`). Measured: the time from a lead entering
the bank (submit_lead returned) to its card being sent to the officer (p50, p99). Then 100
presses of Claim on one lead at once, from the officers of its territory, through the real
Dispatcher: how long until all are answered, and that the bank has exactly one owner.

Usage: .venv/bin/python bench/bench_officers.py [--leads 2000 --seconds 60]
Redis: BOT_BENCH_REDIS_URL (default redis://127.0.0.1:6379/10, flushed).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from aiogram.methods import SendMessage, TelegramMethod
from redis.asyncio import Redis

from bot.background import OFFICER_TICK_SECONDS
from bot.clock import SystemClock
from bot.config import Settings
from bot.demo.driver import ChatDriver, ChatUser
from bot.factory import Outside, build_bank, build_bot, build_dispatcher, build_storage
from bot.local_session import LocalSession
from bot.services.officers import OfficerDesk
from bot.views.officers import LeadAction
from integrations.bank.models import LeadSubmission, RepaymentMethod, StaffRole
from integrations.bank.sandbox import admin, seed
from integrations.bank.sandbox.core import SandboxBank
from integrations.sms.outbound import RecordingSmsSender

OFFICERS = 50
LEAD_ID = re.compile(r"\bLD\d+\b")


class CardClock:
    """When each lead's first card was sent."""

    def __init__(self) -> None:
        self.first_card: dict[str, float] = {}

    def __call__(self, method: TelegramMethod[Any]) -> None:
        if isinstance(method, SendMessage):
            found = LEAD_ID.search(method.text)
            if found:
                self.first_card.setdefault(found.group(0), time.perf_counter())


def add_officers(bank: SandboxBank) -> list[tuple[str, str]]:
    """(staff code, phone) of all 50 officers: 48 more, on duty in both territories and teams."""
    added = [
        (f"B{index:03d}", f"+86139{index:08d}", seed.NORTH if index % 2 else seed.SOUTH,
         seed.RETAIL_TEAM if index % 4 < 2 else seed.FOOD_TEAM)
        for index in range(OFFICERS - 2)
    ]  # fmt: skip

    def add_all(connection: Any, _context: Any) -> None:
        for code, phone, territory, team in added:
            admin.add_officer(
                connection, staff_code=code, name=f"经理{code}", phone=phone,
                territory_code=territory, team_code=team, role=StaffRole.OFFICER,
            )  # fmt: skip

    bank.run_blocking(add_all)
    seeded = [(seed.OFFICER_STAFF_CODE, seed.OFFICER_PHONE),
              (seed.OFFICER2_STAFF_CODE, seed.OFFICER2_PHONE)]  # fmt: skip
    return seeded + [(code, phone) for code, phone, _territory, _team in added]


async def bind_all(
    driver: ChatDriver, sms: RecordingSmsSender, staff: list[tuple[str, str]]
) -> list[ChatUser]:
    users = []
    for index, (code, phone) in enumerate(staff):
        user = ChatUser(f"o{index}", 30_000 + index, f"O{index}", "zh-hans", phone)
        await driver.send(user, "/officer")
        await driver.send(user, code)
        found = re.search(r"\b(\d{6})\b", sms.last_to(phone) or "")
        assert found is not None, code
        await driver.send(user, found.group(1))
        users.append(user)
    return users


def submission(index: int) -> LeadSubmission:
    return LeadSubmission(
        applicant_name=f"商户{index}", phone=f"+86138{index:08d}",
        district_code="JINNIU" if index % 2 else "WUHOU", industry_code="retail",
        amount=Decimal("50000"), term_months=12, method=RepaymentMethod.EQUAL_INSTALLMENT,
        purpose="进货", score=700, details={},
    )  # fmt: skip


async def lead_cards(desk: OfficerDesk, driver: ChatDriver, leads: int, seconds: float,
                     cards: CardClock) -> list[float]:  # fmt: skip
    entered: dict[str, float] = {}
    done = asyncio.Event()

    async def worker_pass() -> None:
        while not done.is_set() or len(cards.first_card) < len(entered):
            await desk.deliver_officer_events(driver.bot)
            await asyncio.sleep(OFFICER_TICK_SECONDS)

    async def arrivals() -> None:
        for index in range(leads):
            lead = await desk.bank.submit_lead(submission(index), idempotency_key=f"b-{index}")
            entered[lead.id] = time.perf_counter()
            await asyncio.sleep(seconds / leads)
        done.set()

    await asyncio.gather(worker_pass(), arrivals())
    return [cards.first_card[lead] - at for lead, at in entered.items() if lead in cards.first_card]


async def claim_race(driver: ChatDriver, desk: OfficerDesk, officers: list[ChatUser]) -> None:
    lead = await desk.bank.submit_lead(submission(99_999), idempotency_key="race")  # north
    data = LeadAction(action="claim", lead=lead.id).pack()
    from aiogram.types import CallbackQuery, Update

    def press(user: ChatUser, n: int) -> Update:
        query = CallbackQuery(id=f"race{n}", from_user=user.as_telegram_user(),
                              chat_instance=str(user.user_id), data=data)  # fmt: skip
        return Update(update_id=900_000 + n, callback_query=query)

    # K001 and the added officers with an odd index work the north, where the lead is
    north = [officers[0]] + [u for i, u in enumerate(officers[2:]) if i % 2 == 1]
    same_territory = north
    presses = [press(same_territory[n % len(same_territory)], n) for n in range(100)]
    alerts_before = len(driver.session.alerts)
    started = time.perf_counter()
    await asyncio.gather(*(driver.deliver(update) for update in presses))
    elapsed = time.perf_counter() - started
    answers = driver.session.alerts[alerts_before:]
    told_who = sum("已经认领" in answer or "已认领" in answer for answer in answers)
    final = await desk.bank.get_lead(lead.id)
    print(f"claim race: 100 presses from {len(set(map(id, same_territory)))} officers answered "
          f"in {elapsed * 1000:.0f} ms; {len(answers)} answers ({told_who} 'claimed' or "
          f"'already claimed by ...'); one owner at the bank: {final.officer_id}")  # fmt: skip


async def main(leads: int, seconds: float) -> None:
    url = os.environ.get("BOT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")
    redis = Redis.from_url(url, max_connections=512)
    await redis.flushdb()
    folder = Path(tempfile.mkdtemp())
    settings = Settings(_env_file=None, redis_url=url, sandbox_db=folder / "bank.db")  # type: ignore[call-arg]
    clock, sms = SystemClock(), RecordingSmsSender()
    bank = build_bank(settings, clock, sms)
    assert isinstance(bank, SandboxBank)
    staff = add_officers(bank)
    cards = CardClock()
    session = LocalSession(observer=cards)
    storage = build_storage(redis, settings)
    app = build_dispatcher(settings, redis, storage, Outside(bank, clock))
    driver = ChatDriver(app.dispatcher, build_bot("42:BENCH", settings, storage, session), session)
    desk: OfficerDesk = app.dispatcher.workflow_data["officer_desk"]
    officers = await bind_all(driver, sms, staff)
    await desk.deliver_officer_events(driver.bot)  # the seeded history
    print(f"{len(officers)} officers bound; {leads} leads over {seconds:.0f} s "
          f"(started {datetime.now(UTC):%H:%M:%S} UTC)")  # fmt: skip
    latencies = await lead_cards(desk, driver, leads, seconds, cards)
    cuts = statistics.quantiles(latencies, n=100)
    print(f"lead in the bank -> card sent: {len(latencies)} cards, p50 {cuts[49] * 1000:.0f} ms, "
          f"p99 {cuts[98] * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms "
          f"(the officer pass runs every {OFFICER_TICK_SECONDS * 1000:.0f} ms)")  # fmt: skip
    await claim_race(driver, desk, officers)
    await bank.aclose()
    await redis.flushdb()
    await redis.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=60)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.leads, arguments.seconds))
