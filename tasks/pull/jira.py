"""Jira Service Management (Jira Cloud): a day's issues of `JIRA_PROJECT` with their status
history, saved page by page as `issues-NNNN.json`.

Endpoint (Jira Cloud REST API v3, Issue search, `GET /rest/api/3/search/jql`): pages of
`maxResults` issues, `nextPageToken` until `isLast`; `expand=changelog` embeds each
issue's status history, `fields` names what to return (the endpoint returns only ids
without it; `comment` embeds the comments, which give first replies). JQL compares dates
in the API user's time zone, so the window is written in the zone `/rest/api/3/myself`
says.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tasks.pull.days import DayFolder, Window
from tasks.pull.http import ApiClient
from tasks.pull.pages import Tally, items

SEARCH = "/rest/api/3/search/jql"
MYSELF = "/rest/api/3/myself"
PER_PAGE = 100
FIELDS = (
    "summary,description,status,priority,issuetype,assignee,reporter,created,updated,"
    "resolutiondate,labels,components,comment"
)


def jql(project: str, window: Window, zone: str) -> str:
    """Issues of the project updated in the window, oldest change first."""
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    start = window.start.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    end = window.end.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    name = project.replace('"', "")
    return (
        f'project = "{name}" AND updated >= "{start}" AND updated < "{end}" '
        "ORDER BY updated ASC, key ASC"
    )


def pull(client: ApiClient, window: Window, folder: DayFolder, project: str | None) -> Tally:
    """Every issue of the project changed in the window, with changelog and comments."""
    tally = Tally()
    me = client.get(MYSELF).data
    zone = me.get("timeZone", "UTC") if isinstance(me, dict) else "UTC"
    params: dict[str, Any] = {
        "jql": jql(project or "", window, zone),
        "maxResults": PER_PAGE,
        "fields": FIELDS,
        "expand": "changelog",
    }
    while True:
        page = client.get(SEARCH, params)
        issues = items(page, "issues")
        tally.save(folder, "issues", page, issues)
        tally.records_in_window += len(issues)  # the JQL asked for the window only
        token = page.data.get("nextPageToken")
        if page.data.get("isLast", True) or not token or not issues:
            return tally
        tally.cursor = token
        params = {**params, "nextPageToken": token}
