"""The NHS number modulus 11 check, and its SQL twin giving the same answer."""

from __future__ import annotations

import random

import duckdb
import pytest

from pcref.analytics.extract.nhs_number import check_digit, is_valid_nhs_number, sql_is_nhs_number


def test_check_digit_follows_the_weights_10_to_2():
    # 9*10 + 4*9 + 3*8 + 4*7 + 7*6 + 6*5 + 5*4 + 9*3 + 1*2 = 299; 299 % 11 = 2; 11 - 2 = 9
    assert check_digit("943476591") == 9
    assert check_digit("000000000") == 0  # remainder 0: 11 is read as 0


def test_a_remainder_of_1_has_no_check_digit():
    # 11 - 1 = 10 is not a digit: no NHS number starts with these nine digits.
    first_nine = next(
        f"{n:09d}"
        for n in range(100_000_000, 100_001_000)
        if sum(int(d) * w for d, w in zip(f"{n:09d}", range(10, 1, -1), strict=True)) % 11 == 1
    )
    assert check_digit(first_nine) is None
    assert not any(is_valid_nhs_number(first_nine + str(d)) for d in range(10))


@pytest.mark.parametrize("value", ["94347659", "94347659a", 943476591, None, ""])
def test_check_digit_refuses_anything_but_nine_digits(value):
    with pytest.raises(ValueError, match=f"check_digit needs nine digits; got {value!r}"):
        check_digit(value)


def test_valid_and_invalid_numbers():
    assert is_valid_nhs_number("9434765919")
    assert is_valid_nhs_number("943 476 5919") and is_valid_nhs_number("943-476-5919")
    assert is_valid_nhs_number(9434765919)
    assert not is_valid_nhs_number("9434765918")  # wrong check digit
    assert not is_valid_nhs_number("94347659190")  # 11 digits
    assert not is_valid_nhs_number("P434765919")
    assert not is_valid_nhs_number(None) and not is_valid_nhs_number(True)


def test_a_number_written_as_a_decimal_is_still_an_nhs_number():
    # an identifier column with blanks becomes floats in pandas: "9434765919.0" in the file
    assert is_valid_nhs_number(9434765919.0) and is_valid_nhs_number("9434765919.0")
    assert is_valid_nhs_number("9434765919.00") and is_valid_nhs_number("943 476 5919.000")
    assert not is_valid_nhs_number(9434765919.5) and not is_valid_nhs_number("9434765919.")
    assert not is_valid_nhs_number("9434765919.0000")  # 11 digits once ".000" is removed
    assert not is_valid_nhs_number(float("nan")) and not is_valid_nhs_number(9434765918.0)


def test_sql_and_python_agree():
    generator = random.Random(20251126)
    values = [str(generator.randrange(10**9, 10**10)) for _ in range(5000)]
    values += [f"{v[:3]} {v[3:6]} {v[6:]}" for v in values[:500]]
    values += [f"{v[:3]}-{v[3:6]}-{v[6:]}" for v in values[:500]]
    values += [f"{v}.0" for v in values[:500]] + [
        f"{v[:3]} {v[3:6]} {v[6:]}.00" for v in values[:50]
    ]
    values += ["", " ", "9434765919 ", "x434765919", "94347659190", "12345", "ÿ434765919", None]
    values += ["9434765919.", "9434765919.5", "9434765919.0000", "9434765919.0.0", ".0"]
    con = duckdb.connect()
    rows = con.execute(
        f"SELECT v, {sql_is_nhs_number('v')} FROM (SELECT unnest($1::VARCHAR[]) AS v)", [values]
    ).fetchall()
    disagree = [(v, sql) for v, sql in rows if bool(sql) != is_valid_nhs_number(v)]
    assert disagree == []
    share = sum(bool(sql) for _, sql in rows[:5000]) / 5000
    assert 0.07 < share < 0.11  # about 1 in 11 random 10-digit numbers passes by chance
