# Canal: `make run` starts everything, `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

MO     := translations/es/LC_MESSAGES/messages.mo
I18N_SOURCES := app.py config.py blueprints services models jobs devstack templates

# Python's default: cache compiled modules (and pytest's rewritten test modules) in __pycache__. A machine that
# sets PYTHONDONTWRITEBYTECODE makes every test worker compile and rewrite every module again (about 4 CPU-s each).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test install bench clean translations lock

# Installs exactly the versions in requirements.lock (the ones the tests passed with), then Canal itself.
$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

# After changing the dependencies in pyproject.toml: resolve them again into requirements.lock.
lock: $(STAMP)
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra test --python-version 3.11 --no-header -o requirements.lock

install: $(STAMP)

# The Spanish catalog is compiled in the build, from the .po kept in git.
$(MO): translations/es/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile -d translations

# Extract every marked string and merge it into the catalogs (then translate the new entries).
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		-o translations/messages.pot $(I18N_SOURCES)
	$(BIN)/pybabel update --no-fuzzy-matching -i translations/messages.pot -d translations

run: $(STAMP) $(MO)
	$(BIN)/flask --app app db upgrade
	$(BIN)/flask --app app demo seed
	exec $(BIN)/flask --app app dev

test: $(STAMP) $(MO)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Benchmarks (bench/run.py; see README): about 8 minutes, results in bench/results.json.
bench: $(STAMP) $(MO)
	@command -v wrk >/dev/null || { \
		if [ "$$(id -u)" = 0 ]; then apt-get install -y -qq wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }; \
		else echo "make bench needs wrk (the HTTP load generator): run 'sudo apt-get install wrk', then make bench again."; exit 1; fi; }
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) instance/*.db instance/redis instance/mail
