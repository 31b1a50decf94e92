"""A lane: one thread that runs jobs one at a time, in order, as soon as they are queued.

The main screen keeps two: the store lane (every store call) and the search lane. A Textual
thread worker per job waits for the event loop to start its thread, which it does only after
the frame it is drawing: an opened article's text came 50 ms after Enter, a frame late, though
reading it takes 0.3 ms. A lane's thread is already waiting.

Jobs post their results back as messages; a job must not raise (it reports its own errors).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable


class Lane:
    """Jobs run in the order given, one at a time, on a thread started by the first job."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._jobs: deque[Callable[[], None]] = deque()
        self._running = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._stopped = False

    def submit(self, job: Callable[[], None]) -> None:
        self._jobs.append(job)
        if self._thread is None and not self._stopped:
            self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
            self._thread.start()
        self._wake.set()

    def _loop(self) -> None:
        while not self._stopped:
            self._wake.wait()
            self._wake.clear()
            self.run_pending()

    def run_pending(self) -> None:
        """Run what is queued, on the calling thread (at exit: what is queued must finish)."""
        with self._running:
            while self._jobs:
                self._jobs.popleft()()

    def idle(self) -> bool:
        """Nothing queued and nothing running."""
        return not self._jobs and not self._running.locked()

    def stop(self) -> None:
        """The thread ends after the job it runs; what is still queued waits for
        :meth:`run_pending`."""
        self._stopped = True
        self._wake.set()
