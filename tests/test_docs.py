"""The project's own reference (docs/) held to the code: metrics and data-quality checks."""

from __future__ import annotations

import ast
import json
import re
import subprocess

import pytest

from tasks.quality.repairs import NUL_CHECK, SKEW_CHECK
from tasks.quality.rows import DUPLICATE_CHECK, EXACT_COPY_REASON, WELL_FORMED_CHECK
from tasks.reports.metrics import load_registry
from tests.support.paths import ROOT

METRICS_DOC = ROOT / "docs" / "metrics.md"
QUALITY_DOC = ROOT / "docs" / "data-quality.md"


def _metric_blocks() -> dict[str, str]:
    """docs/metrics.md as {metric name: the text of its `### `name`` block}."""
    parts = re.split(r"^### `([^`]+)`\n", METRICS_DOC.read_text(encoding="utf-8"), flags=re.M)
    return {
        name: re.split(r"^## ", text, flags=re.M)[0]
        for name, text in zip(parts[1::2], parts[2::2], strict=True)
    }


def test_every_registered_metric_is_documented_and_every_documented_one_registered():
    blocks = _metric_blocks()
    problems = []
    for metric in load_registry():
        facts = [
            f"- Unit: {metric.unit}; from `{metric.model}.{metric.column}`, one value per "
            "report day.",
            f"- Definition: {metric.description}",
        ]
        block = blocks.get(metric.name)
        if (
            block is None
            or not all(fact in block for fact in facts)
            or "- Edge cases: " not in block
        ):
            problems.append(
                f"### `{metric.name}`\n\n"
                + "\n".join(facts)
                + "\n- Edge cases: <when it is null or 0, ties, short history, ...>"
                + "\n- Choice: <where helpdesks differ, what this one counts (optional)>"
            )
    if problems:
        pytest.fail(
            f"docs/metrics.md does not match sql/metrics.toml for {len(problems)} metric(s); "
            "write (or update) each block below in its section, the first two lines exactly "
            "as shown:\n\n" + "\n\n".join(problems),
            pytrace=False,
        )
    registered = {metric.name for metric in load_registry()}
    unknown = sorted(set(blocks) - registered)
    assert not unknown, f"docs/metrics.md documents metrics sql/metrics.toml lacks: {unknown}"


def _table_rows(text: str) -> list[list[str]]:
    return [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in text.splitlines()
        if line.startswith("|") and not line.startswith("|---")
    ]


def test_every_expectation_is_documented_with_its_severity():
    rows = {tuple(row[:3]) for row in _table_rows(QUALITY_DOC.read_text(encoding="utf-8"))}
    missing = []
    for entity in ("tickets", "events"):
        suite = json.loads((ROOT / "expectations" / f"{entity}.json").read_text("utf-8"))
        for expectation in suite["expectations"]:
            meta = expectation["meta"]
            if (entity, meta["severity"], meta["reason"]) not in rows:
                missing.append(f"| {entity} | {meta['severity']} | {meta['reason']} |")
    assert not missing, (
        "docs/data-quality.md lacks these rows of its table 'Rows (the expectation suites)' "
        "(add them, and drop any row whose check is gone):\n" + "\n".join(missing)
    )
    text = QUALITY_DOC.read_text(encoding="utf-8")
    for name in (WELL_FORMED_CHECK, DUPLICATE_CHECK, EXACT_COPY_REASON, NUL_CHECK, SKEW_CHECK):
        assert name in text, f"docs/data-quality.md does not mention {name!r}"


def _day_checks() -> dict[str, str]:
    """The file and day checks of tasks/quality/checks.py: {check_name: severity}.

    A severity read from the config is given as its setting (`quality.volume_severity`).
    """
    tree = ast.parse((ROOT / "tasks" / "quality" / "checks.py").read_text(encoding="utf-8"))
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "QualityCheck":
            name, severity = node.args[2], node.args[4]
            assert isinstance(name, ast.Constant), ast.unparse(node)
            found[name.value] = (
                severity.value
                if isinstance(severity, ast.Constant)
                else "quality." + ast.unparse(severity).rpartition(".")[2]
            )
    return found


def test_every_day_check_is_documented_with_its_severity():
    checks = _day_checks()
    assert {"volume", "quarantine_share", "new_column", "column_case"} <= set(checks)
    text = QUALITY_DOC.read_text(encoding="utf-8")
    days = text.split("## Days and files")[1]  # the table of the file and day checks
    documented = {row[0].strip("`"): row[1] for row in _table_rows(days) if row[0].startswith("`")}
    for name, severity in checks.items():
        assert name in documented, (
            f"docs/data-quality.md lacks the check {name!r}: add a row to its table 'Days and "
            f"files': | `{name}` | {severity} | what it looks at | what you see |"
        )
        assert documented[name].startswith(f"`{severity}`") or documented[name] == severity, (
            f"docs/data-quality.md gives {name!r} the severity {documented[name]!r}; the code "
            f"says {severity}"
        )
    unknown = sorted(set(documented) - set(checks))
    assert not unknown, f"docs/data-quality.md documents checks the code lacks: {unknown}"


def test_nothing_cites_the_internal_product_spec():
    """Users never see the product spec: code, SQL, help and docs cite docs/ or say it."""
    word = "SP" + "EC"  # spelt apart so this file does not match itself
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    citing = [
        f"{name}:{number}"
        for name in files
        if name != "uv.lock" and (ROOT / name).is_file()
        for number, line in enumerate(
            (ROOT / name).read_text(encoding="utf-8", errors="replace").splitlines(), 1
        )
        if re.search(rf"\b{word}\b", line)
    ]
    assert not citing, (
        f"these lines cite the internal product spec ({word}); cite docs/metrics.md, "
        f"docs/data-quality.md or README.md instead, or say it in plain words: {citing}"
    )
