"""The sandbox's configuration and the per-operation context (the clock's now)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from integrations.bank.models import RepaymentTerms


@dataclass(frozen=True)
class LimitPolicy:
    """Outgoing payment limits in CNY (transfers, bills and top-ups; not loan repayments)."""

    per_transaction: Decimal = Decimal("50000")
    daily: Decimal = Decimal("100000")
    monthly: Decimal = Decimal("300000")
    new_payee_per_transaction: Decimal = Decimal("5000")


@dataclass(frozen=True)
class CommitteeRules:
    """The credit committees' authority by amount (CNY), quorum and majority."""

    branch_authority: Decimal = Decimal("200000")
    head_authority: Decimal = Decimal("5000000")
    members_needed: int = 3  # current votes before a decision
    approvals_needed: int = 2
    chair_veto: bool = True  # no approval over the chair's decline
    sla_hours: int = 8  # working hours to decide


@dataclass(frozen=True)
class SandboxConfig:
    limits: LimitPolicy = field(default_factory=LimitPolicy)
    joint_investigation_threshold: Decimal = Decimal("100000")  # 双人调查 above this amount
    timezone: str = "Asia/Shanghai"
    code_ttl: timedelta = timedelta(minutes=5)
    code_max_attempts: int = 5
    code_block: timedelta = timedelta(minutes=30)
    due_notice_days: int = 3
    first_visit_days: int = 7
    offer_validity: timedelta = timedelta(days=7)  # an approved offer expires after this
    check_in_radius_m: int = 500  # farther from the business, a check-in needs a reason
    evidence_max_age: timedelta = timedelta(hours=24)  # a photo older than this is stale
    document_max_bytes: int = 10 * 1024 * 1024
    committee: CommitteeRules = field(default_factory=CommitteeRules)
    product_code: str = "MICRO"
    product_annual_rate: Decimal = Decimal("12")  # percent; used when seeding the product
    product_repayment: RepaymentTerms = field(default_factory=RepaymentTerms)  # when seeding

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class Context:
    now: datetime
    config: SandboxConfig

    @property
    def today(self) -> date:
        """The bank's local date."""
        return self.now.astimezone(self.config.zone).date()

    @property
    def stamp(self) -> str:
        return iso(self.now)

    def local_midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(), self.config.zone)


def iso(moment: datetime) -> str:
    """A sortable UTC timestamp text (fixed width, so text order is time order)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)
