"""hypee/turns.py: heavy work spread over passes of the event loop, in order."""

from __future__ import annotations

import asyncio
from collections import Counter

from hypee.turns import Turns


async def _admissions(
    turns: Turns, pieces: int, cancel: set[int] = frozenset()
) -> list[tuple[int, int]]:
    """(piece, pass) for each piece let through, `cancel`ed pieces giving up while waiting."""
    passes = 0
    admitted: list[tuple[int, int]] = []

    async def count_passes() -> None:
        nonlocal passes
        while True:
            passes += 1
            await asyncio.sleep(0)

    async def piece(number: int) -> None:
        await turns.take()
        admitted.append((number, passes))

    ticker = asyncio.ensure_future(count_passes())
    await asyncio.sleep(0)
    tasks = [asyncio.ensure_future(piece(n)) for n in range(pieces)]
    await asyncio.sleep(0)
    for number in cancel:
        tasks[number].cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    ticker.cancel()
    return admitted


async def test_a_few_pieces_pass_per_pass_in_the_order_they_came():
    admitted = await _admissions(Turns(4), 20)
    assert [number for number, _ in admitted] == list(range(20))
    per_pass = Counter(at for _, at in admitted)
    assert max(per_pass.values()) <= 4
    assert len(per_pass) >= 5


async def test_a_piece_that_stops_waiting_gives_its_turn_to_the_next():
    admitted = await _admissions(Turns(2), 8, cancel={4, 5})
    assert [number for number, _ in admitted] == [0, 1, 2, 3, 6, 7]


def test_turns_start_afresh_on_another_loop():
    """A loop that ended mid-pass (a test, a maintenance command) leaves no turn taken."""
    turns = Turns(1)
    asyncio.run(turns.take())
    turns._taken = 1  # as if that loop had ended before the pass that took it did
    asyncio.run(asyncio.wait_for(turns.take(), 1))
