"""CPU-heavy work on a caller's large input, done where it cannot stall the event loop.

Parsing and checking policy documents is pure CPU: a 128 KB document takes milliseconds, and
a request may carry several. Below `LARGE_INPUT` characters the work is cheaper than a thread
hand-off and runs in place; from there on it runs in a worker thread, so the loop goes on
serving other requests between the interpreter's thread switches (every 5 ms at most).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import ParamSpec, TypeVar

LARGE_INPUT = 16_384
"""Characters of caller input from which the work moves off the event loop."""

_P = ParamSpec("_P")
_T = TypeVar("_T")


async def off_the_loop_if_large(
    size: int, work: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs
) -> _T:
    """`work(*args, **kwargs)`, in a worker thread when its input is `size` characters or more
    (LARGE_INPUT) and in place otherwise; its result or exception either way."""
    if size < LARGE_INPUT:
        return work(*args, **kwargs)
    return await asyncio.to_thread(work, *args, **kwargs)
