"""Search as you type: every word (or quoted phrase) must occur, ignoring case and accents.

Each query term matches the start of a word (``prigo`` finds Prigozhin); a hyphenated or
apostrophe word is found whole and by each part (``jong-un``, ``jong``, ``un``); a quoted phrase
matches adjacent words in order within a paragraph, punctuation between them ignored, its last
word again as a prefix. The index (:mod:`reader.wordindex`) maps every word to its articles, so a
keystroke costs one slice of postings per term, not a scan of the text; term results are cached
so that typing a second word does not redo the first.
"""

from __future__ import annotations

import functools
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import attrgetter
from typing import NamedTuple, Protocol

import numpy as np
import numpy.typing as npt

from reader.article import Content, Headline
from reader.text import fold, fold_with_map
from reader.wordindex import PART, WORD, Bools, Builder, Snapshot

_TOKENS = re.compile(r'"([^"]*)"?|(\S+)')
_REMEMBERED = 32  # term masks kept: ~100 KB each at 100,000 articles


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


class View:
    """What one search sees: the parts of an index side by side, part ``i``'s documents at
    ``bases[i]`` in every mask, and one spare slot at the end that is never set (a headline
    the index does not hold points there). Immutable.

    A part that fails while searched (a damaged file that passed the checks at load) matches
    nothing and is listed in ``broken``, so that the next sync rebuilds it."""

    def __init__(self, parts: Sequence[Snapshot]) -> None:
        self.parts = tuple(parts)
        self.bases = tuple(np.cumsum([0, *(p.documents for p in self.parts)]).tolist())
        self.documents: int = self.bases[-1]
        self.broken: set[int] = set()

    def empty(self) -> Bools:
        return np.zeros(self.documents + 1, np.bool_)

    def word(self, word: str, *, prefix: bool) -> Bools:
        """The documents holding ``word`` (or a word it starts, with ``prefix``)."""
        mask = self.empty()
        for number, (part, base) in enumerate(zip(self.parts, self.bases, strict=False)):
            try:
                part.word(word, mask[base : base + part.documents], prefix=prefix)
            except (ValueError, IndexError):
                self._broke(number, mask)
        return mask

    def phrase(
        self, parts: Sequence[str], candidates: Bools, cancelled: Callable[[], bool]
    ) -> Bools | None:
        """The candidates that hold the words ``parts`` in a row; None if cancelled."""
        found = self.empty()
        for number, (part, base) in enumerate(zip(self.parts, self.bases, strict=False)):
            mine = candidates[base : base + part.documents]
            if not mine.any():
                continue
            try:
                hits = part.phrase(parts, mine, cancelled)
            except (ValueError, IndexError):
                self._broke(number, found)
                continue
            finally:
                part.release()  # a phrase may have read all of a part's word sequences
            if hits is None:
                return None
            found[base : base + part.documents] = hits
        return found

    def _broke(self, number: int, mask: Bools) -> None:
        base = self.bases[number]
        mask[base : self.bases[number + 1]] = False
        self.broken.add(number)


class Index(Protocol):
    """What a :class:`Searcher` searches: an in-memory :class:`SearchIndex`, or the stored
    index of :mod:`reader.index_files`."""

    def snapshot(self) -> View: ...

    def positions(self, heads: Sequence[Headline], view: View) -> npt.NDArray[np.int64]: ...


class SearchIndex:
    """The word index of every article, by id, in memory: full text as it is added, titles
    until then.

    ``add`` is cheap (it queues text; tokenizing runs a batch at a time). Setting ``complete``
    freezes the index in the calling thread, so the app's builder thread pays for it and not the
    first keystroke. Searching an index that changed since it was frozen freezes it first.
    Thread-safe: one thread may add while another searches.
    """

    def __init__(self) -> None:
        self._builder = Builder()
        self._numbers: dict[str, int] = {}  # article id -> document number
        self._titles: list[Sequence[Headline]] = []  # headlines whose titles are not in yet
        self._heads: Sequence[Headline] | None = None  # the list last given to add_titles
        self._view: View | None = None
        self._mapping: tuple[Sequence[Headline], View, npt.NDArray[np.int64]] | None = None
        self._lock = threading.Lock()
        self._complete = False

    def __len__(self) -> int:
        return len(self._numbers)

    @property
    def complete(self) -> bool:
        """True once every article's full text is in."""
        return self._complete

    @complete.setter
    def complete(self, value: bool) -> None:
        if value:
            self.freeze(final=True)
        self._complete = value

    def add_titles(self, heads: Sequence[Headline]) -> None:
        """Let the titles of ``heads`` stand in for articles whose text is not added yet.

        They are indexed only if a search comes before the text (or the text never comes), so
        a build that completes before anyone searches does not pay for them."""
        with self._lock:
            self._titles.append(heads)
            self._heads = heads

    def add(self, head: Headline, content: Content) -> None:
        """Index an article's full text; it replaces whatever was indexed for it before."""
        with self._lock:
            self._numbers[head.id] = self._builder.add(
                (head.title, *content.searchable())
            )

    def freeze(self, *, final: bool = False) -> Snapshot:
        """Make everything added searchable. ``final``: the last article is in, so drop what
        only adding needs and map the headlines given to :meth:`add_titles` ahead of search."""
        with self._lock:
            self._add_titles()
            snapshot = self._builder.freeze(final=final)
            if final and self._heads is not None:
                view = self._view_of(snapshot)
                self._mapping = (self._heads, view, self._positions(self._heads, view))
            return snapshot

    def snapshot(self) -> View:
        """The current searchable state (frozen now if anything was added since)."""
        with self._lock:
            self._add_titles()
            return self._view_of(self._builder.freeze())

    def _view_of(self, snapshot: Snapshot) -> View:
        view = self._view
        if view is None or view.parts[0] is not snapshot:
            view = self._view = View([snapshot])
        return view

    def _add_titles(self) -> None:
        numbers, add = self._numbers, self._builder.add
        for heads in self._titles:
            for head in heads:
                if head.id not in numbers:
                    numbers[head.id] = add((head.title,))
        self._titles.clear()

    def positions(self, heads: Sequence[Headline], view: View) -> npt.NDArray[np.int64]:
        """Each headline's document number in ``view``; its spare slot if not in it."""
        mapping = self._mapping
        if mapping is not None and mapping[0] is heads and mapping[1] is view:
            return mapping[2]
        return self._positions(heads, view)

    def _positions(self, heads: Sequence[Headline], view: View) -> npt.NDArray[np.int64]:
        spare = view.documents
        ids = map(attrgetter("id"), heads)
        found = np.fromiter(map(self._numbers.get, ids, repeat(spare)), np.int64, len(heads))
        found[found > spare] = spare  # added after the snapshot was taken
        return found


class _Mapping(NamedTuple):
    """A headline list, as document numbers and as an array to pick results from."""

    heads: Sequence[Headline]
    size: int
    generation: int
    positions: npt.NDArray[np.int64]
    objects: npt.NDArray[np.object_]


class Searcher:
    """Searches one index, one search at a time, remembering recent term results so that each
    keystroke adds little work."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self._view: View | None = None
        self._masks: OrderedDict[tuple[str, str], Bools] = OrderedDict()
        self._mapping: _Mapping | None = None

    def search(
        self,
        text: str,
        heads: Sequence[Headline],
        generation: int = 0,
        cancelled: Callable[[], bool] = lambda: False,
    ) -> list[Headline] | None:
        """Matches for ``text`` among ``heads`` (which must be the same list for the same
        ``generation``), in the order of ``heads``; None when cancelled."""
        query = Query.parse(text)
        if not query.terms:
            return list(heads)
        return self.run(query, heads, generation, cancelled)

    def prepare(self, heads: Sequence[Headline], generation: int) -> None:
        """Map ``heads`` to the index's documents ahead of the first search of them (100,000
        lookups, 30 ms: a search typed as the list appears need not pay for it)."""
        view = self.index.snapshot()
        if view is not self._view:
            self._view = view
            self._masks.clear()
            self._mapping = None
        self._map(heads, generation, view)

    def run(
        self,
        query: Query,
        heads: Sequence[Headline],
        generation: int | None,
        cancelled: Callable[[], bool],
    ) -> list[Headline] | None:
        """:meth:`search` for a parsed query; ``generation`` None: do not reuse the mapping."""
        view = self.index.snapshot()
        if view is not self._view:
            self._view = view
            self._masks.clear()
            self._mapping = None
        combined: Bools | None = None
        for term in query.terms:
            if cancelled():
                return None
            mask = self._term(view, term, cancelled)
            if mask is None:
                return None
            if mask is _EVERYTHING:
                continue
            if combined is None:
                combined = mask.copy()
            else:
                combined &= mask
        if combined is None:
            return list(heads)
        if cancelled():
            return None
        mapping = self._map(heads, generation, view)
        found: list[Headline] = mapping.objects[combined[mapping.positions]].tolist()
        return found

    def _map(self, heads: Sequence[Headline], generation: int | None, view: View) -> _Mapping:
        """``heads`` as document numbers (100,000 lookups), reused for their generation."""
        mapping = self._mapping
        if (
            mapping is not None
            and mapping.heads is heads
            and mapping.size == len(heads)
            and mapping.generation == generation
        ):
            return mapping
        mapping = _Mapping(
            heads,
            len(heads),
            -1 if generation is None else generation,
            self.index.positions(heads, view),
            np.fromiter(heads, object, len(heads)),
        )
        if generation is not None:
            self._mapping = mapping
        return mapping

    def _term(self, view: View, term: str, cancelled: Callable[[], bool]) -> Bools | None:
        """The documents that match one term; _EVERYTHING if it has no word; None if cancelled."""
        words = WORD.findall(term)
        if not words:
            return _EVERYTHING
        if len(words) == 1:
            return self._word(view, words[0], prefix=True)
        cached = self._masks.get(("phrase", term))
        if cached is not None:
            return cached
        parts = PART.findall(term)
        candidates = self._word(view, parts[-1], prefix=True).copy()
        for part in parts[:-1]:
            if cancelled():
                return None
            candidates &= self._word(view, part, prefix=False)
        # A phrase typed further only narrows: re-check what the shorter phrase matched.
        for (kind, earlier), mask in reversed(self._masks.items()):
            if kind == "phrase" and term.startswith(earlier):
                candidates &= mask
                break
        found = view.phrase(parts, candidates, cancelled)
        if found is None:
            return None
        return self._remember(("phrase", term), found)

    def _word(self, view: View, word: str, *, prefix: bool) -> Bools:
        """The documents holding ``word`` (or a word it starts, with ``prefix``)."""
        key = ("prefix" if prefix else "exact", word)
        cached = self._masks.get(key)
        if cached is not None:
            self._masks.move_to_end(key)
            return cached
        return self._remember(key, view.word(word, prefix=prefix))

    def _remember(self, key: tuple[str, str], mask: Bools) -> Bools:
        self._masks[key] = mask
        while len(self._masks) > _REMEMBERED:
            self._masks.popitem(last=False)
        return mask


_EVERYTHING: Bools = np.ones(0, np.bool_)  # sentinel: a term with no word in it


@functools.lru_cache(maxsize=64)
def _pattern(term: str) -> re.Pattern[str] | None:
    """Where ``term`` matches in folded text, by the rules the index applies."""
    words = WORD.findall(term)
    if not words:
        return None
    if len(words) == 1:
        return re.compile(r"(?<!\w)" + re.escape(words[0]))
    return re.compile(r"(?<!\w)" + r"[^\w\n]+".join(map(re.escape, PART.findall(term))))


def highlights(text: str, query: Query) -> list[tuple[int, int]]:
    """(start, end) spans of ``text`` where a query term matches, for the article pane."""
    patterns = [p for p in map(_pattern, query.terms) if p is not None]
    if not patterns:
        return []
    folded, origin = fold_with_map(text)
    spans = []
    for pattern in patterns:
        for match in pattern.finditer(folded):
            spans.append((origin[match.start()], origin[match.end() - 1] + 1))
    return sorted(spans)
