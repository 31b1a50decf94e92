"""The settings file: defaults, every setting, and one clear line for anything wrong."""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path

import pytest

from reader.config import (
    Config,
    ConfigError,
    config_path,
    effective,
    load_config,
    save_theme,
)

DEFAULTS = Config(
    refresh_interval=0, jobs=8, per_host=2, keep_days=30, theme="textual-dark", keys={}
)


def config(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "config.toml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def one_line(warnings: list[str]) -> str:
    (warning,) = warnings
    assert warning.isprintable() and len(warning) < 300
    return warning


def test_a_missing_file_is_every_default_without_a_warning(tmp_path: Path) -> None:
    assert load_config(tmp_path / "none.toml") == (DEFAULTS, [])
    assert Config() == DEFAULTS


def test_every_setting_is_read(tmp_path: Path) -> None:
    path = config(tmp_path, """
# mine
refresh_interval = 15
jobs = 4
per_host = 1
keep_days = 90
theme = "nord"

[keys]
"reader.quit" = "q,ctrl+c"
reader.help = ["question_mark", "f1"]
'feeds.toggle' = "f"
""")
    assert load_config(path) == (
        Config(15, 4, 1, 90, "nord", {
            "reader.quit": "q,ctrl+c", "reader.help": "question_mark,f1", "feeds.toggle": "f",
        }),
        [],
    )


def test_an_empty_file_is_every_default(tmp_path: Path) -> None:
    assert load_config(config(tmp_path, "# nothing set yet\n")) == (DEFAULTS, [])


def test_not_toml_names_the_line_and_the_key(tmp_path: Path) -> None:
    path = config(tmp_path, "# settings\njobs = 4\nkeep_days = thirty\ntheme = \"nord\"\n")
    loaded, warnings = load_config(path)
    assert loaded == DEFAULTS
    assert one_line(warnings) == (
        f"{path}, line 3: keep_days: not valid TOML (Invalid value, column 13); "
        "every setting is at its default"
    )


def test_not_toml_at_the_end_of_the_file(tmp_path: Path) -> None:
    path = config(tmp_path, 'jobs = 4\ntheme = """nord\n\n')
    assert one_line(load_config(path)[1]) == (
        f"{path}, line 2: theme: not valid TOML (Unterminated string); "
        "every setting is at its default"
    )
    path = config(tmp_path, 'jobs = 4\ntheme = "nord\n\n')
    assert one_line(load_config(path)[1]) == (
        f"{path}, line 2: theme: not valid TOML (Illegal character '\\n', column 14); "
        "every setting is at its default"
    )


def test_a_broken_table_header(tmp_path: Path) -> None:
    path = config(tmp_path, "jobs = 4\n[keys\n")
    assert one_line(load_config(path)[1]) == (
        f"{path}, line 2: not valid TOML (Expected ']' at the end of a table declaration, "
        "column 6); every setting is at its default"
    )


def test_bad_values_name_key_and_line_and_the_rest_still_applies(tmp_path: Path) -> None:
    path = config(tmp_path, """refresh_interval = 15
jobs = -2
  per_host = true   # a comment
keep_days = "thirty"
theme = 7
""")
    loaded, warnings = load_config(path)
    assert loaded == Config(refresh_interval=15)
    assert warnings == [
        f"{path}, line 2: jobs: must be a whole number from 1 to 64, not -2; using 8",
        f"{path}, line 3: per_host: must be a whole number from 1 to 64, not true; using 2",
        f'{path}, line 4: keep_days: must be a whole number from 1 to 36500, not "thirty"; '
        "using 30",
        f'{path}, line 5: theme: must be a theme name, not 7; using "textual-dark"',
    ]


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        ("refresh_interval = -1", "-1"),
        ("refresh_interval = 1.5", "1.5"),
        ("refresh_interval = 100000", "100000"),
        ("jobs = 0", "0"),
        ("jobs = 65", "65"),
        ("keep_days = 0", "0"),
        ("jobs = [1, 2]", "a list"),
        ("jobs = {a = 1}", "a table"),
        ('jobs = "' + "8" * 100 + '"', '"' + "8" * 38 + "…"),
    ],
)
def test_out_of_range_and_wrong_types(tmp_path: Path, line: str, shown: str) -> None:
    path = config(tmp_path, f"# x\n{line}\n")
    loaded, warnings = load_config(path)
    assert loaded == DEFAULTS
    key = line.split(" ")[0]
    assert one_line(warnings).startswith(f"{path}, line 2: {key}: must be a whole number from ")
    assert f", not {shown}; using {getattr(DEFAULTS, key)}" in warnings[0]


@pytest.mark.parametrize("value", ['""', '" padded "', '"a\\u001b[2Jb"', '"' + "x" * 101 + '"'])
def test_a_bad_theme_name_is_the_default(tmp_path: Path, value: str) -> None:
    loaded, warnings = load_config(config(tmp_path, f"theme = {value}\n"))
    assert loaded.theme == "textual-dark"
    assert "line 1: theme: must be a theme name, not " in one_line(warnings)


def test_unknown_settings_are_named_and_ignored(tmp_path: Path) -> None:
    path = config(tmp_path, 'jobs = 3\ncolour = "red"\n\n[colours]\nlink = "blue"\n')
    loaded, warnings = load_config(path)
    assert loaded == Config(jobs=3)
    known = "refresh_interval, jobs, per_host, keep_days, theme, keys"
    assert warnings == [
        f"{path}, line 2: colour: unknown setting, ignored (known: {known})",
        f"{path}, line 4: colours: unknown setting, ignored (known: {known})",
    ]


def test_bad_key_bindings_are_ignored_one_by_one(tmp_path: Path) -> None:
    path = config(tmp_path, """[keys]
"reader.quit" = "q"
"reader.help" = 5
reader.star = "ctrl + s"
"reader.open" = ""
"reader.next" = ["n", 3]
"reader.prev" = "p,k"
""")
    loaded, warnings = load_config(path)
    assert loaded.keys == {"reader.quit": "q", "reader.prev": "p,k"}
    assert warnings == [
        f'{path}, line 3: keys.reader.help: must be keys like "q,ctrl+c", not 5; ignored',
        f'{path}, line 4: keys.reader.star: must be keys like "q,ctrl+c", not "ctrl + s"; '
        "ignored",
        f'{path}, line 5: keys.reader.open: must be keys like "q,ctrl+c", not ""; ignored',
        f'{path}, line 6: keys.reader.next: must be keys like "q,ctrl+c", not a list; ignored',
    ]


def test_keys_that_are_not_a_table(tmp_path: Path) -> None:
    path = config(tmp_path, 'jobs = 2\nkeys = "q"\n')
    loaded, warnings = load_config(path)
    assert loaded == Config(jobs=2)
    assert one_line(warnings) == (
        f'{path}, line 2: keys: must be a table of binding id = keys, not "q"; '
        "using the default keys"
    )


def test_an_inline_table_entry_points_at_the_table_line(tmp_path: Path) -> None:
    path = config(tmp_path, '\n\nkeys = { "reader.quit" = 1, "reader.help" = "f1" }\n')
    loaded, warnings = load_config(path)
    assert loaded.keys == {"reader.help": "f1"}
    assert one_line(warnings).startswith(f"{path}, line 3: keys.reader.quit: must be keys")


def test_a_key_with_controls_is_cleaned_in_the_warning(tmp_path: Path) -> None:
    path = config(tmp_path, '"evil\\u001b[2J\\u202e" = 1\n')
    assert one_line(load_config(path)[1]).startswith(f"{path}, line 1: evil: unknown setting")


def test_not_utf8(tmp_path: Path) -> None:
    path = config(tmp_path, b'jobs = 2\ntheme = "caf\xe9"\n')
    loaded, warnings = load_config(path)
    assert loaded == DEFAULTS
    assert one_line(warnings) == f"{path}, line 2: not UTF-8; every setting is at its default"


def test_unreadable_and_huge_files(tmp_path: Path) -> None:
    assert load_config(tmp_path) == (
        DEFAULTS, [f"{tmp_path}: cannot read (Is a directory); every setting is at its default"]
    )
    huge = config(tmp_path, "# " + "x" * (1024 * 1024) + "\n")
    assert load_config(huge) == (
        DEFAULTS, [f"{huge}: larger than 1 MiB; every setting is at its default"]
    )


def test_the_default_place_and_reader_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("READER_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert config_path() == tmp_path / "xdg" / "reader-tui" / "config.toml"
    (tmp_path / "xdg" / "reader-tui").mkdir(parents=True)
    config_path().write_text("jobs = 3\n")
    assert load_config() == (Config(jobs=3), [])
    monkeypatch.setenv("READER_CONFIG", "")  # empty: as if unset
    assert config_path() == tmp_path / "xdg" / "reader-tui" / "config.toml"
    other = config(tmp_path, "jobs = 5\n")
    monkeypatch.setenv("READER_CONFIG", str(other))
    assert config_path() == other
    assert load_config() == (Config(jobs=5), [])
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("READER_CONFIG", "~/config.toml")
    assert config_path() == other


def test_effective_values_are_toml_that_reads_back(tmp_path: Path) -> None:
    assert effective(DEFAULTS) == [
        ("refresh_interval", "0"), ("jobs", "8"), ("per_host", "2"), ("keep_days", "30"),
        ("theme", '"textual-dark"'), ("keys", "{}"),
    ]
    mine = Config(5, 3, 1, 7, 'odd "theme"', {"reader.quit": "q,ctrl+c", "a": "b"})
    lines = effective(mine)
    assert lines[-2:] == [('keys."a"', '"b"'), ('keys."reader.quit"', '"q,ctrl+c"')]
    text = "".join(f"{key} = {value}\n" for key, value in lines)
    assert load_config(config(tmp_path, text)) == (mine, [])


# --- save_theme -----------------------------------------------------------------------------

COMMENTED = """\
# My reader settings
jobs = 4  # a slow line

# the look
theme = "textual-dark"   # chosen in the palette

# key bindings
[keys]
"reader.quit" = "q"
"""


def test_save_theme_rewrites_only_the_theme_line(tmp_path: Path) -> None:
    path = config(tmp_path, COMMENTED)
    save_theme(path, "nord")
    assert path.read_text() == COMMENTED.replace(
        'theme = "textual-dark"   # chosen', 'theme = "nord"  # chosen'
    )
    assert load_config(path) == (Config(jobs=4, theme="nord", keys={"reader.quit": "q"}), [])
    assert [p.name for p in tmp_path.iterdir()] == ["config.toml"]  # no temporary left


def test_save_theme_adds_the_line_before_the_first_table(tmp_path: Path) -> None:
    path = config(tmp_path, COMMENTED.replace('theme = "textual-dark"   # chosen in the palette\n',
                                              ""))
    save_theme(path, "gruvbox")
    assert path.read_text() == """\
# My reader settings
jobs = 4  # a slow line

# the look

theme = "gruvbox"

# key bindings
[keys]
"reader.quit" = "q"
"""
    assert load_config(path)[0].theme == "gruvbox"


def test_save_theme_appends_to_a_file_without_tables(tmp_path: Path) -> None:
    path = config(tmp_path, "jobs = 4 # no newline at the end")
    save_theme(path, "nord")
    assert path.read_text() == 'jobs = 4 # no newline at the end\ntheme = "nord"\n'


def test_save_theme_creates_the_file_and_its_folder(tmp_path: Path) -> None:
    path = tmp_path / "new" / "reader-tui" / "config.toml"
    save_theme(path, "nord")
    assert path.read_text() == 'theme = "nord"\n'


def test_save_theme_keeps_crlf_indent_symlinks_and_permissions(tmp_path: Path) -> None:
    target = config(tmp_path, '# w\r\n  theme = "old"\r\n')
    os.chmod(target, 0o600)
    link = tmp_path / "link.toml"
    link.symlink_to(target)
    save_theme(link, "nord")
    assert link.is_symlink()
    assert target.read_bytes() == b'# w\r\n  theme = "nord"\r\n'
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    "text",
    [
        'jobs = = 4\ntheme = "old"\n',  # not TOML: the user is editing it
        'jobs = 4\n[theme]\nname = "x"\n',  # theme is a table: no line to set
        'theme = """old\n"""\n',  # a multi-line string
    ],
    ids=["not-toml", "theme-table", "multi-line"],
)
def test_save_theme_leaves_a_file_it_cannot_update_alone(tmp_path: Path, text: str) -> None:
    path = config(tmp_path, text)
    with pytest.raises(ConfigError, match=rf"^{path}: .*; theme not saved$"):
        save_theme(path, "nord")
    assert path.read_text() == text


def test_save_theme_refuses_a_bad_name_and_a_failed_write(tmp_path: Path) -> None:
    path = config(tmp_path, "jobs = 4\n")
    with pytest.raises(ConfigError, match=rf"^{path}: not saving the theme 'bad name'$"):
        save_theme(path, "bad\nname")
    (tmp_path / f".config.toml.{os.getpid()}.tmp").mkdir()  # the temporary cannot be made
    with pytest.raises(ConfigError, match=rf"^{path}: cannot write \(Is a directory\); "
                       r"the stored copy is unchanged; theme not saved$"):
        save_theme(path, "nord")
    assert path.read_text() == "jobs = 4\n"


def test_a_saved_theme_reads_back_whatever_its_characters(tmp_path: Path) -> None:
    path = config(tmp_path, "")
    for theme in ['quote " and back\\slash', "Ünïcödé 🦀", "a'b"]:
        save_theme(path, theme)
        assert tomllib.loads(path.read_text())["theme"] == theme
        assert load_config(path) == (Config(theme=theme), [])
