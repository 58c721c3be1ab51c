"""The bank's reference data (products, districts, industries), stale-while-revalidate.

Every application and calculator step shows them and they change a few times a year, so
the bank is asked at most once a minute and never while a merchant waits: the copy in
Redis is used while fresh (`Freshness.fresh_seconds`); an older copy is used at once and
refreshed in the background by one process at a time (a Redis lock, which a failed
refresh keeps for `retry_seconds` so that a bank that is down is not asked at every
step); the copy is kept for days. Only when there has never been a copy and the bank does
not answer is the caller told so (`BankNotAnswering`).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel
from redis.asyncio import Redis

from bot.redis_keys import REFERENCE
from integrations.bank.errors import BankUnavailable
from integrations.bank.models import District, Industry, LoanProduct
from integrations.bank.protocol import BankAdapter

log = logging.getLogger(__name__)


class BankNotAnswering(Exception):
    """The bank did not answer a call this step needs, and there was nothing to fall back on."""


@dataclass(frozen=True)
class Freshness:
    fresh_seconds: float = 60.0
    keep_seconds: int = 14 * 86_400
    retry_seconds: float = 5.0  # after a failed refresh, the next one waits this long
    lock_seconds: float = 60.0  # longer than a refresh can take (three calls with timeouts)


class Catalogue(BaseModel):
    products: list[LoanProduct]
    districts: list[District]
    industries: list[Industry]
    fetched_at: float  # seconds since the epoch, so that every process reads the same age


class ReferenceData:
    def __init__(
        self,
        redis: Redis,
        bank: BankAdapter,
        freshness: Freshness | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.redis = redis
        self.bank = bank
        self.freshness = freshness or Freshness()
        self._now = now
        self._local: Catalogue | None = None  # the last copy read, to spare Redis each step
        self._refresher: asyncio.Task[bool] | None = None

    async def catalogue(self) -> Catalogue:
        """The freshest copy there is; asks the bank only when there has never been one."""
        local = self._local
        if local is not None and self._is_fresh(local):
            return local
        stored = await self._stored()
        if stored is None:
            return await self._fetch()
        self._local = stored
        if not self._is_fresh(stored):
            self._refresh_in_background()
        return stored

    async def refresh(self) -> bool:
        """Ask the bank for a new copy unless another process is doing it; True if stored."""
        token = secrets.token_hex(8)
        lock_ms = int(self.freshness.lock_seconds * 1000)
        if not await self.redis.set(REFERENCE.refreshing, token, nx=True, px=lock_ms):
            return False
        try:
            await self._fetch()
        except BankNotAnswering:
            log.info("reference data not refreshed: the bank is not answering")
            retry_ms = int(self.freshness.retry_seconds * 1000)
            await self.redis.set(REFERENCE.refreshing, token, xx=True, px=retry_ms)
            return False
        await self.redis.delete(REFERENCE.refreshing)
        return True

    def _refresh_in_background(self) -> None:
        if self._refresher is None or self._refresher.done():
            self._refresher = asyncio.create_task(self.refresh())
            self._refresher.add_done_callback(_report_failure)

    def _is_fresh(self, catalogue: Catalogue) -> bool:
        return self._now() - catalogue.fetched_at < self.freshness.fresh_seconds

    async def _stored(self) -> Catalogue | None:
        raw = await self.redis.get(REFERENCE.copy)
        return Catalogue.model_validate_json(raw) if raw is not None else None

    async def _fetch(self) -> Catalogue:
        try:
            products, districts, industries = await asyncio.gather(
                self.bank.list_products(), self.bank.list_districts(), self.bank.list_industries()
            )
        except BankUnavailable as error:
            raise BankNotAnswering(str(error)) from None
        catalogue = Catalogue(
            products=products, districts=districts, industries=industries, fetched_at=self._now()
        )
        await self.redis.set(
            REFERENCE.copy, catalogue.model_dump_json(), ex=self.freshness.keep_seconds
        )
        self._local = catalogue
        return catalogue


def _report_failure(task: asyncio.Task[bool]) -> None:
    """A background refresh that failed (Redis away): the stale copy stays; say so once."""
    if not task.cancelled() and (error := task.exception()) is not None:
        log.warning("reference data not refreshed (%s); the copy stays", type(error).__name__)
