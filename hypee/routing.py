"""Routes written as templates (`/api/mentors/{mentor_id}/`), as docs/api.md and OpenAPI do."""

from __future__ import annotations

import re
from dataclasses import dataclass

import tornado.routing
import tornado.web

_PARAMETER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Route:
    """A URL template and the handler class that answers it."""

    template: str
    handler: type[tornado.web.RequestHandler]

    @property
    def parameters(self) -> list[str]:
        """The names of the template's path parameters, in order."""
        return _PARAMETER.findall(self.template)

    def url_spec(self) -> tornado.routing.URLSpec:
        """A Tornado URL spec; a trailing slash is optional, as docs/api.md promises."""
        path = self.template.rstrip("/") or "/"
        pattern = "".join(
            f"(?P<{piece}>[^/]+)" if i % 2 else re.escape(piece)
            for i, piece in enumerate(_PARAMETER.split(path))
        )
        if path != "/":
            pattern += "/?"
        return tornado.routing.URLSpec(f"^{pattern}$", self.handler, {"route": self.template})
