"""The user's settings: one TOML file, read at start, never required.

``reader-tui/config.toml`` in the platform's user config directory (on Linux
``~/.config/reader-tui/config.toml``); the environment variable ``READER_CONFIG`` names another
file. Every setting is optional::

    refresh_interval = 30     # minutes between automatic refreshes in the app; 0: never
    jobs = 8                  # feeds fetched at once
    per_host = 2              # of which from any one host
    keep_days = 30            # `reader expire` deletes read, unstarred articles older than this
    theme = "textual-dark"    # remembered when chosen in the app's palette

    [keys]                    # binding id = key(s), as a string "q,ctrl+c" or a list
    "reader.quit" = "q,ctrl+c"
    reader.help = ["question_mark", "f1"]   # a dotted id may be written without quotes

A setting that is wrong never stops the reader: it gets a one-line warning naming the file, the
line and the key, and its default; the other settings still apply. A file that is not TOML at all
gives one warning and every default. Binding ids and theme names are checked by the app, which
knows them.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from reader.errors import ReaderError
from reader.schema import KEEP_DAYS
from reader.storage import write_atomically
from reader.text import clean, clip

MAX_BYTES = 1024 * 1024  # a settings file is a few hundred bytes

# name -> (smallest, largest) for the whole-number settings
LIMITS: Mapping[str, tuple[int, int]] = {
    "refresh_interval": (0, 7 * 24 * 60),
    "jobs": (1, 64),
    "per_host": (1, 64),
    "keep_days": KEEP_DAYS,  # 0 would make `reader expire` delete every read article
}
_KEYS = re.compile(r"[^\s,]+(?:,[^\s,]+)*")  # "q,ctrl+c": Textual's key list, no spaces
_TOML_ESCAPES = re.compile(r'["\\\x00-\x1f\x7f]')
_Warn = Callable[[tuple[str, ...], str], None]
_AT = re.compile(  # where tomllib says a syntax error is
    r"^(?P<what>.*) \(at (?:line (?P<line>\d+), column (?P<column>\d+)|end of document)\)$"
)


class ConfigError(ReaderError):
    """The settings file cannot be written (the theme is then not remembered)."""


@dataclass(frozen=True)
class Config:
    """The effective settings."""

    refresh_interval: int = 0  # minutes; 0: no automatic refresh
    jobs: int = 8
    per_host: int = 2
    keep_days: int = 30
    theme: str = "textual-dark"
    keys: dict[str, str] = field(default_factory=dict)  # binding id -> "key,key"


def config_path() -> Path:
    """``READER_CONFIG`` if set, else ``config.toml`` in the user config directory."""
    env = os.environ.get("READER_CONFIG")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_config_path

    return user_config_path("reader-tui", appauthor=False) / "config.toml"


def load_config(path: Path | None = None) -> tuple[Config, list[str]]:
    """The settings in ``path`` (default :func:`config_path`) and a warning per thing wrong.

    A missing file is every default, without a warning."""
    path = path or config_path()
    shown = clean(str(path))
    try:
        with open(path, "rb") as file:
            data = file.read(MAX_BYTES + 1)
    except FileNotFoundError:
        return Config(), []
    except OSError as error:
        reason = error.strerror or type(error).__name__
        return Config(), [f"{shown}: cannot read ({reason}); every setting is at its default"]
    if len(data) > MAX_BYTES:
        return Config(), [f"{shown}: larger than 1 MiB; every setting is at its default"]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        return Config(), [f"{shown}, line {line}: not UTF-8; every setting is at its default"]
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        return Config(), [_syntax_warning(shown, text, str(error))]
    return _settings(shown, raw, _Lines(text))


def effective(config: Config) -> list[tuple[str, str]]:
    """Each setting and its value as TOML, so ``reader config`` prints a file one can keep."""
    values = [(f.name, _toml(getattr(config, f.name))) for f in fields(config) if f.name != "keys"]
    keys = [(f"keys.{_toml(id_)}", _toml(keys)) for id_, keys in sorted(config.keys.items())]
    return values + (keys or [("keys", "{}")])


def save_theme(path: Path | None, theme: str) -> None:
    """Remember the theme: rewrite the ``theme`` line (or add one), keeping everything else of
    the file as it was, comments and all; the file is replaced atomically.

    A file that is not valid TOML is left alone (:class:`ConfigError`): the user's edit in
    progress matters more than a theme."""
    path = (path or config_path()).resolve()  # a symlink into a dotfiles repository stays one
    shown = clean(str(path))
    if not _valid_theme(theme):
        raise ConfigError(f"{shown}: not saving the theme {clip(clean(theme), 40)!r}")
    try:
        data = path.read_bytes()
        mode: int | None = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        data, mode = b"", None
    except OSError as error:
        raise ConfigError(f"{shown}: cannot read ({error.strerror}); theme not saved") from None
    try:
        text = data.decode("utf-8")
        before = tomllib.loads(text)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        raise ConfigError(f"{shown}: not valid TOML; theme not saved") from None
    updated = _with_theme(text, theme)
    try:
        after = tomllib.loads(updated)
    except tomllib.TOMLDecodeError:
        after = None
    if after != {**before, "theme": theme}:  # a `[theme]` table, a multi-line string...
        raise ConfigError(f"{shown}: cannot find where to write the theme; theme not saved")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, updated.encode())
        if mode is not None and stat.S_IMODE(path.stat().st_mode) != mode:
            os.chmod(path, mode)  # a private file stays private
    except (OSError, ReaderError) as error:
        raise ConfigError(f"{clean(str(error))}; theme not saved") from None


# --- reading --------------------------------------------------------------------------------


def _settings(shown: str, raw: dict[str, Any], lines: _Lines) -> tuple[Config, list[str]]:
    defaults = Config()
    values: dict[str, Any] = {}
    warnings: list[str] = []

    def warn(path: tuple[str, ...], problem: str) -> None:
        line = lines.of(path)
        where = f"{shown}, line {line}" if line else shown
        warnings.append(clean(f"{where}: {'.'.join(path)}: {problem}"))

    for key, value in raw.items():
        if key in LIMITS:
            low, high = LIMITS[key]
            if type(value) is int and low <= value <= high:
                values[key] = value
            else:
                default = getattr(defaults, key)
                warn((key,), f"must be a whole number from {low} to {high}, not "
                              f"{_shown(value)}; using {default}")
        elif key == "theme":
            if type(value) is str and _valid_theme(value):
                values[key] = value
            else:
                warn((key,), f"must be a theme name, not {_shown(value)}; using "
                              f"{_toml(defaults.theme)}")
        elif key == "keys":
            if isinstance(value, dict):
                values[key] = _bindings(value, (key,), warn)
            else:
                warn((key,), f"must be a table of binding id = keys, not {_shown(value)}; "
                              "using the default keys")
        else:
            known = ", ".join(f.name for f in fields(Config))
            warn((key,), f"unknown setting, ignored (known: {known})")
    return Config(**values), warnings


def _bindings(table: dict[str, Any], path: tuple[str, ...], warn: _Warn) -> dict[str, str]:
    """``[keys]`` flattened: ``reader.quit = "q"`` is a nested table in TOML, one id here."""
    found: dict[str, str] = {}
    for key, value in table.items():
        where = (*path, key)
        if isinstance(value, dict):
            found.update(_bindings(value, where, warn))
            continue
        if isinstance(value, list) and all(type(v) is str for v in value):
            value = ",".join(value)
        if type(value) is str and _KEYS.fullmatch(value) and value.isprintable():
            found[".".join(where[1:])] = value
        else:
            warn(where, f'must be keys like "q,ctrl+c", not {_shown(value)}; ignored')
    return found


def _valid_theme(theme: str) -> bool:
    return 0 < len(theme) <= 100 and theme.isprintable() and theme.strip() == theme


def _shown(value: object) -> str:
    """A value as a warning shows it: short, and safe on a terminal."""
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return clip(_toml(value), 40)


def _syntax_warning(shown: str, text: str, message: str) -> str:
    """tomllib's ``what (at line L, column C)`` as ``FILE, line L: KEY: not valid TOML...``."""
    at = _AT.match(message)
    what = at["what"] if at else message
    if at and at["line"]:
        line, column = int(at["line"]), int(at["column"])
    else:  # "at end of document": the last line that holds something
        line = max(len(text.rstrip().splitlines()), 1)
        column = 0
    key = _Lines(text).key_at(line)
    place = f", column {column}" if column else ""
    return clean(
        f"{shown}, line {line}: {key + ': ' if key else ''}not valid TOML ({what}{place}); "
        "every setting is at its default"
    )


class _Lines:
    """Where each key of a TOML text is: tomllib keeps no positions, so the text is scanned.

    A line's key is found by parsing the part before its ``=`` as TOML, so quoted and dotted
    keys are understood as tomllib understands them; a table header sets the prefix."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.found: dict[tuple[str, ...], int] = {}  # every key and table
        self.top: dict[tuple[str, ...], int] = {}  # keys before the first table
        self.keys: dict[int, tuple[str, ...]] = {}
        table: tuple[str, ...] = ()
        for number, line in enumerate(self.lines, 1):
            stripped = line.strip()
            if stripped.startswith("["):
                header = _path(stripped.split("]]" if stripped.startswith("[[") else "]")[0]
                               .lstrip("[") + " = 0")
                if header is not None:
                    table = header
                    self.found.setdefault(table, number)
                continue
            equals = _outside_quotes(line, "=")
            key = _path(line[:equals] + " = 0") if equals is not None else None
            if key is not None:
                self.keys[number] = key
                self.found.setdefault((*table, *key), number)
                if not table:
                    self.top.setdefault(key, number)

    def of(self, path: tuple[str, ...]) -> int | None:
        """The line of ``path``, else of the nearest table or key that holds it."""
        while path:
            if path in self.found:
                return self.found[path]
            path = path[:-1]
        return None

    def key_at(self, line: int) -> str:
        return ".".join(self.keys.get(line, ()))


def _path(assignment: str) -> tuple[str, ...] | None:
    """The key path of ``KEY = 0``, as tomllib reads it; None if it is not a key."""
    try:
        parsed: Any = tomllib.loads(assignment)
    except tomllib.TOMLDecodeError:
        return None
    path: list[str] = []
    while isinstance(parsed, dict) and len(parsed) == 1:
        (key, parsed), = parsed.items()
        path.append(key)
    return tuple(path) if path else None


def _outside_quotes(line: str, wanted: str) -> int | None:
    """The index of the first ``wanted`` character not inside a TOML string on this line."""
    quote = ""
    escaped = False
    for index, char in enumerate(line):
        if quote:
            if escaped:
                escaped = False
            elif char == "\\" and quote == '"':
                escaped = True
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == wanted:
            return index
        elif char == "#":
            return None
    return None


# --- writing --------------------------------------------------------------------------------


def _with_theme(text: str, theme: str) -> str:
    """``text`` with its top-level ``theme`` line set to ``theme``, or one added before the
    first table (a key after ``[keys]`` would belong to that table)."""
    lines = text.splitlines(keepends=True)
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    setting = f"theme = {_toml(theme)}"
    scanned = _Lines(text)
    number = scanned.top.get(("theme",))
    if number is not None:
        line = lines[number - 1]
        equals = _outside_quotes(line, "=")
        assert equals is not None  # the scan found a key on this line
        comment = _outside_quotes(line[equals + 1:], "#")
        tail = "  " + line[equals + 1 + comment:].rstrip("\r\n") if comment is not None else ""
        ending = line[len(line.rstrip("\r\n")):]
        indent = line[: len(line) - len(line.lstrip())]
        lines[number - 1] = f"{indent}{setting}{tail}{ending}"
        return "".join(lines)
    tables = [n for n, line in enumerate(lines) if line.lstrip().startswith("[")]
    if not tables:
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += newline
        return "".join([*lines, setting + newline])
    at = tables[0]
    while at > 0 and lines[at - 1].lstrip().startswith("#"):
        at -= 1  # the comments just above the table are about the table
    return "".join([*lines[:at], setting + newline, newline, *lines[at:]])


def _toml(value: object) -> str:
    """A string, number or boolean as a TOML value."""
    if isinstance(value, str):
        escaped = _TOML_ESCAPES.sub(
            lambda m: "\\" + m[0] if m[0] in "\"\\" else f"\\u{ord(m[0]):04x}", value
        )
        return f'"{escaped}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
