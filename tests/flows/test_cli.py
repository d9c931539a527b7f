"""The `backlog` command end to end, as a user runs it: a real process, real files."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from datetime import date
from importlib.metadata import version
from pathlib import Path

import click
import duckdb
import pytest
import typer
from typer.testing import CliRunner

from flows.cli import app, debug_first
from tests.support.paths import ROOT

BACKLOG = Path(sys.executable).parent / "backlog"


def backlog(
    *args: str, cwd: Path, variables: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKLOG_")}
    env.update(variables or {})
    env["COLUMNS"] = "100"
    env["PYTHONPATH"] = str(ROOT)  # the code under test, whatever the venv was installed from
    return subprocess.run(
        [str(BACKLOG), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def test_help_lists_the_commands(tmp_path):
    done = backlog("--help", cwd=tmp_path)
    assert done.returncode == 0
    for command in ("demo", "run", "backfill", "digest"):
        assert command in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["run", "--exports", "nowhere", "--date", "2026-03-01"],
            "Export folder nowhere does not exist",
        ),
        (
            ["backfill", "--exports", "nowhere", "--start", "2026-03-01", "--end", "2026-03-05"],
            "Export folder nowhere does not exist",
        ),
        (["digest", "--date", "2026-03-01", "--db", "none.duckdb"], "No warehouse at none.duckdb"),
        # the backfill's checks, made by the flow's own function before Prefect starts
        (
            ["backfill", "--exports", "empty", "--start", "2026-03-05", "--end", "2026-03-01"],
            "--end 2026-03-01 is before --start 2026-03-05; swap them.",
        ),
        (
            ["backfill", "--exports", "empty", "--start", "2026-03-01", "--end", "2026-03-05"],
            "No export folders between 2026-03-01 and 2026-03-05 under empty; "
            "check --exports and the dates.",
        ),
        (
            [
                *("backfill", "--exports", "empty", "--source", "nope"),
                *("--start", "2026-03-01", "--end", "2026-03-05"),
            ],
            "Export source 'nope' is not supported",
        ),
        # a file where the output folder goes: said before anything loads (it was an
        # "unexpected FileExistsError" after the day had loaded)
        (
            ["run", "--exports", "empty", "--date", "2026-03-01", "--out", "afile"],
            "--out afile is a file, not a folder; pass a folder for the digest files (it is "
            "created when missing).",
        ),
        (
            [
                *("backfill", "--exports", "empty", "--out", "afile/sub"),
                *("--start", "2026-03-01", "--end", "2026-03-05"),
            ],
            "--out afile/sub is inside afile, which is a file, not a folder;",
        ),
        (["digest", "--date", "2026-03-01", "--out", "afile"], "--out afile is a file"),
        (["demo", "--out", "afile"], "--out afile is a file, not a folder;"),
        # DuckDB opened an existing tickets.csv as an empty in-memory database: the run
        # loaded into it, printed its digest, exit 0, and kept nothing
        (
            ["digest", "--date", "2026-03-01", "--db", "afile.csv"],
            "--db afile.csv names an export file, not the warehouse; name the DuckDB file "
            "the runs write instead, e.g. backlog.duckdb.",
        ),
        # a day after today: it was recorded as a missing day, its digest asking for its export
        (
            ["run", "--exports", "empty", "--date", "2999-01-04"],
            "--date 2999-01-04 is after today (",
        ),
        (
            ["backfill", "--exports", "empty", "--start", "2026-03-01", "--end", "2999-01-04"],
            "--end 2999-01-04 is after today (",
        ),
    ],
)
def test_errors_are_one_sentence_without_traceback(tmp_path, args, message):
    (tmp_path / "empty").mkdir()
    (tmp_path / "afile").write_text("not a folder\n", encoding="utf-8")
    (tmp_path / "afile.csv").write_text("ticket_id\n", encoding="utf-8")
    done = backlog(*args, cwd=tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr + done.stdout
    assert done.stderr.startswith("Error: ")
    assert message in " ".join(done.stderr.split())


def test_a_day_after_today_is_refused_only_without_its_export(tmp_path):
    """A helpdesk naming its exports in a timezone ahead, or exports generated ahead (the
    benchmarks' year): the folder is there, so the day loads."""
    from datetime import UTC, datetime, timedelta

    from flows.cli_options import check_past
    from tasks.config import load_settings
    from tasks.errors import BacklogError

    settings = load_settings(None)
    ahead = datetime.now(UTC).date() + timedelta(days=30)
    (tmp_path / ahead.isoformat()).mkdir()
    check_past(ahead, settings, tmp_path)
    with pytest.raises(BacklogError, match=r"is after today .* and has no export"):
        check_past(ahead + timedelta(days=1), settings, tmp_path)
    with pytest.raises(BacklogError, match="is after today"):
        check_past(ahead, settings, None)  # pulled from an API: no folder to look at


def test_config_mistakes_are_one_sentence_naming_the_file_or_the_variable(tmp_path):
    (tmp_path / "backlog.toml").write_text("[sla.hihg]\nfirst_reply_minutes = 5\n")
    done = backlog(
        *("digest", "--date", "2026-03-01"),
        cwd=tmp_path,
        variables={"BACKLOG_REPORT_TIMZONE": "UTC"},
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr + done.stdout
    assert " ".join(done.stderr.split()) == (
        "Error: Invalid config (2 mistakes): unknown section `sla.hihg` in backlog.toml (did "
        "you mean `sla.high`?); BACKLOG_REPORT_TIMZONE is not a setting (did you mean "
        "BACKLOG_REPORT_TIMEZONE?); fix them or remove them to use the defaults."
    )
    (tmp_path / "backlog.toml").write_text("[sla.high\n")
    done = backlog("digest", "--date", "2026-03-01", cwd=tmp_path)
    assert done.returncode == 1
    assert " ".join(done.stderr.split()) == (
        "Error: Config file backlog.toml is not valid TOML at line 1, column 10 (Expected ']' "
        "at the end of a table declaration); fix the syntax there (backlog.example.toml shows "
        "every key)."
    )


def test_serve_checks_the_scheduled_source_before_it_serves(tmp_path):
    # it served, and every scheduled morning failed on the source
    (tmp_path / "backlog.toml").write_text('[schedule]\nsource = "zendes"\n')
    done = backlog("serve", cwd=tmp_path)
    assert done.returncode == 1
    assert _one_line(done.stderr) == (
        "Error: `schedule.source` in backlog.toml: export source 'zendes' is not supported; "
        "use one of: canonical, zendesk, freshdesk, jira, servicenow, or mapping:<file.toml>."
    )
    assert "Serving" not in done.stdout
    (tmp_path / "backlog.toml").write_text('db_path = "tickets.csv"\n')
    done = backlog("serve", cwd=tmp_path)
    assert _one_line(done.stderr) == (
        "Error: db_path = tickets.csv in backlog.toml names an export file, not the "
        "warehouse; name the DuckDB file the runs write instead, e.g. backlog.duckdb."
    )


def test_post_checks_the_slack_settings_before_anything_loads(tmp_path):
    # it loaded the day and wrote its digest, then stopped at the post
    (tmp_path / "exports" / "2026-03-02").mkdir(parents=True)
    done = backlog(
        *("run", "--exports", "exports", "--date", "2026-03-02", "--db", "b.duckdb", "--post"),
        cwd=tmp_path,
        variables={"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_CHANNEL": "#support"},
    )
    assert done.returncode == 1
    assert _one_line(done.stderr) == (
        "Error: Slack: SLACK_CHANNEL must be a channel id such as C0123456789, not "
        "'#support'; copy the id from the channel's details in Slack."
    )
    assert not (tmp_path / "b.duckdb").exists()


def test_debug_shows_the_traceback(tmp_path):
    done = backlog("--debug", "digest", "--date", "2026-03-01", "--db", "none.duckdb", cwd=tmp_path)
    assert done.returncode == 1
    assert "Traceback" in done.stderr
    assert "No warehouse at none.duckdb" in done.stderr


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += _commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


def _help_rows(text: str) -> dict[str, str]:
    """The rows of a help screen's option tables, {option: its whole text}."""
    rows: dict[str, str] = {}
    current = None
    for line in text.splitlines():
        cells = line.strip("│ ").split()
        if not line.startswith("│") or not cells:
            continue
        first = cells[1] if cells[0] == "*" and len(cells) > 1 else cells[0]
        if first.startswith("--") or first.isupper():
            current = first
            rows[current] = ""
        if current is not None:
            rows[current] += " " + " ".join(cells)
    return rows


@pytest.mark.parametrize("command", [(), *_commands(typer.main.get_command(app))])
def test_help_shows_every_default(command):
    done = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert done.exit_code == 0, done.output
    rows = _help_rows(done.output)
    assert rows, done.output
    for option, text in rows.items():
        if option in ("--help", "--version") or not option.startswith("--"):
            continue
        assert "[default: " in text or "[required]" in text, f"{command} {option}: {text}"
        assert not re.search(r" \.( |$)", text), f"{command} {option}: a help lost its end: {text}"


def test_version():
    done = CliRunner().invoke(app, ["--version"])
    assert done.exit_code == 0
    assert done.output.strip() == f"backlog {version('support-backlog')}"


def test_prefects_background_services_print_nothing_without_debug(monkeypatch):
    """Prefect's events and log workers log under their class names, outside `prefect`:
    "WARNING | EventsWorker - Still processing items" ended a failed run's stderr."""
    for name in ("EventsWorker", "APILogWorker"):
        monkeypatch.setattr(logging.getLogger(name), "level", logging.NOTSET)
    CliRunner().invoke(app, ["digest", "--date", "not-a-date"])
    assert logging.getLogger("EventsWorker").getEffectiveLevel() == logging.CRITICAL
    assert logging.getLogger("APILogWorker").getEffectiveLevel() == logging.CRITICAL


def test_debug_is_read_before_and_after_the_command(tmp_path):
    assert debug_first(["run", "--date", "x", "--debug"]) == ["--debug", "run", "--date", "x"]
    assert debug_first(["kb", "show", "--", "--debug"]) == ["kb", "show", "--", "--debug"]
    done = backlog("digest", "--date", "2026-03-01", "--db", "none.duckdb", "--debug", cwd=tmp_path)
    assert done.returncode == 1
    assert "Traceback" in done.stderr
    assert "No warehouse at none.duckdb" in done.stderr


def test_kb_list_sorts_as_its_help_says(tmp_path, settings, con):
    """New first, then accepted, then dismissed; within a state the most recently seen,
    then the largest, first (the help of `kb list`)."""
    candidates = [  # id, state, last seen, tickets that day
        ("kb-old-big", "new", "2026-03-01", 50),
        ("kb-dismissed", "dismissed", "2026-03-09", 90),
        ("kb-recent-small", "new", "2026-03-05", 6),
        ("kb-accepted", "accepted", "2026-03-09", 70),
        ("kb-recent-big", "new", "2026-03-05", 8),
    ]
    for candidate_id, state, seen, tickets in candidates:
        con.execute(
            "insert into ops.kb_candidates (candidate_id, state, first_seen, last_seen, title) "
            "values (?, ?, ?, ?, ?)",
            [candidate_id, state, seen, seen, "A title"],
        )
        con.execute(
            "insert into ops.kb_candidate_days values "
            "(?, ?, 'T', [], ?, null, null, 't-1', 0.5, [], [], 'draft')",
            [seen, candidate_id, tickets],
        )
    con.close()
    listed = backlog("kb", "list", "--db", str(settings.db_path), cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    shown = [word for word in listed.stdout.split() if word.startswith("kb-")]
    assert shown == [
        "kb-recent-big",  # new, seen 03-05, 8 tickets
        "kb-recent-small",  # new, seen 03-05, 6 tickets
        "kb-old-big",  # new, seen 03-01: older than both, whatever its size
        "kb-accepted",
        "kb-dismissed",
    ]
    assert "newest first" not in backlog("kb", "list", "--help", cwd=tmp_path).stdout


def test_bad_date_is_a_usage_error(tmp_path):
    done = backlog("digest", "--date", "March 1st", cwd=tmp_path)
    assert done.returncode == 2
    assert "is not a date; use YYYY-MM-DD" in done.stderr


def test_demo_then_digest_rebuilds_the_same_bytes(tmp_path, prefect_harness):
    from prefect.settings import PREFECT_API_URL

    # the demo starts its own temporary Prefect server, as a new user's first run does
    done = backlog("demo", "--days", "8", "--out", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Backlog digest" in done.stdout
    # no terminal (a pipe, as under cron): the result, no log line per loaded day
    assert done.stderr == ""
    assert "backlog.progress" not in done.stdout
    assert not re.search(r"loaded \d{4}-\d\d-\d\d \(\d+ of 8\)", done.stdout)
    digests = sorted((tmp_path / "out").glob("digest-????-??-??.json"))
    assert len(digests) == 1
    first = digests[0].read_bytes()
    day = json.loads(first)["date"]
    assert json.loads(first)["backlog"]["open_total"] > 0

    # the demo says what the warehouse holds, where the Slack preview is, how to query it
    said = " ".join(done.stdout.split())
    with duckdb.connect(str(tmp_path / "out/demo/backlog.duckdb"), read_only=True) as con:
        query = "select count(distinct ticket_id) from staging.stg_tickets"
        tickets = con.execute(query).fetchone()
    assert f"out/demo/backlog.duckdb holds {tickets[0]:,} tickets" in said
    assert "Generated 8 days of synthetic exports" in said
    assert f"Slack preview: out/digest-{json.loads(first)['date']}.blocks.html" in said
    command = done.stdout.split("Query it with the installed DuckDB, e.g.: ")[1].strip()
    queried = subprocess.run(
        command, shell=True, cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert queried.returncode == 0, queried.stderr
    assert "report_date" in queried.stdout

    # `backlog digest` writes every file the run of that day wrote: drafts and Data Docs too
    out = tmp_path / "out"
    ran = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    ran = {name: data for name, data in ran.items() if name.parts[0] != "demo"}
    assert any(name.parts[0] == "kb" for name in ran)
    assert any(name.parts[0] == "data-docs" for name in ran)
    for name in ran:
        (out / name).unlink()
    # the demo's backfill also rendered the pages of its earlier batches' GX runs (the
    # Data Docs index lists every stored run); the day's own pages are written again
    earlier = [
        name
        for name in ran
        if name.parts[:2] == ("data-docs", "validations") and day not in name.parts[3]
    ]
    assert len(earlier) == 2  # 8 days: batches of 7 and 1, one GX run per entity and batch
    ran = {name: data for name, data in ran.items() if name not in earlier}

    # the commands after the demo run on the session's server (no temporary server each)
    api = {"PREFECT_API_URL": str(PREFECT_API_URL.value())}
    again = backlog(
        *("digest", "--date", day, "--db", "out/demo/backlog.duckdb", "--out", "out"),
        cwd=tmp_path,
        variables=api,
    )
    assert again.returncode == 0, again.stderr
    assert digests[0].read_bytes() == first
    rebuilt = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    rebuilt = {name: data for name, data in rebuilt.items() if name.parts[0] != "demo"}
    assert sorted(rebuilt) == sorted(ran)
    assert Path("backlog-latest.duckdb") in rebuilt  # the readers' copy, republished
    for name, data in ran.items():
        # Data Docs carry the time they were rendered; the readers' copy is a DuckDB file
        if name.parts[0] != "data-docs" and name.suffix != ".duckdb":
            assert rebuilt[name] == data, name

    # `backlog digest | head -1`, the reader gone before the digest is printed: the command
    # ends as rich ends it on a closed pipe (exit 1), without a word on stderr (here on its
    # temporary server: nanobind's "leaked 28 instances!" list was printed)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BACKLOG_", "PREFECT_API"))}
    with subprocess.Popen(
        [str(BACKLOG), "digest", "--date", day, "--db", "out/demo/backlog.duckdb"],
        cwd=tmp_path,
        env=env | {"PYTHONPATH": str(ROOT), "COLUMNS": "100"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as piped:
        assert piped.stdout is not None
        assert piped.stderr is not None
        piped.stdout.close()
        said = piped.stderr.read()
    assert said == ""
    assert piped.returncode == 1

    rerun = backlog(
        "run",
        "--exports",
        "out/demo/exports",
        "--date",
        day,
        "--db",
        "out/demo/backlog.duckdb",
        "--out",
        "out",
        cwd=tmp_path,
        variables=api,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert digests[0].read_bytes() == first
    assert (tmp_path / "out" / f"digest-{day}.blocks.html").is_file()

    # no Slack configured: --post says so and posts nothing
    posted = backlog(
        "digest",
        "--date",
        day,
        "--db",
        "out/demo/backlog.duckdb",
        "--out",
        "out",
        "--post",
        cwd=tmp_path,
        variables=api,
    )
    assert posted.returncode == 0, posted.stderr
    assert "Slack is not configured" in " ".join(posted.stdout.split())

    listed = backlog("kb", "list", "--db", "out/demo/backlog.duckdb", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    candidates = json.loads(first)["kb_candidates"]
    assert candidates, "the demo's solved tickets repeat resolutions"
    chosen = candidates[0]["candidate_id"]
    assert chosen in listed.stdout
    shown = backlog("kb", "show", chosen, "--db", "out/demo/backlog.duckdb", cwd=tmp_path)
    assert "Resolution" in shown.stdout
    dismissed = backlog("kb", "dismiss", chosen, "--db", "out/demo/backlog.duckdb", cwd=tmp_path)
    assert dismissed.returncode == 0, dismissed.stderr
    unknown = backlog("kb", "accept", "kb-nope", "--db", "out/demo/backlog.duckdb", cwd=tmp_path)
    assert unknown.returncode == 1
    assert unknown.stderr.startswith("Error: ")

    empty = backlog(
        *("review", "--week", "2025-W10", "--db", "out/demo/backlog.duckdb", "--out", "out"),
        cwd=tmp_path,
        variables=api,
    )
    assert empty.returncode == 1
    assert empty.stderr.startswith("Error: No data for 2025-W10: the warehouse holds weeks ")
    assert "Review pack" not in empty.stdout
    assert not list((tmp_path / "out").glob("review-*"))

    review = backlog(
        "review", "--db", "out/demo/backlog.duckdb", "--out", "out", cwd=tmp_path, variables=api
    )
    assert review.returncode == 0, review.stderr
    assert list((tmp_path / "out").glob("review-*-W*.html"))

    # a driver field no ticket has: the digest still comes, and a warning says why it has
    # no drivers (last: the models are rebuilt with that dimension)
    typo = backlog(
        *("digest", "--date", day, "--db", "out/demo/backlog.duckdb", "--out", "out"),
        cwd=tmp_path,
        variables={**api, "BACKLOG_DRIVERS__DIMENSION": "field:priorty"},
    )
    assert typo.returncode == 0, typo.stderr
    assert _one_line(typo.stderr).startswith(
        'Warning: Drivers not counted: `drivers.dimension = "field:priorty"` in '
        "BACKLOG_DRIVERS__DIMENSION names a field no loaded ticket has (did you mean "
        '"field:priority"?), so the digest has no drivers; set it to "tags" or'
    )
    assert "Backlog digest" in typo.stdout


# ------------------------------------------------------------ a failed day, command by command


def _one_line(text: str) -> str:
    return " ".join(text.split())


def test_run_backfill_and_digest_exit_1_and_say_a_failed_day_once(tmp_path, prefect_harness):
    """The same fatal day through the three commands a user runs: each exits 1 and says
    the day's failure sentence once (the digest's first line), not again as an `Error:`."""
    from prefect.settings import PREFECT_API_URL

    from tasks.demo.synthetic import SyntheticConfig, generate_exports

    start, bad = date(2026, 2, 2), date(2026, 2, 5)  # 4 days, the last one fatal
    root = tmp_path / "exports"
    config = SyntheticConfig(start=start, days=4, seed=5, tickets_per_day=20)
    generate_exports(root, config)
    tickets = root / bad.isoformat() / "tickets.csv"
    header, *rows = tickets.read_text(encoding="utf-8").splitlines()
    assert header.startswith("ticket_id,created_at,")  # drop created_at: a fatal file
    tickets.write_text(
        "\n".join(",".join(r.split(",")[:1] + r.split(",")[2:]) for r in [header, *rows]) + "\n",
        encoding="utf-8",
    )
    sentence = f"Data for {bad} is incomplete: {tickets} lacks the required column created_at"
    common = ("--db", "b.duckdb", "--out", "out")
    # the session's Prefect server: no temporary server per process
    api = {"PREFECT_API_URL": str(PREFECT_API_URL.value())}

    filled = backlog(
        *("backfill", "--exports", str(root), "--start", str(start), "--end", str(bad)),
        *common,
        cwd=tmp_path,
        variables=api,
    )
    ran = backlog(
        "run", "--exports", str(root), "--date", str(bad), *common, cwd=tmp_path, variables=api
    )
    rebuilt = backlog("digest", "--date", str(bad), *common, cwd=tmp_path, variables=api)
    # without a terminal the backfill says each batch in a line and closes with its split
    batch_line, closing_line, digest = filled.stdout.split("\n", 2)
    assert re.fullmatch(
        rf"{start}\.\.{bad}: 3 of 4 days loaded \(1 failed\), [\d,]+ rows read, [\d.]+ s",
        batch_line,
    ), batch_line
    assert re.fullmatch(
        r"backfill of 4 days done in [\d.]+ s: loads [\d.]+ s, Data Docs [\d.]+ s, models "
        r"[\d.]+ s, KB [\d.]+ s, digest [\d.]+ s, readers' copy [\d.]+ s",
        closing_line,
    ), closing_line
    for name, done, shown in (
        ("backfill", filled, digest),
        ("run", ran, ran.stdout),
        ("digest", rebuilt, rebuilt.stdout),
    ):
        said = _one_line(done.stdout + done.stderr)
        assert done.returncode == 1, (name, said)
        assert "Traceback" not in said, name
        assert said.count(sentence) == 1, (name, said)
        assert _one_line(shown).startswith(sentence), name  # the digest's first line
        assert "backlog.progress" not in said, name
    # run and digest: the digest said it all; nothing more on stderr
    assert ran.stderr == rebuilt.stderr == ""
    # the backfill adds what the digest of its last day cannot say: which days of the range
    assert _one_line(filled.stderr) == (
        f"Error: 1 of 4 days from {start} to {bad} did not load ({bad}: "
        f"{bad}/tickets.csv could not be loaded); the other days loaded, so add or fix that "
        "day's export and load it again (each day's digest says what failed)."
    )
