"""Schedule engine throughput, side by side with a row-by-row numpy-financial schedule.

Run: .venv/bin/python bench/bench_schedule.py

Both build 24-month equal-installment schedules for the same varied loans (principal 5,000 to
500,000, rates 4% to 24%, 28 start days). numpy-financial is what a user would reach for:
``pmt`` once, then ``ipmt``/``ppmt`` for every row, rounded to cents. Our engine is measured
on prepared ``LoanTerms`` (the engine alone) and with ``LoanTerms`` built and validated for
every schedule (end to end). Targets: >= 50,000 schedules/s end to end for every method,
>= 20x numpy-financial.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy_financial as npf

from bot.domain.schedule import LoanTerms, RepaymentMethod, build_schedule

MONTHS = 24
LOANS = 2000
BASELINE_LOANS = 100
SECONDS_PER_MEASURE = 1.5
TARGET_PER_SECOND = 50_000
TARGET_RATIO = 20


Loan = tuple[Decimal, Decimal, date]  # principal, annual rate in percent, start date


def varied_loans(count: int, seed: int = 2026) -> list[Loan]:
    chooser = random.Random(seed)
    first_start = date(2026, 1, 1)
    return [
        (
            Decimal(chooser.randrange(500_000, 50_000_000)) / 100,
            Decimal(chooser.randrange(400, 2400, 25)) / 100,
            first_start + timedelta(days=chooser.randrange(28)),
        )
        for _ in range(count)
    ]


def method_options(method: RepaymentMethod, principal: Decimal) -> dict[str, Any]:
    if method is RepaymentMethod.MANUAL:
        share = (principal / MONTHS).quantize(Decimal("0.01"))
        return {"manual_principal": (share,) * (MONTHS - 1) + (principal - share * (MONTHS - 1),)}
    return {}


def terms_for(method: RepaymentMethod, loan: Loan) -> LoanTerms:
    principal, rate, start = loan
    return LoanTerms(principal, rate, MONTHS, method, start, **method_options(method, principal))


def per_second(work: Callable[[], int]) -> float:
    """Items per CPU second of ``work`` (which returns how many it did), best of repeated runs.

    CPU time, not wall time: on a machine shared with other work a process waiting for a core
    is not computing schedules (on an idle machine the two are the same).
    """
    best = 0.0
    deadline = time.perf_counter() + SECONDS_PER_MEASURE
    while time.perf_counter() < deadline:
        began = time.process_time()
        done = work()
        best = max(best, done / max(time.process_time() - began, 1e-9))
    return best


def engine_rate(terms: Sequence[LoanTerms]) -> float:
    def work() -> int:
        for loan in terms:
            build_schedule(loan)
        return len(terms)

    return per_second(work)


def end_to_end_rate(method: RepaymentMethod, loans: Sequence[Loan], rows: bool = False) -> float:
    """``LoanTerms`` built and validated for every schedule, from inputs prepared beforehand
    (a manual loan's amounts are its input, like the principal: computing them is not timed).

    A schedule holds its amounts as columns and builds its row objects when they are first
    read; with ``rows`` every schedule's rows are read too, as a table or a CSV reads them."""
    inputs = [(loan, method_options(method, loan[0])) for loan in loans]

    def work() -> int:
        for (principal, rate, start), options in inputs:
            build_schedule(LoanTerms(principal, rate, MONTHS, method, start, **options))
        return len(inputs)

    def work_with_rows() -> int:
        for (principal, rate, start), options in inputs:
            _ = build_schedule(
                LoanTerms(principal, rate, MONTHS, method, start, **options)
            ).installments
        return len(inputs)

    return per_second(work_with_rows if rows else work)


def numpy_financial_schedule(
    principal: float, annual_rate: float, months: int
) -> list[tuple[int, float, float, float, float]]:
    """Row by row, the way a numpy-financial user writes it."""
    rate = annual_rate / 12 / 100
    payment = round(float(npf.pmt(rate, months, -principal)), 2)
    balance = principal
    rows = []
    for period in range(1, months + 1):
        interest = round(float(npf.ipmt(rate, period, months, -principal)), 2)
        repaid = round(float(npf.ppmt(rate, period, months, -principal)), 2)
        balance = round(balance - repaid, 2)
        rows.append((period, repaid, interest, payment, balance))
    return rows


def numpy_financial_rate(loans: Sequence[Loan]) -> float:
    plain = [(float(principal), float(rate)) for principal, rate, _ in loans]

    def work() -> int:
        for principal, rate in plain:
            numpy_financial_schedule(principal, rate, MONTHS)
        return len(plain)

    return per_second(work)


def apr_rate(terms: Sequence[LoanTerms]) -> float:
    def work() -> int:
        for loan in terms[:200]:
            _ = build_schedule(loan).apr
        return min(len(terms), 200)

    return per_second(work)


def main() -> None:
    loans = varied_loans(LOANS)
    print(f"{MONTHS}-month schedules, {LOANS} varied loans, best of {SECONDS_PER_MEASURE}s runs\n")

    prepared = [terms_for(RepaymentMethod.EQUAL_INSTALLMENTS, loan) for loan in loans]
    ours = engine_rate(prepared)
    ours_end_to_end = end_to_end_rate(RepaymentMethod.EQUAL_INSTALLMENTS, loans)
    baseline = numpy_financial_rate(loans[:BASELINE_LOANS])
    print("equal installments, side by side")
    print(f"  numpy-financial pmt/ipmt/ppmt, row by row  {baseline:>10,.0f} schedules/s")
    print(f"  engine (prepared LoanTerms)                {ours:>10,.0f} schedules/s")
    print(f"  engine (LoanTerms built each time)         {ours_end_to_end:>10,.0f} schedules/s")
    print(
        f"  ratio engine / numpy-financial             {ours / baseline:>10,.1f}x "
        f"(end to end {ours_end_to_end / baseline:,.1f}x; target >= {TARGET_RATIO}x)\n"
    )

    print(f"every method, end to end (target >= {TARGET_PER_SECOND:,} schedules/s)")
    print(f"  {'method':<20}{'engine':>12}{'end to end':>14}{'+ rows read':>14}")
    for method in RepaymentMethod:
        terms = [terms_for(method, loan) for loan in loans]
        engine = engine_rate(terms)
        end_to_end = end_to_end_rate(method, loans)
        with_rows = end_to_end_rate(method, loans, rows=True)
        verdict = "ok" if end_to_end >= TARGET_PER_SECOND else "BELOW TARGET"
        rates = f"{engine:>12,.0f}{end_to_end:>14,.0f}{with_rows:>14,.0f}"
        print(f"  {method.value:<20}{rates}  {verdict}")

    print(f"\nschedule + APR (IRR, computed on first access): {apr_rate(prepared):,.0f} /s")


if __name__ == "__main__":
    main()
