"""The logic of the backlog flows as plain functions, one package per stage of the data's path.

contract -> warehouse -> adapters -> quality -> ingest -> models -> kb -> render -> reports
-> delivery; a package imports only the ones before it (render turns values into text and
images without reading the warehouse; reports read the marts and write through render).
`config`, `extensions`, `errors` and `redact` are leaves every stage may use; `demo` (the
synthetic team) is off the runtime path. No module here imports Prefect: `flows/` wraps
these functions as tasks.
"""
