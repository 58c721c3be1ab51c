"""Every Redis key the bot uses, defined once, grouped by the part of the bot that owns it.

Modules build keys only through this one: each owner is a frozen dataclass whose fields are
its fixed keys and whose methods build a family of keys from typed arguments. The strings
are the ones the bot has always written, so what a running Redis holds is still found
(`tests/test_redis_keys.py` checks that no two families can make the same key, and that
no key is spelt anywhere else). saq's own keys (`saq:<queue>:...`) are saq's; the names of
the queues we give it are here. The idempotency keys of outgoing messages ("lead:...",
"card:...") are the producers' names for their messages: the Sender's record keys and saq's
job keys take them as an opaque argument.

Redis Cluster will need every key that one script or transaction touches in one hash slot.
Each key that belongs to one user, chat or customer takes that id through `_user` or
`_customer`: a hash tag (`{...}`) added there moves all of one user's keys into one slot,
in one place (the conversation keys come from aiogram's key builder, made here: a tag there
needs a KeyBuilder of our own; and the update gate's dedupe key would have to take the
user's id, since its script touches it with the user's keys).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Annotated

from aiogram.fsm.storage.base import DefaultKeyBuilder

from bot.domain.reminders import Priority as ReminderPriority
from bot.services.outbound import Priority

# An argument known to hold no ':' (an id we make ourselves): one segment of its key.
Segment = Annotated[str, "segment"]

_CONVERSATION_PREFIX = "fsm"


def _join(*parts: str | int) -> str:
    return ":".join(str(part) for part in parts)


def _user(user_id: int) -> str:
    """A Telegram user's or chat's id in a key (where a Cluster hash tag would go)."""
    return str(user_id)


def _customer(customer_id: str) -> str:
    """A bank customer's id in a key (where a Cluster hash tag would go)."""
    return customer_id


def conversation_key_builder() -> DefaultKeyBuilder:
    """aiogram's keys of a conversation: fsm:<chat>[:<thread>]:<user>:<destiny>:<part>, the
    part being state, data or lock."""
    return DefaultKeyBuilder(prefix=_CONVERSATION_PREFIX, with_destiny=True)


@dataclass(frozen=True)
class UpdateGateKeys:
    """The update gate (bot/state.py) and the language a user chose."""

    def dedupe(self, bot_id: int, update_id: int) -> str:
        return _join(_CONVERSATION_PREFIX, "update", bot_id, update_id)

    def locale(self, user_id: int) -> str:
        return _join(_CONVERSATION_PREFIX, "locale", _user(user_id))


@dataclass(frozen=True)
class StreamKeys:
    """A Redis Stream consumed by a group, and where entries that keep failing go."""

    stream: str
    dead: str
    group: str = field(metadata={"redis_key": False})  # a consumer group's name, not a key


@dataclass(frozen=True)
class OutboundKeys:
    """The outbound pipeline: saq's queues, one per Priority, and what is not due yet."""

    due: str = "outbound:due"
    due_payload: str = "outbound:due:payload"
    sweep_lock: str = "outbound:sweep:lock"

    def queue(self, priority: Priority) -> str:
        """The saq queue's name (saq keeps it under saq:<name>:...)."""
        return f"outbound-{priority.name.lower()}"


@dataclass(frozen=True)
class SenderKeys:
    """What every process shares about sending: the schedule, records, dead letters."""

    dead: str = "outbound:dead"
    rate_global: str = "send:rate:global"

    def rate_chat(self, chat_id: int) -> str:
        return _join("send", "rate", "chat", _user(chat_id))

    def record(self, message_key: str) -> str:
        return _join("outbound", "record", message_key)

    def claim(self, message_key: str) -> str:
        return _join("outbound", "claim", message_key)

    def revision(self, message_key: str) -> str:
        """The latest revision of a message that edits applied."""
        return _join("outbound", "revision", message_key)

    def legacy_sent(self, message_key: str) -> str:
        """Where the Sender before the pipeline marked what it sent; read until those marks
        expire (90 days after the upgrade), so that nothing sent then is sent again."""
        return _join("send", "done", message_key)


@dataclass(frozen=True)
class MoneyKeys:
    """Money commands, per customer so the chat and SMS share them."""

    in_doubt: str = "money:in_doubt"

    def pending(self, customer_id: str) -> str:
        return _join("money", "pending", _customer(customer_id))

    def done(self, customer_id: str) -> str:
        return _join("money", "done", _customer(customer_id))

    def lockout(self, customer_id: str) -> str:
        return _join("money", "lockout", _customer(customer_id))

    def locale(self, customer_id: str) -> str:
        return _join("money", "locale", _customer(customer_id))

    def lock(self, customer_id: str) -> str:
        return _join("money", "lock", _customer(customer_id))

    def prepayment_offer(self, customer_id: str) -> str:
        """The prepayment whose kind the customer is choosing."""
        return _join("money", "offer", _customer(customer_id))

    def chat_origin(self, chat_id: int) -> str:
        return _join("money", "chat", _user(chat_id))

    def phone_origin(self, phone: str) -> str:
        return _join("money", "phone", phone)


@dataclass(frozen=True)
class AccountKeys:
    """Customer id <-> chat and the chat's language."""

    def reader(self, customer_id: str) -> str:
        return _join("accounts", "reader", _customer(customer_id))

    def customer_of(self, chat_id: int) -> str:
        return _join("accounts", "customer_of", _user(chat_id))


@dataclass(frozen=True)
class OfficerKeys:
    """The officers' desk: staff, lead cards, SLA timers, borrowers' kinds, lead history."""

    staff_ids: str = "officers:staff"
    sla_due: str = "officers:sla"
    routed_leads: str = "officers:routed"  # lead -> when it was last routed
    history_adopted: str = "officers:history:adopted"

    def staff(self, officer_id: str) -> str:
        return _join("officers", "staff", officer_id)

    def officer_of(self, chat_id: int) -> str:
        return _join("officers", "chat", _user(chat_id))

    def cards(self, lead_id: str) -> str:
        return _join("officers", "cards", lead_id)

    def card_revisions(self, lead_id: str) -> str:
        """The last revision handed out to an edit of the lead's cards."""
        return _join("officers", "card_revisions", lead_id)

    def sla(self, lead_id: str) -> str:
        return _join("officers", "sla", lead_id)

    def tasks_seen(self, officer_id: str) -> str:
        """A set: the officer's tasks already announced, or there at linking."""
        return _join("officers", "tasks_seen", officer_id)

    def digest_sent(self, day: date) -> str:
        """A set of the officers whose digest of the day's tasks went out that day."""
        return _join("officers", "digest_sent", day.isoformat())

    def borrower_kind(self, loan_id: str) -> str:
        return _join("officers", "borrower_kind", loan_id)

    def transitions(self, lead_id: str) -> str:
        """The lead's status changes, by event id."""
        return _join("officers", "transitions", lead_id)


@dataclass(frozen=True)
class LeadKeys:
    """The lead outbox: who submitted what, and the bank's availability for leads."""

    bank_down: str = "bot:leads:bank-down"  # set while deliveries meet BankUnavailable
    probe: str = "bot:leads:probe"

    def submitted(self, idempotency_key: Segment) -> str:
        return _join("bot", "leads", "key", idempotency_key)

    def consent_recorded(self, idempotency_key: Segment) -> str:
        return _join("bot", "leads", "key", "consent", idempotency_key)

    def owner(self, lead_id: str) -> str:
        return _join("bot", "leads", "owner", lead_id)

    def user(self, user_id: int) -> str:
        """The set of the user's lead keys (what /forget removes)."""
        return _join("bot", "leads", "user", _user(user_id))

    def phone(self, user_id: int) -> str:
        return _join("bot", "leads", "user", _user(user_id), "phone")


@dataclass(frozen=True)
class ReferenceKeys:
    """Reference data served stale-while-revalidate."""

    copy: str = "bot:reference:copy"
    refreshing: str = "bot:reference:refreshing"


@dataclass(frozen=True)
class BankFeedKeys:
    """The one reader of the bank's event feed, its subscribers' parked events, pushes."""

    cursor: str = "bank_feed:cursor"
    legacy_cursor: str = "reminders:events:cursor"  # where the payout notices' reader got to
    lock: str = "bank_feed:lock"
    pending: str = "bank_feed:pending"
    wake: str = "bank_feed:wake"

    def dead(self, subscriber: str) -> str:
        return _join("bank_feed", "dead", subscriber)

    def parked(self, subscriber: str) -> str:
        return _join("bank_feed", "parked", subscriber)

    def retry(self, subscriber: str) -> str:
        return _join("bank_feed", "retry", subscriber)

    def push_delivery(self, delivery_id: str) -> str:
        return _join("bank", "delivery", delivery_id)


@dataclass(frozen=True)
class SmsKeys:
    """Inbound texts already taken, by the gateway's message id."""

    def seen(self, message_id: str) -> str:
        return _join("sms", "seen", message_id)


@dataclass(frozen=True)
class ReminderKeys:
    """Reminders: the due index per priority, each loan's members, muted chats."""

    muted: str = "reminders:muted"
    legacy_jobs: str = "reminders:jobs"  # where due reminders waited before the pipeline

    def due(self, priority: ReminderPriority) -> str:
        return _join("reminders", "due", int(priority))

    def loan(self, loan_id: str) -> str:
        return _join("reminders", "loan", loan_id)


@dataclass(frozen=True)
class LaterKeys:
    """The store "remind me later" had before the pipeline (adopted once, then empty)."""

    legacy_due: str = "merchants:later"
    legacy_payload: str = "merchants:later:payload"


@dataclass(frozen=True)
class DemoKeys:
    def alive(self, token: Segment) -> str:
        """Set at start: gone means another demo emptied the database."""
        return _join("demo", "alive", token)


@dataclass(frozen=True)
class CommitteeKeys:
    """The credit committee's SLA timers: a sorted set of cases by due time, and each timer."""

    sla_due: str = "cases:sla"

    def sla(self, case_id: str) -> str:
        return _join("cases", "sla", case_id)


@dataclass(frozen=True)
class WorksheetKeys:
    """Worksheets in progress, one per officer and lead, until saved at the bank."""

    def draft(self, officer_id: Segment, lead_id: Segment) -> str:
        return _join("worksheets", "draft", officer_id, lead_id)


UPDATE_GATE = UpdateGateKeys()
UPDATES = StreamKeys(stream="bot:updates", dead="bot:updates:dead", group="handlers")
SMS_INBOX = StreamKeys(stream="sms:inbound", dead="sms:inbound:dead", group="sms-handlers")
LEAD_OUTBOX = StreamKeys(stream="bot:leads:outbox", dead="bot:leads:dead", group="lead-delivery")
OUTBOUND = OutboundKeys()
SENDER = SenderKeys()
MONEY = MoneyKeys()
ACCOUNTS = AccountKeys()
OFFICERS = OfficerKeys()
COMMITTEE = CommitteeKeys()
LEADS = LeadKeys()
REFERENCE = ReferenceKeys()
BANK_FEED = BankFeedKeys()
SMS = SmsKeys()
REMINDERS = ReminderKeys()
LATER = LaterKeys()
DEMO = DemoKeys()
WORKSHEETS = WorksheetKeys()
