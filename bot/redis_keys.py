"""Every Redis key the bot uses, defined once, grouped by the part of the bot that owns it.

Modules build keys only through this one: each owner is a frozen dataclass whose fields are
its fixed keys and whose methods build a family of keys from typed arguments. The strings
are the ones the bot has always written, so what a running Redis holds is still found
(`tests/test_redis_keys.py` checks that no two families can make the same key, and that
no key is spelt anywhere else). saq's own keys (`saq:<queue>:...`) are saq's; the names of
the queues we give it are here. The idempotency keys of outgoing messages ("lead:...",
"card:...") are the producers' names for their messages: the Sender's record keys and saq's
job keys take them as an opaque argument.

On Redis Cluster every key that one script or transaction touches must be in one hash
slot. In the cluster layout (`use_cluster_layout`, chosen by the factory when the bot talks
to a cluster) every key is the single-Redis key behind a hash tag, `{tag}:key`, so one
Redis keeps the very bytes it always had. The tag is the user's (`{u:<bucket>}`, `_user_tag`)
for what the update gate's scripts touch together (lock, in-progress mark, state, data,
language), so each update's keys are in its user's slot and users spread over the shards;
it is the owner's (`{outbound}`, `{money}`, `{leads}`...) where one script or transaction
spans several users or customers (a global rate limit with a chat's, a customer's pending
operation with the index of those in doubt), and each partition's (`{updates:<n>}`) for the
partitioned update stream. saq's queues take the tag in their names (`saq_queue_name`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Annotated, Literal

from aiogram.fsm.storage.base import DefaultKeyBuilder, StorageKey

from bot.domain.reminders import Priority as ReminderPriority
from bot.services.outbound import Priority

# An argument known to hold no ':' (an id we make ourselves): one segment of its key.
Segment = Annotated[str, "segment"]

_CONVERSATION_PREFIX = "fsm"


class _Layout:
    cluster = False


_LAYOUT = _Layout()


def use_cluster_layout(enabled: bool) -> None:
    """Keys behind hash tags (Redis Cluster) or as they are (one Redis), for this process."""
    _LAYOUT.cluster = enabled


def cluster_layout() -> bool:
    return _LAYOUT.cluster


def _join(*parts: str | int) -> str:
    return ":".join(str(part) for part in parts)


def _tagged(tag: str, key: str) -> str:
    """The key as it is, or behind its hash tag in the cluster layout."""
    return f"{{{tag}}}:{key}" if _LAYOUT.cluster else key


def _user(user_id: int) -> str:
    """A Telegram user's or chat's id in a key."""
    return str(user_id)


USER_BUCKETS = 16384  # as many as a cluster has slots


def _user_tag(user_id: int) -> str:
    """The hash tag of the slot that holds what the update gate touches for one user: the
    user's bucket, so that a mark that outlives the conversation (the update's done mark)
    does not name the user (times an odd number, modulo a power of two: every bucket is
    used, and a bucket is not the id)."""
    return f"u:{user_id * 40503 % USER_BUCKETS}"


def _customer(customer_id: str) -> str:
    """A bank customer's id in a key."""
    return customer_id


class ConversationKeyBuilder(DefaultKeyBuilder):
    """aiogram's keys, behind the user's hash tag in the cluster layout."""

    def build(self, key: StorageKey, part: Literal["data", "state", "lock"] | None = None) -> str:
        return _tagged(_user_tag(key.user_id), super().build(key, part))


def conversation_key_builder() -> DefaultKeyBuilder:
    """aiogram's keys of a conversation: fsm:<chat>[:<thread>]:<user>:<destiny>:<part>, the
    part being state, data or lock."""
    return ConversationKeyBuilder(prefix=_CONVERSATION_PREFIX, with_destiny=True)


def saq_queue_name(name: str) -> str:
    """A saq queue's name: saq puts it in every key of the queue (saq:<name>:...,
    saq:job:<name>:...), so in the cluster layout a tag in it keeps the queue in one slot."""
    return f"{{{name}}}" if _LAYOUT.cluster else name


def saq_job_key(queue_name: str, message_key: str) -> str:
    """The key of a saq job: saq's abort key (saq:abort:<job key>) is touched with the
    queue's keys, so in the cluster layout the job key starts with the queue's tag."""
    return f"{queue_name}{message_key}" if _LAYOUT.cluster else message_key


@dataclass(frozen=True)
class UpdateGateKeys:
    """The update gate (bot/state.py) and the language a user chose."""

    def dedupe(self, bot_id: int, update_id: int, slot_owner: int) -> str:
        """An update's in-progress or done mark, in the slot of `slot_owner`: the update's
        user (its script touches the mark with the user's keys), or for an update without
        a user its own id."""
        return _tagged(
            _user_tag(slot_owner), _join(_CONVERSATION_PREFIX, "update", bot_id, update_id)
        )

    def locale(self, user_id: int) -> str:
        return _tagged(_user_tag(user_id), _join(_CONVERSATION_PREFIX, "locale", _user(user_id)))


@dataclass(frozen=True)
class StreamKeys:
    """A Redis Stream consumed by a group, and where entries that keep failing go."""

    name: str = field(metadata={"redis_key": False})  # the stream's key on one Redis
    dead_name: str = field(metadata={"redis_key": False})
    group: str = field(metadata={"redis_key": False})  # a consumer group's name, not a key
    tag: str = field(metadata={"redis_key": False})  # the stream's hash tag on a cluster

    @property
    def stream(self) -> str:
        return _tagged(self.tag, self.name)

    @property
    def dead(self) -> str:
        return _tagged(self.tag, self.dead_name)


UPDATES = StreamKeys(
    name="bot:updates", dead_name="bot:updates:dead", group="handlers", tag="updates:0"
)


def update_partition(index: int) -> StreamKeys:
    """One of the partitions of the incoming updates' stream: the first is the stream the
    bot had before partitions (so a one-partition bot reads what it always had)."""
    if index == 0:
        return UPDATES
    name = _join("bot", "updates", index)
    return replace(UPDATES, name=name, dead_name=_join(name, "dead"), tag=f"updates:{index}")


_OUTBOUND = "outbound"


@dataclass(frozen=True)
class OutboundKeys:
    """The outbound pipeline: saq's queues, one per Priority, and what is not due yet."""

    @property
    def due(self) -> str:
        return _tagged(_OUTBOUND, "outbound:due")

    @property
    def due_payload(self) -> str:
        return _tagged(_OUTBOUND, "outbound:due:payload")

    @property
    def sweep_lock(self) -> str:
        return _tagged(_OUTBOUND, "outbound:sweep:lock")

    def queue(self, priority: Priority) -> str:
        """The saq queue's name (saq keeps it under saq:<name>:...)."""
        return saq_queue_name(f"outbound-{priority.name.lower()}")


@dataclass(frozen=True)
class SenderKeys:
    """What every process shares about sending: the schedule, records, dead letters. One
    slot on a cluster: a send's scripts touch the global schedule with a chat's, and an
    edit's the records of two messages."""

    @property
    def dead(self) -> str:
        return _tagged(_OUTBOUND, "outbound:dead")

    @property
    def rate_global(self) -> str:
        return _tagged(_OUTBOUND, "send:rate:global")

    def rate_chat(self, chat_id: int) -> str:
        return _tagged(_OUTBOUND, _join("send", "rate", "chat", _user(chat_id)))

    def record(self, message_key: str) -> str:
        return _tagged(_OUTBOUND, _join("outbound", "record", message_key))

    def claim(self, message_key: str) -> str:
        return _tagged(_OUTBOUND, _join("outbound", "claim", message_key))

    def revision(self, message_key: str) -> str:
        """The latest revision of a message that edits applied."""
        return _tagged(_OUTBOUND, _join("outbound", "revision", message_key))

    def legacy_sent(self, message_key: str) -> str:
        """Where the Sender before the pipeline marked what it sent; read until those marks
        expire (90 days after the upgrade), so that nothing sent then is sent again."""
        return _tagged(_OUTBOUND, _join("send", "done", message_key))


_MONEY = "money"


@dataclass(frozen=True)
class MoneyKeys:
    """Money commands, per customer so the chat and SMS share them. One slot on a cluster:
    a customer's pending operation is written with the index of those in doubt."""

    @property
    def in_doubt(self) -> str:
        return _tagged(_MONEY, "money:in_doubt")

    def pending(self, customer_id: str) -> str:
        return _tagged(_MONEY, _join("money", "pending", _customer(customer_id)))

    def done(self, customer_id: str) -> str:
        return _tagged(_MONEY, _join("money", "done", _customer(customer_id)))

    def lockout(self, customer_id: str) -> str:
        return _tagged(_MONEY, _join("money", "lockout", _customer(customer_id)))

    def locale(self, customer_id: str) -> str:
        return _tagged(_MONEY, _join("money", "locale", _customer(customer_id)))

    def lock(self, customer_id: str) -> str:
        return _tagged(_MONEY, _join("money", "lock", _customer(customer_id)))

    def prepayment_offer(self, customer_id: str) -> str:
        """The prepayment whose kind the customer is choosing."""
        return _tagged(_MONEY, _join("money", "offer", _customer(customer_id)))

    def chat_origin(self, chat_id: int) -> str:
        return _tagged(_MONEY, _join("money", "chat", _user(chat_id)))

    def phone_origin(self, phone: str) -> str:
        return _tagged(_MONEY, _join("money", "phone", phone))


_ACCOUNTS = "accounts"


@dataclass(frozen=True)
class AccountKeys:
    """Customer id <-> chat and the chat's language (written together: one slot)."""

    def reader(self, customer_id: str) -> str:
        return _tagged(_ACCOUNTS, _join("accounts", "reader", _customer(customer_id)))

    def customer_of(self, chat_id: int) -> str:
        return _tagged(_ACCOUNTS, _join("accounts", "customer_of", _user(chat_id)))


_OFFICERS = "officers"


@dataclass(frozen=True)
class OfficerKeys:
    """The officers' desk: staff, lead cards, SLA timers, borrowers' kinds, lead history."""

    @property
    def staff_ids(self) -> str:
        return _tagged(_OFFICERS, "officers:staff")

    @property
    def sla_due(self) -> str:
        return _tagged(_OFFICERS, "officers:sla")

    @property
    def routed_leads(self) -> str:
        """lead -> when it was last routed (or found no officer)"""
        return _tagged(_OFFICERS, "officers:routed")

    @property
    def history_adopted(self) -> str:
        return _tagged(_OFFICERS, "officers:history:adopted")

    def staff(self, officer_id: str) -> str:
        return _tagged(_OFFICERS, _join("officers", "staff", officer_id))

    def officer_of(self, chat_id: int) -> str:
        return _tagged(_OFFICERS, _join("officers", "chat", _user(chat_id)))

    def cards(self, lead_id: str) -> str:
        return _tagged(_OFFICERS, _join("officers", "cards", lead_id))

    def card_revisions(self, lead_id: str) -> str:
        """The last revision handed out to an edit of the lead's cards."""
        return _tagged(_OFFICERS, _join("officers", "card_revisions", lead_id))

    def sla(self, lead_id: str) -> str:
        return _tagged(_OFFICERS, _join("officers", "sla", lead_id))

    def tasks_seen(self, officer_id: str) -> str:
        """A set: the officer's tasks already announced, or there at linking."""
        return _tagged(_OFFICERS, _join("officers", "tasks_seen", officer_id))

    def digest_sent(self, day: date) -> str:
        """A set of the officers whose digest of the day's tasks went out that day."""
        return _tagged(_OFFICERS, _join("officers", "digest_sent", day.isoformat()))

    def borrower_kind(self, loan_id: str) -> str:
        return _tagged(_OFFICERS, _join("officers", "borrower_kind", loan_id))

    def transitions(self, lead_id: str) -> str:
        """The lead's status changes, by event id."""
        return _tagged(_OFFICERS, _join("officers", "transitions", lead_id))

    def lead_place(self, lead_id: str) -> str:
        """The lead's territory and district, for the supervisor's funnel."""
        return _tagged(_OFFICERS, _join("officers", "lead_place", lead_id))


_LEADS = "leads"


@dataclass(frozen=True)
class LeadKeys:
    """The lead outbox: who submitted what, and the bank's availability for leads (one
    slot with the outbox's stream on a cluster: a submission writes both)."""

    @property
    def bank_down(self) -> str:
        """set while deliveries meet BankUnavailable"""
        return _tagged(_LEADS, "bot:leads:bank-down")

    @property
    def probe(self) -> str:
        return _tagged(_LEADS, "bot:leads:probe")

    def submitted(self, idempotency_key: Segment) -> str:
        return _tagged(_LEADS, _join("bot", "leads", "key", idempotency_key))

    def consent_recorded(self, idempotency_key: Segment) -> str:
        return _tagged(_LEADS, _join("bot", "leads", "key", "consent", idempotency_key))

    def owner(self, lead_id: str) -> str:
        return _tagged(_LEADS, _join("bot", "leads", "owner", lead_id))

    def user(self, user_id: int) -> str:
        """The set of the user's lead keys (what /forget removes)."""
        return _tagged(_LEADS, _join("bot", "leads", "user", _user(user_id)))

    def phone(self, user_id: int) -> str:
        return _tagged(_LEADS, _join("bot", "leads", "user", _user(user_id), "phone"))


_REFERENCE = "reference"


@dataclass(frozen=True)
class ReferenceKeys:
    """Reference data served stale-while-revalidate."""

    @property
    def copy(self) -> str:
        return _tagged(_REFERENCE, "bot:reference:copy")

    @property
    def refreshing(self) -> str:
        return _tagged(_REFERENCE, "bot:reference:refreshing")


_BANK_FEED = "bank_feed"


@dataclass(frozen=True)
class BankFeedKeys:
    """The one reader of the bank's event feed, its subscribers' parked events, pushes."""

    @property
    def cursor(self) -> str:
        return _tagged(_BANK_FEED, "bank_feed:cursor")

    @property
    def legacy_cursor(self) -> str:
        """where the payout notices' reader got to"""
        return _tagged(_BANK_FEED, "reminders:events:cursor")

    @property
    def lock(self) -> str:
        return _tagged(_BANK_FEED, "bank_feed:lock")

    @property
    def pending(self) -> str:
        return _tagged(_BANK_FEED, "bank_feed:pending")

    @property
    def wake(self) -> str:
        return _tagged(_BANK_FEED, "bank_feed:wake")

    def dead(self, subscriber: str) -> str:
        return _tagged(_BANK_FEED, _join("bank_feed", "dead", subscriber))

    def parked(self, subscriber: str) -> str:
        return _tagged(_BANK_FEED, _join("bank_feed", "parked", subscriber))

    def retry(self, subscriber: str) -> str:
        return _tagged(_BANK_FEED, _join("bank_feed", "retry", subscriber))

    def push_delivery(self, delivery_id: str) -> str:
        return _tagged(_BANK_FEED, _join("bank", "delivery", delivery_id))


_SMS = "sms"


@dataclass(frozen=True)
class SmsKeys:
    """Inbound texts already taken, by the gateway's message id."""

    def seen(self, message_id: str) -> str:
        return _tagged(_SMS, _join("sms", "seen", message_id))


_REMINDERS = "reminders"


@dataclass(frozen=True)
class ReminderKeys:
    """Reminders: the due index per priority, each loan's members, muted chats (a loan's
    members are moved between the indexes in one transaction: one slot on a cluster)."""

    @property
    def muted(self) -> str:
        return _tagged(_REMINDERS, "reminders:muted")

    @property
    def legacy_jobs(self) -> str:
        """where due reminders waited before the pipeline"""
        return _tagged(_REMINDERS, "reminders:jobs")

    def due(self, priority: ReminderPriority) -> str:
        return _tagged(_REMINDERS, _join("reminders", "due", int(priority)))

    def loan(self, loan_id: str) -> str:
        return _tagged(_REMINDERS, _join("reminders", "loan", loan_id))


_LATER = "later"


@dataclass(frozen=True)
class LaterKeys:
    """The store "remind me later" had before the pipeline (adopted once, then empty)."""

    @property
    def legacy_due(self) -> str:
        return _tagged(_LATER, "merchants:later")

    @property
    def legacy_payload(self) -> str:
        return _tagged(_LATER, "merchants:later:payload")


@dataclass(frozen=True)
class DemoKeys:
    def alive(self, token: Segment) -> str:
        """Set at start: gone means another demo emptied the database."""
        return _tagged("demo", _join("demo", "alive", token))


_COMMITTEE = "committee"


@dataclass(frozen=True)
class CommitteeKeys:
    """The credit committee's SLA timers: a sorted set of cases by due time, and each timer
    (a timer is set with its place in the set in one transaction: one slot on a cluster)."""

    @property
    def sla_due(self) -> str:
        return _tagged(_COMMITTEE, "cases:sla")

    def sla(self, case_id: str) -> str:
        return _tagged(_COMMITTEE, _join("cases", "sla", case_id))


_WORKSHEETS = "worksheets"


@dataclass(frozen=True)
class WorksheetKeys:
    """Worksheets in progress, one per officer and lead, until saved at the bank."""

    def draft(self, officer_id: Segment, lead_id: Segment) -> str:
        return _tagged(_WORKSHEETS, _join("worksheets", "draft", officer_id, lead_id))


UPDATE_GATE = UpdateGateKeys()
SMS_INBOX = StreamKeys(
    name="sms:inbound", dead_name="sms:inbound:dead", group="sms-handlers", tag=_SMS
)
LEAD_OUTBOX = StreamKeys(
    name="bot:leads:outbox", dead_name="bot:leads:dead", group="lead-delivery", tag=_LEADS
)
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
