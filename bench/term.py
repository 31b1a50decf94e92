"""Drive full-screen programs in a private tmux server and time what appears on screen.

Both newsreaders are measured through the same harness: start the program in a detached
160x48 session, poll ``tmux capture-pane -p`` every ~10 ms until a predicate holds on the screen
text, and read ``/proc/PID/status`` for memory. A keep-alive session keeps the server up so that
server start-up is not charged to the first program measured.
"""

from __future__ import annotations

import os
import shlex
import statistics
import subprocess
import time
from collections.abc import Callable, Mapping
from pathlib import Path

SOCKET = f"reader-bench-{os.getpid()}"
WIDTH, HEIGHT = 160, 48
POLL = 0.010  # seconds between two screen captures
TIMEOUT = 20.0  # subprocess timeout for a single tmux command


class ScreenTimeout(RuntimeError):
    """The expected text did not appear on screen in time."""


def _tmux(*args: str, check: bool = True) -> str:
    done = subprocess.run(
        ["tmux", "-L", SOCKET, *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    if check and done.returncode != 0:
        raise RuntimeError(f"tmux {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


class Server:
    """A private tmux server (its own socket), started once and killed at the end."""

    def __init__(self) -> None:
        self.started = False

    def __enter__(self) -> Server:
        _tmux("-f", "/dev/null", "new-session", "-d", "-s", "keepalive",
              "-x", str(WIDTH), "-y", str(HEIGHT), "sleep 86400")
        _tmux("set-option", "-g", "default-terminal", "screen-256color")
        _tmux("set-option", "-g", "escape-time", "0")
        _tmux("set-option", "-g", "remain-on-exit", "off")
        self.started = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self.started:
            _tmux("kill-server", check=False)
            self.started = False


def capture_latency(samples: int = 20) -> float:
    """Median seconds of one ``capture-pane`` round trip: the resolution of screen timings."""
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        _tmux("capture-pane", "-p", "-e", "-t", "keepalive")
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


class Session:
    """One program running in a detached session of the private server."""

    _count = 0

    def __init__(self, argv: list[str], cwd: Path, env: Mapping[str, str]) -> None:
        Session._count += 1
        self.name = f"s{Session._count}"
        assignments = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        # `exec` makes the program the pane's process, so pane_pid is its pid.
        command = f"cd {shlex.quote(str(cwd))} && exec env {assignments} {shlex.join(argv)}"
        self.started_at = time.perf_counter()
        _tmux("new-session", "-d", "-s", self.name, "-x", str(WIDTH), "-y", str(HEIGHT), command)
        self.pid = int(_tmux("display-message", "-p", "-t", self.name, "#{pane_pid}").strip())

    def screen(self, escapes: bool = False) -> str:
        """The visible text; with ``escapes``, also colours and attributes (the cursor row)."""
        return _tmux("capture-pane", "-p", *(["-e"] if escapes else []), "-t", self.name)

    def send(self, *keys: str, literal: bool = False) -> None:
        _tmux("send-keys", "-t", self.name, *(["-l"] if literal else []), *keys)

    def wait(self, predicate: Callable[[str], bool], timeout: float = 60.0,
             since: float | None = None, poll: float = POLL, escapes: bool = False) -> float:
        """Poll the screen until ``predicate`` holds; seconds since ``since`` (default: start)."""
        start = self.started_at if since is None else since
        deadline = time.perf_counter() + timeout
        while True:
            text = self.screen(escapes)
            now = time.perf_counter()
            if predicate(text):
                return now - start
            if now > deadline:
                raise ScreenTimeout(f"{self.name}: screen never matched; last screen:\n{text}")
            self.alive()
            time.sleep(poll)

    def wait_change(self, before: str, timeout: float = 10.0) -> float:
        """Time from now until the screen differs from ``before`` (captured without sleeping)."""
        start = time.perf_counter()
        return self.wait(lambda text: text != before, timeout=timeout, since=start, poll=0.0,
                         escapes=True)

    def key_time(self, key: str, repeat: int) -> float:
        """Median time from sending ``key`` until the screen changes, over ``repeat`` presses."""
        times = []
        for _ in range(repeat):
            before = self.screen(escapes=True)
            self.send(key)
            times.append(self.wait_change(before))
        return statistics.median(times)

    def alive(self) -> None:
        if not Path(f"/proc/{self.pid}").exists():
            raise RuntimeError(f"{self.name}: the program exited; last screen unavailable")

    def memory(self) -> dict[str, int]:
        """VmHWM and VmRSS of the program, in bytes."""
        out: dict[str, int] = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                out[key] = int(value.split()[0]) * 1024
        return out

    def kill(self) -> None:
        _tmux("kill-session", "-t", self.name, check=False)
        deadline = time.perf_counter() + 5
        while Path(f"/proc/{self.pid}").exists() and time.perf_counter() < deadline:
            time.sleep(0.01)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()


def contains(*needles: str) -> Callable[[str], bool]:
    """A screen predicate: every needle is on screen."""
    return lambda text: all(needle in text for needle in needles)


def title_probe(title: str, width: int = 40) -> str:
    """The part of a title that any headline list will show: its first words, untruncated."""
    if len(title) <= width:
        return title
    cut = title[:width]
    return cut.rsplit(" ", 1)[0] if " " in cut else cut
