"""The installed `reader` command in a real terminal (tmux): what a person sees and types."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

READER = Path(sys.executable).parent / "reader"


def tmux(*args: str) -> str:
    return subprocess.run(
        ["tmux", *args], capture_output=True, text=True, timeout=30, check=True
    ).stdout


@pytest.fixture
def session(tmp_path: Path) -> Iterator[str]:
    assert shutil.which("tmux"), "tmux is required: .ci/run installs it"
    assert READER.exists(), f"the console script is not installed at {READER}"
    name = f"reader-test-{uuid.uuid4().hex[:8]}"
    store = tmp_path / "store"
    tmux("new-session", "-d", "-s", name, "-x", "100", "-y", "30",
         f"{READER} --db {store}; echo EXITED-$?; sleep 60")
    try:
        yield name
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True, timeout=30)


def screen(name: str) -> str:
    return tmux("capture-pane", "-p", "-t", name)


def wait_for(name: str, text: str, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shown = screen(name)
        if text in shown:
            return shown
        time.sleep(0.05)
    raise AssertionError(f"{text!r} never appeared; the screen was:\n{screen(name)}")


def keys(name: str, *sent: str) -> None:
    for key in sent:
        tmux("send-keys", "-t", name, key)
        time.sleep(0.15)


def test_reader_in_tmux_first_run_read_search_quit(session: str) -> None:
    shown = wait_for(session, "20 of 20")
    assert "Kim Jong-un invites Putin to North Korea" in shown
    assert "First run" in shown  # the welcome notification
    keys(session, "j", "Enter")
    shown = wait_for(session, "Russia’s propagandists trumpeted")
    assert "‘Nothing left to lose’" in shown
    keys(session, "Escape", "/", *"erdogan")
    shown = wait_for(session, "1 of 20")
    assert "No sign of Black Sea grain breakthrough" in shown
    keys(session, "Escape", "Escape", "?")
    wait_for(session, "Previous unread")
    keys(session, "Escape", "q")
    shown = wait_for(session, "EXITED-0")
    assert "20 of 20" not in shown, "the app's screen is gone: the terminal is restored"
