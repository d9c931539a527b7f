"""The extension points, performed as an adopting data team would: in a copy, via the CLI.

One backfill performs the SQL model + metric, the expectation and the custom-field driver
together. The CLI runs use the session's Prefect server (PREFECT_API_URL), as a team with a
server does: a process without one starts Prefect's temporary server first (6-9 s), which
tests/flows/test_cli.py's demo and test_cli_signals.py cover.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from tasks import extensions, models
from tasks.config import load_settings
from tasks.demo.synthetic import SyntheticConfig, generate_exports
from tasks.errors import BacklogError
from tasks.reports import metrics
from tests.support.paths import ROOT

EXAMPLES = ROOT / "examples"
BACKLOG = Path(sys.executable).parent / "backlog"
START = date(2026, 1, 5)
DAYS = 14
END = START + timedelta(days=DAYS - 1)
AREAS = ("billing", "checkout", "identity")


def _project(tmp_path: Path) -> Path:
    """A copy of the example project with a small generated export history."""
    project = tmp_path / "project"
    shutil.copytree(EXAMPLES, project)
    generate_exports(
        project / "exports", SyntheticConfig(start=START, days=DAYS, tickets_per_day=15)
    )
    return project


def _env(project: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BACKLOG_", "PREFECT_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        BACKLOG_CONFIG=str(project / "backlog.toml"),
        BACKLOG_DB_PATH=str(project / "backlog.duckdb"),
        BACKLOG_OUT_DIR=str(project / "out"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
        PREFECT_API_URL=_session_api(),
    )
    return env


def _session_api() -> str:
    """The address of the session's Prefect server (`prefect_harness`)."""
    from prefect.settings import PREFECT_API_URL

    api = PREFECT_API_URL.value()
    assert api, "the test asks for prefect_harness"
    return str(api)


def _run(args: list[str], project: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        args, cwd=project, env=_env(project), capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def _add_custom_field_and_bad_row(tickets_csv: Path) -> str:
    """Add a `product_area` column (as a Zendesk custom field exports) and one bad channel."""
    with tickets_csv.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for index, row in enumerate(rows):
        row["product_area"] = AREAS[index % len(AREAS)].upper()  # staged lower-case
    rows[0]["channel"] = "carrier-pigeon"
    with tickets_csv.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return rows[0]["ticket_id"]


@pytest.mark.slow
def test_model_metric_expectation_and_field_driver_through_the_cli(
    tmp_path: Path, prefect_harness: None
) -> None:
    project = _project(tmp_path)
    last_day = project / "exports" / END.isoformat() / "tickets.csv"
    bad_ticket = _add_custom_field_and_bad_row(last_day)

    _run(
        [
            str(BACKLOG),
            "backfill",
            "--exports",
            "exports",
            "--start",
            f"{START}",
            "--end",
            f"{END}",
        ],
        project,
    )

    digest = json.loads((project / "out" / f"digest-{END}.json").read_text("utf-8"))
    with duckdb.connect(str(project / "backlog.duckdb"), read_only=True) as con:
        created, email = con.execute(
            "select count(*), count(*) filter (where channel = 'email') "
            "from marts.fct_ticket_metrics where created_date = ?",
            [END],
        ).fetchone()
        reasons = con.execute(
            "select reason, record ->> 'ticket_id' from ops.quarantine where export_date = ?",
            [END],
        ).fetchall()
    # a SQL model + a registry entry: the value is in the digest at its dotted name
    assert digest["channels"]["email_share"] == pytest.approx(email / created)
    assert digest["channels"]["inflow_email"] == email
    # an expectation: the row is quarantined with its reason
    assert ("channel is not one we route (extension expectation)", bad_ticket) in reasons
    # a custom field as the driver dimension
    drivers = {row["driver"] for row in digest["drivers"]}
    assert drivers
    assert drivers <= set(AREAS)


@pytest.mark.slow
def test_a_flow_of_ones_own_wraps_the_daily_run(tmp_path: Path, prefect_harness: None) -> None:
    project = _project(tmp_path)
    share = tmp_path / "share"

    _run(
        [
            sys.executable,
            "flows/digest_to_share.py",
            "--exports",
            "exports",
            "--day",
            str(END),
            "--share",
            str(share),
        ],
        project,
    )

    digest = json.loads((share / f"digest-{END}.json").read_text("utf-8"))
    assert digest["date"] == END.isoformat()
    assert "channels" in digest  # the project's extensions applied inside the subflow
    assert (share / f"digest-{END}.md").is_file()


def test_extension_models_join_the_shipped_build_order() -> None:
    folder = EXAMPLES / "backlog_extensions" / "sql"
    order = [model.table for model in models.discover_models(extra_dirs=[folder])]
    mix = order.index("marts.fct_daily_channel_mix")
    assert order.index("marts.fct_ticket_metrics") < mix
    assert order.index("intermediate.int_report_days") < mix
    assert "marts.fct_daily_channel_mix" not in [m.table for m in models.discover_models()]


def test_an_extension_model_may_not_replace_a_shipped_one(tmp_path: Path) -> None:
    (tmp_path / "marts").mkdir()
    (tmp_path / "marts" / "fct_daily_flow.sql").write_text("select 1 as x\n", "utf-8")
    with pytest.raises(BacklogError, match="already"):
        models.discover_models(extra_dirs=[tmp_path])


def test_registry_appends_extension_entries_and_rejects_clashes(tmp_path: Path) -> None:
    extra = EXAMPLES / "backlog_extensions" / "metrics.toml"
    registry = metrics.load_registry(extra_files=[extra])
    added = [metric for metric in registry if metric.extension]
    assert [m.name for m in added] == ["channels.email_share", "channels.inflow_email"]
    assert registry[: -len(added)] == metrics.load_registry(extra_files=[])
    clash = tmp_path / "metrics.toml"
    clash.write_text('[[metric]]\nname = "flow.inflow"\nmodel = "marts.x"\ncolumn = "y"\n', "utf-8")
    with pytest.raises(BacklogError, match="already registered"):
        metrics.load_registry(extra_files=[clash])


def test_config_reads_extension_folders_from_the_config_files_folder(tmp_path: Path) -> None:
    settings = load_settings(EXAMPLES / "backlog.toml")
    assert settings.extensions_dirs == [EXAMPLES / "backlog_extensions"]
    assert settings.drivers.dimension == "field:product_area"
    assert settings.extensions.expectation_files("tickets")
    assert settings.extensions.driver_dimension == "field:product_area"
    # settings are values: loading other settings leaves these as they are
    assert load_settings().extensions == extensions.Extensions()
    assert settings.extensions.expectation_files("tickets")
    bad = tmp_path / "backlog.toml"
    bad.write_text('[drivers]\ndimension = "product area"\n', "utf-8")
    with pytest.raises(BacklogError, match="dimension"):
        load_settings(bad)
