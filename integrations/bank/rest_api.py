"""The bank's REST API, declared once: each route says how it calls a BankAdapter, and the
OpenAPI 3.1 document is generated from the same table and the pydantic models' schemas.

Personal data (phones, account numbers) never appears in a URL: lookups by phone or by
destination are POSTs with a JSON body, so access logs stay clean.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

from pydantic import TypeAdapter
from pydantic.json_schema import JsonSchemaMode

from integrations.bank import models as m
from integrations.bank.committee_routes import COMMITTEE_ROUTES
from integrations.bank.errors import PROBLEM_TYPE_PREFIX, InvalidDate
from integrations.bank.fieldwork_routes import FIELDWORK_ROUTES
from integrations.bank.offer_routes import OFFER_ROUTES
from integrations.bank.rest_routes import Call, Parameter, Route
from integrations.bank.worksheet_routes import WORKSHEET_ROUTES

API_VERSION = "1.0.0"
PROBLEM_JSON = "application/problem+json"
OCTET_STREAM = "application/octet-stream"
BINARY = {"type": "string", "format": "binary"}
IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_CHAT_USER_ID = 2**53


def type_adapter(python_type: Any) -> TypeAdapter[Any]:
    """One TypeAdapter per type (building one is costly)."""
    return _type_adapter(python_type)


@cache
def _type_adapter(python_type: Any) -> TypeAdapter[Any]:
    return TypeAdapter(python_type)


CHAT_USER = {
    "chat_user_id": Parameter("chat_user_id", "path", "integer", True, 1, MAX_CHAT_USER_ID)
}
STATEMENT_QUERY = (
    Parameter("limit", "query", "integer", required=False, minimum=1, maximum=100),
    Parameter("cursor", "query", required=False, maximum=20),
)
EVENTS_QUERY = (
    Parameter("after", "query", required=False, maximum=20),
    Parameter("limit", "query", "integer", required=False, minimum=1, maximum=500),
)


PAYOFF_QUERY = (Parameter("on", "query", required=False, minimum=10, maximum=10),)


def _day(call: Call, name: str) -> date | None:
    raw = call.params.get(name)
    if raw is None:
        return None
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise InvalidDate(f"{name} must be a date, YYYY-MM-DD") from None


def _page_size(call: Call, default: int) -> int:
    limit = call.params.get("limit")
    return default if limit is None else int(limit)


REFERENCE_ROUTES = (
    Route("GET", "/v1/products", "listProducts", "Loan products", "reference",
          lambda bank, call: bank.list_products(), list[m.LoanProduct]),
    Route("GET", "/v1/districts", "listDistricts", "Districts and their territory", "reference",
          lambda bank, call: bank.list_districts(), list[m.District]),
    Route("GET", "/v1/industries", "listIndustries", "Industries and their team", "reference",
          lambda bank, call: bank.list_industries(), list[m.Industry]),
    Route("GET", "/v1/billers", "listBillers", "Billers", "reference",
          lambda bank, call: bank.list_billers(), list[m.Biller]),
)  # fmt: skip

PEOPLE_ROUTES = (
    Route("POST", "/v1/customers/lookup", "findCustomerByPhone", "Find a customer by phone",
          "people", lambda bank, call: bank.find_customer_by_phone(call.body.phone),
          m.Customer, body=m.PhoneQuery),
    Route("GET", "/v1/customers/{customer_id}", "getCustomer", "A customer", "people",
          lambda bank, call: bank.get_customer(call.params["customer_id"]), m.Customer),
    Route("GET", "/v1/officers/{officer_id}", "getOfficer", "An officer", "people",
          lambda bank, call: bank.get_officer(call.params["officer_id"]), m.Officer),
    Route("POST", "/v1/bindings/challenges", "startBinding",
          "Send a binding code by SMS to the customer's or officer's phone", "binding",
          lambda bank, call: bank.start_binding(call.body), m.CodeChallenge,
          body=m.BindingStart),
    Route("POST", "/v1/bindings/challenges/{challenge_id}/confirm", "confirmBinding",
          "Confirm a binding with the code", "binding",
          lambda bank, call: bank.confirm_binding(call.params["challenge_id"], call.body.code),
          m.Binding, body=m.CodeEntry),
    Route("GET", "/v1/bindings/{chat_user_id}", "getBinding", "The chat user's binding",
          "binding", lambda bank, call: bank.get_binding(call.params["chat_user_id"]),
          m.Binding, path_types=CHAT_USER),
    Route("DELETE", "/v1/bindings/{chat_user_id}", "unbind", "Remove the chat user's binding",
          "binding", lambda bank, call: bank.unbind(call.params["chat_user_id"]), None,
          path_types=CHAT_USER),
)  # fmt: skip

ACCOUNT_ROUTES = (
    Route("GET", "/v1/customers/{customer_id}/accounts", "listAccounts",
          "Accounts with available balances", "accounts",
          lambda bank, call: bank.list_accounts(call.params["customer_id"]), list[m.Account]),
    Route("GET", "/v1/customers/{customer_id}/accounts/{account_id}/transactions",
          "listTransactions", "Statement, newest first, by cursor", "accounts",
          lambda bank, call: bank.list_transactions(
              call.params["customer_id"], call.params["account_id"],
              limit=_page_size(call, 20), cursor=call.params.get("cursor")),
          m.TransactionPage, query=STATEMENT_QUERY),
    Route("GET", "/v1/customers/{customer_id}/limits", "getLimits",
          "Payment limits and what remains today and this month", "accounts",
          lambda bank, call: bank.get_limits(call.params["customer_id"]), m.LimitStatus),
    Route("GET", "/v1/customers/{customer_id}/loans", "listLoans", "Loans with schedules",
          "loans", lambda bank, call: bank.list_loans(call.params["customer_id"]),
          list[m.Loan]),
    Route("GET", "/v1/loans/{loan_id}", "getLoan", "A loan with its schedule", "loans",
          lambda bank, call: bank.get_loan(call.params["loan_id"]), m.Loan),
    Route("GET", "/v1/loans/{loan_id}/payoff-quote", "getPayoffQuote",
          "What closes the loan on a date (default today): overdue, principal, interest to "
          "the date, fees, penalty", "loans",
          lambda bank, call: bank.payoff_quote(call.params["loan_id"], _day(call, "on")),
          m.PayoffQuote, query=PAYOFF_QUERY),
)  # fmt: skip

PAYMENT_ROUTES = (
    Route("GET", "/v1/customers/{customer_id}/payees", "listPayees", "Saved payees",
          "payments", lambda bank, call: bank.list_payees(call.params["customer_id"]),
          list[m.Payee]),
    Route("POST", "/v1/customers/{customer_id}/payee-check", "checkPayee",
          "The registered name behind a destination, before paying", "payments",
          lambda bank, call: bank.check_payee(call.params["customer_id"],
                                              call.body.destination),
          m.PayeeCheck, body=m.PayeeQuery),
    Route("POST", "/v1/operation-codes", "requestOperationCode",
          "Send a code by SMS bound to exactly this operation", "payments",
          lambda bank, call: bank.request_operation_code(call.body), m.CodeChallenge,
          body=m.OperationIntent),
    Route("POST", "/v1/operation-codes/{challenge_id}/verify", "verifyOperationCode",
          "Consume the code for this operation", "payments",
          lambda bank, call: bank.verify_operation_code(
              call.params["challenge_id"], call.body.code, call.body.intent),
          None, body=m.OperationCodeCheck),
    Route("POST", "/v1/transfers", "transfer", "Transfer to a saved payee or an account",
          "payments", lambda bank, call: bank.transfer(
              call.body, idempotency_key=call.idempotency_key),
          m.Receipt, body=m.TransferRequest, needs_idempotency_key=True),
    Route("POST", "/v1/bill-payments", "payBill", "Pay a bill", "payments",
          lambda bank, call: bank.pay_bill(call.body, idempotency_key=call.idempotency_key),
          m.Receipt, body=m.BillPaymentRequest, needs_idempotency_key=True),
    Route("POST", "/v1/top-ups", "topUp", "Mobile top-up", "payments",
          lambda bank, call: bank.top_up(call.body, idempotency_key=call.idempotency_key),
          m.Receipt, body=m.TopUpRequest, needs_idempotency_key=True),
    Route("POST", "/v1/repayments", "repayLoan",
          "Repay a loan: an installment, the overdue, the payoff, or a partial prepayment",
          "payments", lambda bank, call: bank.repay_loan(
              call.body, idempotency_key=call.idempotency_key),
          m.Receipt, body=m.RepaymentRequest, needs_idempotency_key=True),
    Route("POST", "/v1/operations/status", "getOperationStatus",
          "What became of the payment sent with this idempotency key (posted, refused, or "
          "unknown; unknown closes the key)", "payments",
          lambda bank, call: bank.operation_status(call.body.idempotency_key),
          m.OperationStatus, body=m.OperationStatusQuery),
)  # fmt: skip

LEAD_ROUTES = (
    Route("POST", "/v1/leads", "submitLead", "Submit and route a lead", "leads",
          lambda bank, call: bank.submit_lead(call.body, idempotency_key=call.idempotency_key),
          m.Lead, body=m.LeadSubmission, needs_idempotency_key=True),
    Route("GET", "/v1/leads/{lead_id}", "getLead", "A lead", "leads",
          lambda bank, call: bank.get_lead(call.params["lead_id"]), m.Lead),
    Route("GET", "/v1/leads/{lead_id}/events", "listLeadEvents", "A lead's history", "leads",
          lambda bank, call: bank.list_lead_events(call.params["lead_id"]), list[m.LeadEvent]),
    Route("GET", "/v1/officers/{officer_id}/queue", "listOfficerQueue",
          "Open leads of an officer", "leads",
          lambda bank, call: bank.list_officer_queue(call.params["officer_id"]), list[m.Lead]),
    Route("GET", "/v1/supervisors/{supervisor_id}/unclaimed-leads", "listUnclaimedLeads",
          "Leads nobody has claimed in the supervisor's territories", "leads",
          lambda bank, call: bank.list_unclaimed_leads(call.params["supervisor_id"]),
          list[m.Lead]),
    Route("POST", "/v1/leads/{lead_id}/claim", "claimLead", "Claim a lead (one winner)",
          "leads", lambda bank, call: bank.claim_lead(call.params["lead_id"],
                                                      call.body.officer_id),
          m.Lead, body=m.ClaimRequest),
    Route("POST", "/v1/leads/{lead_id}/pass", "passLead", "Pass a lead on, with a reason",
          "leads", lambda bank, call: bank.pass_lead(
              call.params["lead_id"], call.body.officer_id, call.body.reason),
          m.Lead, body=m.PassRequest),
    Route("POST", "/v1/leads/{lead_id}/reassign", "reassignLead", "Reassign (supervisor)",
          "leads", lambda bank, call: bank.reassign_lead(
              call.params["lead_id"], call.body.supervisor_id, call.body.officer_id),
          m.Lead, body=m.ReassignRequest),
    Route("POST", "/v1/leads/{lead_id}/status", "updateLeadStatus", "Update the status",
          "leads", lambda bank, call: bank.update_lead_status(call.params["lead_id"],
                                                              call.body),
          m.Lead, body=m.StatusUpdate),
    Route("POST", "/v1/leads/{lead_id}/notes", "addLeadNote", "Add a note", "leads",
          lambda bank, call: bank.add_lead_note(
              call.params["lead_id"], call.body.officer_id, call.body.note),
          m.Lead, body=m.LeadNote),
    Route("POST", "/v1/leads/{lead_id}/visits", "bookVisit", "Book a visit", "leads",
          lambda bank, call: bank.book_visit(call.params["lead_id"], call.body), m.Lead,
          body=m.VisitBooking),
    Route("POST", "/v1/leads/{lead_id}/disbursement", "disburseLoan",
          "Pay out an approved lead's loan", "leads",
          lambda bank, call: bank.disburse_loan(
              call.params["lead_id"], call.body, idempotency_key=call.idempotency_key),
          m.Loan, body=m.DisbursementRequest, needs_idempotency_key=True),
)  # fmt: skip

WORK_ROUTES = (
    Route("GET", "/v1/officers/{officer_id}/tasks", "listOfficerTasks",
          "Open post-loan and overdue tasks", "tasks",
          lambda bank, call: bank.list_officer_tasks(call.params["officer_id"]),
          list[m.OfficerTask]),
    Route("POST", "/v1/tasks/{task_id}/complete", "completeTask", "Mark a task done", "tasks",
          lambda bank, call: bank.complete_task(
              call.params["task_id"], call.body.officer_id, call.body.note),
          m.OfficerTask, body=m.TaskCompletion),
    Route("POST", "/v1/tasks/{task_id}/reschedule", "rescheduleTask", "Move a task",
          "tasks", lambda bank, call: bank.reschedule_task(
              call.params["task_id"], call.body.officer_id, call.body.due_on, call.body.note),
          m.OfficerTask, body=m.TaskReschedule),
    Route("GET", "/v1/events", "listEvents", "Bank events after a cursor, oldest first",
          "events", lambda bank, call: bank.list_events(
              after=call.params.get("after"), limit=_page_size(call, 100)),
          m.EventPage, query=EVENTS_QUERY),
    Route("POST", "/v1/consents", "recordConsent", "Record a consent", "privacy",
          lambda bank, call: bank.record_consent(call.body), m.Consent,
          body=m.ConsentRequest),
    Route("POST", "/v1/data-deletions", "deletePersonData",
          "Erase a person's data (what the law allows)", "privacy",
          lambda bank, call: bank.delete_person_data(call.body.phone), m.DeletionReport,
          body=m.PhoneQuery),
)  # fmt: skip

ROUTES: tuple[Route, ...] = (
    REFERENCE_ROUTES
    + PEOPLE_ROUTES
    + ACCOUNT_ROUTES
    + PAYMENT_ROUTES
    + LEAD_ROUTES
    + WORK_ROUTES
    + COMMITTEE_ROUTES
    + WORKSHEET_ROUTES
    + OFFER_ROUTES
    + FIELDWORK_ROUTES
)


# --- the OpenAPI document ----------------------------------------------------------------------

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 7807 problem; `type` is "
    + PROBLEM_TYPE_PREFIX
    + "<code>, extension members depend on the code",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
    },
    "additionalProperties": True,
}


Schemas = dict[tuple[str, JsonSchemaMode], Any]


def openapi_document() -> dict[str, Any]:
    keyed: list[tuple[str, JsonSchemaMode, TypeAdapter[Any]]] = [
        (route.operation_id, "validation", type_adapter(route.body))
        for route in ROUTES
        if route.body is not None
    ]
    keyed += [
        (route.operation_id, "serialization", type_adapter(route.response))
        for route in ROUTES
        if route.response not in (None, bytes)
    ]
    schemas, definitions = TypeAdapter.json_schemas(
        keyed, ref_template="#/components/schemas/{model}"
    )
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        operation = _operation(route, schemas, definitions.get("$defs", {}))
        paths.setdefault(route.path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "Micro-loan bank API", "version": API_VERSION},
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": {**definitions.get("$defs", {}), "Problem": PROBLEM_SCHEMA},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _operation(route: Route, schemas: Schemas, definitions: dict[str, Any]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": route.operation_id,
        "summary": route.summary,
        "tags": [route.tag],
        "parameters": [_parameter(parameter) for parameter in route.path_parameters + route.query],
        "responses": {
            **_success(route, schemas),
            "default": {
                "description": "A problem",
                "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
            },
        },
    }
    if route.needs_idempotency_key:
        operation["parameters"].append(
            {
                "name": IDEMPOTENCY_HEADER,
                "in": "header",
                "required": True,
                "schema": {"type": "string", "pattern": "^[!-~]{1,200}$"},
            }
        )
    if route.file_field is not None:
        operation["parameters"] += _file_query(route, definitions)
        operation["requestBody"] = {"required": True, "content": {OCTET_STREAM: {"schema": BINARY}}}
    elif route.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {"schema": schemas[(route.operation_id, "validation")]}
            },
        }
    return operation


def _file_query(route: Route, definitions: dict[str, Any]) -> list[dict[str, Any]]:
    """A file upload's other fields, as query parameters."""
    assert route.body is not None
    model = definitions[route.body.__name__]
    required = set(model.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": schema}
        for name, schema in model["properties"].items()
        if name != route.file_field
    ]


def _success(route: Route, schemas: Schemas) -> dict[str, Any]:
    if route.response is None:
        return {"204": {"description": "Done"}}
    if route.response is bytes:
        return {"200": {"description": "The file", "content": {OCTET_STREAM: {"schema": BINARY}}}}
    schema = schemas[(route.operation_id, "serialization")]
    return {"200": {"description": "OK", "content": {"application/json": {"schema": schema}}}}


def _parameter(parameter: Parameter) -> dict[str, Any]:
    return {
        "name": parameter.name,
        "in": parameter.location,
        "required": parameter.required,
        "schema": parameter.schema(),
    }
