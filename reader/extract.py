"""An article's own text from its web page, extracted in a worker process with a time limit.

A web page is hostile input the way a feed is, and heavier: a page built to make an HTML
parser or an extractor spin, eat memory or crash must cost that page, not the reader. So the
work (decoding, parsing, extracting) runs in a child process (``python -m reader.extract``)
that takes one page at a time over a pipe and answers in JSON, never pickle: a subverted
worker can send only data. The parent gives each page ``limit`` seconds and kills the worker
on the spot if it takes longer, crashes or answers nonsense; the next page gets a new worker.
The worker dies with the thread that started it (see :func:`reader.importer._kill_me_with_parent`)
and caps its own memory.

Extraction is trafilatura's (measured against readability-lxml in docs/extraction.md), with
four additions: what is never the article (navigation, forms, asides, footers) and the
containers every site marks the same way (ads, cookie and consent banners, share bars,
newsletter boxes, related stories, comments, text only screen readers get) are pruned before
it runs, which also makes it several times faster on heavy pages; the standfirst and the lead
picture, which many sites keep outside the article's body, are put back when the page shows
them; and a heading that repeats the article's title is dropped. Links in
the text are numbered ``[3]`` and listed (http and https only, resolved against the page),
pictures become ``[image: alt text] [4]``; every paragraph goes through
:func:`reader.text.clean`.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import re
import resource
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import orjson

from reader.errors import ReaderError
from reader.links import openable
from reader.text import _ESCAPES, MAX_TEXT, clean, clip_paragraphs, fold

LIMIT = 10.0  # seconds of wall time for one page's decoding and extraction
STARTUP = 30.0  # seconds a new worker may take to be ready (not counted against a page)
MEMORY = 2 << 30  # bytes of address space a worker may use
MAX_LINKS = 500  # links listed per article; past that, link text stays but gets no number
_HEAD = struct.Struct(">I")
_READY = b"ready"
_MAX_ANSWER = 64 << 20  # a worker's answer is at most MAX_TEXT characters and MAX_LINKS links


class ExtractError(ReaderError):
    """The page gave no text: why, in one line (without the URL)."""


@dataclass(frozen=True, slots=True)
class Extracted:
    """What a page holds of its article: paragraphs, the links they number, the page title."""

    paragraphs: list[str]
    links: list[str] = field(default_factory=list)
    title: str = ""


# --- decoding -------------------------------------------------------------------------------

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
         (codecs.BOM_UTF16_BE, "utf-16-be"))
_CHARSET = re.compile(rb"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:+-]{1,40})""", re.IGNORECASE)
_META = re.compile(rb"<meta\s[^>]*>", re.IGNORECASE)
_PRESCAN = 8192  # bytes searched for a <meta> charset (browsers look at 1024, pages overrun it)
_SNIFF = 65536  # bytes given to charset detection
# What browsers do with labels pages get wrong (WHATWG Encoding): Latin-1 and ASCII mean
# windows-1252; a <meta> cannot say UTF-16 (the bytes it is in are ASCII-compatible).
_AS_1252 = frozenset({"latin_1", "ascii", "iso8859_1"})


def _codec(label: bytes | str | None, *, in_page: bool = False) -> str | None:
    """Python's codec for a charset label, or None for a label nobody can decode."""
    if not label:
        return None
    text = label.decode("ascii", "replace") if isinstance(label, bytes) else label
    try:
        name = codecs.lookup(text.strip().lower()).name.replace("-", "_")
        b"<p>".decode(name)  # "zlib", "base64", "undefined": codecs, but not of text
    except (LookupError, UnicodeError):
        return None
    if name in _AS_1252:
        return "cp1252"
    if in_page and name.startswith("utf_16"):
        return "utf-8"
    return name


def _header_charset(content_type: str) -> str | None:
    match = _CHARSET.search(content_type.encode("latin-1", "replace"))
    return _codec(match.group(1)) if match else None


def _meta_charset(data: bytes) -> str | None:
    for meta in _META.finditer(data[:_PRESCAN]):
        match = _CHARSET.search(meta.group(0))
        if match:
            return _codec(match.group(1), in_page=True)
    return None


def decode(data: bytes, content_type: str = "") -> str:
    """A page's text: by its byte order mark, else the HTTP header's charset, else the page's
    own ``<meta>`` declaration, else UTF-8 if it is valid, else detection, else windows-1252.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(codec, "replace")
    declared = _header_charset(content_type) or _meta_charset(data)
    if declared:
        return data.decode(declared, "replace")
    with contextlib.suppress(UnicodeDecodeError):
        return data.decode("utf-8")
    import charset_normalizer  # only for pages that declare nothing and are not UTF-8

    best = charset_normalizer.from_bytes(data[:_SNIFF]).best()
    detected = _codec(best.encoding) if best is not None else None
    return data.decode(detected or "cp1252", "replace")


# --- extraction (in the worker) -------------------------------------------------------------

# Elements that are never the article: the extractor drops them too, but only after copying
# them several times and counting their text as the page's; gone first, every step is cheaper.
_NEVER = ("script", "style", "noscript", "template")
_NOT_TEXT = ("svg", "iframe", "object", "embed", "form", "nav", "aside", "footer", "button",
             "select", "textarea", "dialog", "menu", "canvas", "audio", "video", "map")
# Class, id, role, aria-label and data-component words that mark what is never the article,
# on nearly every site: matched as whole words ("ad" in "ad-slot" or "dotcom-ad", not in
# "header" or "shadow"); and the classes of text only screen readers get ("Image caption,").
_BOILERPLATE = re.compile(
    r"(?<![a-z0-9])(?:ads?|adslot|adverts?|advertisement|advertising|sponsor|sponsored|promo|"
    r"promoted|outbrain|taboola|cookies?|consent|cmp|gdpr|newsletters?|signup|subscribe|share|"
    r"sharing|sharedaddy|social|related|recommended|recommendations|onward|comments|"
    r"discussion|respond|author|bio|byline|tags|topics|breadcrumbs?|sidebar|widget|popup|"
    r"modal|overlay|epic|contributions|sr-only|visually-hidden|screen-reader-text)(?![a-z0-9])"
)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_KEEP = frozenset({"html", "body", "main", "article"})
_CONTROLS = re.compile("[\x1b\x90-\x9f]")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>")
_BLOCKS = frozenset({"p", "head", "item", "quote", "code", "row", "list", "table", "cell"})


def _boilerplate(element: Any) -> bool:
    if element.tag in _NOT_TEXT:
        return True
    if not element.attrib:
        return False
    get = element.get
    if get("hidden") is not None or get("aria-hidden") == "true" or get("role") == "dialog":
        return True
    if _HIDDEN_STYLE.search(get("style") or ""):
        return True
    marks = f"{get('class')} {get('id')} {get('role')} {get('aria-label')} {get('data-component')}"
    return _BOILERPLATE.search(marks.lower()) is not None


def _length(element: Any) -> int:
    return sum(len(text) for text in element.itertext())


def _prune(tree: Any) -> None:
    """Remove what every site marks as not the article, but never a container of the article
    itself (a ``<article class="post has-comments">``, a page in one ``<form>``)."""
    for element in list(tree.iter(*_NEVER)):
        element.drop_tree()
    half = _length(tree) // 2
    stack = [tree]
    while stack:
        for child in list(stack.pop()):
            if not isinstance(child.tag, str):
                continue  # a comment or processing instruction
            if child.tag not in _KEEP and _boilerplate(child) and _length(child) <= half:
                child.drop_tree()  # its text beyond half the page's: the content, whatever
            else:                  # its class says; else boilerplate, and not looked into
                stack.append(child)


def _meta(tree: Any, *names: str) -> str:
    for name in names:
        for value in tree.xpath(f"//meta[@property='{name}' or @name='{name}']/@content"):
            text = clean(str(value))
            if text:
                return text
    return ""


def _page_title(tree: Any) -> str:
    """The article's title: the page's own for sharing, else its headline where the window
    title only adds the site's name to it, else the window title."""
    shared = _meta(tree, "og:title", "twitter:title")
    if shared:
        return shared
    found = tree.xpath("//title")
    window = clean(found[0].text_content()) if found else ""
    found = tree.xpath("//h1")
    headline = clean(found[0].text_content()) if found else ""
    if headline and (not window or window.startswith(headline)):
        return headline
    return window


class _Writer:
    """trafilatura's XML turned into clean paragraphs with numbered links."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.paragraphs: list[str] = []
        self.links: list[str] = []
        self._numbers: dict[str, int] = {}
        self._buffer: list[str] = []

    def number(self, target: str | None) -> str:
        """`` [n]`` for a link we may list, else nothing."""
        if not target:
            return ""
        link = openable(urljoin(self.url, target.strip()))
        if link is None:
            return ""
        if link not in self._numbers:
            if len(self.links) >= MAX_LINKS:
                return ""
            self.links.append(link)
            self._numbers[link] = len(self.links)
        return f" [{self._numbers[link]}]"

    def flush(self) -> None:
        paragraph = clean("".join(self._buffer))
        if paragraph:
            self.paragraphs.append(paragraph)
        self._buffer = []

    def block(self, element: Any, prefix: str = "") -> None:
        self.flush()
        self._buffer.append(prefix)
        self.inline(element)
        self.flush()

    def image(self, element: Any) -> None:
        alt = clean(element.get("alt") or element.get("title") or "")
        label = f"[image: {alt}]" if alt else "[image]"
        self._buffer.append(f" {label}{self.number(element.get('src'))} ")

    def inline(self, element: Any) -> None:
        self._buffer.append(element.text or "")
        for child in element:
            tag = child.tag
            if tag == "graphic":
                self.image(child)
            elif tag == "ref":
                self._buffer.append("".join(child.itertext()) + self.number(child.get("target")))
            elif tag == "lb":
                self._buffer.append(" ")
            elif tag == "item":
                self.block(child, "• ")
            elif tag == "cell":
                self._buffer.append(" ")
                self.inline(child)
                self._buffer.append(" |")
            elif tag in _BLOCKS:
                self.block(child)
            else:
                self.inline(child)
            self._buffer.append(child.tail or "")

    def document(self, main: Any) -> None:
        for child in main:
            if child.tag == "graphic":
                self.flush()
                self.image(child)
                self.flush()
            elif child.tag in ("list", "table", "quote") and any(
                grandchild.tag in _BLOCKS for grandchild in child
            ):
                self.document(child)
            elif child.tag == "row":
                self.block(child)
                if self.paragraphs and self.paragraphs[-1].endswith(" |"):
                    self.paragraphs[-1] = self.paragraphs[-1][:-2]
            else:
                self.block(child, "• " if child.tag == "item" else "")


def _text(element: Any) -> str:
    return " ".join(fold(" ".join(element.itertext())).split())


def _standfirst(tree: Any, hint: str, paragraphs: list[str]) -> str:
    """The page's own copy of ``hint`` (the feed's standfirst, or the page's description)
    when the extractor left it out, else ""."""
    wanted = " ".join(fold(clean(hint)).split())
    if len(wanted) < 20 or any(wanted in " ".join(fold(p).split()) for p in paragraphs[:3]):
        return ""
    for element in tree.xpath("//body//*[self::p or self::div or self::h2 or self::span]"):
        if _text(element) == wanted:
            return clean(" ".join(element.itertext()))
    return ""


def _lead_image(tree: Any) -> Any | None:
    """The article's first picture with a description, which sites often put beside the
    text's container (under the headline) where the extractor does not look."""
    for scope in ("//article", "//main", "//*[@role='main']"):
        found = tree.xpath(f"({scope}//img[normalize-space(@alt)])[1]")
        if found:
            return found[0]
    return None


def extract(data: bytes, content_type: str, url: str, title: str = "", hint: str = "") -> Extracted:
    """The article in a page's bytes; raises ExtractError when there is none to find.

    ``title`` is the article's title (a heading that repeats it is dropped); ``hint`` its
    standfirst as the feed gave it, put back if the extractor misses the page's copy.
    """
    import trafilatura  # the worker's import; the parent never needs it
    from lxml import etree  # type: ignore[import-untyped,unused-ignore]

    # Terminal escape sequences go whole, before the parser drops their ESC and leaves the
    # rest ("[2J") as text.
    text = _XML_DECLARATION.sub("", decode(data, content_type), count=1)
    if _CONTROLS.search(text):
        text = _ESCAPES.sub("", text)
    if not text.strip():
        raise ExtractError("an empty page")
    tree = trafilatura.load_html(text)
    if tree is None:
        raise ExtractError("not an HTML page")
    page_title = _page_title(tree)
    hint = hint or _meta(tree, "og:description", "description")
    _prune(tree)
    xml = trafilatura.extract(
        tree, output_format="xml", include_comments=False, include_links=True,
        include_images=True, include_tables=True, deduplicate=False, with_metadata=False,
        # No second opinions (readability, jusText): the pruning does their work, at a
        # fraction of the cost. No favor_precision: it drops paragraphs that hold a link.
        fast=True, favor_precision=False,
        # No url: trafilatura resolves "../" links wrongly; _Writer resolves them.
    )
    if not xml:
        raise ExtractError("no article text found on the page")
    main = etree.fromstring(xml.encode("utf-8")).find("main")
    writer = _Writer(url)
    lead = _lead_image(tree) if main is None or main.find(".//graphic") is None else None
    if lead is not None:
        writer.image(lead)
        writer.flush()
    if main is not None:
        writer.document(main)
    titles = {" ".join(fold(t).split()) for t in (title, page_title)} - {""}
    paragraphs = writer.paragraphs
    for index, paragraph in enumerate(paragraphs[:3]):
        if " ".join(fold(paragraph).split()) in titles:
            del paragraphs[index]  # the headline, which the reader shows already
            break
    standfirst = _standfirst(tree, hint, paragraphs)
    if standfirst:
        paragraphs.insert(0, standfirst)
    if not paragraphs:
        raise ExtractError("no article text found on the page")
    return Extracted(clip_paragraphs(paragraphs, MAX_TEXT), writer.links, page_title)


# --- the worker process -------------------------------------------------------------------


def _read_exactly(stream: Any, size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise EOFError
    return bytes(data)


def _frame(*parts: bytes) -> bytes:
    return b"".join(_HEAD.pack(len(part)) + part for part in parts)


def serve(parent: int) -> None:
    """The worker's loop: a request (JSON header, page bytes) in, a JSON answer out, until
    the parent closes the pipe or dies."""
    from reader.importer import _kill_me_with_parent, _watch

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the parent's; it kills us
    if not _kill_me_with_parent():
        threading.Thread(target=_watch, args=(parent,), daemon=True).start()
    if os.getppid() != parent:
        os._exit(1)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    import trafilatura  # noqa: F401  before the first page, so it is not timed against it

    source, sink = sys.stdin.buffer, sys.stdout.buffer
    sink.write(_frame(_READY))
    sink.flush()
    while True:
        try:
            header = orjson.loads(_read_exactly(source, _HEAD.unpack(_read_exactly(source, 4))[0]))
            page = _read_exactly(source, _HEAD.unpack(_read_exactly(source, 4))[0])
        except EOFError:
            return
        try:
            got = extract(page, header["content_type"], header["url"], header["title"],
                          header["hint"])
            answer: dict[str, Any] = {"paragraphs": got.paragraphs, "links": got.links,
                                      "title": got.title}
        except ExtractError as error:
            answer = {"error": str(error)}
        except MemoryError:
            answer = {"error": "extraction ran out of memory"}
        except Exception as error:  # an extractor bug costs this page, not the worker
            answer = {"error": clean(f"extraction failed ({type(error).__name__}: {error})")[:300]}
        sink.write(_frame(orjson.dumps(answer)))
        sink.flush()


class Worker:
    """One extraction process, started on first use by the thread that will use it (the
    process dies with that thread: keep it for the length of the work)."""

    def __init__(self, limit: float = LIMIT) -> None:
        if limit <= 0:
            raise ValueError("extract: limit must be > 0")
        self.limit = limit
        self._process: subprocess.Popen[bytes] | None = None

    def extract(self, page: bytes, content_type: str, url: str, title: str = "",
                hint: str = "") -> Extracted:
        """The page's article; ExtractError (one line) if there is none, or if the worker
        took longer than the limit, crashed or answered nonsense (it is then replaced)."""
        header = orjson.dumps({"content_type": content_type, "url": url, "title": title,
                               "hint": hint})
        self._start()
        try:
            answer = self._ask(_frame(header, page), time.monotonic() + self.limit)
        except TimeoutError:
            self.close()
            raise ExtractError(f"extraction took longer than {self.limit:g} s") from None
        except (OSError, EOFError, ValueError):
            code = self.close()
            why = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
            raise ExtractError(f"extraction crashed ({why})") from None
        try:
            if "error" in answer:
                error = clean(str(answer["error"]))
            else:
                return Extracted(
                    [p for p in map(clean, answer["paragraphs"]) if p],
                    [link for link in answer["links"] if openable(link)],
                    clean(answer["title"]),
                )
        except (AttributeError, KeyError, TypeError, ValueError):
            self.close()
            raise ExtractError("extraction answered nonsense") from None
        raise ExtractError(error)

    def _ask(self, request: bytes, deadline: float) -> Any:
        """Send a request and read the answer, both within the deadline."""
        process = self._start()
        assert process.stdin is not None
        process.stdin.write(request)
        process.stdin.flush()
        size = _HEAD.unpack(self._receive(4, deadline))[0]
        if size > _MAX_ANSWER:
            raise ValueError("answer too long")
        return orjson.loads(self._receive(size, deadline))

    def _receive(self, size: int, deadline: float) -> bytes:
        """Exactly ``size`` bytes from the worker, or TimeoutError at the deadline."""
        assert self._process is not None and self._process.stdout is not None
        fd = self._process.stdout.fileno()
        parts: list[bytes] = []
        left = size
        while left:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([fd], [], [], wait)[0]:
                raise TimeoutError
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                raise EOFError
            parts.append(chunk)
            left -= len(chunk)
        return b"".join(parts)

    def _start(self) -> subprocess.Popen[bytes]:
        """The worker, started and ready (its imports done) if it was not."""
        if self._process is not None:
            return self._process
        root = str(Path(__file__).resolve().parent.parent)
        path = os.environ.get("PYTHONPATH", "")
        env = dict(os.environ, PYTHONPATH=root + (os.pathsep + path if path else ""))
        self._process = subprocess.Popen(
            [sys.executable, "-m", "reader.extract", str(os.getpid())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=env,
        )
        deadline = time.monotonic() + STARTUP
        try:
            ready = self._receive(_HEAD.size + len(_READY), deadline) == _frame(_READY)
        except (OSError, EOFError, TimeoutError):
            ready = False
        if not ready:
            code = self.close()
            raise ExtractError(f"the extraction worker did not start (exit code {code})")
        return self._process

    def close(self) -> int | None:
        """Stop the worker (killed: it may be stuck); returns its exit status if it had one."""
        process, self._process = self._process, None
        if process is None:
            return None
        code = process.poll()
        if code is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
        code = process.wait()
        for pipe in (process.stdin, process.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()
        return code


def _main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].isdigit():
        print("usage: python -m reader.extract PARENT_PID (run by the reader, not by hand)",
              file=sys.stderr)
        return 2
    serve(int(argv[0]))
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))

