"""Prefect artifacts of the demo's runs, read back from the session's Prefect API.

Each daily run publishes the digest's Markdown (the text of digest-<D>.md) and the day's
data quality as a table; the weekly run the review's key figures; keys are stable per day
and week; nothing secret or personal is in them.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from prefect.client.schemas.sorting import ArtifactSort

DAYS = ("2026-10-28", "2026-10-29", "2026-10-30")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


@pytest.fixture(scope="module")
def demo(demo_run):
    return demo_run


@pytest.fixture(scope="module")
def published(demo) -> list[Any]:
    """Every artifact of the session's Prefect API, newest first (read once, async client
    closed: the sync client leaves sockets open)."""

    keys = [f"{kind}-{day}" for kind in ("digest", "data-quality") for day in DAYS]
    keys.append("review-2026-w43")

    async def read() -> list[Any]:
        async with get_client() as client:
            mine = await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=keys)),
                sort=ArtifactSort.UPDATED_DESC,
            )
            others = await client.read_artifacts(sort=ArtifactSort.UPDATED_DESC, limit=200)
            return [*mine, *(a for a in others if a.key not in keys)]

    return asyncio.run(read())


def latest(published: list[Any], key: str) -> Any:
    """The newest artifact under a key (None when there is none)."""
    return next((a for a in published if a.key == key), None)


@pytest.mark.parametrize("day", DAYS)
def test_each_run_publishes_its_digest_markdown(demo, published, day):
    artifact = latest(published, f"digest-{day}")
    assert artifact is not None
    assert artifact.type == "markdown"
    assert artifact.data == (demo.made / f"digest-{day}.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("day", DAYS)
def test_each_run_publishes_its_data_quality_as_a_table(demo, published, day):
    artifact = latest(published, f"data-quality-{day}")
    assert artifact is not None
    assert artifact.type == "table"
    rows = json.loads(artifact.data) if isinstance(artifact.data, str) else artifact.data
    digest = json.loads((demo.made / f"digest-{day}.json").read_text(encoding="utf-8"))
    dq = digest["data_quality"]
    assert rows[:3] == [
        {"check": "status", "result": dq["status"]},
        {"check": "rows loaded", "result": f"{dq['rows_loaded']:,}"},
        {"check": "rows quarantined", "result": f"{dq['rows_quarantined']:,}"},
    ]
    assert len(rows) == 3 + len(dq["checks_failed"])


def test_the_review_publishes_its_key_figures(published):
    artifact = latest(published, "review-2026-w43")
    assert artifact is not None
    assert artifact.type == "markdown"
    assert artifact.data.startswith("# Support review 2026-W43")
    assert "| Recontact (same issue) |" in artifact.data
    assert "| Inflow |" in artifact.data


def test_keys_are_stable_and_nothing_personal_or_secret_is_published(published):
    keys = {a.key for a in published if a.key}
    assert {f"digest-{d}" for d in DAYS} | {"review-2026-w43"} <= keys
    assert all(re.fullmatch(r"[a-z0-9-]+", k) for k in keys)
    for artifact in published:
        text = artifact.data if isinstance(artifact.data, str) else json.dumps(artifact.data)
        assert not EMAIL.search(text), artifact.key
        assert "xoxb-" not in text
        assert "hooks.slack.com" not in text
