"""Topics a socket watches besides its user's events: a question page, say (`watch` frames).

Only this process's sockets are kept here; events on a topic reach the other processes as a
hub command (Hub.publish_topic), so no process subscribes to anything per topic.
"""

from __future__ import annotations

from typing import Any


class Topics:
    """Which sockets of this process watch which topics. Invariant: `_watchers` and `_topics`
    hold the same pairs, seen from each side."""

    def __init__(self) -> None:
        self._watchers: dict[str, set[Any]] = {}
        self._topics: dict[Any, set[str]] = {}

    def watch(self, connection: Any, topic: str, limit: int) -> bool:
        """Make `connection` watch `topic`; False (and nothing changes) when it already
        watches `limit` other topics."""
        mine = self._topics.setdefault(connection, set())
        if topic not in mine and len(mine) >= limit:
            return False
        mine.add(topic)
        self._watchers.setdefault(topic, set()).add(connection)
        return True

    def unwatch(self, connection: Any, topic: str) -> None:
        self._topics.get(connection, set()).discard(topic)
        watchers = self._watchers.get(topic)
        if watchers is not None:
            watchers.discard(connection)
            if not watchers:
                del self._watchers[topic]

    def forget(self, connection: Any) -> None:
        """The socket closed: it watches nothing any more."""
        for topic in list(self._topics.pop(connection, ())):
            watchers = self._watchers.get(topic)
            if watchers is not None:
                watchers.discard(connection)
                if not watchers:
                    del self._watchers[topic]

    def watchers(self, topic: str) -> list[Any]:
        return list(self._watchers.get(topic, ()))
