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

.PHONY: demo test lint install clean

demo: install  ## generate synthetic exports, run the flows, show the digest
	.venv/bin/backlog demo

test: install  ## lint and run the whole test suite
	.venv/bin/ruff check .
	.venv/bin/python -m pytest

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
