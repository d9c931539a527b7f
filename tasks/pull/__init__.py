"""Pull: fetch a day's changes from a helpdesk's API and save the raw pages as that day's export.

`http` talks to an API (httpx + tenacity), `credentials` reads each vendor's variables,
`days` writes a day's folder whole or not at all, `state` keeps what was pulled in
`ops.pull_state`, one module per vendor (`zendesk`, `freshdesk`, `jira`, `servicenow`)
knows its endpoints, and `run` puts them together. The matching adapter in
`tasks/adapters` reads the folder like any other export. Pull imports the warehouse's SQL
reader only; no other package imports pull but the flows.
"""

from tasks.pull.credentials import PULL_SOURCES, VARIABLES, credentials
from tasks.pull.days import MANIFEST, day_window
from tasks.pull.http import AuthError, MalformedPage, PullError
from tasks.pull.run import date_range, pull_day, pull_days, summary
from tasks.pull.state import days_to_pull, pulled_days

__all__ = [
    "MANIFEST",
    "PULL_SOURCES",
    "VARIABLES",
    "AuthError",
    "MalformedPage",
    "PullError",
    "credentials",
    "date_range",
    "day_window",
    "days_to_pull",
    "pull_day",
    "pull_days",
    "pulled_days",
    "summary",
]
