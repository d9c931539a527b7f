"""The GX Data Docs (HTML) of the stored validation runs, rendered from the warehouse."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from tasks.contract import ENTITIES
from tasks.extensions import NONE, Extensions
from tasks.quality.suites import ephemeral_context, load_suite

DATA_DOCS_FOLDER = "data-docs"
DATA_DOCS_SITE = "backlog"


def write_data_docs(
    con: duckdb.DuckDBPyConnection,
    out_dir: Path,
    days: Iterable[date] | None = None,
    ext: Extensions = NONE,
) -> Path:
    """Render the GX Data Docs (HTML) into `<out_dir>/data-docs/`; the index page's path.

    Pages are (re)built for the validation runs of `days` (every stored run when None)
    and the suites (with `ext`'s expectations); the index lists every run with a page in
    the folder that is still in `ops.validation_runs` (a replaced load's page is removed).
    """
    from great_expectations.core.expectation_validation_result import (
        ExpectationSuiteValidationResult,
        ExpectationSuiteValidationResultSchema,
    )
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    docs_dir = (out_dir / DATA_DOCS_FOLDER).resolve()
    wanted = None if days is None else set(days)
    context = ephemeral_context()
    for entity in ENTITIES:
        context.suites.add(load_suite(entity, ext))
    store = context.validation_results_store
    # The in-memory store keeps the result objects as they are: by default every `set`
    # serialises a result to JSON and every `get` parses it back (marshmallow), which
    # cost more than rendering the pages, and the index reads every stored run.
    store.serialize = _as_is
    store.deserialize = _as_is
    schema = ExpectationSuiteValidationResultSchema()
    to_build: list[Any] = [ExpectationSuiteIdentifier(name=entity) for entity in ENTITIES]
    for export_date, run_key, result in con.execute(
        "select export_date, run_key, result from ops.validation_runs order by export_date, load_id"
    ).fetchall():
        build = wanted is None or export_date in wanted
        if not build and not _page(docs_dir, run_key).is_file():
            continue
        key = ValidationResultIdentifier.from_tuple(tuple(run_key))
        loaded = schema.load(json.loads(result))
        if isinstance(loaded, dict):
            loaded = ExpectationSuiteValidationResult(**loaded)
        store.set(key, loaded)
        if build:
            to_build.append(key)
    context.add_data_docs_site(
        site_name=DATA_DOCS_SITE,
        site_config={
            "class_name": "SiteBuilder",
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(docs_dir),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            "show_how_to_buttons": False,
        },
    )
    context.build_data_docs(site_names=[DATA_DOCS_SITE], resource_identifiers=to_build)
    return docs_dir / "index.html"


def _as_is(value: Any) -> Any:
    """A result as the docs' in-memory store keeps it: the object itself."""
    return value


def _page(docs_dir: Path, run_key: list[str]) -> Path:
    """Where the Data Docs page of one stored run is written."""
    suite, run_name, run_time, batch = run_key
    return docs_dir / "validations" / suite / run_name / run_time / f"{batch}.html"
