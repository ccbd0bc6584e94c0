"""Work on a large input runs off the event loop's thread; small work stays in place."""

from __future__ import annotations

import threading

import pytest

from gateway.services.offload import LARGE_INPUT, off_the_loop_if_large


async def test_large_work_runs_in_another_thread_and_small_work_in_place() -> None:
    loop_thread = threading.get_ident()
    assert await off_the_loop_if_large(LARGE_INPUT - 1, threading.get_ident) == loop_thread
    assert await off_the_loop_if_large(LARGE_INPUT, threading.get_ident) != loop_thread


async def test_the_works_exception_reaches_the_caller() -> None:
    def refuse(text: str) -> None:
        raise ValueError(text)

    for size in (0, LARGE_INPUT):
        with pytest.raises(ValueError, match=r"^no$"):
            await off_the_loop_if_large(size, refuse, "no")
