"""Text hygiene for untrusted feed text, and the folded form that search matches against.

Everything a feed or seed file says passes through :func:`clean` before it is stored, so the
store never holds a byte that could drive the terminal. Markup is *not* escaped here: the UI
never interprets stored text as markup in the first place.
"""

from __future__ import annotations

import re
import unicodedata
from html import unescape
from html.parser import HTMLParser

# ESC-introduced sequences, removed whole: CSI (ESC [ ... final), the string sequences
# OSC/DCS/SOS/PM/APC (ESC ] ... up to BEL or ST, or to the end of the text if unterminated:
# a terminal would swallow it all), and two-byte escapes (ESC x), down to a lone ESC.
# The 8-bit C1 forms (0x9b CSI, 0x9d OSC, ...) are removed whole only when they are complete:
# a lone C1 character is far more often mis-decoded windows-1252 text than an attack, and once
# the C1 character itself is gone (see _INVISIBLE) what followed it is inert text.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"  # CSI
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
    r"|\x1b[\]PX^_][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # strings
    r"|[\x90\x98\x9d\x9e\x9f][^\x07\x1b\x80-\x9f\n]{0,4096}(?:\x07|\x1b\\|\x9c)"  # 8-bit strings
    r"|\x1b[ -/]*[0-~]?"  # two-byte escapes, and a lone ESC
)

# Characters that must never reach the terminal or that break column alignment:
# C0 and C1 controls (tab, newline and CR become spaces below), DEL, every format character
# (Unicode category Cf: soft hyphen, bidi embeddings/overrides/isolates and marks, zero-width
# space/joiners, word joiner, invisible operators, BOM, interlinear annotation, tag characters,
# and the rarer Arabic, Syriac, Brahmi, Egyptian, shorthand and musical format controls),
# surrogates, noncharacters U+FFFE/U+FFFF, and the invisible fillers that terminals and Rich
# disagree about the width of (Hangul fillers, combining grapheme joiner, Khmer inherent
# vowels, Mongolian and standard variation selectors).
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
    "\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2"
    "\u115f\u1160\u17b4\u17b5\u180b-\u180f"
    "\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164"
    "\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb\ufffe\uffff\ud800-\udfff"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0000-\U000e007f\U000e0100-\U000e01ef]"
)
# What of _INVISIBLE str.isprintable() lets through (tests/test_text.py checks this against
# every code point): in printable text, a search for these few is four times quicker.
_PRINTABLE_INVISIBLE = re.compile(
    "[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180d\u180f\u3164\ufe00-\ufe0f\uffa0"
    "\U000e0100-\U000e01ef]"
)
_SPACES = re.compile(r"\s+")

# An emoji ZWJ sequence (the rainbow flag, a family, "heart on fire"): pictographs, each with an
# optional emoji presentation selector (U+FE0F) and skin tone, joined by U+200D. Inside one,
# the joiner and the selector make the sequence one glyph two cells wide (Rich measures it so);
# removed, the sequence falls apart into several emoji. Everywhere else both are removed.
_PICTOGRAPH = (
    "[©®‼⁉™ℹ↔-⇿⌀-⏿Ⓜ■-◿"
    "☀-➿⤴⤵⬀-⯿〰〽㊗㊙🀀-🫿]"
)
_ELEMENT = f"{_PICTOGRAPH}️?[🏻-🏿]?"
_INVISIBLE_OUTSIDE_EMOJI = re.compile(
    f"({_ELEMENT}(?:‍{_ELEMENT})+)|{_INVISIBLE.pattern}"
)


def _keep_emoji(match: re.Match[str]) -> str:
    return match.group(1) or ""


def clean(text: str) -> str:
    """Make untrusted text safe to store and show: one line, no controls, NFC.

    Idempotent: ``clean(clean(s)) == clean(s)``.
    """
    if text.isprintable() and (text.isascii() or _PRINTABLE_INVISIBLE.search(text) is None):
        # Nothing to remove, told in C: no control, format or separator character (the plain
        # space is the only white space left), none of the few invisibles isprintable allows.
        if not text.isascii():
            text = unicodedata.normalize("NFC", text)
        if "  " in text or text[:1] == " " or text[-1:] == " ":
            return " ".join(text.split())
        return text  # one space between words already: splitting and joining costs a third
    if _INVISIBLE.search(text) is None:
        # Nearly all feed text: nothing to remove (every escape starts with a character
        # _INVISIBLE matches), and str.split knows the same whitespace as \s. Twice as fast.
        return " ".join((text if text.isascii() else unicodedata.normalize("NFC", text)).split())
    text = _ESCAPES.sub("", text)
    if "‍" in text:
        text = _INVISIBLE_OUTSIDE_EMOJI.sub(_keep_emoji, text)
    else:
        text = _INVISIBLE.sub("", text)
    text = unicodedata.normalize("NFC", text)
    return _SPACES.sub(" ", text).strip()


MAX_SOURCE = 32 * 1024 * 1024  # bytes read of one source, file or URL: a feed is rarely 5 MB
MAX_TITLE = 1000  # characters: a headline is one row; a longer "title" is a body in disguise
MAX_TEXT = 200_000  # characters of standfirst and body kept per article; news is under 100,000


def clip(text: str, limit: int = MAX_TITLE) -> str:
    """``text`` cut to at most ``limit`` characters, an ellipsis marking the cut; idempotent."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + "…"


def clip_paragraphs(paragraphs: list[str], limit: int = MAX_TEXT) -> list[str]:
    """The paragraphs up to ``limit`` characters in all; the one that crosses it is cut.

    A 10 MB "article" is an attack or a broken feed, and every copy of it costs: in the store
    file rewritten on each change, in the search index, in every redraw of the article pane.
    """
    kept: list[str] = []
    left = limit
    for paragraph in paragraphs:
        if left <= 0:
            break
        if len(paragraph) > left:
            paragraph = clip(paragraph, left)
        kept.append(paragraph)
        left -= len(paragraph)
    return kept


# --- search folding ---------------------------------------------------------------------------

_PUNCT = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u02bc": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
        "\u00ab": '"', "\u00bb": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
        "\u00a0": " ",
    }
)
_MARKS = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
# Letters that do not decompose under NFKD but that people type without their stroke.
_LETTERS = str.maketrans({"ø": "o", "đ": "d", "ł": "l", "ħ": "h", "ı": "i", "æ": "ae", "œ": "oe"})


def fold(text: str) -> str:
    """Fold text for matching: case, accents and typographic punctuation are ignored."""
    text = text.translate(_PUNCT).casefold()
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKD", text)
    return _MARKS.sub("", text).translate(_LETTERS)


def fold_with_map(text: str) -> tuple[str, list[int]]:
    """Fold ``text`` and say, for each folded character, which original character it came from.

    Used to highlight matches in the original text; one article at a time, so per-character
    work is fine here.
    """
    out: list[str] = []
    origin: list[int] = []
    for i, char in enumerate(text):
        folded = fold(char)
        out.append(folded)
        origin.extend([i] * len(folded))
    return "".join(out), origin


# --- HTML to paragraphs -----------------------------------------------------------------------

_BLOCKS = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
    "tr", "table", "section", "article", "header", "footer", "figure", "figcaption", "pre", "hr",
}
_SKIP = {"script", "style", "head", "title", "template", "noscript", "iframe", "object", "svg"}


class _Paragraphs(HTMLParser):
    """The general case: any HTML, reduced to the text of its block elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self._buffer: list[str] = []
        self._skipping = 0

    def _flush(self) -> None:
        paragraph = clean("".join(self._buffer))
        if paragraph:
            self.paragraphs.append(paragraph)
        self._buffer = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skipping += 1
        elif tag in _BLOCKS:
            self._flush()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCKS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self._buffer.append(data)

    def close(self) -> None:
        super().close()
        self._flush()


_ATTRS = r"""(?:\s(?:[^<>"']|"[^"]*"|'[^']*')*)?/?>"""
_INLINE = re.compile(
    r"</?(?:a|em|strong|b|i|u|span|small|cite|abbr|q|sup|sub|code|mark|time|font)" + _ATTRS,
    re.IGNORECASE,
)
_BREAK = re.compile(r"</?(?:p|br|div)" + _ATTRS, re.IGNORECASE)


def html_to_paragraphs(html: str) -> list[str]:
    """Turn an item's HTML into clean paragraphs.

    Nearly every feed sends only paragraphs, line breaks and inline tags: those are split with
    two regular expressions, five times faster than HTMLParser, which takes everything else.
    """
    pieces = _BREAK.split(_INLINE.sub("", html))
    if "<" not in "".join(pieces):
        # Half the pieces are the nothing between "</p>" and "<p>": no paragraph to clean.
        return [p for p in (clean(unescape(piece)) for piece in pieces if piece) if p]
    parser = _Paragraphs()
    parser.feed(html)
    parser.close()
    return parser.paragraphs
