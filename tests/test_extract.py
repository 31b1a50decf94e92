"""reader.extract: what is kept of a page (measured on the seed articles' pages in three site
layouts, fixtures/pages), how a page is decoded, and how a hostile page is contained (a worker
process with a time limit, that dies with its parent)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest

from reader.extract import Extracted, ExtractError, Worker, decode, extract

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "fixtures" / "pages"
TRUTH: dict[str, dict[str, Any]] = json.loads((PAGES / "truth.json").read_text("utf-8"))
SITE = "https://news.example"
NUMBER = re.compile(r" \[(\d+)\]")
CAP = 10.0  # seconds a test waits for a process at most


@pytest.fixture(scope="module")
def worker() -> Iterator[Worker]:
    worker = Worker()
    yield worker
    worker.close()


@pytest.fixture(scope="module")
def extracted(worker: Worker) -> dict[str, Extracted]:
    """Every seed page through the worker, as fetch_full_text extracts it (title given, no
    standfirst hint: the page alone must do)."""
    return {
        name: worker.extract((PAGES / name).read_bytes(), "text/html", SITE + truth["path"],
                             truth["title"])
        for name, truth in TRUTH.items()
    }


def words(text: str) -> str:
    return " ".join(text.split())


def text_of(got: Extracted) -> list[str]:
    """The paragraphs as a reader reads them: link numbers and pictures left out."""
    return [NUMBER.sub("", p) for p in got.paragraphs if not p.startswith("[image")]


def boilerplate_kept(got: Extracted, truth: dict[str, Any]) -> list[str]:
    """The boilerplate strings of the page found in what was kept, outside the article's own
    paragraphs (a related story titled "Russia" is not found in an article about Russia)."""
    rest = "\n".join(text_of(got))
    for paragraph in truth["article"]:
        rest = rest.replace(words(paragraph), "")
    return [unit for unit in truth["boilerplate"]
            if re.search(rf"(?<!\w){re.escape(words(unit))}(?!\w)", rest)]


# --- what is kept ------------------------------------------------------------------------


def test_the_article_is_kept_and_the_boilerplate_dropped(extracted: dict[str, Extracted]) -> None:
    """The measure of docs/extraction.md: over the 20 pages, at least 95% of the article's
    paragraphs kept whole, at most 5% of the boilerplate strings kept; and on every page, more
    paragraphs than the feed carries."""
    article = kept = boilerplate = leaked = 0
    report = []
    for name, truth in TRUTH.items():
        text = text_of(extracted[name])
        found = sum(words(p) in text for p in truth["article"])
        leaks = boilerplate_kept(extracted[name], truth)
        article += len(truth["article"])
        kept += found
        boilerplate += len(truth["boilerplate"])
        leaked += len(leaks)
        report.append(f"{truth['layout']} {name}: {found}/{len(truth['article'])} kept, "
                      f"boilerplate {leaks}")
        assert found > truth["in_feed"], report[-1]
    assert {truth["layout"] for truth in TRUTH.values()} == {"broadsheet", "blog", "portal",
                                                             "magazine"}
    assert article >= 100 and boilerplate >= 500
    assert kept / article >= 0.95, "\n".join(report)
    assert leaked / boilerplate <= 0.05, "\n".join(report)


def test_scripts_styles_and_hidden_text_never_show(extracted: dict[str, Extracted]) -> None:
    for got in extracted.values():
        text = "\n".join(got.paragraphs)
        for fragment in ("window.", "function", "{", "Loading the page", "Image caption",
                         "Media caption", "Please enable JavaScript"):
            assert fragment not in text


def test_the_headline_is_not_repeated_in_the_text(extracted: dict[str, Extracted]) -> None:
    for name, truth in TRUTH.items():
        assert truth["title"] not in extracted[name].paragraphs
        assert extracted[name].title == truth["title"]


def test_every_page_keeps_its_picture_as_a_numbered_placeholder(
    extracted: dict[str, Extracted]
) -> None:
    for name, truth in TRUTH.items():
        got = extracted[name]
        (picture,) = [p for p in got.paragraphs if p.startswith("[image")]
        match = re.fullmatch(r"\[image: (.*)\] \[(\d+)\]", picture)
        assert match is not None and match.group(1) == truth["images"][0]
        link = got.links[int(match.group(2)) - 1]
        assert link.startswith(("https://news.example/", "https://images.portal.example/"))
        assert link.endswith(f"{name[:-5]}.jpg")


def test_links_are_numbered_in_order_and_only_http_links_listed(
    extracted: dict[str, Extracted]
) -> None:
    for name, truth in TRUTH.items():
        got = extracted[name]
        numbers = [int(n) for p in got.paragraphs for n in NUMBER.findall(p)]
        assert sorted(set(numbers)) == list(range(1, len(got.links) + 1))
        assert numbers == sorted(numbers)  # numbered as they come
        assert all(link.startswith(("http://", "https://")) for link in got.links)
        resolved = [urljoin(SITE + truth["path"], href) for href in truth["links"]]
        expected = [link for link in resolved if link.startswith("http")]
        assert [link for link in got.links if link in expected] == expected
    # A relative link up a level, a javascript: and a mailto: link: text kept, no number.
    name = "funeral-of-yevgeny-prigozhin-held-in-closed-format-in-st-petersburg.html"
    funeral = extracted[name]
    (number,) = [m.group(1) for p in funeral.paragraphs
                 if (m := re.search(r"gates of Porokhovskoye \[(\d+)\], where", p))]
    link = funeral.links[int(number) - 1]
    assert link == urljoin(SITE + TRUTH[name]["path"], "../cemeteries/porokhovskoye")
    assert link.endswith("/2023/sep/cemeteries/porokhovskoye")
    yacht = extracted["documents-show-putins-order-to-move-superyacht-before-ukraine-invasion.html"]
    assert any(p.endswith("according to ship-tracking records.") for p in yacht.paragraphs)
    lula = extracted["lula-says-putin-can-attend-next-years-g20-in-rio-without-fear-of-arres.html"]
    assert any("Lula said his priorities would include" in p for p in lula.paragraphs)
    assert not any(link.startswith(("javascript:", "mailto:")) for link in lula.links)


def test_lists_tables_and_quotes_become_paragraphs() -> None:
    page = """<html><head><title>T</title></head><body><article><h1>T</h1>
    <p>The committee published its findings on Tuesday after a year of hearings, and the
    report runs to several hundred pages with many recommendations for the government.</p>
    <ul><li>First, the ministry should publish its figures every month.</li>
    <li>Second, the <a href="/audit">audit office</a> should review them each year.</li></ul>
    <blockquote><p>We expect the government to act on every one of them without delay.</p>
    </blockquote>
    <table><tr><td>Region</td><td>Cases</td></tr><tr><td>North</td><td>12</td></tr></table>
    <p>Ministers are due to respond to the report in full before the end of the year, and
    officials said a debate in parliament would follow soon after that response.</p>
    </article></body></html>"""
    got = extract(page.encode(), "text/html", f"{SITE}/report", "T")
    assert "• First, the ministry should publish its figures every month." in got.paragraphs
    assert "• Second, the audit office [1] should review them each year." in got.paragraphs
    assert "We expect the government to act on every one of them without delay." in (
        got.paragraphs)
    assert "Region | Cases" in got.paragraphs and "North | 12" in got.paragraphs
    assert got.links == [f"{SITE}/audit"]


def test_text_from_the_page_is_cleaned() -> None:
    body = ("The council met on Monday evening \x1b[2J\x1b]0;owned\x07to discuss the budget, "
            "and the\u202e vote\u200b was close\x00 after a long debate about the new library "
            "and the roads in the north of the town, which many residents had asked for.")
    page = (f"<html><body><article><p>{body}</p><p>Then: {body}</p></article></body>"
            "</html>")
    got = extract(page.encode(), "text/html", f"{SITE}/x")
    expected = ("The council met on Monday evening to discuss the budget, and the vote was "
                "close after a long debate about the new library and the roads in the north "
                "of the town, which many residents had asked for.")
    assert got.paragraphs == [expected, f"Then: {expected}"]


# --- decoding ----------------------------------------------------------------------------


def test_the_http_header_charset_comes_first() -> None:
    data = '<meta charset="windows-1252"><p>Café</p>'.encode()
    assert "Café" in decode(data, "text/html; charset=utf-8")


def test_the_pages_own_declaration_comes_before_a_guess() -> None:
    # These bytes are valid UTF-8 ("é"), but the page says windows-1252: "Ã©" it is.
    data = b'<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
    assert decode(data + b"<p>\xc3\xa9</p>", "text/html").endswith("<p>Ã©</p>")
    assert decode(b'<meta charset="utf-8"><p>\xc3\xa9</p>', "").endswith("<p>é</p>")


def test_labels_are_read_as_browsers_read_them() -> None:
    # Latin-1 and ASCII labels mean windows-1252 (0x92 is a right quote, not a C1 control);
    # a <meta> cannot declare UTF-16; a label nobody knows is ignored.
    assert decode(b"it\x92s", "text/html; charset=iso-8859-1") == "it’s"
    assert decode(b'<meta charset="us-ascii">it\x92s', "").endswith("it’s")
    assert decode(b'<meta charset="utf-16"><p>\xc3\xa9</p>', "").endswith("é</p>")
    assert decode(b"<p>\xc3\xa9</p>", "text/html; charset=klingon") == "<p>é</p>"
    # Python codecs that are not text encodings are no charsets either.
    for label in ("zlib", "base64", "hex", "rot13", "undefined", "bz2"):
        assert decode(b"<p>\xc3\xa9</p>", f"text/html; charset={label}") == "<p>é</p>"
        assert decode(f'<meta charset="{label}"><p>\xc3\xa9</p>'.encode("latin-1"), "") \
            .endswith("<p>é</p>")


def test_a_byte_order_mark_wins() -> None:
    assert decode(b"\xef\xbb\xbf<p>\xc3\xa9</p>", "text/html; charset=windows-1252") == "<p>é</p>"
    assert decode("<p>é</p>".encode("utf-16-le").join([b"\xff\xfe", b""]), "") == "<p>é</p>"


def test_an_undeclared_page_is_utf8_if_it_can_be_else_detected() -> None:
    assert decode("<p>Привет, мир</p>".encode(), "text/html") == "<p>Привет, мир</p>"
    russian = ("<html><body><p>Президент России заявил в среду, что переговоры о поставках "
               "зерна через Черное море могут быть возобновлены, если будут выполнены "
               "условия, о которых говорила Москва.</p></body></html>")
    assert decode(russian.encode("cp1251"), "text/html") == russian


def test_a_page_in_windows_1252_declared_only_in_a_meta_tag() -> None:
    name = "nothing-left-to-lose-putin-embraces-role-of-spoiler-with-kim-jong-un-s.html"
    data = (PAGES / "windows-1252.html").read_bytes()
    assert b"\x92" in data and b"charset=windows-1252" in data
    got = extract(data, "text/html", SITE + TRUTH[name]["path"], TRUTH[name]["title"])
    assert text_of(got) == TRUTH[name]["article"]


def test_an_xhtml_page_with_an_xml_declaration() -> None:
    name, truth = next(iter(TRUTH.items()))
    html = (PAGES / name).read_text("utf-8").replace("<!DOCTYPE html>", "")
    data = ('<?xml version="1.0" encoding="UTF-8"?>\n' + html).encode()
    got = extract(data, "application/xhtml+xml", SITE + truth["path"], truth["title"])
    assert text_of(got)[: truth["in_feed"]] == truth["article"][: truth["in_feed"]]


# --- hostile pages -----------------------------------------------------------------------


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "an empty page"),
    (b"   \n ", "an empty page"),
    (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "not an HTML page"),
    (b"<html><body><script>var a = 1;</script><style>p {}</style></body></html>",
     "no article text found on the page"),
])
def test_a_page_without_an_article_is_an_error(worker: Worker, data: bytes, reason: str) -> None:
    with pytest.raises(ExtractError) as error:
        worker.extract(data, "text/html", f"{SITE}/x")
    assert str(error.value) == reason


def big_page() -> bytes:
    """About 10 MB of paragraphs: seconds of work for the extractor on any machine."""
    return (b"<html><body>" + (b"<div><p>" + b"word " * 50 + b"</p></div>\n") * 40000
            + b"</body></html>")


def test_an_extraction_over_the_time_limit_is_stopped_and_the_next_page_works() -> None:
    worker = Worker(limit=0.5)
    try:
        with pytest.raises(ExtractError) as error:
            worker.extract(big_page(), "text/html", f"{SITE}/big")
        assert str(error.value) == "extraction took longer than 0.5 s"
        name, truth = next(iter(TRUTH.items()))
        got = worker.extract((PAGES / name).read_bytes(), "text/html", SITE + truth["path"])
        assert len(text_of(got)) > truth["in_feed"]
    finally:
        worker.close()


def test_a_crashed_worker_is_an_error_for_that_page_only() -> None:
    worker = Worker()
    with contextlib.suppress(ExtractError):
        worker.extract(b"<html><body><p>warm up</p></body></html>", "text/html", SITE)
    process = worker._process
    assert process is not None
    killer = threading.Timer(0.2, os.kill, (process.pid, signal.SIGKILL))
    killer.start()
    try:
        with pytest.raises(ExtractError) as error:
            worker.extract(big_page(), "text/html", f"{SITE}/big")
        assert str(error.value) == "extraction crashed (signal 9)"
        name, truth = next(iter(TRUTH.items()))
        got = worker.extract((PAGES / name).read_bytes(), "text/html", SITE + truth["path"])
        assert len(text_of(got)) > truth["in_feed"] and worker._process is not process
    finally:
        killer.cancel()
        worker.close()


def test_the_worker_dies_with_its_parent(tmp_path: Path) -> None:
    """SIGKILL of the reader while its worker extracts a page: the worker goes too."""
    script = f"""
import sys, threading
from reader.extract import Worker
worker = Worker(limit=600)
worker._start()
print(worker._process.pid, flush=True)
worker.extract(open({str(tmp_path / 'big.html')!r}, 'rb').read(), "text/html", "{SITE}/big")
"""
    (tmp_path / "big.html").write_bytes(big_page())
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, env=env,
                             text=True)
    try:
        assert child.stdout is not None
        pid = int(child.stdout.readline())
        assert _alive(pid)
        child.kill()
        child.wait(CAP)
        deadline = time.monotonic() + CAP
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not _alive(pid)
    finally:
        child.kill()
        child.wait(CAP)


def _alive(pid: int) -> bool:
    """A process that exists and is not a zombie left for init to reap."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"
