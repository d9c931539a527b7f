# The two commands of the README, and what they need. Each bootstraps itself on a
# machine with only Python 3.11, pip and the package registries: uv goes into .uv/,
# the project's locked environment into .venv/ (with .venv/bin/backlog).

PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .uv/bin/uv

export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := .venv
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1

.PHONY: demo test lint install browser clean

demo: install  ## generate synthetic exports, run the flows, show the digest
	.venv/bin/backlog demo

test: install browser  ## lint and run the whole test suite
	.venv/bin/ruff check .
	.venv/bin/python -m pytest

browser:  ## Debian's Chromium for the review pack's browser test, when it can be installed
	@command -v chromium >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 \
		&& (apt-get update -qq && apt-get install -y -qq chromium) >/dev/null 2>&1; } \
		|| echo "Chromium is not installed: the browser test of the review pack will skip."

lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

install: .venv/.synced

$(UV):
	$(PYTHON) -m venv .uv
	.uv/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

.venv/.synced: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --quiet --python $(PYTHON)
	touch $@

clean:
	rm -rf .venv .uv out demo .pytest_cache .ruff_cache
