"""Redis keys are defined once (bot/redis_keys.py): no two families can make the same key,
and no key is spelt anywhere else in the bot."""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import enum
import inspect
import itertools
import re
import typing
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from aiogram.fsm.storage.base import StorageKey
from hypothesis import given
from hypothesis import strategies as st
from redis.crc import key_slot

from bot import redis_keys
from bot.domain.reminders import Priority as ReminderPriority
from bot.services.outbound import Priority

CLUSTER = redis_keys.cluster_layout()  # how the test run started (make test-cluster: on)


@contextlib.contextmanager
def layout(*, cluster: bool) -> Iterator[None]:
    """The keys as one Redis (the families below are checked in that layout) or a cluster
    has them, whichever layout the run uses."""
    redis_keys.use_cluster_layout(cluster)
    try:
        yield
    finally:
        redis_keys.use_cluster_layout(CLUSTER)


ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("bot", "handlers", "integrations")
NOT_SCANNED = (ROOT / "integrations/bank/sandbox", ROOT / "bot/redis_keys.py")  # SQLite; itself

# What a part of a key can be: a fixed text, a whole number, or any text (":" included
# unless the argument is a `Segment`), which the pattern spells as ONE followed by MORE.
ONE, MORE, INT = "<one segment>", "<more segments>", "<int>"


@dataclasses.dataclass(frozen=True)
class Family:
    name: str
    pattern: tuple[str, ...]  # fixed segments and ONE / MORE / INT
    # variants of one family (aiogram's key with or without a thread) share a name


class Markers:
    """Arguments that can be told apart in the key they end up in."""

    def __init__(self) -> None:
        self.ints: set[str] = set()
        self.texts: set[str] = set()
        self.segments: set[str] = set()
        self._count = itertools.count(900_000_001)

    def int_(self) -> int:
        value = next(self._count)
        self.ints.add(str(value))
        return value

    def day(self) -> date:
        value = date(1999, 12, 31)
        self.segments.add(value.isoformat())
        return value

    def text(self, *, segment: bool) -> str:
        value = f"\x00{next(self._count)}\x00"
        (self.segments if segment else self.texts).add(value)
        return value

    def pattern(self, key: str) -> tuple[str, ...]:
        parts: list[str] = []
        for part in key.split(":"):
            if any(marker in part for marker in self.texts):
                parts += [ONE, MORE]
            elif part in self.ints:
                parts.append(INT)
            elif any(marker in part for marker in self.segments | self.ints):
                parts.append(ONE)
            else:
                parts.append(part)
        return tuple(parts)


def _arguments(method: typing.Any, markers: Markers) -> Iterator[list[object]]:
    """Marker arguments for each parameter; every member for an enum."""
    hints = typing.get_type_hints(method, include_extras=True)
    choices: list[list[object]] = []
    for name in inspect.signature(method).parameters:
        hint = hints[name]
        if hint is int:
            choices.append([markers.int_()])
        elif hint is date:
            choices.append([markers.day()])
        elif isinstance(hint, type) and issubclass(hint, enum.Enum):
            choices.append(list(hint))
        elif hint is str or typing.get_origin(hint) is typing.Annotated:
            choices.append([markers.text(segment=hint is redis_keys.Segment)])
        else:
            raise AssertionError(f"{method.__qualname__}: no marker for {name}: {hint}")
    yield from (list(values) for values in itertools.product(*choices))


def families() -> list[Family]:
    """Every key the module can make, as a pattern, found by calling it with markers."""
    with layout(cluster=False):
        return _families()


def _families() -> list[Family]:
    markers = Markers()
    found: list[Family] = []
    for owner_name, owner in vars(redis_keys).items():
        if not dataclasses.is_dataclass(owner) or isinstance(owner, type):
            continue
        for field in dataclasses.fields(owner):
            if field.metadata.get("redis_key", True):
                name = f"{owner_name}.{field.name}"
                found.append(Family(name, markers.pattern(getattr(owner, field.name))))
        for property_name, member in inspect.getmembers(type(owner)):
            if isinstance(member, property):
                key = getattr(owner, property_name)
                found.append(Family(f"{owner_name}.{property_name}", markers.pattern(key)))
        for method_name, method in inspect.getmembers(owner, inspect.ismethod):
            if not method_name.startswith("_"):
                for arguments in _arguments(method, markers):
                    key = method(*arguments)
                    members = [a.name for a in arguments if isinstance(a, enum.Enum)]
                    name = f"{owner_name}.{method_name}{members or ''}"
                    found.append(Family(name, markers.pattern(key)))
    for index in (markers.int_(),):
        partition = redis_keys.update_partition(index)
        for name, key in (("stream", partition.stream), ("dead", partition.dead)):
            found.append(Family(f"update partition {name}", markers.pattern(key)))
    builder = redis_keys.conversation_key_builder()
    parts: tuple[typing.Literal["state", "data", "lock"], ...] = ("state", "data", "lock")
    for part, thread, business in itertools.product(
        parts, (None, markers.int_()), (None, markers.text(segment=False))
    ):
        key = StorageKey(
            bot_id=markers.int_(),
            chat_id=markers.int_(),
            user_id=markers.int_(),
            thread_id=thread,
            business_connection_id=business,
            destiny=markers.text(segment=False),
        )
        found.append(Family(f"conversation {part}", markers.pattern(builder.build(key, part))))
    return found


def _single(a: str, b: str) -> bool:
    """Can one segment match both?"""
    if ONE in (a, b):
        return True
    if INT in (a, b):
        other = b if a == INT else a
        return other == INT or re.fullmatch(r"-?\d+", other) is not None
    return a == b


def overlap(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Is there a key both patterns make? (MORE: zero or more segments of anything)"""
    reached = {(0, 0)}
    frontier = [(0, 0)]
    while frontier:
        i, j = frontier.pop()
        if (i, j) == (len(a), len(b)):
            return True
        steps = []
        if i < len(a) and a[i] == MORE:
            steps += [(i + 1, j)] + ([(i, j + 1)] if j < len(b) else [])
        if j < len(b) and b[j] == MORE:
            steps += [(i, j + 1)] + ([(i + 1, j)] if i < len(a) else [])
        if i < len(a) and j < len(b) and MORE not in (a[i], b[j]) and _single(a[i], b[j]):
            steps.append((i + 1, j + 1))
        for step in steps:
            if step not in reached:
                reached.add(step)
                frontier.append(step)
    return False


def test_the_overlap_check_tells_apart_what_it_must() -> None:
    assert overlap(("a", ONE, MORE), ("a", "b", "c"))
    assert overlap(("a", INT), ("a", "12"))
    assert not overlap(("a", INT), ("a", "b"))
    assert not overlap(("a", ONE), ("a", ONE, "phone"))
    assert overlap(("a", ONE, MORE), ("a", "consent", ONE, MORE))
    assert not overlap(("a", "b"), ("a", "b", "c"))


def test_no_two_key_families_can_make_the_same_key() -> None:
    found = families()
    assert len(found) > 60
    clashes = [
        f"{one.name} {':'.join(one.pattern)} ~ {other.name} {':'.join(other.pattern)}"
        for one, other in itertools.combinations(found, 2)
        if one.name != other.name and overlap(one.pattern, other.pattern)
    ]
    assert clashes == []


@layout(cluster=False)
def test_the_keys_are_the_ones_a_running_redis_already_holds() -> None:
    builder = redis_keys.conversation_key_builder()
    conversation = StorageKey(bot_id=1, chat_id=2, user_id=3)
    assert builder.build(conversation, "state") == "fsm:2:3:default:state"
    assert redis_keys.UPDATE_GATE.locale(7) == "fsm:locale:7"
    assert redis_keys.SENDER.record("lead:9:received") == "outbound:record:lead:9:received"
    assert redis_keys.MONEY.chat_origin(5) == "money:chat:5"
    assert redis_keys.LEADS.phone(4) == "bot:leads:user:4:phone"
    assert redis_keys.UPDATE_GATE.dedupe(42, 8, 3) == "fsm:update:42:8"
    assert redis_keys.update_partition(0).stream == "bot:updates"
    assert redis_keys.OUTBOUND.queue(Priority.BULK) == "outbound-bulk"


# Outside the keys module, a string that starts with one of its namespaces and a colon, or
# any "word:" string handed straight to a Redis client or pipeline, is a key spelt twice
# ("word: text", as in a log message, is not a key).
REDIS_RECEIVER = re.compile(r"(^|\.|_)(redis|pipe)$")
KEY_HEAD = re.compile(r"^([a-z][a-z_-]*):(?!\s)")


def _namespaces() -> set[str]:
    return {family.pattern[0] for family in families()}


def _head(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values:
        first = node.values[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value
    return None


def _receiver(call: ast.Call) -> str:
    return ast.unparse(call.func.value) if isinstance(call.func, ast.Attribute) else ""


def _not_on_their_own(tree: ast.AST) -> set[int]:
    """Docstrings, and the parts of f-strings (the f-string is looked at as a whole)."""
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    parts = {
        id(part)
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr)
        for part in node.values
    }
    return docstrings | parts


def key_literals(source: str, where: str, namespaces: set[str]) -> Iterator[str]:
    tree = ast.parse(source)
    skipped = _not_on_their_own(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.expr):
            continue
        if isinstance(node, ast.Call) and REDIS_RECEIVER.search(_receiver(node)):
            for argument in [*node.args, *(keyword.value for keyword in node.keywords)]:
                head = _head(argument)
                if head is not None and KEY_HEAD.match(head):
                    yield f"{where}:{node.lineno}: {head!r} passed to Redis"
        head = _head(node) if id(node) not in skipped else None
        match = KEY_HEAD.match(head) if head is not None else None
        if match and match[1] in namespaces:
            yield f"{where}:{node.lineno}: {head!r} looks like a Redis key"


def test_no_redis_key_is_spelt_outside_the_keys_module() -> None:
    namespaces = _namespaces()
    files = [
        path
        for folder in SCANNED
        for path in sorted((ROOT / folder).rglob("*.py"))
        if not any(path.is_relative_to(skipped) for skipped in NOT_SCANNED)
    ]
    assert len(files) > 50
    found = {
        line
        for path in files
        for line in key_literals(path.read_text("utf-8"), str(path.relative_to(ROOT)), namespaces)
    }
    assert sorted(found) == []


def test_the_scan_finds_a_key_spelt_by_hand() -> None:
    source = (
        '"""money:pending is documented here."""\n'
        'log.info("officers: %s", 1)\n'
        'KEY = f"officers:cards:{lead_id}"\n'
        'self.redis.get("anything:new")\n'
        'pipe.hset(f"brand:{x}", "a", 1)\n'
        'outbox.withdraw(f"later:{user_id}:")\n'
        'CallbackData(prefix="ol"), f"ol:{lead_id}"\n'
    )
    found = sorted(key_literals(source, "m.py", _namespaces()))
    assert found == [
        "m.py:3: 'officers:cards:' looks like a Redis key",
        "m.py:4: 'anything:new' passed to Redis",
        "m.py:5: 'brand:' passed to Redis",
    ]


def cluster_layout() -> contextlib.AbstractContextManager[None]:
    return layout(cluster=True)


def _slots(*keys: str) -> set[int]:
    return {key_slot(key.encode()) for key in keys}


@given(
    user_id=st.integers(1, 2**40),
    chat_id=st.integers(-(2**45), 2**40),
    update_id=st.integers(0, 2**31),
)
def test_on_a_cluster_every_key_of_one_update_shares_its_users_slot(
    user_id: int, chat_id: int, update_id: int
) -> None:
    with cluster_layout():
        builder = redis_keys.conversation_key_builder()
        conversation = StorageKey(bot_id=42, chat_id=chat_id, user_id=user_id)
        keys = [builder.build(conversation, part) for part in ("lock", "state", "data")]
        keys += [
            redis_keys.UPDATE_GATE.dedupe(42, update_id, user_id),
            redis_keys.UPDATE_GATE.locale(user_id),
        ]
    assert len(_slots(*keys)) == 1


def test_on_a_cluster_users_spread_over_the_slots() -> None:
    with cluster_layout():
        locales = [redis_keys.UPDATE_GATE.locale(user_id) for user_id in range(5001, 6001)]
    assert len(_slots(*locales)) > 900


def test_on_a_cluster_what_one_script_or_transaction_touches_shares_a_slot() -> None:
    with cluster_layout():
        groups = {
            "send a message": [
                redis_keys.SENDER.rate_global,
                redis_keys.SENDER.rate_chat(5001),
                redis_keys.SENDER.record("lead:9:received"),
                redis_keys.SENDER.legacy_sent("lead:9:received"),
                redis_keys.SENDER.claim("lead:9:received"),
                redis_keys.SENDER.revision("card:9"),
                redis_keys.SENDER.dead,
            ],
            "schedule a message": [redis_keys.OUTBOUND.due, redis_keys.OUTBOUND.due_payload],
            "money in doubt": [
                redis_keys.MONEY.pending("CU1"),
                redis_keys.MONEY.done("CU1"),
                redis_keys.MONEY.in_doubt,
                redis_keys.MONEY.chat_origin(5001),
                redis_keys.MONEY.phone_origin("+8613900000011"),
            ],
            "link a chat": [redis_keys.ACCOUNTS.reader("CU1"), redis_keys.ACCOUNTS.customer_of(5)],
            "submit a lead": [
                redis_keys.LEADS.submitted("k1"),
                redis_keys.LEAD_OUTBOX.stream,
                redis_keys.LEAD_OUTBOX.dead,
                redis_keys.LEADS.user(5001),
                redis_keys.LEADS.phone(5001),
                redis_keys.LEADS.bank_down,
            ],
            "reindex a loan": [
                *(redis_keys.REMINDERS.due(priority) for priority in ReminderPriority),
                redis_keys.REMINDERS.loan("LN1"),
            ],
            "an SLA timer": [redis_keys.OFFICERS.sla("LD1"), redis_keys.OFFICERS.sla_due],
            "a committee timer": [redis_keys.COMMITTEE.sla("CS1"), redis_keys.COMMITTEE.sla_due],
            "a parked event": [
                redis_keys.BANK_FEED.parked("notices"),
                redis_keys.BANK_FEED.retry("notices"),
                redis_keys.BANK_FEED.dead("notices"),
            ],
            "a partition": [
                redis_keys.update_partition(3).stream,
                redis_keys.update_partition(3).dead,
            ],
        }
        queue = redis_keys.OUTBOUND.queue(Priority.BULK)
        job_key = redis_keys.saq_job_key(queue, "reminder:LN1:1")
        groups["a saq job"] = [
            f"saq:{queue}:incomplete",
            f"saq:job:{queue}:{job_key}",
            f"saq:abort:{job_key}",
        ]
    assert {name: len(_slots(*keys)) for name, keys in groups.items()} == dict.fromkeys(groups, 1)


def test_on_a_cluster_every_key_is_behind_a_hash_tag() -> None:
    with cluster_layout():
        found = _families()
    untagged = [family.name for family in found if not family.pattern[0].startswith("{")]
    assert len(found) > 60
    assert untagged == []


def test_on_a_cluster_a_key_is_the_single_redis_key_behind_its_tag() -> None:
    with layout(cluster=False):
        single = redis_keys.SENDER.record("lead:9:received")
    with cluster_layout():
        tagged = redis_keys.SENDER.record("lead:9:received")
        partitions = {redis_keys.update_partition(index).stream for index in range(8)}
    assert tagged == "{outbound}:" + single
    assert len(_slots(*partitions)) == 8
