"""The data-quality summary sentence a lead reads under "Data quality": plain English counts."""

from __future__ import annotations

from datetime import date

from tasks.quality.status import _summary

DAY = date(2026, 3, 2)


def test_the_summary_counts_in_words_not_check_s():
    assert _summary(DAY, "warn", 2, 0, ["a"]) == (
        "Data for 2026-03-02 loaded with warnings: 2 rows loaded, 0 quarantined, 1 check flagged."
    )
    assert _summary(DAY, "warn", 1, 1, ["a", "b"]) == (
        "Data for 2026-03-02 loaded with warnings: 1 row loaded, 1 quarantined, 2 checks flagged."
    )
    assert _summary(DAY, "ok", 1, 0, []) == (
        "Data for 2026-03-02 is complete: 1 row loaded, none quarantined."
    )
    assert _summary(DAY, "ok", 228, 0, []) == (
        "Data for 2026-03-02 is complete: 228 rows loaded, none quarantined."
    )
