# Set-up and everyday commands.  Only `python3` (>= 3.10) is needed on the machine:
# every target creates .venv and installs the package into it when missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
SHARED ?= ../shared

.PHONY: install demo test lint bench bench-langid bench-encoding bench-garble bench-boilerplate bench-speed models clean-venv

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## demo: clean the bundled example documents and show what was removed and flagged
demo: $(STAMP)
	$(BIN)/python -m cleaner demo

## test: the whole test suite (reads ../shared when it exists, skips those tests otherwise)
test: $(STAMP)
	$(BIN)/python -m pytest -q

## lint: ruff and mypy on the package
lint: $(STAMP)
	$(BIN)/ruff check cleaner tests
	$(BIN)/mypy cleaner

## bench: every benchmark on ../shared/bench; results go to bench/RESULTS.md
bench: bench-langid bench-encoding bench-garble bench-boilerplate bench-speed

bench-langid: $(STAMP)
	$(BIN)/python bench/langid.py --shared $(SHARED)

bench-encoding: $(STAMP)
	$(BIN)/python bench/encoding.py --shared $(SHARED)

bench-garble: $(STAMP)
	$(BIN)/python bench/garble.py --shared $(SHARED)

bench-boilerplate: $(STAMP)
	$(BIN)/python bench/boilerplate.py --shared $(SHARED)

bench-speed: $(STAMP)
	$(BIN)/python bench/speed.py --shared $(SHARED)

clean-venv:
	rm -rf $(VENV)
