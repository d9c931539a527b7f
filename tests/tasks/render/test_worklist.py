"""Work next's driver sizes come from fct_work_next's columns as the digest carries them
(`driver`, `driver_tickets_7d`), not from the words of a reason."""

from __future__ import annotations

from tasks.render import worklist


def test_the_driver_size_is_the_column_and_text_alone_is_left_as_it_reads():
    items = [
        {
            "reasons": ["high priority", worklist.driver_reason("how-to", 1204)],
            "driver": "how-to",
            "driver_tickets_7d": 1204,
        },
        # a reason that only reads like a driver reason: no columns, nothing parsed
        {"reasons": ["driver login: 50 tickets this week"]},
        # the ticket's driver without a driver reason (impact too low): no size said
        {"reasons": ["SLA breached"], "driver": "bug", "driver_tickets_7d": 40},
    ]
    work = worklist.split_reasons(items)
    assert work.driver_sizes == {"how-to": 1204}
    assert work.reasons == [
        ["high priority", "how-to driver"],
        ["driver login: 50 tickets this week"],
        ["SLA breached"],
    ]
    assert worklist.summary(work) == "drivers this week: how-to 1,204 tickets"


def test_a_driver_of_one_ticket_reads_one_ticket():
    assert worklist.driver_reason("sso", 1) == "driver sso: 1 ticket this week"
    assert worklist.driver_reason("sso", 1204) == "driver sso: 1,204 tickets this week"
