"""Prometheus metrics and the update-timing middleware (one registry per app, no globals)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.updates = Counter(
            "bot_updates_total", "Updates handled", ["type"], registry=self.registry
        )
        self.errors = Counter(
            "bot_handler_errors_total", "Updates whose handler raised", registry=self.registry
        )
        self.latency = Histogram(
            "bot_handler_seconds",
            "Time to handle one update",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class MetricsMiddleware(BaseMiddleware):
    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        started = time.perf_counter()
        try:
            return await handler(event, data)
        except Exception:
            self.metrics.errors.inc()
            raise
        finally:
            self.metrics.latency.observe(time.perf_counter() - started)
            update_type = event.event_type if isinstance(event, Update) else "unknown"
            self.metrics.updates.labels(update_type).inc()


class WorkerMetrics:
    """The worker's own registry: what the outbound pipeline queued, sent, retried, gave up."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.queued = Counter(
            "bot_outbound_queued_total", "Messages queued", ["kind"], registry=self.registry
        )
        self.sent = Counter(
            "bot_outbound_sent_total",
            "Messages delivered, to the chat or instead by SMS",
            ["kind", "how"],
            registry=self.registry,
        )
        self.retried = Counter(
            "bot_outbound_retried_total", "Deliveries put off", ["kind"], registry=self.registry
        )
        self.dead = Counter(
            "bot_outbound_dead_total", "Messages given up on", ["kind"], registry=self.registry
        )
        self.throttled = Counter(
            "bot_outbound_429_total", "Flood-control answers from Telegram", registry=self.registry
        )
        self.send_seconds = Histogram(
            "bot_outbound_send_seconds",
            "One Bot API call of the Sender",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.waiting = Gauge(
            "bot_outbound_waiting",
            "Messages waiting, by queue (not_due: their time has not come)",
            ["queue"],
            registry=self.registry,
        )
        self.lag = Gauge(
            "bot_outbound_lag_seconds",
            "How long the oldest queued message has waited, by queue",
            ["queue"],
            registry=self.registry,
        )

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
