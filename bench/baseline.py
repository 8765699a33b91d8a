"""The bare baselines the benchmark compares Hypee with, in one Tornado process of their own.

- `/ws?room=<id>`: a WebSocket relay that stores nothing and checks nothing: a `message`
  frame is acknowledged to its sender and relayed to every other socket of its room, in the
  same frame shapes as Hypee's protocol.
- `/json`: a JSON handler that answers a small constant object.

Run alone with `python -m bench.baseline PORT [nagle]`; like Hypee, the relay turns Nagle's
algorithm off on its sockets unless `nagle` is given (Tornado's default).
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import defaultdict

import tornado.web
import tornado.websocket

ROOMS: dict[str, set[RelaySocket]] = defaultdict(set)
# `python -m bench.baseline PORT nagle`: keep Tornado's default (Nagle's algorithm on).
NODELAY = "nagle" not in sys.argv[2:]


class RelaySocket(tornado.websocket.WebSocketHandler):
    def check_origin(self, origin: str) -> bool:
        return True

    def open(self) -> None:
        if NODELAY:
            self.set_nodelay(True)
        self.room = self.get_query_argument("room")
        ROOMS[self.room].add(self)
        self.write_message(json.dumps({"type": "ready"}))

    def on_message(self, message: str | bytes) -> None:
        frame = json.loads(message)
        if frame.get("type") != "message":
            return
        self.write_message(json.dumps({"type": "ack", "client_id": frame["client_id"]}))
        relayed = json.dumps({"type": "message", "message": frame}).encode()
        for other in ROOMS[self.room]:
            if other is not self:
                other.write_message(relayed, binary=False)

    def on_close(self) -> None:
        ROOMS[self.room].discard(self)


class JsonHandler(tornado.web.RequestHandler):
    def get(self) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish(b'{"status":"ok","results":[]}')


async def main(port: int) -> None:
    app = tornado.web.Application([("/ws", RelaySocket), ("/json", JsonHandler)])
    app.listen(port, "127.0.0.1")
    print(f"listening on {port}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
