"""The one config object: defaults, the TOML file, the environment, overrides."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from typing import Any

import pytest

from tasks.config import DEFAULT_ACK_PATTERNS, load_settings
from tasks.errors import BacklogError
from tests.support.paths import ROOT

EXAMPLE = ROOT / "backlog.example.toml"


def test_example_file_states_the_defaults():
    assert load_settings(EXAMPLE).model_dump() == load_settings().model_dump()
    assert load_settings().ack_patterns == DEFAULT_ACK_PATTERNS


def test_environment_beats_file_and_flags_beat_both(tmp_path, monkeypatch):
    config = tmp_path / "backlog.toml"
    config.write_text(
        'report_timezone = "Europe/Berlin"\n[sla.urgent]\nfirst_reply_minutes = 5\n'
        "resolution_minutes = 60\n"
    )
    settings = load_settings(config)
    assert settings.report_timezone == "Europe/Berlin"
    assert settings.sla["urgent"].first_reply_minutes == 5
    assert settings.sla["normal"].first_reply_minutes == 240

    monkeypatch.setenv("BACKLOG_REPORT_TIMEZONE", "America/New_York")
    assert load_settings(config).report_timezone == "America/New_York"
    assert load_settings(config, report_timezone="Asia/Tokyo").report_timezone == "Asia/Tokyo"


def test_invalid_values_are_one_clear_sentence(tmp_path):
    config = tmp_path / "backlog.toml"
    config.write_text('report_timezone = "Mars/Olympus"\n')
    with pytest.raises(BacklogError) as raised:
        load_settings(config)
    assert str(raised.value) == (
        f"Invalid config: `report_timezone` in {config}: unknown time zone 'Mars/Olympus', "
        "use an IANA name such as Europe/Berlin; fix it or remove it to use the default."
    )
    with pytest.raises(BacklogError, match=r"Config file .* does not exist"):
        load_settings(tmp_path / "missing.toml")


def test_a_config_variable_naming_no_file_is_an_error(tmp_path, monkeypatch):
    # it ran on the defaults: another warehouse (./backlog.duckdb), none of the team's SLAs
    monkeypatch.setenv("BACKLOG_CONFIG", str(tmp_path / "backlg.toml"))
    with pytest.raises(BacklogError) as raised:
        load_settings()
    assert str(raised.value) == (
        f"Config file {tmp_path / 'backlg.toml'} (BACKLOG_CONFIG) does not exist; point "
        "BACKLOG_CONFIG at an existing backlog.toml, or unset it to read ./backlog.toml."
    )
    monkeypatch.delenv("BACKLOG_CONFIG")
    monkeypatch.chdir(tmp_path)
    assert load_settings().report_timezone == "UTC"  # no ./backlog.toml: the defaults


def test_a_value_where_a_section_goes_is_one_sentence(tmp_path, monkeypatch):
    # `[sla] high = 30` was "unexpected TypeError: 'int' object is not iterable"
    config = tmp_path / "backlog.toml"
    config.write_text("[sla]\nhigh = 30\n")
    with pytest.raises(BacklogError) as raised:
        load_settings(config)
    assert str(raised.value) == (
        f"Invalid config: `sla.high` = 30 in {config}: it should be a [sla.high] section, as "
        "backlog.example.toml shows; fix it or remove it to use the default."
    )
    config.write_text('drivers = "tags"\n')
    with pytest.raises(BacklogError, match=r"it should be a \[drivers\] section"):
        load_settings(config)
    monkeypatch.setenv("BACKLOG_SLA__HIGH", "30")
    with pytest.raises(BacklogError) as raised:
        load_settings()
    assert str(raised.value) == (
        "Invalid config: BACKLOG_SLA__HIGH = 30: it is a section: set its keys "
        "(BACKLOG_SLA__HIGH__<KEY>=<value>); fix it or remove it to use the default."
    )


def test_a_pattern_the_models_cannot_run_is_a_config_mistake(tmp_path):
    # it was "SQL model sql/intermediate/int_ticket_replies.sql failed (...); fix the model",
    # after the day had loaded; RE2 (DuckDB's) has no look-ahead, Python's `re` has
    config = tmp_path / "backlog.toml"
    config.write_text('ack_patterns = ["auto.reply", "(unclosed"]\n')
    with pytest.raises(BacklogError) as raised:
        load_settings(config)
    assert str(raised.value) == (
        f"Invalid config: `ack_patterns` in {config}: '(unclosed' is not a regular expression "
        '("missing )"); put a backslash before ( [ * ? or another special character to match '
        "it as itself; fix it or remove it to use the default."
    )
    config.write_text('[merge]\nfollow_up_patterns = ["(?=ahead)"]\n')
    with pytest.raises(BacklogError, match=r"`merge.follow_up_patterns` in .*'\(\?=ahead\)'"):
        load_settings(config)
    config.write_text('[nature.rules]\nlookup = ["where is", "*star"]\n')
    with pytest.raises(BacklogError, match=r"`nature.rules` in .*'\*star' is not a regular"):
        load_settings(config)
    config.write_text('ack_patterns = ["auto[- ]reply", "\\\\(ticket\\\\)"]\n')
    assert load_settings(config).ack_patterns == ["auto[- ]reply", r"\(ticket\)"]


def test_reading_the_default_patterns_imports_no_duckdb():
    # a settings field is validated with its default: compiling the default ack patterns
    # imported DuckDB into every command before Prefect's server started (2 -> 17 ms a read)
    code = (
        "import sys; from tasks.config import load_settings; load_settings(); "
        "print('duckdb' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "False"


def test_a_cron_serve_cannot_schedule_is_a_config_mistake(tmp_path):
    # `backlog serve` said "unexpected ValueError: Invalid cron string" after its server started
    config = tmp_path / "backlog.toml"
    config.write_text('[schedule]\ndaily_cron = "every day"\n')
    with pytest.raises(BacklogError) as raised:
        load_settings(config)
    assert str(raised.value) == (
        f"Invalid config: `schedule.daily_cron` in {config}: 'every day' is not a cron "
        'expression (wrong number of fields); write it as, e.g., "30 6 * * 1-5" (06:30 on '
        "weekdays, in report_timezone); fix it or remove it to use the default."
    )
    config.write_text('[schedule]\nweekly_cron = "0 25 * * 1"\n')
    with pytest.raises(BacklogError, match=r"'0 25 \* \* 1' is not a cron expression \(bad hour"):
        load_settings(config)
    config.write_text('[schedule]\ndaily_cron = "30 6 * * MON-FRI"\nweekly_cron = "@weekly"\n')
    assert load_settings(config).schedule.weekly_cron == "@weekly"


def test_toml_syntax_error_names_the_file_line_and_column(tmp_path):
    config = tmp_path / "backlog.toml"
    config.write_text('report_timezone = "UTC"\n[sla.high\nfirst_reply_minutes = 5\n')
    with pytest.raises(BacklogError) as raised:
        load_settings(config)
    # line 2 is `[sla.high`; column 10 is just past its last character (9 of them)
    assert str(raised.value) == (
        f"Config file {config} is not valid TOML at line 2, column 10 (Expected ']' at the end "
        "of a table declaration); fix the syntax there (backlog.example.toml shows every key)."
    )


def test_bad_variable_is_named_not_the_config_file(tmp_path, monkeypatch):
    config = tmp_path / "backlog.toml"
    config.write_text("[kb]\nwindow_days = 28\n")
    monkeypatch.setenv("BACKLOG_KB__WINDOW_DAYS", "3")
    with pytest.raises(BacklogError) as raised:
        load_settings(config)
    message = str(raised.value)
    assert message.startswith("Invalid config: BACKLOG_KB__WINDOW_DAYS = '3': input should be")
    assert str(config) not in message


def test_unknown_keys_sections_priorities_and_variables_all_in_one_message(tmp_path, monkeypatch):
    config = tmp_path / "backlog.toml"
    config.write_text(
        "[sla.hihg]\nfirst_reply_minutes = 5\n"  # a misspelt priority, not a new one
        "[drivers]\ntopn = 3\n"  # a misspelt key of a section
        "[alert]\nreopen_rate = 0.2\n"  # a misspelt section
        "[work.weights]\nimpakt = 0.3\n"  # a misspelt key of a fixed map
        '[quality]\nvolume_severity = "wran"\n'  # a misspelt choice
        "[zzz]\nq = 1\n"  # nothing close
    )
    monkeypatch.setenv("BACKLOG_REPORT_TIMZONE", "Europe/Berlin")
    monkeypatch.setenv("BACKLOG_SLA__URGNET__FIRST_REPLY_MINUTES", "5")
    with pytest.raises(BacklogError) as raised:
        load_settings(config)
    message = str(raised.value)
    expected = [
        f"unknown section `sla.hihg` in {config} (did you mean `sla.high`?)",
        f"unknown key `drivers.topn` in {config} (did you mean `drivers.top_n`?)",
        f"unknown section `alert` in {config} (did you mean `alerts`?)",
        f"unknown key `work.weights.impakt` in {config} (did you mean `work.weights.impact`?)",
        f"`quality.volume_severity` = 'wran' in {config}: input should be 'warn' or 'fail' "
        '(did you mean "warn"?)',
        f"unknown section `zzz` in {config} (backlog.example.toml lists every key)",
        "BACKLOG_REPORT_TIMZONE is not a setting (did you mean BACKLOG_REPORT_TIMEZONE?)",
        "BACKLOG_SLA__URGNET__FIRST_REPLY_MINUTES is not a setting (did you mean "
        "BACKLOG_SLA__URGENT__FIRST_REPLY_MINUTES?)",
    ]
    assert message.startswith("Invalid config (8 mistakes): ")
    assert message.endswith("; fix them or remove them to use the defaults.")
    for problem in expected:
        assert problem in message
    assert message.count("\n") == 0


def test_variables_that_are_not_settings_pass(monkeypatch):
    monkeypatch.setenv("BACKLOG_SLA__HIGH__FIRST_REPLY_MINUTES", "15")
    monkeypatch.setenv("BACKLOG_WORK__URGENCY__LOW", "0.2")
    settings = load_settings()  # BACKLOG_CONFIG (set by conftest) is not a setting either
    assert settings.sla["high"].first_reply_minutes == 15
    assert settings.work.urgency["low"] == 0.2


def _leaves(value: Any, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    """A nested mapping as {dotted path: value}; lists and scalars are leaves."""
    if isinstance(value, dict) and value:
        return {
            found: leaf
            for key, inner in value.items()
            for found, leaf in _leaves(inner, (*path, str(key))).items()
        }
    return {path: value}


def _toml(value: Any) -> str:
    """A value or key as TOML writes it (inline tables for the dicts in a list)."""
    if isinstance(value, dict):
        pairs = ", ".join(f"{_toml_key(str(k))} = {_toml(v)}" for k, v in value.items())
        return "{" + pairs + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    return json.dumps(value)


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def _toml_lines(missing: dict[tuple[str, ...], Any]) -> str:
    """The lines to paste into backlog.example.toml, grouped by section."""
    by_section: dict[tuple[str, ...], list[str]] = {}
    for path, value in sorted(missing.items(), key=lambda item: (item[0][:-1], item[0][-1])):
        line = f"{_toml_key(path[-1])} = {'...' if value is None else _toml(value)}"
        by_section.setdefault(path[:-1], []).append(("# " if value is None else "") + line)
    return "\n\n".join(
        (f"[{'.'.join(section)}]" if section else "# at the top, before any [section]")
        + "\n"
        + "\n".join(lines)
        for section, lines in by_section.items()
    )


def test_example_file_lists_every_setting_with_its_default():
    """backlog.example.toml is the settings model written out: every key, its default.

    A key whose default is None (no value in TOML) is listed commented out: `# key = ...`.
    """
    defaults = _leaves(load_settings().model_dump(mode="json"))
    text = EXAMPLE.read_text(encoding="utf-8")
    listed = _leaves(tomllib.loads(text))
    commented = {
        path
        for path, value in defaults.items()
        if value is None and re.search(rf"^#\s*{re.escape(path[-1])}\s*=", text, re.M)
    }
    missing = {path: defaults[path] for path in defaults.keys() - listed.keys() - commented}
    if missing:
        pytest.fail(
            f"backlog.example.toml lacks {len(missing)} setting(s) of tasks/config.py; add "
            "each with its default and a comment saying what it does:\n\n" + _toml_lines(missing),
            pytrace=False,
        )
    wrong = {
        ".".join(path): (listed[path], defaults[path])
        for path in listed.keys() & defaults.keys()
        if listed[path] != defaults[path]
    }
    assert not wrong, f"backlog.example.toml differs from the defaults (example, default): {wrong}"
    extra = sorted(".".join(path) for path in listed.keys() - defaults.keys())
    assert not extra, f"backlog.example.toml lists keys the settings do not have: {extra}"


def test_memory_limit_is_a_duckdb_size_or_a_share(tmp_path):
    config = tmp_path / "backlog.toml"
    config.write_text('[warehouse]\nmemory_limit = "300MB"\n')
    assert load_settings(config).warehouse.memory_limit == "300MB"
    assert load_settings().warehouse.memory_limit == "25%"
    config.write_text('[warehouse]\nmemory_limit = "lots"\n')
    with pytest.raises(BacklogError, match=r"warehouse.memory_limit. in .*'lots' is not a size"):
        load_settings(config)


def test_the_readers_copy_size_limit_is_a_positive_number_of_gb(tmp_path):
    config = tmp_path / "backlog.toml"
    config.write_text("readers_copy_max_gb = 20.5\n")
    assert load_settings(config).readers_copy_max_gb == 20.5
    assert load_settings().readers_copy_max_gb == 4.0
    for wrong in ("0", "-1", '"big"'):
        config.write_text(f"readers_copy_max_gb = {wrong}\n")
        with pytest.raises(BacklogError, match=r"^Invalid config: `readers_copy_max_gb`") as raised:
            load_settings(config)
        assert "greater than 0" in str(raised.value) or "valid number" in str(raised.value)
