# Set-up and everyday commands.  Only `python3` (>= 3.11) is needed on the machine:
# every target creates .venv and installs the package into it when missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEVSTAMP := $(VENV)/.installed-dev-stamp
SHARED ?= ../shared

.PHONY: install demo test lint fuzz bench-hostile bench bench-langid bench-encoding bench-garble bench-boilerplate bench-speed bench-startup models tables clean-venv

$(STAMP): pyproject.toml setup.py cleaner/_native.c
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e .
	@touch $(STAMP)

# The suite also exercises the optional extras (zstd, Parquet, WARC, Ray, datatrove).
$(DEVSTAMP): $(STAMP)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $(DEVSTAMP)

install: $(STAMP)

## demo: clean the bundled example documents and show what was removed and flagged
demo: $(STAMP)
	$(BIN)/python -m cleaner demo

## test: the whole test suite (reads ../shared when it exists, skips those tests otherwise)
test: $(DEVSTAMP)
	$(BIN)/python -m pytest -q

## lint: ruff and mypy on the package
lint: $(DEVSTAMP)
	$(BIN)/ruff check cleaner tests
	$(BIN)/mypy cleaner

## fuzz: coverage-guided fuzzing (atheris) of decode, the HTML path and the record reader
FUZZ_SECONDS ?= 60
fuzz: $(DEVSTAMP)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[fuzz]'
	$(BIN)/python fuzz/run.py --seconds $(FUZZ_SECONDS)

bench-hostile: $(DEVSTAMP)
	$(BIN)/python bench/hostile.py

## bench: every benchmark on ../shared/bench; results go to bench/RESULTS.md
bench: bench-langid bench-encoding bench-garble bench-boilerplate bench-speed bench-hostile
	$(BIN)/python bench/results.py

bench-langid: $(DEVSTAMP)
	$(BIN)/python bench/langid.py --shared $(SHARED)

bench-encoding: $(DEVSTAMP)
	$(BIN)/python bench/encoding.py --shared $(SHARED)

bench-garble: $(DEVSTAMP)
	$(BIN)/python bench/garble.py --shared $(SHARED)

bench-boilerplate: $(DEVSTAMP)
	$(BIN)/python bench/boilerplate.py --shared $(SHARED)
	$(BIN)/python bench/boilerplate_rules.py --shared $(SHARED)
	$(BIN)/python bench/boilerplate_html.py --shared $(SHARED)

bench-speed: $(DEVSTAMP)
	$(BIN)/python bench/speed.py --shared $(SHARED) --mem-html-gb 0.3 --write

bench-startup: $(DEVSTAMP)
	$(BIN)/python bench/startup.py

## models: rebuild every shipped model in cleaner/data/ from ../shared (about 40 min on 2 cores)
models: $(DEVSTAMP)
	$(BIN)/python scripts/build_encoding_model.py --shared $(SHARED)
	$(BIN)/python scripts/train_boilerplate.py --shared $(SHARED)
	$(BIN)/python scripts/train_html_blocks.py --shared $(SHARED)
	$(BIN)/python scripts/build_garble_model.py --shared $(SHARED) --dump-oof $(VENV)/garble_oof.npz
	@$(BIN)/python -c "import torch" 2>/dev/null || { echo "the garble CNN needs PyTorch at build time:" \
	  "$(BIN)/pip install --no-deps torch==2.13.0 && $(BIN)/pip install sympy networkx" \
	  "(without it the rebuilt linear model runs alone, with a warning)"; exit 1; }
	$(BIN)/python scripts/train_garble_nn.py --shared $(SHARED) --linear-oof $(VENV)/garble_oof.npz
	$(MAKE) tables

## tables: rebuild the start-up tables in cleaner/data/ (seconds; each keyed by what it reads from the installed
## Python, regex, ftfy or py3langid model and, but for py3langid's, by the source that builds it; rerun after
## editing that source or upgrading those)
tables: $(DEVSTAMP)
	$(BIN)/python scripts/build_boilerplate_tables.py --out cleaner/data
	$(BIN)/python scripts/build_garble_chartables.py --out cleaner/data
	$(BIN)/python scripts/build_language_tables.py --out cleaner/data
	$(BIN)/python scripts/build_py3langid_flat.py

clean-venv:
	rm -rf $(VENV)
