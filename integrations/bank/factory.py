"""Choosing the bank: `sandbox` (the embedded core, seeded on first use) or `http`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from integrations.bank.http_adapter import HttpBankAdapter
from integrations.bank.protocol import BankAdapter
from integrations.bank.sandbox import SandboxBank, SandboxConfig
from integrations.bank.sandbox.seed import seed_if_empty
from integrations.sms.outbound import SmsSender

ADAPTER_KINDS = ("sandbox", "http")


def build_bank_adapter(
    kind: str,
    *,
    sandbox_db: str,
    bank_url: str | None,
    api_token: str | None,
    clock: Callable[[], datetime],
    sms: SmsSender,
    sandbox_config: SandboxConfig | None = None,
) -> BankAdapter:
    """The adapter for BOT_BANK_ADAPTER. The sandbox's file is created and seeded with the
    demo data if it is new; `clock` and `sms` serve the sandbox (the HTTP bank has its own)."""
    if kind == "sandbox":
        return open_sandbox_bank(sandbox_db, clock=clock, sms=sms, config=sandbox_config)
    if kind == "http":
        if not bank_url or not api_token:
            raise ValueError("the http bank adapter needs BOT_BANK_URL and BOT_BANK_API_TOKEN")
        return HttpBankAdapter(bank_url, api_token)
    raise ValueError(f"unknown bank adapter {kind!r}; expected one of {', '.join(ADAPTER_KINDS)}")


def open_sandbox_bank(
    db_path: str,
    *,
    clock: Callable[[], datetime],
    sms: SmsSender,
    config: SandboxConfig | None = None,
) -> SandboxBank:
    if db_path != ":memory:":
        Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    bank = SandboxBank(db_path, clock=clock, sms=sms, config=config)
    bank.run_blocking(seed_if_empty)
    return bank
