"""The HTTP adapter's own behaviour: retries only where repeating is safe, the circuit
breaker, timeouts, and problem+json mapped back to the typed errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from integrations.bank import errors
from integrations.bank.errors import BankUnavailable, Unauthorized, error_from_problem, problem_body
from integrations.bank.fieldwork_models import DocumentKind, DocumentUpload
from integrations.bank.http_adapter import HttpBankAdapter
from integrations.bank.models import LeadSubmission, RepaymentMethod, TransferRequest
from integrations.bank.resilience import BreakerState, CircuitBreaker, RetryPolicy
from integrations.bank.sandbox.seed import NEWCOMER_PHONE, PAYEE_ALIAS
from tests.support.photos import photo

from .support import TOKEN, ServerThread, ledger_problems, open_sandbox

FAST_RETRIES = RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.002)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
StubBank = Callable[[Handler], Awaitable[str]]


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def stub_bank() -> AsyncIterator[StubBank]:
    """A tiny stand-in server for one test: the handler answers every request."""
    servers: list[TestServer] = []

    async def start(handler: Handler) -> str:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handler)
        server = TestServer(app)
        await server.start_server()
        servers.append(server)
        return str(server.make_url("")).rstrip("/")

    yield start
    for server in servers:
        await server.close()


def failing_then(failures: int, calls: list[str], status: int = 503) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        calls.append(f"{request.method} {request.path}")
        if len(calls) <= failures:
            return web.Response(status=status, text="down")
        return web.json_response([])

    return handler


async def test_reads_are_retried_after_transient_failures(stub_bank: StubBank) -> None:
    calls: list[str] = []
    url = await stub_bank(failing_then(2, calls))
    async with HttpBankAdapter(url, TOKEN, retry=FAST_RETRIES) as adapter:
        products = await adapter.list_products()

    assert products == []
    assert calls == ["GET /v1/products"] * 3


async def test_writes_without_a_key_are_never_retried(stub_bank: StubBank) -> None:
    calls: list[str] = []
    url = await stub_bank(failing_then(1, calls))
    async with HttpBankAdapter(url, TOKEN, retry=FAST_RETRIES) as adapter:
        with pytest.raises(BankUnavailable):
            await adapter.claim_lead("LD000001", "OF000002")

    assert calls == ["POST /v1/leads/LD000001/claim"]


async def test_a_lost_answer_to_a_keyed_transfer_is_retried_and_posts_once(
    stub_bank: StubBank, tmp_path: Path
) -> None:
    """The bank posts the transfer but the answer is lost (502 from a proxy): the retry with
    the same key gets the same receipt and the money moves once."""
    sandbox, seeded, _clock, _sms = await open_sandbox(tmp_path / "bank.db")
    calls: list[str] = []
    with ServerThread(sandbox) as bank_server:
        proxy_url = await stub_bank(answer_lost_once(bank_server.url, calls))
        before = (await sandbox.list_accounts(seeded.merchant_id))[0].available_balance
        request = TransferRequest(
            customer_id=seeded.merchant_id, destination=PAYEE_ALIAS, amount=Decimal("10")
        )
        async with HttpBankAdapter(proxy_url, TOKEN, retry=FAST_RETRIES) as adapter:
            receipt = await adapter.transfer(request, idempotency_key="lost-answer")
        after = (await sandbox.list_accounts(seeded.merchant_id))[0].available_balance
    await sandbox.aclose()

    assert calls == ["POST /v1/transfers"] * 2
    assert after == before - Decimal("10") == receipt.balance_after
    assert ledger_problems(tmp_path / "bank.db") == []


def answer_lost_once(upstream: str, calls: list[str]) -> Handler:
    async def proxy(request: web.Request) -> web.Response:
        calls.append(f"{request.method} {request.path}")
        async with (
            aiohttp.ClientSession() as session,
            session.request(
                request.method, upstream + request.path_qs, headers=request.headers,
                data=await request.read(),
            ) as answer,
        ):  # fmt: skip
            body = await answer.read()
        if len(calls) == 1:
            return web.Response(status=502, text="bad gateway")
        return web.Response(status=answer.status, body=body, content_type=answer.content_type)

    return proxy


async def test_the_breaker_opens_then_lets_a_trial_through(stub_bank: StubBank) -> None:
    calls: list[str] = []
    monotonic = FakeMonotonic()
    breaker = CircuitBreaker(failure_threshold=3, reset_after=30, monotonic=monotonic)
    url = await stub_bank(failing_then(3, calls))
    async with HttpBankAdapter(url, TOKEN, retry=FAST_RETRIES, breaker=breaker) as adapter:
        with pytest.raises(BankUnavailable):
            await adapter.list_billers()  # three failed attempts open the circuit
        with pytest.raises(BankUnavailable, match="circuit open"):
            await adapter.list_billers()
        calls_while_open = len(calls)
        monotonic.now += 30
        billers = await adapter.list_billers()

    assert calls_while_open == 3 and billers == [] and len(calls) == 4
    assert breaker.state == BreakerState.CLOSED


def test_a_failed_trial_opens_the_breaker_again() -> None:
    monotonic = FakeMonotonic()
    breaker = CircuitBreaker(failure_threshold=2, reset_after=10, monotonic=monotonic)
    breaker.record_failure()
    breaker.record_failure()
    monotonic.now += 10
    after_cooling_down = breaker.state

    breaker.record_failure()

    assert (after_cooling_down, breaker.state) == (BreakerState.HALF_OPEN, BreakerState.OPEN)
    with pytest.raises(BankUnavailable):
        breaker.before_call()


async def test_a_slow_bank_times_out_as_unavailable(stub_bank: StubBank) -> None:
    async def slow(_request: web.Request) -> web.Response:
        await asyncio.sleep(1)
        return web.json_response([])

    url = await stub_bank(slow)
    timeout = aiohttp.ClientTimeout(total=0.05)
    async with HttpBankAdapter(url, TOKEN, timeout=timeout, retry=FAST_RETRIES) as adapter:
        with pytest.raises(BankUnavailable):
            await adapter.list_products()


async def test_an_unreachable_bank_is_unavailable() -> None:
    async with HttpBankAdapter("http://127.0.0.1:9", TOKEN, retry=FAST_RETRIES) as adapter:
        with pytest.raises(BankUnavailable):
            await adapter.list_products()


async def test_a_file_travels_raw_both_ways_with_its_fields_in_the_query(
    stub_bank: StubBank, tmp_path: Path
) -> None:
    """No base64: the upload's body is the file itself, and so is the answer to a read."""
    sandbox, *_ = await open_sandbox(tmp_path / "bank.db")
    lead = await sandbox.submit_lead(
        LeadSubmission(
            applicant_name="孙新", phone=NEWCOMER_PHONE, district_code="JINNIU",
            industry_code="retail", amount=Decimal(50000), term_months=12,
            method=RepaymentMethod.EQUAL_INSTALLMENT,
        ),
        idempotency_key="raw-file",
    )  # fmt: skip
    assert lead.officer_id is not None
    await sandbox.claim_lead(lead.id, lead.officer_id)
    content = photo(shade=9)
    seen: list[tuple[str, str, bytes, str]] = []
    with ServerThread(sandbox) as bank_server:
        url = await stub_bank(recording(bank_server.url, seen))
        async with HttpBankAdapter(url, TOKEN, retry=FAST_RETRIES) as adapter:
            upload = DocumentUpload(
                officer_id=lead.officer_id, kind=DocumentKind.STOCK, file_name="货架.jpg",
                content=content,
            )  # fmt: skip
            document = await adapter.upload_document(lead.id, upload)
            read = await adapter.read_document(document.id)
    await sandbox.aclose()

    (sent_query, sent_type, sent_body, _), (_, _, _, answer_type) = seen
    assert (sent_type, sent_body) == ("application/octet-stream", content)
    assert f"officer_id={lead.officer_id}" in sent_query and "kind=stock" in sent_query
    assert (document.kind, document.file_name, document.size) == ("stock", "货架.jpg", len(content))
    assert (read, answer_type) == (content, "application/octet-stream")


def recording(upstream: str, seen: list[tuple[str, str, bytes, str]]) -> Handler:
    """A proxy noting each request's query, content type and body, and the answer's type."""

    async def proxy(request: web.Request) -> web.Response:
        body = await request.read()
        async with (
            aiohttp.ClientSession() as session,
            session.request(
                request.method, upstream + request.path_qs, headers=request.headers, data=body
            ) as answer,
        ):
            answered = await answer.read()
        seen.append((request.query_string, request.content_type, body, answer.content_type))
        return web.Response(status=answer.status, body=answered, content_type=answer.content_type)

    return proxy


async def test_a_wrong_token_is_unauthorized(tmp_path: Path) -> None:
    sandbox, *_ = await open_sandbox(tmp_path / "bank.db")
    with ServerThread(sandbox) as server:
        async with HttpBankAdapter(server.url, "wrong", retry=FAST_RETRIES) as adapter:
            with pytest.raises(Unauthorized):
                await adapter.list_products()
    await sandbox.aclose()


ERROR_EXAMPLES = [
    errors.InvalidRequest("amount: too many decimals"),
    errors.InvalidDate("on must be a date, YYYY-MM-DD"),
    errors.Unauthorized(),
    errors.Forbidden("the lead is not yours"),
    errors.NotFound("lead"),
    errors.UnknownPayee("no saved payee"),
    errors.AccountClosed("closed"),
    errors.InsufficientFunds(Decimal("12.30")),
    errors.LimitExceeded("daily", Decimal("100000"), Decimal("250.00")),
    errors.IdempotencyConflict("used"),
    errors.InvalidState("claim first"),
    errors.NotReady(["checklist:look_premises", "worksheet"]),
    errors.CheckInRequired("the co-investigator has not checked in"),
    errors.StaleVersion("version 2 is the latest"),
    errors.AlreadyClaimed("OF000002", "李经理"),
    errors.InvalidCode(3),
    errors.CodeExpired(),
    errors.TooManyAttempts(1800),
    errors.BankUnavailable("down"),
    errors.TooFarToCheckIn(1240, 500),
    errors.DocumentRefused("too_large", 10 * 1024 * 1024),
]


def test_every_error_class_has_an_example() -> None:
    covered = {type(error) for error in ERROR_EXAMPLES} | {errors.BankError}
    assert covered == set(errors.ERROR_CLASSES)


@pytest.mark.parametrize("error", ERROR_EXAMPLES, ids=lambda error: error.code)
def test_a_problem_document_maps_back_to_the_same_typed_error(error: errors.BankError) -> None:
    document = problem_body(error)
    again = error_from_problem(document)

    assert type(again) is type(error)
    assert (again.detail, again.extensions()) == (error.detail, error.extensions())
    assert document["type"] == f"urn:microloan:bank:problem:{error.code}"


def test_an_unknown_or_broken_problem_is_a_plain_bank_error() -> None:
    broken = {"type": "urn:microloan:bank:problem:limit_exceeded", "detail": "no fields"}
    assert type(error_from_problem(broken)) is errors.BankError
    assert type(error_from_problem({"type": "about:blank"})) is errors.BankError


def test_retry_delays_grow_and_stay_capped() -> None:
    policy = RetryPolicy(attempts=6, base_delay=0.1, max_delay=0.5, random_fraction=lambda: 1.0)

    assert [policy.delay_before(attempt) for attempt in range(2, 7)] == [0.1, 0.2, 0.4, 0.5, 0.5]
