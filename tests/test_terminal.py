"""The installed `reader` command in a real terminal (tmux): what a person sees and types.

tmux always runs on a private server (`-L`, one per test) so a test never touches a user's
own tmux sessions; the server is killed when the test ends.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

# The `reader` a user would run: the one on PATH (a checkout's shim puts its own first),
# else the console script beside this Python.
READER = Path(shutil.which("reader") or Path(sys.executable).parent / "reader")


def tmux(*args: str, socket: str) -> str:
    """Run a tmux command on the private server ``socket`` (never the user's default one).

    LINES and COLUMNS are left out of the server's environment: a program in the pane would
    take them over the pane's real size (pytest's environment may say 80x24)."""
    env = {k: v for k, v in os.environ.items() if k not in ("LINES", "COLUMNS")}
    return subprocess.run(
        ["tmux", "-L", socket, *args], capture_output=True, text=True, timeout=30, check=True,
        env=env,
    ).stdout


def start(command: str, size: tuple[int, int] = (100, 30)) -> str:
    """A detached session running ``command`` on a new private server; its name is the
    server's name too, so every helper below takes one name."""
    assert shutil.which("tmux"), "tmux is required: .ci/run installs it"
    name = f"reader-test-{uuid.uuid4().hex[:8]}"
    tmux("-f", "/dev/null", "new-session", "-d", "-s", name, "-x", str(size[0]),
         "-y", str(size[1]), command, socket=name)
    return name


def stop(name: str) -> None:
    subprocess.run(["tmux", "-L", name, "kill-server"], capture_output=True, timeout=30)


@pytest.fixture
def session(tmp_path: Path) -> Iterator[str]:
    assert READER.exists(), f"the console script is not installed at {READER}"
    store = tmp_path / "store"
    name = start(f"{READER} --db {store}; echo EXITED-$?; sleep 60")
    try:
        yield name
    finally:
        stop(name)


def screen(name: str) -> str:
    return tmux("capture-pane", "-p", "-t", name, socket=name)


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
        tmux("send-keys", "-t", name, key, socket=name)
        time.sleep(0.15)


def test_reader_in_tmux_first_run_read_search_quit(session: str) -> None:
    shown = wait_for(session, "20 of 20")
    assert "Kim Jong-un invites Putin to North Korea" in shown
    wait_for(session, "First run")  # the welcome notification (a frame after the list)
    keys(session, "j", "Enter")
    shown = wait_for(session, "Russia’s propagandists trumpeted")
    assert "‘Nothing left to lose’" in shown
    keys(session, "Escape", "/", *"erdogan")
    shown = wait_for(session, "1 of 20")
    assert "No sign of Black Sea grain breakthrough" in shown
    keys(session, "Escape", "Escape", "?")
    wait_for(session, "previous unread")
    keys(session, "Escape", "q")
    shown = wait_for(session, "EXITED-0")
    assert "20 of 20" not in shown, "the app's screen is gone: the terminal is restored"
