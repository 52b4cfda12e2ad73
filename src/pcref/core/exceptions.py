"""Reading an error's chain: what it was raised from, or raised while handling."""

from __future__ import annotations

from collections.abc import Iterator


def chain(error: BaseException | None) -> Iterator[BaseException]:
    """The error, then each error it was raised from (`__cause__`) or while handling
    (`__context__`), once each: a chain may loop back on itself."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__
