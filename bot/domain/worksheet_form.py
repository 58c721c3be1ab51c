"""The officer's worksheet as a form: twenty-five questions in five sections, how each answer
is read, and the draft that keeps them until the officer saves (pure: no I/O).

Amounts go through `parse_amount`; product lines are typed one a line as "name share margin"
("蔬菜 60% 20%"), the loans as "balance/monthly payment" ("10000/1000").
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from pydantic import BaseModel, ConfigDict, ValidationError

from bot.domain.amounts import AmountError, parse_amount
from bot.domain.forms.definition import Filled, Form, Invalid, Position, Question
from bot.domain.forms.engine import FormEngine
from bot.domain.worksheet import (
    MAX_DAYS,
    BalanceSheet,
    Costs,
    Debt,
    Household,
    ProductLine,
    Sales,
    Seasonality,
    Worksheet,
)

SALES_FIELDS = ("good_day", "ordinary_day", "bad_day", "days_worked", "good_days", "bad_days")
COST_FIELDS = ("rent", "wages", "utilities", "transport", "taxes", "other_costs")
BALANCE_FIELDS = (
    "cash_and_bank", "receivables", "stock", "equipment", "other_business_assets",
    "household_assets", "payables", "loans", "other_liabilities",
)  # fmt: skip
MAX_LINES = 8
_LINE = re.compile(
    r"^(?P<name>.+?)\s+(?P<share>\d{1,3}(?:\.\d+)?)\s*%?\s+(?P<margin>\d{1,2}(?:\.\d+)?)\s*%?$"
)


class WorksheetAnswers(BaseModel):
    """Every answer, None until given; money in currency units."""

    model_config = ConfigDict(frozen=True)

    good_day: Decimal | None = None
    ordinary_day: Decimal | None = None
    bad_day: Decimal | None = None
    days_worked: int | None = None
    good_days: int | None = None
    bad_days: int | None = None
    seasonality: Seasonality | None = None
    product_lines: tuple[ProductLine, ...] | None = None
    rent: Decimal | None = None
    wages: Decimal | None = None
    utilities: Decimal | None = None
    transport: Decimal | None = None
    taxes: Decimal | None = None
    other_costs: Decimal | None = None
    household_spending: Decimal | None = None
    other_income: Decimal | None = None
    cash_and_bank: Decimal | None = None
    receivables: Decimal | None = None
    stock: Decimal | None = None
    equipment: Decimal | None = None
    other_business_assets: Decimal | None = None
    household_assets: Decimal | None = None
    payables: Decimal | None = None
    loans: Debt | None = None
    other_liabilities: Decimal | None = None


class WorksheetDraft(BaseModel):
    """One officer's worksheet of one lead in progress."""

    lead_id: str
    answers: WorksheetAnswers = WorksheetAnswers()
    at: Position = Position()

    @property
    def filled(self) -> Filled[WorksheetAnswers]:
        return Filled(self.answers, self.at)

    def moved(self, filled: Filled[WorksheetAnswers]) -> WorksheetDraft:
        return self.model_copy(update={"answers": filled.answers, "at": filled.at})


# --- reading answers --------------------------------------------------------------------


def _amount(text: str, _context: None) -> Decimal:
    try:
        value = parse_amount(text)
    except AmountError as error:
        raise Invalid("amount", error) from None
    if value < 0:
        raise Invalid("amount")
    return value


def _days(text: str, _context: None) -> int:
    cleaned = text.removesuffix("天").strip()
    if not cleaned.isdecimal() or int(cleaned) > MAX_DAYS:
        raise Invalid("days")
    return int(cleaned)


def _worked(text: str, context: None) -> int:
    days = _days(text, context)
    if days == 0:
        raise Invalid("days")
    return days


def _percent(text: str) -> Decimal:
    try:
        return Decimal(text) / 100
    except InvalidOperation:
        raise Invalid("product_lines") from None


def product_lines(text: str, _context: None) -> tuple[ProductLine, ...]:
    rows = [row.strip() for row in re.split(r"[\n;；]", text) if row.strip()]
    if not 1 <= len(rows) <= MAX_LINES:
        raise Invalid("product_lines")
    lines = []
    for row in rows:
        match = _LINE.match(row.replace("％", "%"))
        if match is None:
            raise Invalid("product_lines")
        try:
            lines.append(
                ProductLine(
                    name=match["name"][:40],
                    share=_percent(match["share"]),
                    margin=_percent(match["margin"]),
                )
            )
        except ValidationError:
            raise Invalid("product_lines") from None
    return tuple(lines)


def _debt(text: str, context: None) -> Debt:
    balance, slash, payment = text.replace("／", "/").partition("/")
    if not slash:
        raise Invalid("loans")
    return Debt(balance=_amount(balance, context), monthly_payment=_amount(payment, context))


def _seasons(_context: None, _answers: WorksheetAnswers) -> tuple[str, ...]:
    return tuple(season.value for season in Seasonality)


def _money(key: str, section: str) -> Question[WorksheetAnswers, None]:
    return Question(key, section, read=_amount)


WORKSHEET_FORM: Form[WorksheetAnswers, None] = Form(
    WorksheetAnswers,
    (
        _money("good_day", "sales"),
        _money("ordinary_day", "sales"),
        _money("bad_day", "sales"),
        Question("days_worked", "sales", read=_worked),
        Question("good_days", "sales", read=_days),
        Question("bad_days", "sales", read=_days),
        Question("seasonality", "sales", read=lambda text, _c: Seasonality(text), options=_seasons),
        Question("product_lines", "margin", read=product_lines),
        *(_money(key, "costs") for key in COST_FIELDS),
        _money("household_spending", "household"),
        _money("other_income", "household"),
        *(
            Question(key, "balance", read=_debt) if key == "loans" else _money(key, "balance")
            for key in BALANCE_FIELDS
        ),
    ),
)
WORKSHEET = FormEngine(WORKSHEET_FORM)


def days_problem(answers: WorksheetAnswers) -> Invalid | None:
    """Good and bad days that are more than the days worked (once all three are known)."""
    days = (answers.days_worked, answers.good_days, answers.bad_days)
    if None in days:
        return None
    worked, good, bad = (int(value or 0) for value in days)
    return Invalid("days_add_up") if good + bad > worked else None


def to_worksheet(answers: WorksheetAnswers) -> Worksheet | None:
    """The complete worksheet, or None while an answer is missing or does not add up."""
    a = answers
    try:
        return Worksheet(
            sales=Sales(
                good_day=a.good_day, ordinary_day=a.ordinary_day, bad_day=a.bad_day,
                days_worked=a.days_worked, good_days=a.good_days, bad_days=a.bad_days,
                seasonality=a.seasonality,
            ),
            product_lines=a.product_lines,
            costs=Costs(
                rent=a.rent, wages=a.wages, utilities=a.utilities, transport=a.transport,
                taxes=a.taxes, other=a.other_costs,
            ),
            household=Household(spending=a.household_spending, other_income=a.other_income),
            balance=BalanceSheet(
                cash_and_bank=a.cash_and_bank, receivables=a.receivables, stock=a.stock,
                equipment=a.equipment, other_business_assets=a.other_business_assets,
                household_assets=a.household_assets, payables=a.payables, loans=a.loans,
                other_liabilities=a.other_liabilities,
            ),
        )  # fmt: skip
    except ValidationError:
        return None


def answers_of(worksheet: Worksheet) -> WorksheetAnswers:
    """A saved worksheet's answers: a new version starts from the last one."""
    sales, costs, balance = worksheet.sales, worksheet.costs, worksheet.balance
    return WorksheetAnswers(
        **sales.model_dump(),
        product_lines=worksheet.product_lines,
        **costs.model_dump(exclude={"other"}),
        other_costs=costs.other,
        household_spending=worksheet.household.spending,
        other_income=worksheet.household.other_income,
        **balance.model_dump(exclude={"loans"}),
        loans=balance.loans,
    )
