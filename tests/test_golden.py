"""Every digest and review figure is byte-identical to the outputs committed before a change.

`tests/golden/<case>/` holds the digests (JSON, Markdown, Block Kit) and the review
Markdown that `tests/golden/capture.py` wrote with the code of the reference commit.
A change that moves code around must leave them alone; a change that fixes a figure
rewrites them with the capture script in the same commit, and says which figure and why.
"""

from __future__ import annotations

import pytest

from tests.golden import capture as CAPTURE
from tests.support.paths import ROOT, TESTS

GOLDEN = TESTS / "golden"

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.mark.parametrize("case", [*CAPTURE.CASES, *CAPTURE.FIXTURE_CASES])
def test_outputs_equal_the_committed_ones(case, tmp_path, monkeypatch, request):
    monkeypatch.chdir(ROOT)  # mapping paths are relative to the project
    if case == "demo":
        made = request.getfixturevalue("demo_run").made  # shared with other tests
    else:
        made = tmp_path / "made"
        run = CAPTURE.run_case if case in CAPTURE.CASES else CAPTURE.run_fixture_case
        run(case, tmp_path / "work", made)
    expected = sorted(path.name for path in (GOLDEN / case).iterdir())
    assert sorted(path.name for path in made.iterdir()) == expected
    for name in expected:
        assert (made / name).read_text() == (GOLDEN / case / name).read_text(), name
