"""Case- and accent-insensitive word search without `$text`: documents keep a folded word array.

"José Müller" is stored as ["jose", "muller"]; a query "jose mul" matches documents whose
array holds a word starting with each query word, through an anchored regex that a MongoDB
multikey index can serve (and that the embedded engine understands too).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

_WORD = re.compile(r"[^\W_]+")
MAX_WORD_LENGTH = 40
MAX_QUERY_WORDS = 8


def fold(text: str) -> str:
    """Lower-case `text` and strip its accents: "Ærøskøbing José" -> "ærøskøbing jose"."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.casefold()


def words(*texts: str) -> list[str]:
    """The distinct folded words of `texts`, in first-seen order."""
    seen: dict[str, None] = {}
    for text in texts:
        for word in _WORD.findall(fold(text)):
            seen.setdefault(word[:MAX_WORD_LENGTH], None)
    return list(seen)


def query_words(query: str) -> list[str]:
    """The folded words of a user's query (at most MAX_QUERY_WORDS)."""
    return words(query)[:MAX_QUERY_WORDS]


def prefix_filter(field: str, query: list[str]) -> dict[str, Any]:
    """A filter matching documents whose `field` array has a word starting with each query word."""
    clauses = [{field: {"$regex": "^" + re.escape(word)}} for word in query]
    if len(clauses) == 1:
        return clauses[0]
    return {"$and": clauses}


def matches_prefix(terms: Iterable[str], word: str) -> bool:
    """True when one of `terms` starts with `word` (the Python twin of `prefix_filter`)."""
    return any(term.startswith(word) for term in terms)
