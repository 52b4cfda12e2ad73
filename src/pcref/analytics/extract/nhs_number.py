"""The NHS number modulus 11 check, in Python and as DuckDB SQL, to refuse identifiable extracts.

An NHS number is 10 digits; the 10th is a check digit over the first nine (NHS Data Dictionary,
NHS NUMBER): multiply the first digit by 10, the second by 9, ... the ninth by 2; add them up;
the check digit is 11 minus the remainder after dividing by 11, with 11 read as 0, and a result
of 10 meaning the number is not valid. Spaces and hyphens ("943 476 5919", "943-476-5919") are
ignored, as NHS numbers are often written in groups of 3, 3 and 4. So is a zero fraction
("9434765919.0"): an identifier column with blanks leaves pandas as floats, and a spreadsheet
or a Parquet writer then writes each number that way; it is still the person's NHS number.

About 1 in 11 random 10-digit strings passes the check, so one value proves nothing: the loader
refuses a column only when most of its non-blank values pass (`extract.validate`). The SQL form
is the same rule, so a column is judged in the database without moving its values into Python;
a test checks that the two agree.
"""

from __future__ import annotations

import re

_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)
_SEPARATORS = re.compile(r"[ -]")
_TEN_DIGITS = re.compile(r"[0-9]{10}")
_ZERO_FRACTION = re.compile(r"\.0{1,3}$")  # ".0" to ".000": a float's or a decimal's text


def check_digit(first_nine: str) -> int | None:
    """The modulus 11 check digit for the first nine digits of an NHS number.

    Args:
        first_nine: exactly nine ASCII digits.

    Returns:
        The check digit 0-9, or None when the remainder gives 10: no NHS number starts with
        those nine digits.

    Raises:
        ValueError: naming the value, if it is not nine ASCII digits.

    >>> check_digit("943476591")
    9
    """
    if not isinstance(first_nine, str) or not re.fullmatch(r"[0-9]{9}", first_nine):
        raise ValueError(f"check_digit needs nine digits; got {first_nine!r}")
    total = sum(int(digit) * weight for digit, weight in zip(first_nine, _WEIGHTS, strict=True))
    digit = (11 - total % 11) % 11
    return None if digit == 10 else digit


def is_valid_nhs_number(value: object) -> bool:
    """True when a value is 10 digits (spaces, hyphens and a zero fraction ignored) with a
    valid check digit.

    Args:
        value: anything; strings, ints and whole floats can be NHS numbers. None, other
            floats and other types give False (missing in, not a number out).

    Returns:
        Whether the value passes the modulus 11 check.

    >>> [is_valid_nhs_number(v) for v in ("943 476 5919", "9434765918", 9434765919, None, "P1")]
    [True, False, True, False, False]
    >>> [is_valid_nhs_number(v) for v in ("9434765919.0", 9434765919.0, 9434765919.5)]
    [True, True, False]
    """
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return False
    digits = _ZERO_FRACTION.sub("", _SEPARATORS.sub("", str(value)))
    if not _TEN_DIGITS.fullmatch(digits):
        return False
    return check_digit(digits[:9]) == int(digits[9])


def sql_is_nhs_number(expression: str) -> str:
    """A DuckDB SQL boolean expression: the same check as `is_valid_nhs_number` on a VARCHAR.

    Cheap for values that cannot be NHS numbers: only strings of 10 to 16 characters are
    looked at, and separators and a zero fraction are removed only from the longer ones.
    NULL gives false.

    Args:
        expression: a SQL expression of type VARCHAR, e.g. a quoted column name. It is
            repeated in the result, so pass a column, not a costly expression.

    Returns:
        SQL text, to be used inside a query (e.g. `count_if(<it>)`).

    >>> import duckdb
    >>> duckdb.connect().execute(f"SELECT {sql_is_nhs_number(repr('943 476 5919'))}").fetchone()[0]
    True
    """
    return (
        f"(CASE WHEN length({expression}) = 10 THEN {_sql_digits_valid(expression)} "
        f"WHEN length({expression}) BETWEEN 11 AND 16 THEN list_transform("
        f"[regexp_replace(replace(replace({expression}, ' ', ''), '-', ''), '\\.0{{1,3}}$', '')], "
        f"lambda d: {_sql_digits_valid('d')})[1] "
        "ELSE false END)"
    )


def _sql_digits_valid(digits: str) -> str:
    weighted = " + ".join(
        f"(ascii(substr({digits}, {position}, 1)) - 48) * {weight}"
        for position, weight in enumerate(_WEIGHTS, start=1)
    )
    return (
        f"(regexp_full_match({digits}, '[0-9]{{10}}') AND "
        f"(11 - ({weighted}) % 11) % 11 = ascii(substr({digits}, 10, 1)) - 48)"
    )
