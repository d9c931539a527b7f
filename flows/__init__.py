"""The Prefect layer: every flow (one per file), their tasks (`steps`), and the `backlog` CLI.

Importing it changes nothing: the environment Prefect reads at its import (telemetry off,
our loggers as run logs) is set by the `backlog` command before any flow is imported
(`cli.prefect_environment`), and by `prefect.yaml` for the deployments a worker runs.
"""
