# surveyapp: `make run` serves the questionnaires, `make test` runs every check.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 5000
# axe-core for the accessibility check of tests/e2e, fetched once with npm from the pinned
# tests/e2e/package-lock.json; without npm that check is skipped (and says so).
NPM := $(shell command -v npm 2>/dev/null)
AXE := tests/e2e/node_modules/axe-core/axe.min.js

# The respondent pages' words: gettext catalogues (.po, in the repository) compiled to .mo.
TRANSLATIONS := surveyapp/web/translations
CATALOGUES := $(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po)

.PHONY: install run test lint bench clean e2e-deps translations

$(STAMP): setup.cfg pyproject.toml $(CATALOGUES)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[embed,test]'
	$(BIN)/pybabel compile -d $(TRANSLATIONS)
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/surveyapp init-db
	$(BIN)/surveyapp serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

$(AXE): tests/e2e/package.json tests/e2e/package-lock.json
	$(NPM) ci --prefix tests/e2e --no-audit --no-fund
	touch $@

e2e-deps: $(AXE)

test: lint $(if $(NPM),e2e-deps)
	$(if $(NPM),,@echo "npm not found: the accessibility check of tests/e2e is skipped (apt-get install npm)")
	$(BIN)/python -m pytest

# After changing the words of the code or templates: extract them again and add them to
# every catalogue (new ones untranslated, changed ones fuzzy: the tests fail until done).
translations: install
	$(BIN)/pybabel extract -F babel.cfg --add-location=file --sort-by-file --project surveyapp \
		-o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS)
	$(BIN)/pybabel extract -F babel-workspace.cfg --add-location=file --sort-by-file \
		--project surveyapp -o $(TRANSLATIONS)/workspace.pot .

bench: install
	@for script in benchmarks/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache tests/e2e/node_modules test-artifacts
