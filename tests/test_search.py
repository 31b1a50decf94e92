"""Search rules, checked on small indexes built from Headline/Content objects.

The last tests compare the index with a plain-Python model of the rules on random text, with
tiny blocks and batches so that every path of the index (bitmaps, merges, several blocks,
freezing part way) is exercised.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from unittest.mock import patch

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reader import wordindex
from reader.article import Content, Headline
from reader.search import Query, Searcher, SearchIndex, highlights
from reader.text import fold
from reader.wordindex import PART, WORD, word_key

Article = tuple[str, str, list[str]]  # title, standfirst, body


def headline(number: int, title: str) -> Headline:
    return Headline(f"id{number}", title, "feed", None, "", "", "", number)


def build(articles: Sequence[Article]) -> tuple[SearchIndex, list[Headline]]:
    index = SearchIndex()
    heads = [headline(i, title) for i, (title, _, _) in enumerate(articles)]
    for head, (_, standfirst, body) in zip(heads, articles, strict=True):
        index.add(head, Content(standfirst, body))
    index.complete = True
    return index, heads


NEWS: list[Article] = [
    ("Kim Jong-un offers Putin ‘full support’", "North Korea’s leader met Putin.",
     ["Putin’s war goes on.", "The war in Ukraine."]),
    ("No grain breakthrough after Erdoğan-Putin talks", "Talks in Sochi.",
     ["Prigozhin’s mutiny was discussed."]),
    ("ERDOGAN SPEAKS", "", []),
    ("Wagner chief Prigozhin", "A full, support act.", ["Korea is north of here."]),
    ("Nothing to see", "Support for the full programme.", ["Plain text only."]),
]


@pytest.fixture(scope="module")
def news() -> tuple[SearchIndex, list[Headline]]:
    return build(NEWS)


def titles(news: tuple[SearchIndex, list[Headline]], query: str) -> list[str]:
    index, heads = news
    found = Searcher(index).search(query, heads)
    assert found is not None
    return [h.title for h in found]


def test_case_is_ignored(news: tuple[SearchIndex, list[Headline]]) -> None:
    assert titles(news, "sochi") == titles(news, "SOCHI") == titles(news, "SoChI") == [NEWS[1][0]]
    assert titles(news, "Speaks") == ["ERDOGAN SPEAKS"]


def test_accents_are_ignored_both_ways(news: tuple[SearchIndex, list[Headline]]) -> None:
    both = [NEWS[1][0], "ERDOGAN SPEAKS"]
    assert titles(news, "erdogan") == both
    assert titles(news, "Erdoğan") == both
    assert titles(news, "ERDOĞAN") == both


def test_typographic_quotes_match_plain_ones(news: tuple[SearchIndex, list[Headline]]) -> None:
    assert titles(news, "putin's") == [NEWS[0][0]]
    assert titles(news, "putin’s") == [NEWS[0][0]]
    assert titles(news, "prigozhin's") == [NEWS[1][0]]
    assert titles(news, '“full support”') == titles(news, '"full support"')


def test_every_word_must_match(news: tuple[SearchIndex, list[Headline]]) -> None:
    assert titles(news, "putin") == [NEWS[0][0], NEWS[1][0]]
    assert titles(news, "putin sochi") == [NEWS[1][0]]
    assert titles(news, "sochi putin") == [NEWS[1][0]]
    assert titles(news, "putin plain") == []
    assert titles(news, "zzzz") == []


def test_a_quoted_phrase_matches_only_as_a_phrase(news: tuple[SearchIndex, list[Headline]]) -> None:
    # Both words are in articles 0, 3 and 4; adjacent and in order only in 0 and 3.
    assert titles(news, "full support") == [NEWS[0][0], NEWS[3][0], NEWS[4][0]]
    assert titles(news, '"full support"') == [NEWS[0][0], NEWS[3][0]]  # punctuation between
    assert titles(news, '"support full"') == []  # order matters
    assert titles(news, '"the war in ukraine"') == [NEWS[0][0]]
    assert titles(news, '"war the"') == []  # not across paragraphs ("...goes on." / "The war")
    assert titles(news, '"on the war"') == []
    assert titles(news, '"north korea"') == [NEWS[0][0]]  # "Korea is north" is the wrong order


def test_an_unterminated_quote_is_the_phrase_so_far(
    news: tuple[SearchIndex, list[Headline]],
) -> None:
    assert Query.parse('putin "north kor').terms == ("putin", "north kor")
    assert titles(news, '"north kor') == [NEWS[0][0]]
    assert titles(news, '"korea is no') == [NEWS[3][0]]
    assert titles(news, '"korea no') == []


def test_terms_match_as_you_type_at_the_start_of_a_word(
    news: tuple[SearchIndex, list[Headline]],
) -> None:
    for typed in ("p", "pr", "pri", "prig", "prigo", "prigozhin"):
        assert NEWS[3][0] in titles(news, typed)
    assert titles(news, "prigo") == [NEWS[1][0], NEWS[3][0]]
    assert titles(news, "gozhin") == []  # inside a word: not a match
    assert titles(news, "prigozhinx") == []


def test_hyphenated_words_are_found_whole_and_by_their_parts(
    news: tuple[SearchIndex, list[Headline]],
) -> None:
    for query in ("jong-un", "Jong-Un", "jong", "un", "jong-u", '"kim jong-un offers"'):
        assert titles(news, query) == [NEWS[0][0]], query
    assert titles(news, "erdogan-putin") == [NEWS[1][0]]
    assert titles(news, "jong-unx") == []


def test_an_empty_query_returns_everything_in_order(
    news: tuple[SearchIndex, list[Headline]],
) -> None:
    index, heads = news
    for query in ("", "   ", '"', '""', "--"):
        assert Searcher(index).search(query, heads) == heads


def test_results_come_among_and_in_the_order_of_the_given_heads(
    news: tuple[SearchIndex, list[Headline]],
) -> None:
    index, heads = news
    shuffled = [heads[3], heads[1], heads[0], heads[2]]
    assert Searcher(index).search("prigozhin", shuffled) == [heads[3], heads[1]]
    stranger = headline(99, "Prigozhin, not indexed")
    assert Searcher(index).search("prigozhin", [stranger, heads[1]]) == [heads[1]]


def test_a_cancelled_search_returns_none(news: tuple[SearchIndex, list[Headline]]) -> None:
    index, heads = news
    assert Searcher(index).search("putin", heads, cancelled=lambda: True) is None
    assert Searcher(index).search('"full support"', heads, cancelled=lambda: True) is None
    assert Searcher(index).search("", heads, cancelled=lambda: True) == heads


def test_the_searcher_reuses_results_across_keystrokes(
    news: tuple[SearchIndex, list[Headline]],
) -> None:
    index, heads = news
    searcher = Searcher(index)
    typed = '"full support"'
    answers = [searcher.search(typed[:n], heads, generation=1) for n in range(len(typed) + 1)]
    fresh = [Searcher(index).search(typed[:n], heads) for n in range(len(typed) + 1)]
    assert answers == fresh
    assert searcher.search("war", heads, 1) == searcher.search("war", heads, 2) == [heads[0]]


def test_prepare_maps_the_list_once_for_the_first_search(
    news: tuple[SearchIndex, list[Headline]],
) -> None:
    index, heads = news
    searcher = Searcher(index)
    with patch.object(SearchIndex, "positions", autospec=True,
                      side_effect=SearchIndex.positions) as mapped:
        searcher.prepare(heads, 1)
        assert mapped.call_count == 1
        found = searcher.search("war", heads, 1)
        assert mapped.call_count == 1, "the first search used the prepared mapping"
        searcher.search("war", list(heads), 2)  # another list: mapped anew
        assert mapped.call_count == 2
    assert found == Searcher(index).search("war", heads) == [heads[0]]


def test_titles_stand_in_until_the_text_is_added() -> None:
    index = SearchIndex()
    heads = [headline(0, "Wagner chief speaks"), headline(1, "Grain deal")]
    index.add_titles(heads)
    searcher = Searcher(index)
    assert searcher.search("wagner", heads) == [heads[0]]
    assert searcher.search("prigozhin", heads) == []
    index.add(heads[0], Content("Prigozhin said so.", []))
    assert searcher.search("prigozhin", heads) == [heads[0]]
    assert searcher.search("grain", heads) == [heads[1]]  # still by its title
    index.complete = True
    assert searcher.search("wagner", heads) == [heads[0]]
    assert searcher.search("grain", heads) == [heads[1]]


def test_adding_again_replaces_an_article_and_more_can_be_added_after_complete() -> None:
    index, heads = build([("Old title", "old words", [])])
    searcher = Searcher(index)
    assert searcher.search("old", heads) == heads
    index.add(heads[0], Content("new words", []))
    assert searcher.search("old", heads) == heads  # the title still says "Old"
    assert searcher.search("words", heads) == heads
    assert searcher.search('"old words"', heads) == []
    more = headline(1, "Another one")
    index.add(more, Content("", ["Fresh text"]))
    assert searcher.search("fresh", [*heads, more]) == [more]
    assert len(index) == 2


def test_odd_text_is_indexed_safely() -> None:
    long_word = "pneumonoultramicroscopicsilicovolcanoconiosis"
    index, heads = build([
        ("Nul\0inside", "tab\there", [f"{long_word} 12345678901 snake_case"]),
        ("Strasse", "Straße and ﬁnance", ["\ud800 lone surrogate", "İstanbul"]),
        ("", "", []),
    ])
    searcher = Searcher(index)
    assert searcher.search("inside", heads) == [heads[0]]
    assert searcher.search("nul", heads) == [heads[0]]
    assert searcher.search("pneumonoultra", heads) == [heads[0]]
    assert searcher.search(long_word, heads) == [heads[0]]
    assert searcher.search("1234567890", heads) == [heads[0]]
    assert searcher.search("snake_c", heads) == [heads[0]]
    assert searcher.search("strasse", heads) == [heads[1]]  # ß folds to ss
    assert searcher.search("finance", heads) == [heads[1]]  # the ﬁ ligature
    assert searcher.search("istanbul", heads) == [heads[1]]
    assert searcher.search("surrogate", heads) == [heads[1]]


def test_a_paragraph_of_nul_does_not_shift_the_articles() -> None:
    index, heads = build([("first", "", ["\0"]), ("second", "\0", ["findme"]), ("third", "", [])])
    searcher = Searcher(index)
    assert searcher.search("findme", heads) == [heads[1]]
    assert searcher.search("third", heads) == [heads[2]]


def test_compounds_are_whole_words_even_with_unusual_hyphens() -> None:
    # U+2010 folds to "-": the whole word is "x-a-b", whatever its hyphens were.
    index, heads = build([("x-a\u2010b", "", []), ("a\u2010b", "", [])])
    searcher = Searcher(index)
    assert searcher.search("x-a-b", heads) == [heads[0]]
    assert searcher.search("a-b", heads) == [heads[1]]
    assert searcher.search("x-a", heads) == [heads[0]]
    assert searcher.search("b", heads) == heads


def test_phrases_over_a_large_vocabulary_agree_with_the_model() -> None:
    # Thousands of words: ids of one, two and three bytes in the word sequences.
    rng = np.random.default_rng(3)
    rare = [f"r{i}" for i in range(17_000)]
    common = [f"c{i}" for i in range(300)]
    articles: list[Article] = [(" ".join(rare[i : i + 500]), "", []) for i in range(0, 17_000, 500)]
    for _ in range(400):
        words = [common[i] for i in rng.integers(0, 300, 30)]
        words += [rare[i] for i in rng.integers(0, 17_000, 3)]
        rng.shuffle(words)
        articles.append(("", " ".join(words), []))
    index, heads = build(articles)
    searcher = Searcher(index)
    for _ in range(150):
        first, second = rng.integers(0, len(articles), 2)
        pool = (articles[first][0] + " " + articles[first][1]).split()
        at = int(rng.integers(0, len(pool) - 1))
        for text in (f'"{pool[at]} {pool[at + 1]}"', f'"{pool[at]} {common[second % 300]}"'):
            expected = [heads[i] for i in _model(articles, Query.parse(text))]
            assert searcher.search(text, heads) == expected, text


def test_word_keys_are_exact() -> None:
    words = ["a", "ab", "abc", "a_b", "a1", "zzzzzzzz", "abcdefghi", "abcdefghijkl", "0",
             "jong-un", "jong-un's", "o'neill-s"]
    keys = [word_key(w) for w in words]
    assert None not in keys and len(set(keys)) == len(keys)
    assert word_key("abcdefghijklm") is None  # too long: kept by name
    assert word_key("été") is None


def test_highlights_point_into_the_original_text() -> None:
    text = "Kim Jong-un offers Putin’s ‘full support’ to Erdoğan; PRIGOZHIN too"

    def marked(query: str) -> list[str]:
        return [text[a:b] for a, b in highlights(text, Query.parse(query))]

    assert marked("erdogan") == ["Erdoğan"]
    assert marked("putin's") == ["Putin’s"]
    assert marked("prigo") == ["PRIGO"]
    assert marked('"full support"') == ["full support"]
    assert marked('"putin full"') == []  # "s" is between them
    assert marked('"putin’s full"') == ["Putin’s ‘full"]
    assert marked("un") == ["un"]
    assert marked("jong-un kim") == ["Kim", "Jong-un"]
    assert marked("gozhin") == []
    assert highlights(text, Query.parse("")) == []


# --- the index against a model of the rules ----------------------------------------------------

_ALPHABET = "abcxyz019_ AZ'-’‘“”–—….,;éÉğßİﬁ\u2010\u00a0\n"
_words = st.sampled_from(
    ["putin", "put", "kim", "jong", "un", "war", "the", "erdoğan", "ab", "abcdefghijk",
     "abcdefghijklmnop", "x1", "a_b"]
)
_texts = st.lists(
    st.one_of(_words, st.text(_ALPHABET, min_size=1, max_size=4)), max_size=12
).map("".join)
_articles = st.lists(st.tuples(_texts, _texts, st.lists(_texts, max_size=3)), max_size=24)
_queries = st.lists(st.one_of(_words, st.text(_ALPHABET, max_size=6)), min_size=1, max_size=4)


def _matches(term: str, sequences: list[list[str]], words: set[str]) -> bool:
    tokens = WORD.findall(term)
    if not tokens:
        return True
    if len(tokens) == 1:
        return any(w.startswith(tokens[0]) for w in words)
    *exact, last = PART.findall(term)
    return any(
        seq[i : i + len(exact)] == exact and seq[i + len(exact)].startswith(last)
        for seq in sequences
        for i in range(len(seq) - len(exact))
    )


def _model(articles: Sequence[Article], query: Query) -> list[int]:
    """Which articles match, by the rules in their plainest form."""
    found = []
    for number, (title, standfirst, body) in enumerate(articles):
        paragraphs = [fold(p) for t in (title, standfirst, *body) for p in t.split("\n")]
        sequences = [PART.findall(p) for p in paragraphs]
        words = {w for p in paragraphs for w in [*PART.findall(p), *WORD.findall(p)]}
        if all(_matches(term, sequences, words) for term in query.terms):
            found.append(number)
    return found


@contextmanager
def _tiny_blocks() -> Iterator[None]:
    with patch.multiple(
        wordindex, BLOCK=16, _DENSE=3, _BATCH_CHARS=40, _MERGE_FANIN=2, _SCAN=64, _SCATTER=8
    ):
        yield


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(articles=_articles, queries=st.lists(_queries, min_size=1, max_size=4), split=st.data())
def test_the_index_agrees_with_the_model(
    articles: list[Article], queries: list[list[str]], split: st.DataObject
) -> None:
    with _tiny_blocks():
        index = SearchIndex()
        heads = [headline(i, a[0]) for i, a in enumerate(articles)]
        searcher = Searcher(index)
        # Add in two parts with a search between, so that frozen blocks get more documents.
        half = split.draw(st.integers(0, len(articles)))
        for part in (range(half), range(half, len(articles))):
            for i in part:
                index.add(heads[i], Content(articles[i][1], articles[i][2]))
            for words in queries:
                text = " ".join(words)
                query = Query.parse(text)
                expected = [heads[i] for i in _model(articles, query) if i < part.stop]
                assert searcher.search(text, heads[: part.stop], generation=part.stop) == expected
                quoted = '"' + text
                expected = [heads[i] for i in _model(articles, Query.parse(quoted))
                            if i < part.stop]
                assert searcher.search(quoted, heads[: part.stop]) == expected


def test_many_blocks_and_bitmaps_agree_with_the_model() -> None:
    rng = np.random.default_rng(7)
    vocabulary = ["putin", "kim", "jong-un", "war", "the", "erdoğan", "prigozhin", "north",
                  "korea", "putin’s", "grain", "deal", "sochi", "wagner", "x" * 15]
    articles: list[Article] = []
    for _ in range(300):
        words = rng.choice(vocabulary, size=int(rng.integers(1, 12)), p=None)
        body = [" ".join(rng.choice(vocabulary, size=5)) for _ in range(int(rng.integers(0, 3)))]
        articles.append((" ".join(words[:3]), " ".join(words[3:]), body))
    with _tiny_blocks():
        index, heads = build(articles)
        searcher = Searcher(index)
        for text in ["p", "putin", "putin's", "jong", "un", '"north korea"', '"the war',
                     "kim war", '"putin s', "x" * 13, "erdogan", '"grain deal sochi"', "zz"]:
            expected = [heads[i] for i in _model(articles, Query.parse(text))]
            assert searcher.search(text, heads) == expected, text
