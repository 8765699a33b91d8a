"""`python -m server.reference`: write the generated parts of docs/api.md (the frame tables
of models/frames.py, between the `frames` markers). `make api-types` runs it; a test fails
when the committed reference differs from what this writes."""

from __future__ import annotations

import sys
from pathlib import Path

from models.frames import frame_tables

START, END = (
    "<!-- frames: generated from models/frames.py by `make api-types` -->",
    "<!-- /frames -->",
)
REFERENCE = Path(__file__).resolve().parent.parent / "docs" / "api.md"


def with_frame_tables(text: str) -> str:
    """`text` (docs/api.md) with its generated frame tables replaced by the current ones."""
    before, found, rest = text.partition(START)
    if not found:
        raise ValueError(f"docs/api.md has no {START!r} marker")
    _, found, after = rest.partition(END)
    if not found:
        raise ValueError(f"docs/api.md has no {END!r} marker")
    return f"{before}{START}\n{frame_tables()}{END}{after}"


def main(path: Path = REFERENCE) -> int:
    path.write_text(with_frame_tables(path.read_text()))
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else REFERENCE))
