"""The officers' and supervisors' dashboard API: read-only views of what the chat shows.

The role is the bank binding's (the staff directory that /officer fills from the bank),
looked up on every call: a chat not bound as staff gets 403, and so does an officer at the
supervisor's figures. A lead of the queue opens its card in the chat, where its buttons act;
the one change the page makes itself is the supervisor's reassignment, through the service
the chat's Reassign buttons use, with the same checks and the same notices to the officers.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.container import Services
from bot.services.officers.lead_actions import NotReassignable, ReassignRefused
from bot.services.officers.staff import DeskError, Refused, StaffMember
from bot.views import desk as desk_views
from bot.views import officers as views
from bot.webapp.gate import Gate, problem
from bot.webapp.init_data import WebAppUser
from integrations.bank.models import LoanClassification

OPEN_BODY_LIMIT = 256
BankId = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")  # a lead's or an officer's id at the bank
# the answer to a refused reassignment, by why
REFUSED: dict[NotReassignable, tuple[int, str]] = {
    NotReassignable.NO_LEAD: (404, "Not Found"),
    NotReassignable.OUTSIDE_TERRITORY: (403, "Forbidden"),
    NotReassignable.NOT_IN_TEAM: (403, "Forbidden"),
    NotReassignable.NOT_OPEN: (409, "Conflict"),
    NotReassignable.SAME_OFFICER: (409, "Conflict"),
}


class ReassignBody(BaseModel):
    """POST /api/desk/reassign: which lead goes to which officer of the team."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    lead: str = BankId
    officer: str = BankId


@dataclass(frozen=True)
class StaffCall:
    request: web.Request
    member: StaffMember
    locale: str


StaffEndpoint = Callable[[StaffCall], Awaitable[web.Response]]


class DeskApi:
    def __init__(self, services: Services, gate: Gate) -> None:
        self.services = services
        self.gate = gate

    def routes(self) -> list[web.RouteDef]:
        staff, supervisors = self._staff, self._supervisors
        return [
            web.get("/api/desk/me", staff(self.me)),
            web.get("/api/desk/queue", staff(self.queue)),
            web.get("/api/desk/week", staff(self.week)),
            web.get("/api/desk/overdue", staff(self.overdue)),
            web.get("/api/desk/team", supervisors(self.team)),
            web.get("/api/desk/funnel", supervisors(self.funnel)),
            web.get("/api/desk/reassignable", supervisors(self.reassignable)),
            web.post("/api/desk/reassign", supervisors(self.reassign)),
            web.post("/api/desk/open", staff(self.open_card)),
        ]

    def _staff(
        self, endpoint: StaffEndpoint, *, supervisors_only: bool = False
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def checked(request: web.Request, user: WebAppUser, locale: str) -> web.Response:
            member = await self.services.officers.directory.by_chat(user.user_id)
            if member is None:
                return problem(403, "Forbidden", desk_views.not_staff())
            if supervisors_only and not member.is_supervisor:
                return problem(403, "Forbidden", desk_views.supervisors_only())
            return await endpoint(StaffCall(request, member, locale))

        return self.gate.signed(checked)

    def _supervisors(
        self, endpoint: StaffEndpoint
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        return self._staff(endpoint, supervisors_only=True)

    async def me(self, call: StaffCall) -> web.Response:
        member = call.member
        return web.json_response(
            {
                "role": "supervisor" if member.is_supervisor else "officer",
                "name": member.name,
                "locale": call.locale,
                "labels": desk_views.labels(member.is_supervisor),
            }
        )

    async def queue(self, call: StaffCall) -> web.Response:
        officers = self.services.officers
        items = await officers.tasks.queue(call.member)
        now = officers.clock.now()
        zone = officers.policy.calendar.timezone
        currency = officers.currency
        return web.json_response(
            {
                "items": [
                    desk_views.queue_item(item, now, currency, zone, call.locale) for item in items
                ]
            }
        )

    async def week(self, call: StaffCall) -> web.Response:
        row = await self.services.officers.team.own(call.member)
        return web.json_response({"lines": views.team_lines(row, call.locale)})

    async def team(self, call: StaffCall) -> web.Response:
        rows = await self.services.officers.team.team(call.member)
        return web.json_response(
            {
                "officers": [
                    {"name": row.name, "lines": views.team_lines(row, call.locale)} for row in rows
                ]
            }
        )

    async def funnel(self, call: StaffCall) -> web.Response:
        funnel = await self.services.officers.team.funnel(call.member)
        return web.json_response(desk_views.funnel_document(funnel, call.locale))

    async def reassignable(self, call: StaffCall) -> web.Response:
        """The leads the supervisor may move, each with the officers it may go to."""
        officers = self.services.officers
        leads = []
        for lead in await officers.actions.reassignable(call.member):
            holder = await officers.cards.facts.officer_name(lead.officer_id)
            choices = await officers.cards.reassign_choices(call.member, lead)
            leads.append(
                {
                    "lead": lead.id,
                    "text": desk_views.reassign_line(lead, holder, officers.currency, call.locale),
                    "officers": [{"id": to, "name": name} for to, name in choices],
                }
            )
        return web.json_response({"leads": leads})

    async def reassign(self, call: StaffCall) -> web.Response:
        """As the chat's Reassign button: the bank moves the lead, every card is redrawn and
        the officer it goes to gets it as a new lead."""
        try:
            body = ReassignBody.model_validate_json(
                await call.request.content.read(OPEN_BODY_LIMIT)
            )
        except ValidationError:
            return problem(400, "Bad Request", desk_views.reassign_unreadable())
        officers = self.services.officers
        try:
            lead = await officers.actions.reassign(call.member, body.lead, body.officer)
        except ReassignRefused as refused:
            status, title = REFUSED[refused.reason]
            return problem(status, title, desk_views.not_reassignable(refused.reason))
        except Refused:
            return problem(403, "Forbidden", views.not_yours())
        except DeskError as error:
            status = 409 if error.code in ("already_claimed", "invalid_state") else 503
            return problem(status, "Conflict", views.bank_refusal(error))
        await officers.cards.refresh(lead)
        target = await officers.directory.by_officer(lead.officer_id)
        name = target.name if target is not None else body.officer
        return web.json_response({"lead": lead.id, "text": desk_views.reassigned(name)})

    async def overdue(self, call: StaffCall) -> web.Response:
        team = self.services.officers.team
        member = call.member
        cases = await (team.overdue_book(member) if member.is_supervisor else team.overdue(member))
        cases = sorted(cases, key=lambda case: -case.loan.days_overdue)
        classes = Counter(case.loan.classification for case in cases)
        buckets = Counter(desk_views.bucket_of(case.loan.days_overdue) for case in cases)
        return web.json_response(
            {
                "cases": [desk_views.overdue_case(case) for case in cases],
                "by_classification": [
                    {"label": views.classification_name(level), "count": classes[level]}
                    for level in LoanClassification
                ],
                "by_days": [
                    {"label": desk_views.bucket_name(bucket), "count": buckets[bucket]}
                    for bucket in desk_views.BUCKETS
                ],
            }
        )

    async def open_card(self, call: StaffCall) -> web.Response:
        """The lead's card again at the bottom of the chat, if the lead is in the queue."""
        try:
            body = json.loads(await call.request.content.read(OPEN_BODY_LIMIT))
            lead_id = str(body["lead"])
        except (ValueError, TypeError, KeyError):
            return problem(400, "Bad Request", "lead is needed")
        officers = self.services.officers
        lead = await officers.tasks.queued_lead(call.member, lead_id)
        if lead is None:
            return problem(409, "Conflict", desk_views.not_in_queue())
        minute = officers.clock.now().strftime("%Y%m%d%H%M")
        request = hashlib.sha256(f"{call.member.officer_id}:{lead_id}:{minute}".encode())
        await officers.cards.reopen(call.member, lead, "web-" + request.hexdigest()[:16])
        return web.json_response({"text": desk_views.card_sent()}, status=202)
