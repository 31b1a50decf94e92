"""The seed text parser: the real seed file, the ways real files differ from it, and refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from reader.errors import SourceError
from reader.seed import parse_seed, read_seed
from tests.conftest import SEED

RAW = SEED.read_bytes()

FIRST_BODY = [
    "Kim Jong-un invited President Vladimir Putin to visit North Korea during their meeting in "
    "Russia on Wednesday, Pyongyang’s state media reported, amid warnings that Kim was poised to "
    "offer the Kremlin artillery shells and other munitions for the war in Ukraine.",
    "Kim told Putin that their closely watched meeting had brought bilateral ties to a new level, "
    "and expressed his willingness to foster stable, future-oriented relations for the next 100 "
    "years, news agency KCNA said.",
]


def test_real_seed_gives_20_articles() -> None:
    items = read_seed(SEED)
    assert len(items) == 20
    first, last = items[0], items[-1]
    assert first.title == (
        "Kim Jong-un invites Putin to North Korea after summit brings ties to ‘a new level’"
    )
    assert first.standfirst == (
        "North Korean media report that Kim was briefed on space vehicles during his meetings "
        "in Russia, though no specific detail of any deal has emerged"
    )
    assert first.body == FIRST_BODY
    assert last.title == (
        "After Prigozhin humiliated Putin, the question was how he survived so long"
    )
    assert last.standfirst.startswith("The Wagner leader appeared down but not out")
    assert len(last.body) == 2 and last.body[1].startswith("“A lot of them nodded their heads”")
    assert last.body[1].endswith("‘No, the guys won’t agree with that decision.’”")
    # The article with the long "at a glance" body keeps all ten paragraphs, in order.
    glance = next(i for i in items if i.title.startswith("Russia-Ukraine war at a glance"))
    assert len(glance.body) == 10
    for item in items:
        assert item.title and item.standfirst and item.body
        assert not any("Continue reading" in p for p in [item.title, item.standfirst, *item.body])
        assert item.feed == "seed" and item.link == "" and item.published is None


def test_seed_titles_match_the_feed_titles() -> None:
    """The seed is the text rendering of the RSS fixture: same titles, same order."""
    from reader.feed import parse_feed
    from tests.conftest import FEED

    feed = parse_feed(FEED.read_bytes(), "feed").items
    seed = parse_seed(RAW, "seed")
    assert [i.title for i in seed] == [i.title for i in feed]
    assert [i.standfirst for i in seed] == [i.standfirst for i in feed]
    assert [i.body for i in seed] == [i.body for i in feed]


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param(RAW.replace(b"\n", b"\r\n"), id="crlf"),
        pytest.param(RAW.replace(b"\n", b"\r"), id="old-mac-cr"),
        pytest.param(b"\xef\xbb\xbf" + RAW, id="bom"),
        pytest.param(RAW.replace(b"\n", b"   \t\n"), id="trailing-spaces"),
        pytest.param(b"\xef\xbb\xbf" + RAW.replace(b"\n", b" \r\n") + b"\r\n\r\n", id="all-three"),
        pytest.param(RAW.replace(b"\n\n", b"\n\n\n\n"), id="extra-blank-lines"),
        pytest.param(RAW.replace(b"Continue reading...", b"  Continue reading\xe2\x80\xa6 "),
                     id="ellipsis-char"),
    ],
)
def test_tolerates_messy_variants(variant: bytes) -> None:
    assert parse_seed(variant, "seed") == parse_seed(RAW, "seed")


def test_missing_final_continue_reading() -> None:
    cut = RAW[: RAW.rindex(b"Continue reading...")].rstrip()
    assert parse_seed(cut, "seed") == parse_seed(RAW, "seed")


def test_article_with_only_a_title() -> None:
    data = (
        b"A lonely title\n\nContinue reading...\n\n"
        b"Second title\n\nIts standfirst\n\nIts body\n\nContinue reading...\n\n"
        b"Title at the end with nothing after it"
    )
    items = parse_seed(data, "x")
    assert [(i.title, i.standfirst, i.body) for i in items] == [
        ("A lonely title", "", []),
        ("Second title", "Its standfirst", ["Its body"]),
        ("Title at the end with nothing after it", "", []),
    ]


def test_standfirst_written_straight_under_the_title() -> None:
    items = parse_seed(b"Title\nstandfirst line one\nline two\n\nBody\nContinue reading...", "x")
    assert [(i.title, i.standfirst, i.body) for i in items] == [
        ("Title", "standfirst line one line two", ["Body"])
    ]


def test_wrapped_paragraph_lines_are_joined() -> None:
    items = parse_seed(b"T\n\nS\n\nwrapped\nparagraph\n  here\n\nContinue reading...", "x")
    assert items[0].body == ["wrapped paragraph here"]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"caf\xe9 au lait\n\nlatin-1 text\n", "not UTF-8 text (byte 0xe9 at offset 3)"),
        (b"\xff\xfeT\x00i\x00", "not UTF-8 text (byte 0xff at offset 0)"),
        (b"", "no articles found"),
        (b"   \n\r\n\t\n", "no articles found"),
        (b"Continue reading...\n\nContinue reading...\n", "no articles found"),
        (b"\x1b[2J\x00\x07\n", "binary data"),
        (b"title\x00with a NUL\n", "binary data"),
    ],
)
def test_refusals_are_one_line_naming_the_file(data: bytes, reason: str) -> None:
    with pytest.raises(SourceError) as caught:
        parse_seed(data, "/some/dir/bad.txt")
    message = str(caught.value)
    assert message.startswith("/some/dir/bad.txt: ")
    assert reason in message
    assert "\n" not in message and "\r" not in message


def test_text_of_only_controls_is_no_article() -> None:
    with pytest.raises(SourceError, match="no articles found"):
        parse_seed("\x1b[2J\n\n\x1b]0;x\x07\n\u200b\u202e\n".encode(), "x")


def test_read_seed_names_the_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    with pytest.raises(SourceError, match=rf"^{missing}: cannot read \(No such file"):
        read_seed(missing)


def test_read_seed_uses_the_file_stem_as_feed(tmp_path: Path) -> None:
    path = tmp_path / "morning-briefing.txt"
    path.write_bytes(b"Title\n\nStandfirst\n")
    assert read_seed(path)[0].feed == "morning-briefing"


def test_hostile_text_is_cleaned_and_titles_are_clipped() -> None:
    data = (
        "Clear \x1b[2J \x1b]0;PWNED\x07 \u202eevil " + "x" * 5000 + "\n\n"
        "Stand\u200bfirst \x9b31m\n\nBody \x1b]52;c;Zm9v\x07 end\n\nContinue reading..."
    ).encode()
    (item,) = parse_seed(data, "x")
    assert item.title.startswith("Clear evil xxx") and len(item.title) == 1000
    assert item.standfirst == "Standfirst"
    assert item.body == ["Body end"]


def test_a_10_mb_body_is_cut_to_what_a_reader_can_use() -> None:
    data = b"Title\n\nStandfirst\n\n" + b"word " * 2_000_000 + b"\n\n" + b"more\n\n" * 1000
    (item,) = parse_seed(data, "x")
    assert sum(map(len, [item.standfirst, *item.body])) <= 200_000
    assert item.body[0].startswith("word word") and item.body[0].endswith("…")
