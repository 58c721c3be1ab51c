"""Typed bank errors, each with a stable `code`, an HTTP status and RFC 7807 extensions.

The sandbox raises them, the REST server renders them as application/problem+json with
type `PROBLEM_TYPE_PREFIX + code`, and the HTTP adapter turns the problem back into the same
class with the same fields (`error_from_problem`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

PROBLEM_TYPE_PREFIX = "urn:microloan:bank:problem:"


class BankError(Exception):
    code: ClassVar[str] = "bank_error"
    status: ClassVar[int] = 500
    title: ClassVar[str] = "Bank error"

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title

    def extensions(self) -> dict[str, Any]:
        """Machine-readable fields beyond the detail text (JSON-safe values)."""
        return {}

    @classmethod
    def from_extensions(cls, detail: str, extensions: dict[str, Any]) -> BankError:
        return cls(detail)

    @property
    def problem_type(self) -> str:
        return PROBLEM_TYPE_PREFIX + self.code


class InvalidRequest(BankError):
    code = "invalid_request"
    status = 422
    title = "The request is not valid"


class InvalidDate(InvalidRequest):
    """A date that is not one, or not one the request can be for (a payoff in the past)."""

    code = "invalid_date"
    status = 400
    title = "The date is not valid for this request"


class Unauthorized(BankError):
    code = "unauthorized"
    status = 401
    title = "A valid bearer token is required"


class Forbidden(BankError):
    code = "forbidden"
    status = 403
    title = "Not allowed for this actor"


class NotFound(BankError):
    code = "not_found"
    status = 404
    title = "No such resource"

    def __init__(self, resource: str, detail: str = "") -> None:
        super().__init__(detail or f"{resource} not found")
        self.resource = resource

    def extensions(self) -> dict[str, Any]:
        return {"resource": self.resource}

    @classmethod
    def from_extensions(cls, detail: str, extensions: dict[str, Any]) -> BankError:
        return cls(str(extensions.get("resource", "resource")), detail)


class UnknownPayee(BankError):
    code = "unknown_payee"
    status = 422
    title = "No account or saved payee by that name"


class AccountClosed(BankError):
    code = "account_closed"
    status = 409
    title = "The account is closed"


class InsufficientFunds(BankError):
    code = "insufficient_funds"
    status = 409
    title = "Not enough money in the account"

    def __init__(self, available: Decimal, detail: str = "") -> None:
        super().__init__(detail)
        self.available = available

    def extensions(self) -> dict[str, Any]:
        return {"available": str(self.available)}

    @classmethod
    def from_extensions(cls, detail: str, extensions: dict[str, Any]) -> BankError:
        return cls(Decimal(str(extensions["available"])), detail)


class LimitExceeded(BankError):
    code = "limit_exceeded"
    status = 409
    title = "The amount is above a limit"

    def __init__(
        self, limit_kind: str, limit: Decimal, remaining: Decimal, detail: str = ""
    ) -> None:
        super().__init__(detail or f"{limit_kind} limit {limit}, remaining {remaining}")
        self.limit_kind = limit_kind
        self.limit = limit
        self.remaining = remaining

    def extensions(self) -> dict[str, Any]:
        return {
            "limit_kind": self.limit_kind,
            "limit": str(self.limit),
            "remaining": str(self.remaining),
        }

    @classmethod
    def from_extensions(cls, detail: str, extensions: dict[str, Any]) -> BankError:
        return cls(
            str(extensions["limit_kind"]),
            Decimal(str(extensions["limit"])),
            Decimal(str(extensions["remaining"])),
            detail,
        )


class IdempotencyConflict(BankError):
    code = "idempotency_conflict"
    status = 409
    title = "The idempotency key was already used for a different request"


class InvalidState(BankError):
    code = "invalid_state"
    status = 409
    title = "Not possible in the current state"


class NotReady(InvalidState):
    """A case the credit committee cannot take yet; `missing` says what is not done."""

    code = "not_ready"
    title = "The case is not ready for the credit committee"

    def __init__(self, missing: list[str], detail: str = "") -> None:
        super().__init__(detail or "missing: " + ", ".join(missing))
        self.missing = missing

    def extensions(self) -> dict[str, Any]:
        return {"missing": self.missing}

    @classmethod
    def from_extensions(cls, detail: str, extensions: dict[str, Any]) -> BankError:
        return cls([str(item) for item in extensions["missing"]], detail)


class CheckInRequired(InvalidState):
    """The co-investigator has not checked in at the business (双人调查) yet."""

    code = "check_in_required"
    title = "Check in at the business first"


class StaleVersion(InvalidState):
    """A newer version of the worksheet was saved since the one reviewed."""

    code = "stale_version"
    title = "A newer version exists"


class AlreadyClaimed(BankError):
    code = "already_claimed"
    status = 409
    title = "Another officer has already claimed this lead"

    def __init__(self, claimed_by: str, claimed_by_name: str, detail: str = "") -> None:
        super().__init__(detail or f"claimed by {claimed_by_name}")
        self.claimed_by = claimed_by
        self.claimed_by_name = claimed_by_name

    def extensions(self) -> dict[str, Any]:
        return {"claimed_by": self.claimed_by, "claimed_by_name": self.claimed_by_name}

    @classmethod
    def from_extensions(cls, detail: str, extensions: dict[str, Any]) -> BankError:
        return cls(str(extensions["claimed_by"]), str(extensions["claimed_by_name"]), detail)


class InvalidCode(BankError):
    code = "invalid_code"
    status = 422
    title = "The one-time code is wrong"

    def __init__(self, attempts_left: int, detail: str = "") -> None:
        super().__init__(detail or f"{attempts_left} attempts left")
        self.attempts_left = attempts_left

    def extensions(self) -> dict[str, Any]:
        return {"attempts_left": self.attempts_left}

    @classmethod
    def from_extensions(cls, detail: str, extensions: dict[str, Any]) -> BankError:
        return cls(int(extensions["attempts_left"]), detail)


class CodeExpired(BankError):
    code = "code_expired"
    status = 410
    title = "The one-time code has expired or was already used"


class TooManyAttempts(BankError):
    code = "too_many_attempts"
    status = 429
    title = "Too many wrong codes: blocked for a while"

    def __init__(self, retry_after_seconds: int, detail: str = "") -> None:
        super().__init__(detail or f"try again in {retry_after_seconds} s")
        self.retry_after_seconds = retry_after_seconds

    def extensions(self) -> dict[str, Any]:
        return {"retry_after_seconds": self.retry_after_seconds}

    @classmethod
    def from_extensions(cls, detail: str, extensions: dict[str, Any]) -> BankError:
        return cls(int(extensions["retry_after_seconds"]), detail)


class BankUnavailable(BankError):
    code = "bank_unavailable"
    status = 503
    title = "The bank cannot be reached"


class TooFarToCheckIn(BankError):
    """A check-in farther from the business than the bank's limit, given without a reason."""

    code = "too_far_to_check_in"
    status = 422
    title = "Too far from the business to check in without a reason"

    def __init__(self, distance_m: int, limit_m: int, detail: str = "") -> None:
        super().__init__(detail or f"{distance_m} m from the business, limit {limit_m} m")
        self.distance_m = distance_m
        self.limit_m = limit_m

    def extensions(self) -> dict[str, Any]:
        return {"distance_m": self.distance_m, "limit_m": self.limit_m}

    @classmethod
    def from_extensions(cls, detail: str, extensions: dict[str, Any]) -> BankError:
        return cls(int(extensions["distance_m"]), int(extensions["limit_m"]), detail)


class DocumentRefused(BankError):
    """A file the document store does not take: `reason` is empty, too_large or type."""

    code = "document_refused"
    status = 422
    title = "The document store does not take this file"

    def __init__(self, reason: str, limit_bytes: int, detail: str = "") -> None:
        super().__init__(detail or f"refused: {reason}")
        self.reason = reason
        self.limit_bytes = limit_bytes

    def extensions(self) -> dict[str, Any]:
        return {"reason": self.reason, "limit_bytes": self.limit_bytes}

    @classmethod
    def from_extensions(cls, detail: str, extensions: dict[str, Any]) -> BankError:
        return cls(str(extensions["reason"]), int(extensions["limit_bytes"]), detail)


ERROR_CLASSES: tuple[type[BankError], ...] = (
    BankError,
    InvalidRequest,
    InvalidDate,
    Unauthorized,
    Forbidden,
    NotFound,
    UnknownPayee,
    AccountClosed,
    InsufficientFunds,
    LimitExceeded,
    IdempotencyConflict,
    InvalidState,
    NotReady,
    CheckInRequired,
    StaleVersion,
    AlreadyClaimed,
    InvalidCode,
    CodeExpired,
    TooManyAttempts,
    BankUnavailable,
    TooFarToCheckIn,
    DocumentRefused,
)
_BY_CODE = {cls.code: cls for cls in ERROR_CLASSES}


def problem_body(error: BankError) -> dict[str, Any]:
    """The RFC 7807 document for an error, with its extensions as top-level members."""
    return {
        "type": error.problem_type,
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
        "code": error.code,
        **error.extensions(),
    }


def error_from_problem(problem: dict[str, Any]) -> BankError:
    """The typed error for a problem document; unknown or malformed ones become BankError."""
    code = str(problem.get("type", "")).removeprefix(PROBLEM_TYPE_PREFIX)
    detail = str(problem.get("detail", ""))
    error_class = _BY_CODE.get(code, BankError)
    try:
        return error_class.from_extensions(detail, problem)
    except (KeyError, ValueError, ArithmeticError):
        return BankError(detail)
