"""`sandbox serve`: any BankAdapter (the sandbox core by default) behind the REST API.

Bearer token on every path but /openapi.json; errors as application/problem+json (RFC 7807);
`Idempotency-Key` required on every POST that moves money or creates a lead.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Middleware
from pydantic import BaseModel, ValidationError

from integrations.bank.errors import BankError, InvalidRequest, NotFound, Unauthorized, problem_body
from integrations.bank.factory import open_sandbox_bank
from integrations.bank.fieldwork_models import MAX_UPLOAD_BYTES
from integrations.bank.masking import mask_phone
from integrations.bank.protocol import BankAdapter
from integrations.bank.rest_api import (
    IDEMPOTENCY_HEADER,
    OCTET_STREAM,
    PROBLEM_JSON,
    ROUTES,
    openapi_document,
    type_adapter,
)
from integrations.bank.rest_routes import Call, Route
from integrations.sms.outbound import ConsoleSmsSender, SmsSender

OPENAPI_PATH = "/openapi.json"
UPLOAD_BODY_LIMIT = MAX_UPLOAD_BYTES + 64 * 1024  # a document, raw, is the largest body
log = logging.getLogger(__name__)
WebHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def problem_response(error: BankError, status: int | None = None) -> web.Response:
    body = problem_body(error) | ({"status": status} if status else {})
    response = web.json_response(body, status=body["status"], content_type=PROBLEM_JSON)
    if isinstance(error, Unauthorized):
        response.headers["WWW-Authenticate"] = 'Bearer realm="bank"'
    return response


@web.middleware
async def problems(request: web.Request, handler: WebHandler) -> web.StreamResponse:
    """Every error leaves as a problem document, unexpected ones as a bare 500."""
    try:
        return await handler(request)
    except BankError as error:
        return problem_response(error)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        return problem_response(_http_problem(error), error.status)
    except Exception:
        log.exception("unexpected error on %s %s", request.method, request.match_info.route.name)
        return problem_response(BankError("internal error"))


def _http_problem(error: web.HTTPException) -> BankError:
    return NotFound("path") if error.status == 404 else InvalidRequest(error.reason)


def bearer_auth(token: str) -> Middleware:
    expected = f"Bearer {token}".encode()

    @web.middleware
    async def authenticate(request: web.Request, handler: WebHandler) -> web.StreamResponse:
        if request.path != OPENAPI_PATH:
            presented = request.headers.get("Authorization", "").encode()
            if not hmac.compare_digest(presented, expected):
                raise Unauthorized()
        return await handler(request)

    return authenticate


def create_app(bank: BankAdapter, token: str) -> web.Application:
    if not token:
        raise ValueError("the API token must not be empty")
    app = web.Application(
        middlewares=[problems, bearer_auth(token)], client_max_size=UPLOAD_BODY_LIMIT
    )
    document = openapi_document()

    async def serve_document(_request: web.Request) -> web.Response:
        return web.json_response(document)

    app.router.add_get(OPENAPI_PATH, serve_document)
    for route in ROUTES:
        app.router.add_route(
            route.method, route.path, _endpoint(bank, route), name=route.operation_id
        )
    return app


def _endpoint(bank: BankAdapter, route: Route) -> WebHandler:
    async def endpoint(request: web.Request) -> web.Response:
        call = Call(
            params=_parameters(request, route),
            body=await _body(request, route),
            idempotency_key=_idempotency_key(request, route),
        )
        result = await route.handler(bank, call)
        if route.response is None:
            return web.Response(status=204)
        if route.response is bytes:
            return web.Response(body=result, content_type=OCTET_STREAM)
        payload = type_adapter(route.response).dump_json(result)
        return web.Response(body=payload, content_type="application/json")

    return endpoint


def _parameters(request: web.Request, route: Route) -> dict[str, Any]:
    values = {p.name: p.parse(request.match_info.get(p.name)) for p in route.path_parameters}
    values |= {p.name: p.parse(request.query.get(p.name)) for p in route.query}
    return values


async def _body(request: web.Request, route: Route) -> BaseModel | None:
    model = route.body
    if model is None:
        return None
    try:
        if route.file_field is not None:  # the file raw, its other fields in the query
            fields = {**request.query, route.file_field: await request.read()}
            return model.model_validate(fields)
        return model.model_validate_json(await request.read())
    except ValidationError as error:
        raise InvalidRequest(_validation_summary(error)) from None
    except ValueError:  # pydantic lets a few odd values through raw, e.g. a list as a Decimal
        raise InvalidRequest("body: a value has the wrong type") from None


def _validation_summary(error: ValidationError) -> str:
    """Where and what, without echoing the input (it may hold personal data)."""
    first = error.errors(include_input=False, include_url=False)[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    return f"{where}: {first['msg']}"


def _idempotency_key(request: web.Request, route: Route) -> str:
    key = request.headers.get(IDEMPOTENCY_HEADER, "")
    if route.needs_idempotency_key and not key:
        raise InvalidRequest(f"the {IDEMPOTENCY_HEADER} header is required")
    return key


def _utc_now() -> datetime:
    return datetime.now(UTC)


async def serve(
    host: str, port: int, db_path: str, token: str, sms: SmsSender | None = None
) -> None:
    """Serve the sandbox core (seeded on first run) until cancelled; its texts (the one-time
    codes) go to `sms`, by default printed with the codes masked."""
    sms = sms or ConsoleSmsSender(mask_phone)
    bank = open_sandbox_bank(db_path, clock=_utc_now, sms=sms)
    runner = web.AppRunner(create_app(bank, token), access_log=log)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        log.info("sandbox bank on http://%s:%s (OpenAPI at %s)", host, port, OPENAPI_PATH)
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
        await bank.aclose()
