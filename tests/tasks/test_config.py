"""The one config object: defaults, the TOML file, the environment, overrides."""

from __future__ import annotations

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
    with pytest.raises(BacklogError, match=r"is invalid \(.*unknown time zone 'Mars/Olympus'"):
        load_settings(config)
    with pytest.raises(BacklogError, match=r"Config file .* does not exist"):
        load_settings(tmp_path / "missing.toml")
