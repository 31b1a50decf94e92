"""reader.text: the hygiene every stored string goes through, and HTML reduced to paragraphs."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from reader.text import (
    MAX_TEXT,
    MAX_TITLE,
    clean,
    clip,
    clip_paragraphs,
    fold,
    html_to_paragraphs,
)

# Everything a terminal could act on or that has no width of its own. clean() must remove all.
BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
ZERO_WIDTH = "\u00ad\u034f\u180e\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff"
FILLERS = "\u115f\u1160\u3164\uffa0\u17b4\u17b5"
SELECTORS = "\ufe00\ufe0f\U000e0100\U000e01ef\u180b\u180c\u180d\u180f"


ZWJ, VS16 = "\u200d", "\ufe0f"  # allowed only inside an emoji ZWJ sequence: see stray()
SKIN_TONES = "".join(chr(c) for c in range(0x1F3FB, 0x1F400))


def forbidden(char: str) -> bool:
    """Characters that must never be in clean() output (tab/newline/CR become spaces).

    The zero-width joiner and the emoji selector are not judged here, one character at a time:
    they belong inside emoji ZWJ sequences. :func:`stray` judges them in context.
    """
    if char in (ZWJ, VS16):
        return False
    return unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp") or char in (
        BIDI + ZERO_WIDTH + FILLERS + SELECTORS + "\ufffe\uffff"
    )


def _emoji(char: str) -> bool:
    return unicodedata.category(char) == "So"


def stray(text: str) -> list[str]:
    """The forbidden characters in ``text`` (as U+XXXX), a joiner or selector included unless
    it sits in an emoji ZWJ sequence: symbol [selector] [skin tone] ZWJ symbol ...

    Written apart from reader.text's regular expression, from Unicode categories, so that the
    two are checked against each other.
    """
    joins: set[int] = set()
    for i, char in enumerate(text):
        if char != ZWJ or i + 1 >= len(text) or not _emoji(text[i + 1]):
            continue
        j = i - 1
        if j >= 0 and text[j] in SKIN_TONES:
            j -= 1
        if j >= 0 and text[j] == VS16:
            j -= 1
        if j >= 0 and _emoji(text[j]):
            joins.add(i)
    selectors: set[int] = set()
    for i, char in enumerate(text):
        if char != VS16 or i == 0 or not _emoji(text[i - 1]):
            continue
        after = i + 2 if text[i + 1 : i + 2] in tuple(SKIN_TONES) else i + 1
        if after in joins or (i >= 2 and i - 2 in joins):
            selectors.add(i)
    bad = [
        i for i, char in enumerate(text)
        if forbidden(char) or (char == ZWJ and i not in joins)
        or (char == VS16 and i not in selectors)
    ]
    return [f"U+{ord(text[i]):04X}" for i in bad]


def test_every_control_format_and_surrogate_code_point_is_removed() -> None:
    everything = "".join(chr(c) for c in range(sys.maxunicode + 1))
    assert stray(clean(everything)) == []


def test_the_printable_invisibles_are_exactly_those_isprintable_lets_through() -> None:
    """clean() skips the search for all of _INVISIBLE in printable text: only these can hide
    there (isprintable follows this Python's Unicode tables, so this is checked, not trusted)."""
    from reader.text import _INVISIBLE, _PRINTABLE_INVISIBLE

    for code in range(sys.maxunicode + 1):
        char = chr(code)
        expected = char.isprintable() and _INVISIBLE.match(char) is not None
        assert (_PRINTABLE_INVISIBLE.match(char) is not None) == expected, hex(code)
        # and clean() takes the plain space for the only white space of printable text
        assert not (char.isprintable() and char.isspace()) or char == " ", hex(code)


@pytest.mark.parametrize(
    "emoji",
    [
        "🏳\ufe0f\u200d🌈",  # rainbow flag
        "👨\u200d👩\u200d👧\u200d👦",  # family
        "👩🏽\u200d💻",  # technologist, skin tone
        "❤\ufe0f\u200d🔥",  # heart on fire
        "👁\ufe0f\u200d🗨\ufe0f",  # eye in speech bubble
        "🏴\u200d☠\ufe0f",  # pirate flag
    ],
)
def test_emoji_zwj_sequences_stay_whole(emoji: str) -> None:
    from rich.cells import cell_len

    text = f"Pride {emoji} parade"
    assert clean(text) == text
    assert cell_len(emoji) == 2  # one glyph, as a terminal that knows the sequence draws it
    assert stray(clean(text)) == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a\u200db", "ab"),
        ("\u200d👩 lead", "👩 lead"),
        ("👩\u200d tail", "👩 tail"),
        ("👨\u200d\u200b👩", "👨👩"),  # broken by a zero-width space: not a sequence
        ("👨\u200d\u200d👩", "👨👩"),
        ("👨\ufe0f\ufe0f\u200d👩", "👨👩"),
        ("x\ufe0f\u200d👩", "x👩"),
        ("heart ❤\ufe0f alone", "heart ❤ alone"),
    ],
)
def test_joiners_outside_emoji_sequences_are_removed(raw: str, expected: str) -> None:
    assert clean(raw) == expected
    assert stray(clean(raw)) == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Clear \x1b[2J screen", "Clear screen"),
        ("\x1b[1;31mred\x1b[0m text", "red text"),
        ("title \x1b]0;PWNED\x07 after", "title after"),  # OSC ended by BEL
        ("title \x1b]0;PWNED\x1b\\ after", "title after"),  # OSC ended by ST
        ("copy \x1b]52;c;cm0gLXJmIH4=\x07 me", "copy me"),  # clipboard write
        ("link \x1b]8;;http://evil\x1b\\text\x1b]8;;\x1b\\ end", "link text end"),  # hyperlink
        ("dcs \x1bPq#0;2;0;0;0\x1b\\ sixel", "dcs sixel"),
        ("reset \x1bc terminal", "reset terminal"),
        ("keypad \x1b= mode", "keypad mode"),
        ("unterminated \x1b]0;swallows the rest", "unterminated"),
        ("8-bit \x9b2J CSI", "8-bit CSI"),
        ("8-bit \x9d0;PWNED\x07 OSC", "8-bit OSC"),
        ("8-bit \x9d0;PWNED\x9c OSC with ST", "8-bit OSC with ST"),
        ("NUL\x00 BEL\x07 BS\x08 DEL\x7f NEL\x85 end", "NUL BEL BS DEL NEL end"),
        ("line\r\nbreaks\tand\x0btabs\x0c", "line breaks andtabs"),
        ("   padded   \n\n  text  ", "padded text"),
        ("Invoice \u202egnp.exe\u202c", "Invoice gnp.exe"),
        ("zero\u200bwidth\u200c\u200djoin\ufeff\u2060", "zerowidthjoin"),
        ("family 👨\u200d👩\u200d👧 flag 🏳\ufe0f\u200d🌈 heart ❤\ufe0f",
         "family 👨\u200d👩\u200d👧 flag 🏳\ufe0f\u200d🌈 heart ❤"),
        ("hangul\u3164filler\u115f", "hangulfiller"),
        ("tag\U000e0041\U000e007f chars", "tag chars"),
    ],
)
def test_clean_removes_escapes_and_invisibles(raw: str, expected: str) -> None:
    assert clean(raw) == expected


def test_lone_c1_character_does_not_eat_the_text_after_it() -> None:
    # windows-1252 text decoded as latin-1 has C1 characters where curly quotes were: the
    # character goes, the words stay (an 8-bit "OSC" without a terminator is not one).
    assert clean("It\x92s a \x93quote\x94 \x9dand more words") == "Its a quote and more words"
    assert clean("Stra\x9ee \x9fnumber one") == "Strae number one"


def test_clean_keeps_real_text() -> None:
    text = "‘Nothing left’ – Erdoğan, 漢字 カタカナ 한국어 עברית العربية 🙂 [bold]x[/]"
    assert clean(text) == text


def test_clean_composes_to_nfc() -> None:
    assert clean("Erdog\u0306an cafe\u0301") == "Erdoğan café"


def test_clean_is_idempotent_on_nasty_mixtures() -> None:
    for raw in (
        "\x1b\x00[2J",
        "\x1b\x1b[[2J",
        "e\u200b\u0301",
        "\x9b\x9d\x1b]\x07\x1b\\",
        " \u0301 lead",
        "\x1b]0;" + "x" * 10_000,
        "\x9d" + "y" * 5000 + "\x07 tail",
    ):
        once = clean(raw)
        assert clean(once) == once, repr(raw)
        assert stray(once) == []


def test_clean_is_linear_on_a_10_mb_string() -> None:
    import time

    body = ("word \x1b[1m\x9d \u202e" * 1_000_000)[:10_000_000]
    start = time.monotonic()
    out = clean(body)
    assert time.monotonic() - start < 10
    assert "\x1b" not in out and "\u202e" not in out and "word" in out


def test_clip() -> None:
    assert clip("short") == "short"
    long = "x" * (MAX_TITLE + 500)
    clipped = clip(long)
    assert len(clipped) == MAX_TITLE and clipped.endswith("…")
    assert clip(clipped) == clipped
    assert clip("abc def", 5) == "abc…"


def test_clip_paragraphs_caps_the_total() -> None:
    assert clip_paragraphs(["a", "b"]) == ["a", "b"]
    kept = clip_paragraphs(["x" * 8, "y" * 8, "z" * 8], limit=12)
    assert kept == ["x" * 8, "yyy…"]
    huge = clip_paragraphs(["w" * 10_000_000])
    assert len(huge) == 1 and len(huge[0]) == MAX_TEXT


def test_html_to_paragraphs() -> None:
    html = (
        "<p>First &amp; <b>bold</b></p><script>alert('x')</script><style>p{}</style>"
        "<p>Second<br>third \x1b[2J</p><div><a href='https://example.com/a'>Link "
        "text</a></div><ul><li>one</li><li>two</li></ul><p>  </p>"
    )
    expected = ["First & bold", "Second", "third", "Link text", "one", "two"]
    assert html_to_paragraphs(html) == expected


def test_simple_html_fast_path_matches_the_full_parser() -> None:
    """The regex path for p/br/inline tags gives what HTMLParser gives, and takes over
    only when no other tag is left."""
    from reader.text import _Paragraphs

    samples = [
        "<p>Kim &amp; Putin</p><p>Second <em>para</em><br/>line <a href=\"https://x/?a>b\">"
        "Continue reading...</a></p>",
        "plain text, no tags &lt;b&gt;",
        "<P CLASS='x'>Upper</P><BR>case <STRONG>tags</STRONG>",
        "<p>a < b and c > d</p>",
        "<p>one</p><!-- a comment --><p>two</p>",
        "<p>x</p><script>alert(1)</script>",
    ]
    for html in samples:
        parser = _Paragraphs()
        parser.feed(html)
        parser.close()
        assert html_to_paragraphs(html) == parser.paragraphs, html


def test_html_markup_looking_text_is_kept_literally() -> None:
    paragraphs = html_to_paragraphs("<p>[@click=app.quit]x[/] &lt;b&gt;not a tag&lt;/b&gt;</p>")
    assert paragraphs == ["[@click=app.quit]x[/] <b>not a tag</b>"]


def test_fold_ignores_case_accents_and_typography() -> None:
    assert fold("Erdoğan’s “ÉTÉ” – Ø") == "erdogan's \"ete\" - o"
