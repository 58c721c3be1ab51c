"""The REST API's declarations: a route says how it calls a BankAdapter, and its parameters
how they are read from a request and described in the OpenAPI document. The route tables
(`rest_api` and the case parts' `*_routes` modules) are made of these."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel

from integrations.bank.errors import InvalidRequest, NotFound
from integrations.bank.protocol import BankAdapter

PATH_EXAMPLES: dict[str, str | int] = {  # ids as the seeded sandbox has them
    "customer_id": "CU000001",
    "account_id": "AC000001",
    "loan_id": "LN000001",
    "lead_id": "LD000001",
    "officer_id": "OF000002",
    "supervisor_id": "OF000001",
    "task_id": "TK000001",
    "challenge_id": "CH000001",
    "offer_id": "OR000001",
    "chat_user_id": 10001,
    "case_id": "CC000001",
}


@dataclass(frozen=True)
class Call:
    """What a handler gets from a request, already validated."""

    params: dict[str, Any]
    body: Any
    idempotency_key: str


Handler = Callable[[BankAdapter, Call], Awaitable[Any]]


@dataclass(frozen=True)
class Parameter:
    name: str
    location: Literal["path", "query"]
    kind: Literal["string", "integer"] = "string"
    required: bool = True
    minimum: int = 1
    maximum: int = 64  # the longest string, or the largest integer

    def parse(self, raw: str | None) -> str | int | None:
        if raw is None:
            if self.required:
                raise InvalidRequest(f"{self.name} is required")
            return None
        if self.kind == "string":
            return self._text(raw)
        return self._integer(raw)

    def _text(self, raw: str) -> str:
        if not self.minimum <= len(raw) <= self.maximum:
            raise self._refusal(f"{self.name} must be {self.minimum}-{self.maximum} characters")
        return raw

    def _integer(self, raw: str) -> int:
        if not re.fullmatch(r"-?[0-9]{1,19}", raw) or not (
            self.minimum <= int(raw) <= self.maximum
        ):
            raise self._refusal(f"{self.name} must be an integer {self.minimum}-{self.maximum}")
        return int(raw)

    def _refusal(self, detail: str) -> InvalidRequest | NotFound:
        return (
            NotFound(self.name.removesuffix("_id"), detail)
            if self.location == "path"
            else (InvalidRequest(detail))
        )

    def schema(self) -> dict[str, Any]:
        example = PATH_EXAMPLES.get(self.name)
        return self._bounds() | ({"examples": [example]} if example is not None else {})

    def _bounds(self) -> dict[str, Any]:
        if self.kind == "integer":
            return {"type": "integer", "minimum": self.minimum, "maximum": self.maximum}
        return {"type": "string", "minLength": self.minimum, "maxLength": self.maximum}


@dataclass(frozen=True)
class Route:
    method: Literal["GET", "POST", "DELETE"]
    path: str
    operation_id: str
    summary: str
    tag: str
    handler: Handler
    response: Any  # a type for TypeAdapter; None answers 204 No Content; bytes: raw (a file)
    body: type[BaseModel] | None = None
    query: tuple[Parameter, ...] = ()
    path_types: dict[str, Parameter] = field(default_factory=dict)
    needs_idempotency_key: bool = False
    file_field: str | None = None  # the body is this field of `body`, raw; the rest the query

    @property
    def path_parameters(self) -> tuple[Parameter, ...]:
        names = re.findall(r"{(\w+)}", self.path)
        return tuple(self.path_types.get(name, Parameter(name, "path")) for name in names)
