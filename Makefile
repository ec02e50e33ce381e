PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
LOCALES := $(shell cat translations/LINGUAS)

.PHONY: run test lint translations bench clean

# Runtime install: marker file so a second `make run` starts at once.
$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

run: $(VENV)/.installed
	$(BIN)/passerelle chat

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest -q

# Extract interface strings and update every catalog listed in translations/LINGUAS.
translations: $(VENV)/.installed-dev
	$(BIN)/pybabel extract -F translations/babel.cfg -k t -k N_ -k plural:1,2 \
		--no-location --sort-output --project=Passerelle -o translations/messages.pot .
	@for locale in $(LOCALES); do \
		if [ -f translations/$$locale/LC_MESSAGES/messages.po ]; then \
			$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -l $$locale -D messages -i translations/messages.pot -d translations; \
		else \
			$(BIN)/pybabel init -l $$locale -D messages -i translations/messages.pot -d translations; \
		fi; \
	done
	# The agents' workspace has its own catalogs (French and English): bot/workspace/babel.cfg.
	$(BIN)/pybabel extract -F bot/workspace/babel.cfg --no-default-keywords -k L_ -k _ \
		--no-location --sort-output --project=Passerelle-workspace \
		-o bot/workspace/translations/messages.pot .
	@for locale in $$(cat bot/workspace/translations/LINGUAS); do \
		$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -l $$locale -D messages \
			-i bot/workspace/translations/messages.pot -d bot/workspace/translations; \
	done

bench: $(VENV)/.installed-dev
	for script in benchmarks/*.py; do $(BIN)/python $$script; done

clean:
	rm -rf $(VENV) var .mypy_cache .pytest_cache .ruff_cache
