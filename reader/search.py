"""Search as you type: every word (or quoted phrase) must occur, ignoring case and accents.

The index is the folded text of every article, held in memory: a substring test per article
runs in C, and as the user types each keystroke only re-checks the previous keystroke's
matches. The work is done in chunks so a newer keystroke can cancel an older search.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from reader.article import Content, Headline
from reader.text import fold, fold_with_map

_TOKENS = re.compile(r'"([^"]*)"?|(\S+)')
_CHUNK = 4096
_REMEMBERED = 32


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query: folded terms, each a word or a phrase, all of which must match."""

    terms: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> Query:
        terms = []
        for phrase, word in _TOKENS.findall(fold(text)):
            term = " ".join((phrase or word).split())
            if term and term not in terms:
                terms.append(term)
        return cls(tuple(terms))

    def narrows(self, other: Query) -> bool:
        """True when every match of ``self`` is also a match of ``other``."""
        return all(any(mine.find(theirs) >= 0 for mine in self.terms) for theirs in other.terms)


def article_text(title: str, content: Content) -> str:
    """The text search looks at; paragraphs are kept apart so a phrase cannot span two."""
    return "\n".join([title, content.standfirst, *content.body])


class SearchIndex:
    """Folded text of every article, by id; titles first, full text once it is loaded."""

    def __init__(self) -> None:
        self._texts: dict[str, str] = {}
        self.complete = False  # True once every article's full text is in

    def __len__(self) -> int:
        return len(self._texts)

    def add_titles(self, heads: Sequence[Headline]) -> None:
        texts = self._texts
        for head in heads:
            texts.setdefault(head.id, fold(head.title))

    def add(self, head: Headline, content: Content) -> None:
        self._texts[head.id] = fold(article_text(head.title, content))

    def matches(
        self,
        query: Query,
        candidates: Sequence[Headline],
        cancelled: Callable[[], bool] = lambda: False,
    ) -> list[Headline] | None:
        """The candidates that match every term, in order; None if cancelled part way."""
        texts = self._texts
        result = list(candidates)
        for term in sorted(query.terms, key=len, reverse=True):  # longest is usually rarest
            kept: list[Headline] = []
            for start in range(0, len(result), _CHUNK):
                if cancelled():
                    return None
                kept += [h for h in result[start : start + _CHUNK] if term in texts.get(h.id, "")]
            result = kept
        return result


class Searcher:
    """Remembers recent results so that typing and backspacing only re-check a few articles."""

    def __init__(self, index: SearchIndex) -> None:
        self.index = index
        self._recent: OrderedDict[Query, list[Headline]] = OrderedDict()
        self._basis: tuple[int, bool] | None = None

    def search(
        self,
        text: str,
        heads: Sequence[Headline],
        generation: int = 0,
        cancelled: Callable[[], bool] = lambda: False,
    ) -> list[Headline] | None:
        """Matches for ``text`` among ``heads`` (which must be the same list for the same
        ``generation``), or None when cancelled."""
        basis = (generation, self.index.complete)
        if basis != self._basis:
            self._recent.clear()
            self._basis = basis
        query = Query.parse(text)
        if not query.terms:
            return list(heads)
        if query in self._recent:
            self._recent.move_to_end(query)
            return self._recent[query]
        candidates: Sequence[Headline] = heads
        for earlier, found in reversed(self._recent.items()):
            if query.narrows(earlier) and len(found) < len(candidates):
                candidates = found
        result = self.index.matches(query, candidates, cancelled)
        if result is not None:
            self._recent[query] = result
            while len(self._recent) > _REMEMBERED:
                self._recent.popitem(last=False)
        return result


def highlights(text: str, query: Query) -> list[tuple[int, int]]:
    """(start, end) spans of ``text`` where a query term matches, for the article pane."""
    if not query.terms:
        return []
    folded, origin = fold_with_map(text)
    spans = []
    for term in query.terms:
        start = folded.find(term)
        while start >= 0:
            end = start + len(term)
            spans.append((origin[start], origin[end - 1] + 1))
            start = folded.find(term, end)
    return sorted(spans)
