"""The `[business_hours]` settings (tasks/business_hours.py): the issue's TOML as written,
and one clear error for each way a schedule can be wrong."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tasks.config import load_settings
from tasks.errors import BacklogError
from tasks.warehouse import config_rows
from tests.support.paths import ROOT

ISSUE_TOML = """
[business_hours]
timezone = "Europe/Berlin"
mon = ["09:00-12:30", "13:30-18:00"]
tue = ["09:00-17:00"]
wed = ["09:00-17:00"]
thu = ["09:00-17:00"]
fri = ["09:00-15:00"]
# sat, sun: absent = closed
holidays = ["2025-01-01", "2025-03-21"]
holiday_country = "DE"          # optional, with holiday_subdivision = "BE"
holiday_subdivision = "BE"

[[business_hours.changes]]
valid_from = "2026-07-01"
mon = ["08:00-16:00"]

[business_hours.schedules.americas]   # optional, more schedules
timezone = "America/New_York"
mon = ["08:00-20:00"]               # ... as above
groups = ["Americas", "US Billing"] # tickets whose latest group_name is one of these

[sla.high]
clock = "business"
"""


def test_the_issue_toml_loads_into_config_rows(tmp_path: Path) -> None:
    path = tmp_path / "backlog.toml"
    path.write_text(ISSUE_TOML, encoding="utf-8")
    settings = load_settings(config_file=path)
    rows = config_rows(settings)
    versions = [
        (r["schedule_name"], r["valid_from"], r["timezone"])
        for r in rows["business_schedule_versions"]
    ]
    assert versions == [
        ("default", date.min, "Europe/Berlin"),
        ("default", date(2026, 7, 1), "Europe/Berlin"),  # a change keeps the zone
        ("americas", date.min, "America/New_York"),
    ]
    monday = [
        (r["valid_from"], r["opens_minute"], r["closes_minute"])
        for r in rows["business_weekly_hours"]
        if r["schedule_name"] == "default" and r["iso_weekday"] == 1
    ]
    # 09:00 = 540, 12:30 = 750, 13:30 = 810, 18:00 = 1080; from July 2026 08:00-16:00
    assert monday == [(date.min, 540, 750), (date.min, 810, 1080), (date(2026, 7, 1), 480, 960)]
    # the change states the whole week: only Monday is open from 2026-07-01
    assert {
        r["iso_weekday"]
        for r in rows["business_weekly_hours"]
        if r["valid_from"] != date.min and r["schedule_name"] == "default"
    } == {1}
    assert [r["holiday_date"] for r in rows["business_holidays"]] == [
        date(2025, 1, 1),
        date(2025, 3, 21),
    ]
    assert rows["business_schedule_groups"] == [
        {"group_name": "Americas", "schedule_name": "americas"},
        {"group_name": "US Billing", "schedule_name": "americas"},
    ]
    high = next(r for r in rows["sla_targets"] if r["priority"] == "high")
    assert high["is_business_clock"] is True
    assert high["first_reply_minutes"] == 30  # the default target, now in business minutes
    normal = next(r for r in rows["sla_targets"] if r["priority"] == "normal")
    assert normal["is_business_clock"] is False


def test_no_business_hours_leaves_the_tables_empty() -> None:
    rows = config_rows(load_settings())
    for table in (
        "business_schedule_versions",
        "business_weekly_hours",
        "business_holidays",
        "business_schedule_groups",
    ):
        assert rows[table] == []


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ({"timezone": "Europe/Berlni"}, "unknown time zone 'Europe/Berlni'"),
        ({"timezone": "UTC", "mon": ["9:00-17:00"]}, "'9:00-17:00' is not an interval"),
        ({"timezone": "UTC", "tue": ["09:00-24:30"]}, "not on the clock"),
        ({"timezone": "UTC", "wed": ["09:60-17:00"]}, "not on the clock"),
        ({"timezone": "UTC", "thu": ["17:00-09:00"]}, "does not open before it closes"),
        (
            {"timezone": "UTC", "mon": ["09:00-12:30", "12:00-18:00"]},
            "mon has overlapping intervals",
        ),
        ({"timezone": "UTC", "holiday_country": "XX"}, "not known to the holidays package"),
        (
            {"timezone": "UTC", "holiday_country": "DE", "holiday_subdivision": "ZZ"},
            "not known to the holidays package",
        ),
        ({"timezone": "UTC", "holiday_subdivision": "BE"}, "needs holiday_country"),
        ({"timezone": "UTC", "groups": ["Support"]}, "groups belong to a named schedule"),
        (
            {
                "timezone": "UTC",
                "schedules": {
                    "a": {"timezone": "UTC", "groups": ["Billing"]},
                    "b": {"timezone": "UTC", "groups": ["Billing"]},
                },
            },
            "group 'Billing' is in schedules 'a' and 'b'",
        ),
        (
            {"timezone": "UTC", "schedules": {"x": {"timezone": "Mars/Base"}}},
            "unknown time zone 'Mars/Base'",
        ),
        (
            {
                "timezone": "UTC",
                "changes": [{"valid_from": "2026-01-01"}, {"valid_from": "2026-01-01"}],
            },
            "same valid_from",
        ),
        ({"timezone": "UTC", "monday": ["09:00-17:00"]}, "monday"),
        ({"mon": ["09:00-17:00"]}, "business_hours.timezone"),
    ],
)
def test_a_wrong_schedule_is_one_clear_error(hours: dict, message: str) -> None:
    with pytest.raises(BacklogError, match=r"^Invalid config") as raised:
        load_settings(business_hours=hours)
    assert message in str(raised.value)


def test_a_business_sla_needs_a_schedule() -> None:
    with pytest.raises(BacklogError) as raised:
        load_settings(sla={"urgent": {"clock": "business"}})
    assert '[sla.urgent] clock = "business" needs a [business_hours] schedule' in str(raised.value)


def test_the_example_config_business_block_loads(tmp_path: Path) -> None:
    """The commented [business_hours] block of backlog.example.toml, uncommented, is valid."""
    example = (ROOT / "backlog.example.toml").read_text(encoding="utf-8").splitlines()
    start = example.index("# [business_hours]")
    block = []
    for line in example[start:]:
        if not line.startswith("#"):
            break
        block.append(line[2:] if line.startswith("# ") else "")
    text = "\n".join(line for line in block if not line.startswith("and an SLA"))
    path = tmp_path / "backlog.toml"
    path.write_text(text, encoding="utf-8")
    settings = load_settings(config_file=path)
    assert settings.business_hours is not None
    assert settings.sla["high"].clock == "business"
    assert settings.sla["normal"].clock == "calendar"
    assert list(settings.business_hours.schedules) == ["americas"]
