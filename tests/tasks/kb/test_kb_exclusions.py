"""What never makes a knowledge-base article: chase-ups, feature requests, one-off answers.

A hand-built window of solved tickets: which reach the clustering, and when a cluster's
resolution recurs among its members.
"""

from __future__ import annotations

from datetime import date

from tasks import models, warehouse
from tasks.config import load_settings
from tasks.kb.recurring import recurring_resolutions
from tasks.kb.tickets import list_window, skip_pattern, solved_tickets
from tests.support.exports import tk, write_tickets
from tests.support.loading import load_exports

DAY = date(2024, 7, 2)


def solved(tid: str, subject: str, **kw) -> dict:
    return tk(
        tid,
        "2024-07-01T09:00:00Z",
        "2024-07-02T09:00:00Z",
        "solved",
        solved_at="2024-07-02T09:00:00Z",
        subject=subject,
        description="Details of the problem",
        **kw,
    )


def test_chase_ups_and_feature_requests_stay_out_of_the_kb_window(tmp_path):
    root = tmp_path / "exports"
    write_tickets(
        root,
        "2024-07-02",
        [
            solved("K1", "Cannot reset my password", type="question", tags=["login"]),
            solved("K2", "Any update on my request?"),  # chase-up (merge pattern)
            solved("K3", "Second request - nobody has replied"),  # chase-up
            solved("K4", "Feature request: dark mode", tags=["feature-request"]),  # by tag
            solved("K5", "Please add bulk edit", type="Feature Request"),  # by type
            solved("K6", "Invoice shows the wrong VAT", type="incident", tags=["billing"]),
        ],
    )
    settings = load_settings(db_path=tmp_path / "b.duckdb")
    with warehouse.connect(settings) as con:
        load_exports(con, root)
        models.build_models(con)
        # 6 solved in the window - 2 chase-ups - 2 feature requests = 2
        assert list_window(con, "kb_window", DAY, 28) == 2
        texts = solved_tickets(con, DAY, 28, skip_pattern(con))
        assert texts.ticket_ids == ["K1", "K6"]

    # the tag list is a setting: without it, K4 comes back (K5 still left out by its type)
    loose = load_settings(db_path=tmp_path / "b.duckdb", kb={"feature_request_tags": []})
    with warehouse.connect(loose) as con:
        models.build_models(con)
        assert solved_tickets(con, DAY, 28, skip_pattern(con)).ticket_ids == ["K1", "K4", "K6"]


def test_a_resolution_recurs_when_members_answered_alike():
    reset = "Reset the password from the login page, then sign in with the new one."
    # three alike replies (the same steps, worded a little differently) and two one-offs
    replies = [
        reset,
        "Reset the password from the login page and then sign in with the new one.",
        "Please reset the password from the login page, then sign in again with the new one.",
        "We refunded the order.",
        "",
    ]
    assert recurring_resolutions(replies) == 3
    # five different answers: nothing recurs, no article
    assert (
        recurring_resolutions(
            [
                "We refunded the order.",
                "The export finished after we restarted the worker.",
                "Your invoice address was changed.",
                "Two-factor codes are sent by SMS now.",
                "",
            ]
        )
        == 0
    )
    assert recurring_resolutions(["", "", ""]) == 0
