"""Instructions per end-to-end schedule, counted by callgrind (repeatable whatever the machine
is doing, unlike seconds): LoanTerms built and validated, then ``build_schedule``, for 500 of
``bench_schedule``'s varied 24-month loans, inside ``functools.reduce`` so that callgrind counts
only that loop. With ``--rows`` every schedule's rows are read too.

Run, per method:
  valgrind --tool=callgrind --callgrind-out-file=/dev/null --collect-atstart=no \\
    --toggle-collect=functools_reduce .venv/bin/python -m bench.schedule_instructions manual
and divide the "Collected" count by 500.
"""

from __future__ import annotations

import argparse
import functools

from bench.bench_schedule import MONTHS, method_options, varied_loans
from bot.domain.schedule import LoanTerms, RepaymentMethod, build_schedule

LOANS = 500


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("method", choices=[method.value for method in RepaymentMethod])
    parser.add_argument("--rows", action="store_true", help="read every schedule's rows too")
    args = parser.parse_args()
    method = RepaymentMethod(args.method)
    inputs = [(loan, method_options(method, loan[0])) for loan in varied_loans(LOANS)]

    def one(done: int, item: tuple[tuple[object, ...], dict[str, object]]) -> int:
        (principal, rate, start), options = item
        schedule = build_schedule(LoanTerms(principal, rate, MONTHS, method, start, **options))  # type: ignore[arg-type]
        if args.rows:
            _ = schedule.installments
        return done + 1

    for item in inputs:  # the caches warm, as in a long run
        one(0, item)
    functools.reduce(one, inputs, 0)


if __name__ == "__main__":
    main()
