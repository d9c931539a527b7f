"""Knowledge-base candidates on generated exports with planted groups and noise.

One warehouse per module: 30 days of a generated support team, plus the tickets of
`fixtures/kb/planted.json` appended to the exports: six groups of tickets that share a
resolution (worded differently by different customers and agents, each carrying personal
data) and one-off noise tickets. The run of the second-to-last day is stored, one candidate
is dismissed, the last day is loaded and run: the tests read what both runs found.

The Great Expectations suite run is skipped during these loads (about 1.5 s a day, and the
exports are generated clean); ingest's other checks run as usual.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tasks import ingest, kb, models, warehouse
from tasks.config import load_settings
from tasks.demo.synthetic import SOLVE_REPLIES, SyntheticConfig, generate_exports
from tasks.errors import BacklogError
from tasks.kb.text import default_stop_words
from tasks.kb.tickets import list_window, skip_pattern, solved_tickets
from tasks.kb.vectors import Model
from tests.support.loading import load_exports
from tests.support.paths import FIXTURES
from tests.support.tables import build_kb_reads

FIXTURE = FIXTURES / "kb" / "planted.json"
START = date(2026, 1, 5)
DAYS = 30
LAST = START + timedelta(days=DAYS - 1)
GREETINGS = ("Hi {name},\n\n", "Hello {name},\n\n", "Dear {name},\n\n", "Hi there,\n\n", "")
SIGN_OFFS = (
    "\n\nBest,\nSam",
    "\n\nKind regards,\nRobin\nCustomer Support",
    "\n\nCheers,\nAlex",
    "",
)
NAMES = ("Jana", "Marc", "Olu", "Priya", "Tom", "Ines", "Kai")
TICKET_COLUMNS = (
    *("ticket_id", "created_at", "updated_at", "status", "requester_id", "priority", "type"),
    *("channel", "group_name", "assignee_id", "organization_id", "customer_tier", "subject"),
    *("description", "tags", "solved_at", "first_reply_at", "satisfaction"),
)
EVENT_COLUMNS = (
    *("event_id", "ticket_id", "occurred_at", "kind", "from_value", "to_value", "author_id"),
    *("author_role", "public", "body"),
)
NUDGE = "Hi {name},\n\nAre you still seeing this? Let me know and I'll pick it up right away."


@dataclass
class Planted:
    """Truth about the appended tickets."""

    group_of: dict[str, str]  # ticket id -> group name
    noise: list[str]
    personal_data: list[str]  # every planted datum, as written
    last_day_tickets: list[str]  # planted tickets exported on the last day


@dataclass
class Runs:
    con: duckdb.DuckDBPyConnection
    settings: Any
    planted: Planted
    before: list[kb.Candidate]  # the run of LAST - 1
    after: list[kb.Candidate]  # the run of LAST, after loading its export
    dismissed_id: str
    out: Path


# -- building the warehouse ------------------------------------------------------------------


class _Solved:
    """Solved tickets with a public agent reply, written as canonical export rows."""

    def __init__(self) -> None:
        self.tickets: dict[date, list[dict[str, str]]] = {}
        self.events: dict[date, list[dict[str, str]]] = {}
        self.count = 0

    def add(self, ticket_id: str, day: date, subject: str, description: str, reply: str) -> None:
        n = self.count
        self.count += 1
        created = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=8, minutes=n)
        solved = created + timedelta(hours=3)
        name = NAMES[n % len(NAMES)]
        self.tickets.setdefault(day, []).append(
            {
                "ticket_id": ticket_id,
                "created_at": created.isoformat(),
                "updated_at": solved.isoformat(),
                "status": "solved",
                "requester_id": f"u-kb-{n:03d}",
                "priority": "normal",
                "type": "question",
                "channel": "email",
                "subject": subject,
                "description": description,
                "solved_at": solved.isoformat(),
                "first_reply_at": (created + timedelta(minutes=30)).isoformat(),
            }
        )
        body = GREETINGS[n % len(GREETINGS)].format(name=name) + reply
        body += SIGN_OFFS[n % len(SIGN_OFFS)]
        events = self.events.setdefault(day, [])
        at = created + timedelta(hours=2)
        events.append(_comment(f"{ticket_id}-r", ticket_id, at, body))
        if n % 4 == 0:  # a nudge after the resolution: not the resolution
            nudge = NUDGE.format(name=name)
            events.append(_comment(f"{ticket_id}-n", ticket_id, at + timedelta(minutes=30), nudge))
        events.append(
            {
                "event_id": f"{ticket_id}-s",
                "ticket_id": ticket_id,
                "occurred_at": solved.isoformat(),
                "kind": "status_change",
                "from_value": "new",
                "to_value": "solved",
                "author_id": "a-kb",
                "author_role": "agent",
                "public": "",
                "body": "",
            }
        )

    def write(self, exports: Path) -> None:
        for day, rows in self.tickets.items():
            _append_csv(exports / day.isoformat() / "tickets.csv", rows)
        for day, rows in self.events.items():
            _append_csv(exports / day.isoformat() / "events.csv", rows)


def _plant(exports: Path) -> Planted:
    """Append the fixture's tickets (and their agent replies) to the generated exports."""
    spec = json.loads(FIXTURE.read_text(encoding="utf-8"))
    truth = Planted(group_of={}, noise=[], personal_data=[], last_day_tickets=[])
    solved = _Solved()
    n = 0
    for group, text in spec["groups"].items():
        for i in range(spec["group_size"]):
            subject = text["subjects"][i % len(text["subjects"])]
            if i == 0:
                subject += " - " + spec["pii"][(n + 3) % len(spec["pii"])]
            description = text["descriptions"][(2 * i) % len(text["descriptions"])]
            description = description.replace("{pii}", "").format(**spec["secrets"])
            description += " " + spec["pii"][n % len(spec["pii"])]
            reply = text["replies"][i % len(text["replies"])]
            reply += " " + spec["pii"][(n + 5) % len(spec["pii"])]
            day = START + timedelta(days=4 + (i * 3 + n) % (DAYS - 5))
            if i == spec["group_size"] - 1 and n % 2 == 0:
                day = LAST  # arrives with the last day's export
            ticket_id = f"KB-{group}-{i:02d}"
            solved.add(ticket_id, day, subject, description, reply)
            truth.group_of[ticket_id] = group
            if day == LAST:
                truth.last_day_tickets.append(ticket_id)
            n += 1
    for i, (subject, description, reply) in enumerate(spec["noise"]):
        ticket_id = f"KB-noise-{i:02d}"
        solved.add(
            ticket_id, START + timedelta(days=4 + i % (DAYS - 5)), subject, description, reply
        )
        truth.noise.append(ticket_id)
    truth.personal_data = [*spec["pii"], *spec["secrets"].values()]
    solved.write(exports)
    return truth


def _comment(event_id: str, ticket_id: str, at: datetime, body: str) -> dict[str, str]:
    return {
        "event_id": event_id,
        "ticket_id": ticket_id,
        "occurred_at": at.isoformat(),
        "kind": "comment",
        "from_value": "",
        "to_value": "",
        "author_id": "a-kb",
        "author_role": "agent",
        "public": "true",
        "body": body,
    }


def _append_csv(path: Path, rows: list[dict[str, str]]) -> None:
    """Append rows to an export file, creating it (with the canonical header) if needed."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        columns = EVENT_COLUMNS if path.name.startswith("events") else TICKET_COLUMNS
        path.write_text(",".join(columns) + "\n", encoding="utf-8")
    with path.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    with path.open("a", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, restval="")
        writer.writerows(rows)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    tmp = tmp_path_factory.mktemp("kb")
    exports = tmp / "exports"
    generate_exports(exports, SyntheticConfig(start=START, days=DAYS, seed=23))
    planted = _plant(exports)
    settings = load_settings(db_path=tmp / "backlog.duckdb", out_dir=tmp / "out")
    con = warehouse.connect(settings)
    days = ingest.discover_exports(exports)
    load_exports(con, exports, days=days[:-1])
    build_kb_reads(con)
    before = kb.refresh_candidates(con, LAST - timedelta(days=1), settings)
    dismissed = next(c for c in before if c.ticket_ids[0].startswith("KB-promo-code"))
    kb.set_state(con, dismissed.candidate_id, "dismissed")
    ingest.load_day(con, days[-1], exports)
    build_kb_reads(con)
    after = kb.refresh_candidates(con, LAST, settings)
    yield Runs(con, settings, planted, before, after, dismissed.candidate_id, tmp / "out")
    con.close()


# -- what the clusters hold ------------------------------------------------------------------


def _by_group(candidates: list[kb.Candidate], planted: Planted) -> dict[str, kb.Candidate]:
    """The candidate holding most of each planted group."""
    found = {}
    for group in sorted(set(planted.group_of.values())):
        counts = Counter(
            candidate.candidate_id
            for candidate in candidates
            for ticket_id in candidate.ticket_ids
            if planted.group_of.get(ticket_id) == group
        )
        if counts:
            best = counts.most_common(1)[0][0]
            found[group] = next(c for c in candidates if c.candidate_id == best)
    return found


def test_planted_groups_are_recovered_with_high_purity(runs: Runs) -> None:
    groups = Counter(runs.planted.group_of.values())
    found = _by_group(runs.after, runs.planted)
    assert set(found) == set(groups)
    for group, candidate in found.items():
        members = candidate.ticket_ids
        share_of_group = sum(runs.planted.group_of.get(t) == group for t in members) / groups[group]
        purity = sum(runs.planted.group_of.get(t) == group for t in members) / len(members)
        assert share_of_group >= 0.8, (group, members)
        assert purity >= 0.9, (group, members)
    assert len({c.candidate_id for c in found.values()}) == len(groups)


def test_generated_tickets_cluster_by_their_resolution(runs: Runs) -> None:
    """On the generated data, each candidate's members mostly share one resolution."""
    templates = [
        (f"{driver}/{index}", _template(text))
        for driver, texts in SOLVE_REPLIES.items()
        for index, text in enumerate(texts)
    ]
    bodies = runs.con.execute(
        "select ticket_id, string_agg(body, '\n') from staging.stg_events "
        "where kind = 'comment' and author_role = 'agent' and is_public group by ticket_id"
    ).fetchall()
    resolution_of = {}
    for ticket_id, text in bodies:
        labels = {label for label, pattern in templates if pattern.search(text or "")}
        if len(labels) == 1:
            resolution_of[ticket_id] = labels.pop()
    labelled = good = 0
    for candidate in runs.after:
        labels = [resolution_of[t] for t in candidate.ticket_ids if t in resolution_of]
        if labels:
            labelled += len(labels)
            good += Counter(labels).most_common(1)[0][1]
    assert labelled > 300
    assert good / labelled >= 0.9


def _template(text: str) -> re.Pattern[str]:
    parts = re.split(r"(\{\w+\})", text)
    return re.compile("".join(".+?" if p.startswith("{") else re.escape(p) for p in parts))


def test_noise_tickets_are_not_forced_into_clusters(runs: Runs) -> None:
    clustered = {t for c in runs.after for t in c.ticket_ids}
    forced = [t for t in runs.planted.noise if t in clustered]
    assert len(forced) <= len(runs.planted.noise) // 10, forced


def test_every_candidate_has_at_least_min_cluster_size_tickets(runs: Runs) -> None:
    assert runs.after
    for candidate in runs.after:
        assert candidate.tickets == len(candidate.ticket_ids) >= 5
        assert len(set(candidate.ticket_ids)) == len(candidate.ticket_ids)
    members = [t for c in runs.after for t in c.ticket_ids]
    assert len(members) == len(set(members))  # a ticket is in one cluster at most


# -- ids, states, trend --------------------------------------------------------------------------


def test_ids_stay_when_a_days_data_is_added(runs: Runs) -> None:
    before = _by_group(runs.before, runs.planted)
    after = _by_group(runs.after, runs.planted)
    for group, candidate in after.items():
        assert candidate.candidate_id == before[group].candidate_id, group
    grown = [t for t in runs.planted.last_day_tickets if runs.planted.group_of.get(t)]
    assert grown
    members = {t for c in runs.after for t in c.ticket_ids}
    assert set(grown) <= members  # the new day's tickets joined their clusters
    kept = {c.candidate_id for c in runs.before} & {c.candidate_id for c in runs.after}
    assert len(kept) >= 0.9 * len(runs.before)


def test_dismissed_candidate_keeps_its_id_and_is_not_suggested_again(runs: Runs) -> None:
    returned = next(c for c in runs.after if c.candidate_id == runs.dismissed_id)
    assert returned.state == "dismissed"
    digest_ids = {item["candidate_id"] for item in kb.candidates_for_digest(runs.con, LAST)}
    assert runs.dismissed_id not in digest_ids
    assert digest_ids == {c.candidate_id for c in runs.after if c.state != "dismissed"}
    paths = kb.write_drafts(runs.con, LAST, runs.out)
    assert runs.out / "kb" / f"{runs.dismissed_id}.md" not in paths
    assert not (runs.out / "kb" / f"{runs.dismissed_id}.md").exists()
    states = {row["candidate_id"]: row["state"] for row in kb.list_candidates(runs.con)}
    assert states[runs.dismissed_id] == "dismissed"


def test_first_seen_and_trend(runs: Runs) -> None:
    for candidate in runs.after:
        assert candidate.first_seen <= candidate.last_seen == LAST
        # 30 days of exports do not cover the previous 28-day window: no trend, not "rising"
        assert candidate.tickets_previous is None
        assert candidate.trend is None


def test_the_same_input_gives_the_same_output(runs: Runs) -> None:
    again = kb.refresh_candidates(runs.con, LAST, runs.settings)
    assert again == runs.after
    problems = [f"Cannot log in {i % 3}\nPassword rejected" for i in range(12)]
    problems += ["Invoice shows the wrong VAT\nVAT is off"] * 6
    resolutions = ["Reset the password from the login page."] * 12 + [
        "Sent a corrected invoice."
    ] * 6
    first = kb.cluster_texts(problems, resolutions)
    second = kb.cluster_texts(problems, resolutions)
    assert first.labels.tolist() == second.labels.tolist()
    assert first.members == second.members
    assert first.keywords == second.keywords


def test_state_changes_and_unknown_ids(runs: Runs) -> None:
    candidate = next(c for c in runs.after if c.state == "new")
    kb.set_state(runs.con, candidate.candidate_id, "accepted")
    try:
        digest = {i["candidate_id"]: i for i in kb.candidates_for_digest(runs.con, LAST)}
        assert digest[candidate.candidate_id]["status"] == "accepted"
        status = runs.con.execute(
            "select status from marts.fct_kb_candidates where candidate_id = ?",
            [candidate.candidate_id],
        ).fetchone()[0]
        assert status == "accepted"
    finally:
        kb.set_state(runs.con, candidate.candidate_id, "new")
    with pytest.raises(BacklogError, match="no KB candidate 'kb-nope'"):
        kb.set_state(runs.con, "kb-nope", "dismissed")
    with pytest.raises(BacklogError, match="state"):
        kb.set_state(runs.con, candidate.candidate_id, "archived")
    with pytest.raises(BacklogError, match="no KB candidate"):
        kb.show_candidate(runs.con, "kb-nope")


# -- outputs -------------------------------------------------------------------------------------


def test_digest_items_and_marts_hold_every_member(runs: Runs) -> None:
    items = kb.candidates_for_digest(runs.con, LAST)
    assert items
    for item in items:
        assert set(item) == {"candidate_id", "title", "tickets", "ticket_ids", "status"}
        assert item["tickets"] == len(item["ticket_ids"])
        assert item["status"] in ("new", "accepted")
    marts = dict(
        runs.con.execute(
            "select candidate_id, count(*) from marts.fct_kb_candidate_tickets group by all"
        ).fetchall()
    )
    rows = runs.con.execute(
        "select candidate_id, tickets, ticket_ids, representative_ticket_id, status "
        "from marts.fct_kb_candidates"
    ).fetchall()
    assert len(rows) == len(runs.after)
    for candidate_id, tickets, ticket_ids, representative, _status in rows:
        assert marts[candidate_id] == tickets == len(ticket_ids)
        assert ticket_ids[0] == representative
    assert kb.candidates_for_digest(runs.con, LAST + timedelta(days=1)) == []


def test_the_kb_marts_are_models_the_runner_builds_as_the_refresh_does(runs: Runs) -> None:
    found = {model.table: model for model in models.discover_models()}
    for name in ("fct_kb_candidates", "fct_kb_candidate_tickets"):
        model = found[f"marts.{name}"]
        assert model.path == warehouse.SQL_DIR / "marts" / f"{name}.sql"
        assert model.key is None  # rebuilt whole
        assert model.sql().startswith("-- one row per ")
        # built in another session (no KB refresh there): the rows the refresh stored
        built = runs.con.cursor().execute(model.sql()).fetchall()
        assert built == runs.con.execute(f"select * from marts.{name}").fetchall()
        assert built


def test_cluster_is_a_driver_dimension(runs: Runs) -> None:
    drivers = kb.driver_by_cluster(runs.con)
    for candidate in runs.after:
        for ticket_id in candidate.ticket_ids:
            assert drivers[ticket_id] == candidate.title


def test_drafts_have_the_sections_and_the_representative_ticket_first(runs: Runs) -> None:
    paths = kb.write_drafts(runs.con, LAST, runs.out)
    shown = [c for c in runs.after if c.state != "dismissed"]
    assert sorted(p.name for p in paths) == sorted(f"{c.candidate_id}.md" for c in shown)
    for candidate in shown:
        text = (runs.out / "kb" / f"{candidate.candidate_id}.md").read_text(encoding="utf-8")
        assert text == kb.show_candidate(runs.con, candidate.candidate_id)
        headings = re.findall(r"^## (.+)$", text, flags=re.MULTILINE)
        assert headings == ["Problem", "Symptoms", "Resolution steps", "Related tickets"]
        related = text.split("## Related tickets", 1)[1]
        first = next(line for line in related.splitlines() if line.startswith("- "))
        assert first[2:].split(":")[0] == candidate.ticket_ids[0]
        assert all(ticket_id in related for ticket_id in candidate.ticket_ids)
        assert re.search(r"^1\. ", text.split("## Resolution steps", 1)[1], re.MULTILINE)


def test_the_resolution_is_the_final_agent_reply_before_any_nudge(runs: Runs) -> None:
    texts = solved_tickets(runs.con, LAST, 28, skip_pattern(runs.con))
    resolution = dict(zip(texts.ticket_ids, texts.resolutions, strict=True))
    nudged = [t for t in runs.planted.group_of if "still seeing" in _replies(runs.con, t)]
    assert nudged
    for ticket_id in nudged:
        assert "still seeing" not in resolution[ticket_id]
        assert len(resolution[ticket_id]) > 80


def _replies(con: duckdb.DuckDBPyConnection, ticket_id: str) -> str:
    rows = con.execute(
        "select body from staging.stg_events where ticket_id = ? and kind = 'comment'",
        [ticket_id],
    ).fetchall()
    return "\n".join(row[0] for row in rows)


def test_resolution_steps_come_from_the_agent_reply(runs: Runs) -> None:
    group = _by_group(runs.after, runs.planted)["webhook-signature"]
    text = kb.show_candidate(runs.con, group.candidate_id)
    steps = text.split("## Resolution steps", 1)[1].split("## Related tickets", 1)[0]
    assert "signing secret" in steps
    assert "still seeing" not in text
    assert "Hi " not in steps  # greeting and sign-off left out
    assert "Best," not in steps


def test_every_planted_personal_datum_is_redacted(runs: Runs) -> None:
    kb.write_drafts(runs.con, LAST, runs.out)
    texts = [p.read_text(encoding="utf-8") for p in (runs.out / "kb").glob("*.md")]
    texts += [item["title"] for item in kb.candidates_for_digest(runs.con, LAST)]
    texts += [row["title"] for row in kb.list_candidates(runs.con)]
    texts += [kb.show_candidate(runs.con, runs.dismissed_id)]
    everything = "\n".join(texts)
    assert len(re.findall(r"\[(?:email|phone|card|token)\]", everything)) >= 5
    for datum in _raw_data(runs.planted.personal_data):
        assert datum not in everything, datum


def _raw_data(sentences: list[str]) -> list[str]:
    """The personal values inside the planted sentences (emails, numbers, tokens)."""
    values = []
    for sentence in sentences:
        values += re.findall(r"[\w.+-]+@[\w.-]+\.\w+", sentence)
        values += re.findall(r"\+?\(?\d[\d ()-]{6,}\d", sentence)
        values += re.findall(r"(?:reset/|session=|code=)([\w-]+)", sentence)
        if re.fullmatch(r"[\w.-]{16,}", sentence):  # a bare secret
            values.append(sentence)
    return [v.strip() for v in values]


# -- small inputs ------------------------------------------------------------------------------


def test_small_and_empty_inputs_give_no_clusters() -> None:
    assert kb.cluster_texts([], []).members == []
    assert kb.cluster_texts(["Login broken"] * 4, ["Reset it"] * 4).members == []
    assert kb.cluster_texts([""] * 8, [""] * 8).members == []
    assert kb.cluster_texts(["the and of"] * 8, [""] * 8).members == []


def test_tickets_without_a_reply_cluster_on_their_problem() -> None:
    problems = ["Login broken\nI cannot sign in"] * 6 + ["Invoice wrong\nThe VAT is off"] * 6
    clustering = kb.cluster_texts(problems, [""] * 12)
    assert sorted(len(m) for m in clustering.members) == [6, 6]
    assert clustering.assign(["Login broken today"], [""]).tolist() == [clustering.labels[0]]
    assert clustering.assign(["Printer on fire"], [""]).tolist() == [-1]


def test_clean_text_drops_greeting_sign_off_quotes_and_personal_data() -> None:
    text = (
        "Hi Anna,\n\nPlease reset it via https://x.io/reset/a8F3kL9mQ2 or call +44 20 7946 "
        "0958.\n\nBest regards,\nSam\nSupport\n\nOn Mon, 2 Mar 2026 Anna <a@b.com> wrote:\n> hi"
    )
    assert kb.clean_text(text) == "Please reset it via https://x.io/reset/[token] or call [phone]."


def _load(con: duckdb.DuckDBPyConnection, exports: Path) -> None:
    load_exports(con, exports)
    build_kb_reads(con)


def test_a_dismissed_cluster_that_returns_after_weeks_stays_dismissed(tmp_path: Path) -> None:
    """No member in common: the returning cluster is known by its term signature."""
    spec = json.loads(FIXTURE.read_text(encoding="utf-8"))
    first, later = date(2026, 3, 2), date(2026, 4, 20)
    solved = _Solved()
    for day, tag in ((first, "a"), (later, "b")):
        for group in ("sms-2fa", "export-stuck"):
            text = spec["groups"][group]
            for i in range(7):
                solved.add(
                    f"{group}-{tag}{i}",
                    day,
                    text["subjects"][(i + (tag == "b")) % len(text["subjects"])],
                    text["descriptions"][(i + 2 * (tag == "b")) % len(text["descriptions"])],
                    text["replies"][i % len(text["replies"])],
                )
        for i, (subject, description, reply) in enumerate(spec["noise"][:12]):
            solved.add(f"noise-{tag}{i}", day, subject, description, reply)
    solved.write(tmp_path / "exports")
    settings = load_settings(db_path=tmp_path / "backlog.duckdb")
    con = warehouse.connect(settings)
    _load(con, tmp_path / "exports")

    before = {
        c.ticket_ids[0].split("-a")[0]: c for c in kb.refresh_candidates(con, first, settings)
    }
    assert set(before) == {"sms-2fa", "export-stuck"}
    kb.set_state(con, before["sms-2fa"].candidate_id, "dismissed")
    after = {c.ticket_ids[0].split("-b")[0]: c for c in kb.refresh_candidates(con, later, settings)}
    assert after["sms-2fa"].candidate_id == before["sms-2fa"].candidate_id
    assert after["sms-2fa"].state == "dismissed"
    assert after["export-stuck"].candidate_id == before["export-stuck"].candidate_id
    assert after["export-stuck"].first_seen == first
    assert [i["candidate_id"] for i in kb.candidates_for_digest(con, later)] == [
        after["export-stuck"].candidate_id
    ]
    con.close()


def test_footers_and_signatures_do_not_glue_tickets_together() -> None:
    """Every reply carries the same footer, every description the same widget line."""
    spec = json.loads(FIXTURE.read_text(encoding="utf-8"))
    footer = (
        "\n\nIf you have any other questions, simply reply to this email - our team is here "
        "24/7 to help you get the most out of Acme Cloud.\nAcme Cloud Inc., 1 Market Street, "
        "San Francisco"
    )
    problems, resolutions, truth = [], [], []
    for group in ("sms-2fa", "invoice-currency", "android-upload-crash"):
        text = spec["groups"][group]
        for i in range(8):
            problems.append(
                text["subjects"][i % 5]
                + "\n"
                + text["descriptions"][i % 5].replace("{pii}", "")
                + "\n\nSent via the Acme help widget, web app version 4.2"
            )
            sign_off = SIGN_OFFS[i % len(SIGN_OFFS)]
            resolutions.append(text["replies"][i % 3] + sign_off + footer)
            truth.append(group)
    for subject, description, reply in spec["noise"]:
        problems.append(f"{subject}\n{description}\n\nSent via the Acme help widget")
        resolutions.append(reply + footer)
        truth.append("noise")
    clustering = kb.cluster_texts(problems, resolutions)
    assert len(clustering.members) == 3
    for members in clustering.members:
        groups = Counter(truth[i] for i in members)
        assert len(groups) == 1
        assert "noise" not in groups
        assert len(members) >= 7


def test_a_day_without_solved_tickets_gives_no_candidates(tmp_path: Path) -> None:
    settings = load_settings(db_path=tmp_path / "backlog.duckdb")
    con = warehouse.connect(settings)
    build_kb_reads(con)
    assert kb.refresh_candidates(con, date(2026, 3, 2), settings) == []
    assert kb.candidates_for_digest(con, date(2026, 3, 2)) == []
    assert kb.write_drafts(con, date(2026, 3, 2), tmp_path / "out") == []
    assert kb.list_candidates(con) == []
    assert kb.driver_by_cluster(con) == {}
    con.close()


# -- a window larger than kb.max_cluster_texts: a sample clustered, the rest assigned ----------


@dataclass
class SampledRuns:
    con: duckdb.DuckDBPyConnection
    settings: Any
    window: int  # solved tickets in the window of LAST - 1
    sample: set[str]  # the tickets clustered on LAST - 1
    before: list[kb.Candidate]  # the run of LAST - 1: a new clustering
    members_after: list[tuple[Any, ...]]  # ops.kb_candidate_members of LAST, first run
    labelled: dict[date, int]  # labels written by the runs of LAST - 1 and LAST
    drafts_after: dict[str, str]  # candidate id -> draft, LAST, first run
    after: list[kb.Candidate]  # the run of LAST: the day's new tickets assigned
    again: list[kb.Candidate]  # LAST re-run
    reclustered: list[kb.Candidate]  # LAST re-run with recluster_days = 1: a new clustering


@pytest.fixture(scope="module")
def sampled(runs: Runs, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SampledRuns]:
    """The module's warehouse without KB results, run with max_cluster_texts at two thirds
    of the window."""
    path = tmp_path_factory.mktemp("kb-sampled") / "backlog.duckdb"
    runs.con.execute("checkpoint")
    path.write_bytes(Path(runs.settings.db_path).read_bytes())
    con = warehouse.connect(load_settings(db_path=path))
    for table in ("kb_candidate_member_lists", "kb_candidate_days", "kb_candidates"):
        con.execute(f"delete from ops.{table}")
    solved = solved_tickets(con, LAST - timedelta(days=1), 28, skip_pattern(con))
    window = len(solved.ticket_ids)
    cap = 2 * window // 3
    settings = load_settings(db_path=path, kb={"max_cluster_texts": cap})
    # the sample: the tickets with the lowest MD5 of their id
    ordered = sorted(solved.ticket_ids, key=lambda t: (hashlib.md5(t.encode()).hexdigest(), t))
    before = kb.refresh_candidates(con, LAST - timedelta(days=1), settings)
    after = kb.refresh_candidates(con, LAST, settings)
    members_after = con.execute(
        "select * from ops.kb_candidate_members where report_date = ? order by all", [LAST]
    ).fetchall()
    labelled = dict(
        con.execute("select labelled_on, count(*) from ops.kb_ticket_labels group by 1").fetchall()
    )
    drafts_after = {c.candidate_id: kb.show_candidate(con, c.candidate_id) for c in after}
    again = kb.refresh_candidates(con, LAST, settings)
    weekly = load_settings(db_path=path, kb={"max_cluster_texts": cap, "recluster_days": 1})
    reclustered = kb.refresh_candidates(con, LAST, weekly)
    yield SampledRuns(
        con,
        settings,
        window,
        set(ordered[:cap]),
        before,
        members_after,
        labelled,
        drafts_after,
        after,
        again,
        reclustered,
    )
    con.close()


def test_the_window_listing_holds_the_solved_tickets(runs: Runs) -> None:
    skip = skip_pattern(runs.con)
    for day in (LAST - timedelta(days=10), LAST):
        solved = solved_tickets(runs.con, day, 28, skip).ticket_ids
        assert list_window(runs.con, "kb_window", day, 28) == len(solved) > 300
        listed = runs.con.execute("select ticket_id from kb_window order by ticket_id").fetchall()
        assert [row[0] for row in listed] == solved
    runs.con.execute("drop table kb_window")


def test_a_large_window_is_clustered_on_a_sample_and_the_rest_assigned(
    sampled: SampledRuns, runs: Runs
) -> None:
    models_ = sampled.con.execute(
        "select model_date, window_tickets, sample_tickets from ops.kb_models order by 1"
    ).fetchall()
    cap = sampled.settings.kb.max_cluster_texts
    assert models_[0] == (LAST - timedelta(days=1), sampled.window, cap)
    assert sampled.window > cap
    # a group is found when the sample holds min_cluster_size of its tickets; the others'
    # tickets are not forced into other clusters
    groups = Counter(runs.planted.group_of.values())
    sampled_groups = Counter(
        group for ticket_id, group in runs.planted.group_of.items() if ticket_id in sampled.sample
    )
    findable = {group for group in groups if sampled_groups[group] >= 5}
    assert len(findable) >= len(groups) - 1
    found = _by_group(sampled.after, runs.planted)
    members = [t for c in sampled.after for t in c.ticket_ids]
    for group in groups:
        if group not in findable:
            assert not {t for t, g in runs.planted.group_of.items() if g == group} & set(members)
            continue
        inside = sum(runs.planted.group_of.get(t) == group for t in found[group].ticket_ids)
        assert inside / groups[group] >= 0.8, (group, found[group].ticket_ids)
        assert inside / len(found[group].ticket_ids) >= 0.9, (group, found[group].ticket_ids)
    assert len(members) == len(set(members))
    assert all(c.tickets == len(c.ticket_ids) >= 5 for c in sampled.after)
    assert set(members) - sampled.sample  # tickets outside the sample were assigned
    assert len([t for t in runs.planted.noise if t in members]) <= len(runs.planted.noise) // 10


def test_a_sampled_day_assigns_only_its_new_tickets_and_keeps_the_ids(
    sampled: SampledRuns, runs: Runs
) -> None:
    assert sampled.labelled[LAST - timedelta(days=1)] == sampled.window
    assert 0 < sampled.labelled[LAST] < sampled.window / 4
    before = _by_group(sampled.before, runs.planted)
    for group, candidate in _by_group(sampled.after, runs.planted).items():
        assert candidate.candidate_id == before[group].candidate_id, group
    members = {t for c in sampled.after for t in c.ticket_ids}
    grown = [t for t in runs.planted.last_day_tickets if runs.planted.group_of.get(t)]
    assert grown
    assert set(grown) <= members  # the new day's tickets joined their clusters
    for candidate in sampled.after:
        draft = sampled.drafts_after[candidate.candidate_id]
        headings = re.findall(r"^## (.+)$", draft, flags=re.MULTILINE)
        assert headings == ["Problem", "Symptoms", "Resolution steps", "Related tickets"]
        assert all(ticket_id in draft for ticket_id in candidate.ticket_ids)


def test_a_sampled_rerun_gives_the_same_candidates_and_a_new_clustering_keeps_the_ids(
    sampled: SampledRuns, runs: Runs
) -> None:
    assert sampled.again == sampled.after
    found = _by_group(sampled.reclustered, runs.planted)
    for group, candidate in _by_group(sampled.after, runs.planted).items():
        assert found[group].candidate_id == candidate.candidate_id, group
    stored = sampled.con.execute("select model_date from ops.kb_models order by 1").fetchall()
    assert [row[0] for row in stored] == [LAST - timedelta(days=1), LAST]
    # back to the clustering of LAST - 1: the first run of LAST again, to the byte
    assert kb.refresh_candidates(sampled.con, LAST, sampled.settings) == sampled.after
    members = sampled.con.execute(
        "select * from ops.kb_candidate_members where report_date = ? order by all", [LAST]
    ).fetchall()
    assert members == sampled.members_after
    # and the day of the first clustering, re-run: the same sample, the same clusters
    assert kb.refresh_candidates(sampled.con, LAST - timedelta(days=1), sampled.settings) == (
        sampled.before
    )
    # the KB marts hold the day just refreshed, though a later day is stored; a model build
    # in another session (no KB refresh) holds the latest KB day
    for name in ("fct_kb_candidates", "fct_kb_candidate_tickets"):
        days = sampled.con.execute(f"select distinct report_date from marts.{name}").fetchall()
        assert days == [(LAST - timedelta(days=1),)]
        sql = warehouse.read_sql(f"marts/{name}.sql")
        days = sampled.con.cursor().execute(f"select distinct report_date from ({sql})").fetchall()
        assert days == [(LAST,)]
    # a refreshed day without candidates: empty marts, not the latest day that had some
    assert kb.refresh_candidates(sampled.con, LAST + timedelta(days=60), sampled.settings) == []
    for name in ("fct_kb_candidates", "fct_kb_candidate_tickets"):
        assert sampled.con.execute(f"select count(*) from marts.{name}").fetchone()[0] == 0


def test_a_stored_clustering_assigns_as_the_one_just_made() -> None:
    problems = [f"Cannot log in {i % 3}\nPassword rejected again" for i in range(12)]
    problems += [f"Invoice {i} shows the wrong VAT\nVAT is off" for i in range(8)]
    resolutions = ["Reset the password from the login page."] * 12
    resolutions += ["Sent a corrected invoice with the right VAT."] * 8
    clustering = kb.cluster_texts(problems, resolutions)
    model = clustering._model
    loaded, boilerplate = Model.load(model.dump(clustering.boilerplate), model.params)
    assert boilerplate == clustering.boilerplate
    others = (
        ["Login fails\nPassword rejected", "Wrong VAT on invoice", "Printer on fire"],
        ["Reset the password.", "Sent a corrected invoice.", ""],
    )
    labels, scores = model.assign_scored(*others)
    assert labels.tolist() == [0, 1, -1]
    loaded_labels, loaded_scores = loaded.assign_scored(*others)
    assert loaded_labels.tolist() == labels.tolist()
    assert loaded_scores.tolist() == scores.tolist()
    assert loaded.problem_part.stop_words == default_stop_words()
