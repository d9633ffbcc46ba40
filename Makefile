# The two commands of the README. Both create .venv with the pinned stack on first use (Python >= 3.11).
#   make figures   regenerate every implemented figure, table and the scoreboard at the default (quick) scale
#   make test      run the test suite (unit tests, notebooks, claims, provenance, the whole smoke DAG)
# Everything else is plain Snakemake from .venv, e.g. `.venv/bin/snakemake --cores all amit_fig4`.
PYTHON ?= python3
VENV   ?= .venv
CORES  ?= all
BIN    := $(VENV)/bin
# The venv is rebuilt when the lock or the project metadata change.
STAMP  := $(VENV)/.installed-$(shell cat envs/requirements.lock pyproject.toml | sha256sum | cut -c1-12)

.PHONY: figures test smoke paper report venv clean-venv

figures: $(STAMP)
	$(BIN)/python -m bioplausible.workflow_lock --unlock-if-stale
	$(BIN)/snakemake --cores $(CORES) all

test: $(STAMP)
	$(BIN)/python -m pytest

smoke: $(STAMP)
	$(BIN)/python -m bioplausible.workflow_lock --unlock-if-stale
	$(BIN)/snakemake --cores $(CORES) --workflow-profile workflow/profiles/smoke all

paper: $(STAMP)
	$(BIN)/python -m bioplausible.workflow_lock --unlock-if-stale
	$(BIN)/snakemake --cores $(CORES) --workflow-profile workflow/profiles/paper all

report: $(STAMP)
	$(BIN)/snakemake --report report.html

venv: $(STAMP)

$(STAMP):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is required (found " + sys.version.split()[0] + "); set PYTHON=python3.11")'
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r envs/requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (bioplausible)"
	touch $@

clean-venv:
	rm -rf $(VENV)
