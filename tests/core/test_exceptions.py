"""The error chain read by the full-disk message and the database-away page."""

from pcref.core.exceptions import chain


def raised_from(error: BaseException, cause: BaseException) -> BaseException:
    try:
        raise error from cause
    except BaseException as raised:
        return raised


def test_the_chain_is_the_error_then_what_it_was_raised_from_then_what_it_was_handling():
    first = ValueError("first")
    try:
        try:
            raise first
        except ValueError:
            raise KeyError("second")  # noqa: B904 - the implicit context is what is tested
    except KeyError as second:
        third = raised_from(RuntimeError("third"), second)
    assert [str(link) for link in chain(third)] == ["third", "'second'", "first"]


def test_a_chain_that_loops_back_on_itself_ends():
    one, two = ValueError("one"), ValueError("two")
    one.__cause__, two.__cause__ = two, one
    assert list(chain(one)) == [one, two]
    assert list(chain(None)) == []
