"""SQLite (stdlib, WAL) with one IMMEDIATE transaction per business operation."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from integrations.bank.sandbox.case_schema import CASE_SCHEMA

T = TypeVar("T")


class CommitThenRaise(Exception):
    """Raised by a unit of work whose writes must persist although it fails (a wrong code
    still counts as an attempt); the transaction commits and `error` is raised instead."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS territories (code TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS districts (
    code TEXT PRIMARY KEY, name TEXT NOT NULL, city TEXT NOT NULL, province TEXT NOT NULL,
    territory_code TEXT NOT NULL REFERENCES territories(code),
    latitude REAL NOT NULL, longitude REAL NOT NULL);
CREATE TABLE IF NOT EXISTS industry_teams (code TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS industries (
    code TEXT PRIMARY KEY, name TEXT NOT NULL,
    team_code TEXT NOT NULL REFERENCES industry_teams(code));
CREATE TABLE IF NOT EXISTS reference_names (
    kind TEXT NOT NULL, code TEXT NOT NULL, locale TEXT NOT NULL, name TEXT NOT NULL,
    PRIMARY KEY (kind, code, locale));
CREATE TABLE IF NOT EXISTS officers (
    id TEXT PRIMARY KEY, staff_code TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
    phone TEXT NOT NULL, role TEXT NOT NULL, territory_code TEXT NOT NULL,
    industry_team_code TEXT NOT NULL, on_duty INTEGER NOT NULL,
    supervisor_id TEXT REFERENCES officers(id));
CREATE TABLE IF NOT EXISTS customers (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, phone TEXT NOT NULL UNIQUE,
    district_code TEXT, industry_code TEXT, officer_id TEXT REFERENCES officers(id));
CREATE TABLE IF NOT EXISTS accounts (
    id TEXT PRIMARY KEY, number TEXT NOT NULL UNIQUE, customer_id TEXT REFERENCES customers(id),
    holder_name TEXT NOT NULL, type TEXT NOT NULL, currency TEXT NOT NULL,
    status TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS external_accounts (number TEXT PRIMARY KEY, holder_name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS payees (
    id TEXT PRIMARY KEY, customer_id TEXT NOT NULL REFERENCES customers(id),
    alias TEXT NOT NULL, account_number TEXT NOT NULL, UNIQUE (customer_id, alias));
CREATE TABLE IF NOT EXISTS billers (
    code TEXT PRIMARY KEY, name TEXT NOT NULL, bill_account_pattern TEXT NOT NULL,
    settlement_account_id TEXT NOT NULL REFERENCES accounts(id));
CREATE TABLE IF NOT EXISTS products (
    code TEXT PRIMARY KEY, name TEXT NOT NULL, min_amount_fen INTEGER NOT NULL,
    max_amount_fen INTEGER NOT NULL, min_term_months INTEGER NOT NULL,
    max_term_months INTEGER NOT NULL, annual_rate TEXT NOT NULL, allowed_methods TEXT NOT NULL,
    repayment TEXT NOT NULL DEFAULT '{}');
CREATE TABLE IF NOT EXISTS journal_entries (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, posted_at TEXT NOT NULL,
    limited_customer_id TEXT, limited_amount_fen INTEGER NOT NULL DEFAULT 0,
    payee_number TEXT);
CREATE INDEX IF NOT EXISTS entries_by_limited_customer
    ON journal_entries (limited_customer_id, posted_at);
CREATE INDEX IF NOT EXISTS entries_by_payee ON journal_entries (limited_customer_id, payee_number);
CREATE TABLE IF NOT EXISTS postings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    entry_id TEXT NOT NULL REFERENCES journal_entries(id),
    account_id TEXT NOT NULL REFERENCES accounts(id),
    amount_fen INTEGER NOT NULL, balance_after_fen INTEGER NOT NULL,
    kind TEXT NOT NULL, description TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS postings_by_account ON postings (account_id, id);
CREATE TABLE IF NOT EXISTS loans (
    id TEXT PRIMARY KEY, customer_id TEXT NOT NULL REFERENCES customers(id),
    officer_id TEXT REFERENCES officers(id), product_code TEXT NOT NULL,
    principal_fen INTEGER NOT NULL, annual_rate TEXT NOT NULL, method TEXT NOT NULL,
    term_months INTEGER NOT NULL, disbursed_on TEXT NOT NULL, status TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    ledger_account_id TEXT NOT NULL REFERENCES accounts(id), lead_id TEXT);
CREATE TABLE IF NOT EXISTS installments (
    loan_id TEXT NOT NULL REFERENCES loans(id), number INTEGER NOT NULL,
    due_date TEXT NOT NULL, principal_fen INTEGER NOT NULL, interest_fen INTEGER NOT NULL,
    paid_principal_fen INTEGER NOT NULL DEFAULT 0, paid_interest_fen INTEGER NOT NULL DEFAULT 0,
    due_notice_sent INTEGER NOT NULL DEFAULT 0, overdue_notice_sent INTEGER NOT NULL DEFAULT 0,
    penalty_fen INTEGER NOT NULL DEFAULT 0, penalty_from TEXT,
    PRIMARY KEY (loan_id, number));
CREATE TABLE IF NOT EXISTS leads (
    id TEXT PRIMARY KEY, status TEXT NOT NULL, submitted_at TEXT NOT NULL,
    applicant_name TEXT NOT NULL, phone TEXT NOT NULL, customer_id TEXT,
    district_code TEXT NOT NULL, territory_code TEXT NOT NULL, industry_code TEXT NOT NULL,
    amount_fen INTEGER NOT NULL, term_months INTEGER NOT NULL, method TEXT NOT NULL,
    purpose TEXT NOT NULL, referral_code TEXT, score INTEGER, flags TEXT NOT NULL,
    details TEXT NOT NULL, officer_id TEXT, co_officer_id TEXT, claimed_at TEXT,
    visit_at TEXT);
CREATE INDEX IF NOT EXISTS leads_by_officer ON leads (officer_id);
CREATE INDEX IF NOT EXISTS leads_by_co_officer ON leads (co_officer_id);
CREATE TABLE IF NOT EXISTS lead_passes (
    lead_id TEXT NOT NULL REFERENCES leads(id), officer_id TEXT NOT NULL,
    reason TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS lead_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, lead_id TEXT NOT NULL REFERENCES leads(id),
    at TEXT NOT NULL, kind TEXT NOT NULL, actor_id TEXT, status TEXT NOT NULL,
    officer_id TEXT, note TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tasks (
    id TEXT PRIMARY KEY, officer_id TEXT NOT NULL, kind TEXT NOT NULL,
    loan_id TEXT NOT NULL, customer_id TEXT NOT NULL, due_on TEXT NOT NULL,
    status TEXT NOT NULL, note TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS bank_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, type TEXT NOT NULL, at TEXT NOT NULL,
    body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY, request_hash TEXT NOT NULL, response TEXT NOT NULL,
    created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS payment_outcomes (
    key TEXT PRIMARY KEY, refusal TEXT, closed INTEGER NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS code_challenges (
    id TEXT PRIMARY KEY, subject TEXT NOT NULL, phone TEXT NOT NULL,
    code_hash TEXT NOT NULL, bound_to TEXT NOT NULL, expires_at TEXT NOT NULL,
    state TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS code_failures (
    subject TEXT PRIMARY KEY, failures INTEGER NOT NULL, blocked_until TEXT);
CREATE TABLE IF NOT EXISTS bindings (
    chat_user_id INTEGER PRIMARY KEY, role TEXT NOT NULL, customer_id TEXT,
    officer_id TEXT, bound_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS consents (
    id TEXT PRIMARY KEY, phone TEXT NOT NULL, purposes TEXT NOT NULL,
    text_version TEXT NOT NULL, chat_user_id INTEGER, recorded_at TEXT NOT NULL);
"""


def connect(path: str) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL, foreign keys on."""
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.row_factory = sqlite3.Row
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA foreign_keys=ON")
    connection.execute("PRAGMA busy_timeout=5000")
    connection.executescript(SCHEMA)
    connection.executescript(CASE_SCHEMA)
    _add_new_columns(connection)
    return connection


_NEW_COLUMNS = (  # columns added since the first schema, for database files made before
    ("products", "repayment", "TEXT NOT NULL DEFAULT '{}'"),
    ("installments", "penalty_fen", "INTEGER NOT NULL DEFAULT 0"),
    ("installments", "penalty_from", "TEXT"),
    ("documents", "file_name", "TEXT NOT NULL DEFAULT ''"),
    ("documents", "distance_m", "INTEGER"),
)


def _add_new_columns(connection: sqlite3.Connection) -> None:
    for table, column, declaration in _NEW_COLUMNS:
        names = {row["name"] for row in connection.execute(f"PRAGMA table_info({table})")}
        if column not in names:
            connection.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")


class Database:
    """One connection; each unit of work runs alone in a BEGIN IMMEDIATE transaction.

    The thread lock serialises work inside this process; IMMEDIATE makes other processes on
    the same file wait for the write lock instead of failing half-way.
    """

    def __init__(self, path: str) -> None:
        self._connection = connect(path)
        self._lock = threading.Lock()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sandbox-db")

    def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock:
            self._connection.execute("BEGIN IMMEDIATE")
            try:
                result = work(self._connection)
            except CommitThenRaise as outcome:
                self._connection.execute("COMMIT")
                raise outcome.error from None
            except BaseException:
                self._connection.execute("ROLLBACK")
                raise
            self._connection.execute("COMMIT")
            return result

    async def transaction(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run in the one database thread: waiting callers queue in their event loops
        instead of crowding a thread pool around the lock."""
        return await asyncio.get_running_loop().run_in_executor(self._worker, self.run, work)

    def close(self) -> None:
        self._worker.shutdown(wait=True)
        with self._lock:
            self._connection.close()


def next_value(connection: sqlite3.Connection, counter: str) -> int:
    row = connection.execute(
        "INSERT INTO counters (name, value) VALUES (?, 1) "
        "ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value",
        (counter,),
    ).fetchone()
    return int(row[0])


def next_id(connection: sqlite3.Connection, prefix: str) -> str:
    """Sequential readable ids per prefix: 'LD000001', 'LD000002', ..."""
    return f"{prefix}{next_value(connection, prefix):06d}"


def fetch_one(
    connection: sqlite3.Connection, sql: str, parameters: tuple[object, ...] = ()
) -> sqlite3.Row | None:
    row: sqlite3.Row | None = connection.execute(sql, parameters).fetchone()
    return row
