"""`python -m bot schedule`: JSON for machines, a table for people, one line for bad input."""

from __future__ import annotations

import argparse
import json

import pytest

from bot.schedule_cli import add_arguments, run

EXAMPLE = [
    "--principal",
    "100000",
    "--annual-rate",
    "12",
    "--months",
    "12",
    "--method",
    "equal_installments",
    "--start",
    "2026-01-15",
]


def schedule(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="schedule")
    add_arguments(parser)
    code = run(parser.parse_args(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_has_exactly_the_documented_shape(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = schedule([*EXAMPLE, "--json"], capsys)
    assert (code, err) == (0, "")
    document = json.loads(out)
    assert list(document) == ["method", "installments", "totals", "apr"]
    assert document["method"] == "equal_installments"
    assert document["installments"][0] == {
        "number": 1,
        "due_date": "2026-02-15",
        "principal": "7884.88",
        "interest": "1000.00",
        "total": "8884.88",
        "balance": "92115.12",
    }
    assert len(document["installments"]) == 12
    assert document["installments"][-1]["balance"] == "0.00"
    assert document["totals"] == {
        "principal": "100000.00",
        "interest": "6618.53",
        "total": "106618.53",
    }
    assert document["apr"] == "12.68"


def test_json_amounts_have_the_currency_digits(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = schedule([*EXAMPLE, "--currency-digits", "0", "--json"], capsys)
    assert code == 0
    first = json.loads(out)["installments"][0]
    assert (first["principal"], first["interest"], first["total"]) == ("7885", "1000", "8885")


def test_every_option_reaches_the_engine(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "--principal",
        "5000",
        "--annual-rate",
        "12",
        "--months",
        "18",
        "--method",
        "equal_installments",
        "--start",
        "2022-11-01",
        "--installment-multiple",
        "1",
        "--grace-principal",
        "6",
        "--grace-interest-payment",
        "3",
        "--rounding",
        "half_up",
        "--interest-period",
        "same_as_repayment",
        "--days-in-year",
        "360",
        "--json",
    ]
    code, out, _ = schedule(argv, capsys)
    assert code == 0
    document = json.loads(out)
    assert [row["interest"] for row in document["installments"][:4]] == [
        "0.00",
        "0.00",
        "0.00",
        "200.00",
    ]
    assert document["totals"]["interest"] == "631.09"


def test_manual_principal_and_chinese_amounts(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "--principal",
        "3万",
        "--annual-rate",
        "12",
        "--months",
        "3",
        "--method",
        "manual",
        "--start",
        "2026-01-31",
        "--manual-principal",
        "1万,0,2万",
        "--json",
    ]
    code, out, _ = schedule(argv, capsys)
    assert code == 0
    rows = json.loads(out)["installments"]
    assert [row["principal"] for row in rows] == ["10000.00", "0.00", "20000.00"]
    assert [row["due_date"] for row in rows] == ["2026-02-28", "2026-03-31", "2026-04-30"]


def test_equal_principal_takes_the_products_installment_multiple(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """As in Fineract the multiple rounds equal installments only: the same numbers."""
    method = ["--method", "equal_principal"]
    code, plain, _ = schedule([*EXAMPLE, *method, "--json"], capsys)
    assert code == 0
    code, rounded, err = schedule(
        [*EXAMPLE, *method, "--installment-multiple", "100", "--json"], capsys
    )
    assert (code, err) == (0, "")
    assert json.loads(rounded) == json.loads(plain)
    assert json.loads(rounded)["installments"][0]["principal"] == "8333.33"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["CN¥100,000.00", "Feb 15, 2026", "8,884.88", "92,115.12", "12.68%"]),
        ("zh_Hans", ["¥100,000.00", "2026年2月15日", "8,884.88", "12.68%"]),
        ("ru", ["100\xa0000,00\xa0CN¥", "15 февр. 2026", "8\xa0884,88", "12,68%"]),
    ],
)
def test_table_is_localized(
    language: str, expected: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = schedule([*EXAMPLE, "--lang", language], capsys)
    assert (code, err) == (0, "")
    for text in expected:
        assert text in out


def test_table_columns_line_up(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = schedule([*EXAMPLE, "--lang", "zh_Hans"], capsys)
    lines = out.splitlines()
    table = lines[lines.index("") + 1 : len(lines) - lines[::-1].index("") - 1]
    assert len(table) == 1 + 12 + 1  # header, rows, totals
    balance_ends = {_display_width(line) for line in table[:-1]}
    assert len(balance_ends) == 1


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        (["--principal", "abc"], "--principal"),
        (["--principal", "-5"], "--principal"),
        (["--annual-rate", "twelve"], "--annual-rate"),
        (["--months", "1.5"], "--months"),
        (["--months", "0"], "1"),
        (["--method", "balloon"], "equal_installments"),
        (["--start", "2026-02-30"], "--start"),
        (["--first-due", "2026-01-15"], "2026-01-16"),
        (["--grace-principal", "12"], "--grace-principal"),
        (["--rounding", "up"], "half_even"),
        (["--interest-period", "weekly"], "daily"),
        (["--lang", "de"], "--lang"),
        (["--method", "bullet", "--grace-principal", "1"], "--grace-principal"),
        (["--method", "manual", "--manual-principal", "1,2"], "12"),
        (["--installment-multiple", "0"], "--installment-multiple"),
        (["--months", "9" * 5000], "--months"),
        (["--principal", "1\n2"], "--principal"),
    ],
)
def test_bad_arguments_give_one_line_and_exit_code_2(
    changes: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = _with(EXAMPLE, changes)
    code, out, err = schedule(argv, capsys)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert fragment in err
    assert "Traceback" not in err


def test_missing_required_option_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--principal", "100", "--months", "3", "--start", "2026-01-01", "--lang", "en"]
    code, _, err = schedule(argv, capsys)
    assert (code, err) == (2, "--annual-rate is required.\n")


def test_errors_speak_the_chosen_language(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--principal", "100", "--months", "3", "--start", "2026-01-01", "--lang", "zh_Hans"]
    code, _, err = schedule(argv, capsys)
    assert code == 2
    assert "--annual-rate" in err
    assert err != "--annual-rate is required.\n"


def _with(argv: list[str], changes: list[str]) -> list[str]:
    result = list(argv)
    for flag, value in zip(changes[::2], changes[1::2], strict=True):
        if flag in result:
            result[result.index(flag) + 1] = value
        else:
            result += [flag, value]
    return result


def _display_width(line: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in line)
