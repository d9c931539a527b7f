"""Each helpdesk's credentials and base URL, from the environment (or Prefect Secret blocks).

`environ` is any mapping of variable names to values: the process environment, or the
same names read from Prefect Secret blocks by the flow (`flows/pull_secrets.py`). Values
go into the HTTP client's auth and headers only; messages name the variables, never
their values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

from tasks.errors import BacklogError

PULL_SOURCES = ("zendesk", "freshdesk", "jira", "servicenow")
# every variable a pull may read, by source (Prefect Secret blocks are looked up by these)
VARIABLES = {
    "zendesk": (
        "ZENDESK_BASE_URL",
        "ZENDESK_SUBDOMAIN",
        "ZENDESK_EMAIL",
        "ZENDESK_API_TOKEN",
        "ZENDESK_OAUTH_TOKEN",
    ),
    "freshdesk": ("FRESHDESK_BASE_URL", "FRESHDESK_DOMAIN", "FRESHDESK_API_KEY"),
    "jira": ("JIRA_BASE_URL", "JIRA_EMAIL", "JIRA_API_TOKEN", "JIRA_PROJECT"),
    "servicenow": (
        "SERVICENOW_BASE_URL",
        "SERVICENOW_INSTANCE",
        "SERVICENOW_USER",
        "SERVICENOW_PASSWORD",
        "SERVICENOW_OAUTH_TOKEN",
    ),
}


@dataclass(frozen=True)
class Credentials:
    """Where a helpdesk's API is and how to sign in to it (never printed)."""

    vendor: str
    base_url: str
    auth: httpx.Auth | None = field(default=None, repr=False)
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    fix_401: str = ""
    fix_403: str = ""
    project: str | None = None


def credentials(source: str, environ: Mapping[str, str]) -> Credentials:
    """The credentials of `source` (zendesk, freshdesk, jira, servicenow) from `environ`."""
    env = {name: environ.get(name, "").strip() for name in VARIABLES.get(source, ())}
    if source == "zendesk":
        return _zendesk(env)
    if source == "freshdesk":
        return _freshdesk(env)
    if source == "jira":
        return _jira(env)
    if source == "servicenow":
        return _servicenow(env)
    raise BacklogError(
        f"`backlog pull` cannot pull {source!r}; use one of: {', '.join(PULL_SOURCES)}."
    )


def _base(env: dict[str, str], base: str, host_var: str, host: str) -> str:
    if env.get(base):
        return env[base].rstrip("/")
    name = env.get(host_var, "")
    if not name:
        return ""
    return f"https://{name if '.' in name else host.format(name)}"


def _missing(vendor: str, needed: str) -> BacklogError:
    return BacklogError(f"{vendor} credentials are not set; set {needed} in the environment.")


def _zendesk(env: dict[str, str]) -> Credentials:
    base = _base(env, "ZENDESK_BASE_URL", "ZENDESK_SUBDOMAIN", "{}.zendesk.com")
    needed = (
        "ZENDESK_SUBDOMAIN (or ZENDESK_BASE_URL) with ZENDESK_EMAIL and ZENDESK_API_TOKEN "
        "(or ZENDESK_OAUTH_TOKEN)"
    )
    fix_403 = "the token's user must be a Zendesk admin (the incremental exports need one)"
    if base and env["ZENDESK_OAUTH_TOKEN"]:
        return Credentials(
            "Zendesk",
            base,
            headers={"Authorization": f"Bearer {env['ZENDESK_OAUTH_TOKEN']}"},
            fix_401="ZENDESK_OAUTH_TOKEN (a token with the read scope)",
            fix_403=fix_403,
        )
    if not (base and env["ZENDESK_EMAIL"] and env["ZENDESK_API_TOKEN"]):
        raise _missing("Zendesk", needed)
    return Credentials(
        "Zendesk",
        base,
        auth=httpx.BasicAuth(f"{env['ZENDESK_EMAIL']}/token", env["ZENDESK_API_TOKEN"]),
        fix_401="ZENDESK_EMAIL and ZENDESK_API_TOKEN (Admin Center > Apps and integrations > "
        "Zendesk API)",
        fix_403=fix_403,
    )


def _freshdesk(env: dict[str, str]) -> Credentials:
    base = _base(env, "FRESHDESK_BASE_URL", "FRESHDESK_DOMAIN", "{}.freshdesk.com")
    if not (base and env["FRESHDESK_API_KEY"]):
        raise _missing(
            "Freshdesk", "FRESHDESK_DOMAIN (or FRESHDESK_BASE_URL) and FRESHDESK_API_KEY"
        )
    return Credentials(
        "Freshdesk",
        base,
        auth=httpx.BasicAuth(env["FRESHDESK_API_KEY"], "X"),
        fix_401="FRESHDESK_API_KEY (Profile settings > View API key)",
        fix_403="the API key's agent needs access to all tickets (an admin or a global-scope "
        "agent)",
    )


def _jira(env: dict[str, str]) -> Credentials:
    base = env["JIRA_BASE_URL"].rstrip("/")
    if not (base and env["JIRA_EMAIL"] and env["JIRA_API_TOKEN"] and env["JIRA_PROJECT"]):
        raise _missing("Jira", "JIRA_BASE_URL, JIRA_EMAIL, JIRA_API_TOKEN and JIRA_PROJECT")
    return Credentials(
        "Jira",
        base,
        auth=httpx.BasicAuth(env["JIRA_EMAIL"], env["JIRA_API_TOKEN"]),
        fix_401="JIRA_EMAIL and JIRA_API_TOKEN (id.atlassian.com > Security > API tokens)",
        fix_403="the token's user needs the Browse projects permission on JIRA_PROJECT",
        project=env["JIRA_PROJECT"],
    )


def _servicenow(env: dict[str, str]) -> Credentials:
    base = _base(env, "SERVICENOW_BASE_URL", "SERVICENOW_INSTANCE", "{}.service-now.com")
    fix_403 = "the user needs the itil role and read access to sys_audit (or snc_read_only)"
    if base and env["SERVICENOW_OAUTH_TOKEN"]:
        return Credentials(
            "ServiceNow",
            base,
            headers={"Authorization": f"Bearer {env['SERVICENOW_OAUTH_TOKEN']}"},
            fix_401="SERVICENOW_OAUTH_TOKEN",
            fix_403=fix_403,
        )
    if not (base and env["SERVICENOW_USER"] and env["SERVICENOW_PASSWORD"]):
        raise _missing(
            "ServiceNow",
            "SERVICENOW_INSTANCE (or SERVICENOW_BASE_URL) with SERVICENOW_USER and "
            "SERVICENOW_PASSWORD (or SERVICENOW_OAUTH_TOKEN)",
        )
    return Credentials(
        "ServiceNow",
        base,
        auth=httpx.BasicAuth(env["SERVICENOW_USER"], env["SERVICENOW_PASSWORD"]),
        fix_401="SERVICENOW_USER and SERVICENOW_PASSWORD",
        fix_403=fix_403,
    )
