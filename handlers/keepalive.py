"""One keepalive sweep for every open socket, instead of a ping timer (a task) per socket.

Every `interval` seconds the sweep closes the sockets that did not answer the previous
sweep's ping, and pings the others; a client that stops answering is closed within two
intervals, as Tornado's own per-socket pings would. The sweep yields to the loop every
SLICE sockets, so pinging thousands never holds it.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

SLICE = 200


class Pinged(Protocol):
    """A socket the sweep keeps alive (handlers/ws.py)."""

    def send_ping(self) -> None: ...
    def ping_timed_out(self) -> None: ...


class Keepalive:
    """The open sockets, each with whether it answered the last ping."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._answered: dict[Pinged, bool] = {}
        self._sweeping: asyncio.Task[None] | None = None

    def watch(self, socket: Pinged) -> None:
        self._answered[socket] = True

    def forget(self, socket: Pinged) -> None:
        self._answered.pop(socket, None)

    def pong(self, socket: Pinged) -> None:
        if socket in self._answered:
            self._answered[socket] = True

    async def sweep(self) -> None:
        """Close the sockets that did not answer since the last sweep; ping the others."""
        for number, (socket, answered) in enumerate(list(self._answered.items()), 1):
            if socket not in self._answered:
                continue  # closed while the sweep yielded
            if answered:
                self._answered[socket] = False
                socket.send_ping()
            else:
                self.forget(socket)
                socket.ping_timed_out()
            if number % SLICE == 0:
                await asyncio.sleep(0)

    def start(self) -> None:
        """Sweep every `interval` seconds until `stop`."""
        self._sweeping = asyncio.ensure_future(self._run())

    def stop(self) -> None:
        if self._sweeping is not None:
            self._sweeping.cancel()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self.sweep()
