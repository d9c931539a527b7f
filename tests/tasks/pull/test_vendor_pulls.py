"""`backlog pull` for Freshdesk, Jira and ServiceNow against fakes speaking each vendor's
documented wire format, loaded through each vendor's adapter.

Every fake serves the fake Zendesk's synthetic account (7 tickets created and last changed
on each day, 3 a page): after pulling D1 and D2 and loading both, every vendor's backlog
is the same 11 tickets the Zendesk pull gives (14 tickets, 3 of them solved).
"""

from __future__ import annotations

from datetime import date

import pytest

from tasks import models, pull, warehouse
from tasks.config import load_settings
from tasks.reports import digest
from tests.support.fake_helpdesk import Failure
from tests.support.fake_vendors import (
    FRESHDESK_KEY,
    JIRA_TOKEN,
    SNOW_PASSWORD,
    FakeFreshdesk,
    FakeJira,
    FakeServiceNow,
)
from tests.support.fake_zendesk import synthetic_account
from tests.support.loading import load_exports

D1, D2 = date(2026, 3, 2), date(2026, 3, 3)
VENDORS = {
    "freshdesk": (FakeFreshdesk, "/api/v2/tickets", "FRESHDESK_API_KEY", FRESHDESK_KEY),
    "jira": (FakeJira, "/rest/api/3/search/jql", "JIRA_API_TOKEN", JIRA_TOKEN),
    "servicenow": (FakeServiceNow, "/api/now/table/incident", "SERVICENOW_PASSWORD", SNOW_PASSWORD),
}
FIX = {
    "freshdesk": "check FRESHDESK_API_KEY (Profile settings > View API key).",
    "jira": "check JIRA_EMAIL and JIRA_API_TOKEN (id.atlassian.com > Security > API tokens).",
    "servicenow": "check SERVICENOW_USER and SERVICENOW_PASSWORD.",
}
PAGE_FILE = {"freshdesk": "tickets", "jira": "issues", "servicenow": "incident"}


@pytest.fixture(scope="module")
def account():
    return synthetic_account([D1, D2], per_day=7)


@pytest.fixture(params=sorted(VENDORS))
def vendor(request, account):
    source = request.param
    with VENDORS[source][0](account, page_size=3) as fake:
        yield source, fake


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def test_pages_are_saved_as_returned_and_load_to_the_same_backlog(vendor, tmp_path):
    source, fake = vendor
    exports = tmp_path / "exports"
    settings = load_settings(db_path=tmp_path / "b.duckdb")
    with warehouse.connect(settings) as con:
        manifests = pull.pull_days(con, source, [D1, D2], exports, "UTC", fake.environ())
        stem = PAGE_FILE[source]
        saved = sorted((exports / "2026-03-02").glob(f"{stem}-*.json"))
        path = VENDORS[source][1]
        first_day = [r.body for r in fake.requests if r.path == path and r.status == 200]
        assert [p.read_bytes() for p in saved] == first_day[: len(saved)]
        assert [m["records_in_window"] for m in manifests] == [7, 7]
        load_exports(con, exports, source=source)
        models.build_models(con)
        result = digest.build_digest(con, D2, settings)
        groups = con.execute(
            "select group_name, count(*) from staging.stg_tickets group by 1 order by 1"
        ).fetchall()
        tickets = con.execute("select count(*) from staging.stg_tickets").fetchone()
    assert tickets == (14,)  # 7 a day, none twice (Freshdesk's D1 pages also hold 2 of D2)
    assert result["backlog"]["open_total"] == 11  # 14 - 3 solved
    assert [name for name, _count in groups] == ["Billing", "Onboarding", "Tier 2 Support"]


def test_a_429_waits_retry_after(vendor, tmp_path, con):
    source, fake = vendor
    fake.fail(VENDORS[source][1], Failure(429, retry_after="3"))
    sleeps = Sleeps()
    manifest = pull.pull_day(con, source, D1, tmp_path, "UTC", fake.environ(), sleep=sleeps)
    assert sleeps == [3.0]
    assert manifest["retries"] == 1


def test_5xx_and_a_dropped_connection_are_retried(vendor, tmp_path, con):
    source, fake = vendor
    fake.fail(VENDORS[source][1], Failure(502), Failure(drop=True))
    sleeps = Sleeps()
    manifest = pull.pull_day(con, source, D1, tmp_path, "UTC", fake.environ(), sleep=sleeps)
    assert len(sleeps) == 2
    assert manifest["records_in_window"] == 7


def test_401_names_the_variable_and_is_not_retried(vendor, tmp_path, con):
    source, fake = vendor
    variable, secret = VENDORS[source][2], VENDORS[source][3]
    environ = fake.environ(**{variable: "not-the-secret"})
    with pytest.raises(pull.AuthError) as caught:
        pull.pull_day(con, source, D1, tmp_path, "UTC", environ)
    message = str(caught.value)
    assert message.endswith(FIX[source])
    assert "401" in message
    assert "not-the-secret" not in message
    assert secret not in message
    assert len(fake.requests) == 1
    assert not [p for p in tmp_path.iterdir() if not p.name.startswith("backlog.duckdb")]


def test_a_truncated_page_writes_nothing_for_the_day(vendor, tmp_path, con):
    source, fake = vendor
    fake.fail(VENDORS[source][1], Failure(200), Failure(truncate=True))
    with pytest.raises(pull.MalformedPage) as caught:
        pull.pull_day(con, source, D1, tmp_path, "UTC", fake.environ())
    assert f"GET {fake.url}{VENDORS[source][1]}?" in str(caught.value)
    assert str(caught.value).endswith("nothing was written for 2026-03-02, so pull that day again.")
    assert not [p for p in tmp_path.iterdir() if not p.name.startswith("backlog.duckdb")]
    assert pull.pulled_days(con, source) == []


def test_an_empty_day_is_written_with_zero_records(vendor, tmp_path, con):
    source, fake = vendor
    manifest = pull.pull_day(con, source, date(2026, 3, 9), tmp_path, "UTC", fake.environ())
    assert manifest["records_in_window"] == 0
    assert (tmp_path / "2026-03-09" / f"{PAGE_FILE[source]}-0001.json").exists()


def test_jira_asks_for_the_day_in_the_api_users_time_zone(account, tmp_path, con):
    with FakeJira(account) as fake:
        pull.pull_day(con, "jira", D1, tmp_path, "UTC", fake.environ())
        jql = next(r.query["jql"] for r in fake.requests if r.path.endswith("/search/jql"))
    # D1 00:00 UTC is 01:00 in Europe/Berlin (the fake user's zone, UTC+1 in March)
    assert jql == (
        'project = "SUP" AND updated >= "2026-03-02 01:00" AND updated < "2026-03-03 01:00" '
        "ORDER BY updated ASC, key ASC"
    )


def test_freshdesk_keeps_the_rate_limit_headers_in_the_manifest(account, tmp_path, con):
    with FakeFreshdesk(account, page_size=3) as fake:
        manifest = pull.pull_day(con, "freshdesk", D1, tmp_path, "UTC", fake.environ())
    # as the last ticket page said: 400 - 3 ticket pages x 2 credits (include=stats) = 394
    assert manifest["rate_limit"] == {
        "x-ratelimit-total": "400",
        "x-ratelimit-remaining": "394",
        "x-ratelimit-used-currentrequest": "2",
    }


def test_the_freshdesk_csv_export_still_loads(tmp_path):
    from tasks.adapters import get_adapter
    from tests.support.paths import FIXTURES

    folder = next((FIXTURES / "freshdesk").iterdir())
    found = get_adapter("freshdesk").find_files(folder)
    assert found.data
    assert all(path.suffix == ".csv" for path in found.data)
