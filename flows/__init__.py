"""Prefect flows, one per file, and the `backlog` command line.

Telemetry is off before Prefect is imported: this tool runs on machines that
reach only their package registry.
"""

import os

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
# Our own loggers ("backlog.*") become Prefect run logs too.
os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "backlog")
