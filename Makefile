# Build/run plumbing for the k-means teaching repository (GNU make).
# `make help` lists the targets. Everything runs from the virtualenv $(VENV).

VENV   ?= .venv
PYTHON ?= python3
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

# Environment for every recipe (and the notebook kernels they start, which inherit it):
# TF_CPP_MIN_LOG_LEVEL must be set before TensorFlow is imported; PYDEVD_DISABLE_FILE_VALIDATION
# silences a debugpy warning that kernels print on stderr.
export TF_CPP_MIN_LOG_LEVEL := 3
export PYDEVD_DISABLE_FILE_VALIDATION := 1
# MPLBACKEND must NOT reach notebook kernels: ipykernel picks its inline backend only when
# MPLBACKEND is unset, and with Agg figures vanish from the outputs (nbval then fails). Plain
# scripts get Agg explicitly below; pytest gets it from conftest.py.
unexport MPLBACKEND

NOTEBOOKS   := $(wildcard notebooks/*.ipynb)
TEST_FILES  := $(wildcard tests/test_*.py tests/*_test.py tests/*/test_*.py)
# Passed to nbval only once notebooks/sanitize.cfg exists.
NB_SANITIZE := $(if $(wildcard notebooks/sanitize.cfg),--nbval-sanitize-with notebooks/sanitize.cfg)

.DEFAULT_GOAL := help
.PHONY: help setup run test lint bench lab clean distclean

help:
	@echo "Targets:"
	@echo "  setup      create $(VENV) (if missing) and install requirements.txt + this package (editable)"
	@echo "  run        execute notebooks/*.ipynb headless -> build/html/, build/executed/"
	@echo "             (a subset: $(PY) scripts/run_notebooks.py NAME.ipynb ...)"
	@echo "  test       pytest tests, then strict nbval on notebooks/"
	@echo "  lint       ruff check (package, tests, benchmarks, scripts, notebooks)"
	@echo "  bench      benchmarks/ (grid of shapes vs scikit-learn and faiss-cpu, cold and warm;"
	@echo "             per-iteration MNIST/china.jpg; colour quantisation); installs"
	@echo "             requirements-bench.txt (faiss-cpu) first"
	@echo "  lab        start JupyterLab on notebooks/"
	@echo "  clean      remove build/ and caches (keeps $(VENV))"
	@echo "  distclean  clean, and remove $(VENV)"
	@echo "Variables: VENV=$(VENV) PYTHON=$(PYTHON)"

# Re-runs when requirements.txt or pyproject.toml change. The notebooks' kernel needs no
# registration: ipykernel installs a `python3` kernelspec into the venv (share/jupyter/kernels)
# whose command jupyter_client resolves to the interpreter that starts it, and Jupyter prefers
# the venv's kernelspecs over per-user ones. --no-build-isolation: the editable install uses the
# venv's setuptools instead of downloading one, so this also works offline.
$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -r requirements.txt
	$(PY) -m pip install -e . --no-deps --no-build-isolation
	touch $@

setup: $(STAMP)

run: setup
	$(PY) scripts/run_notebooks.py

# Each step is skipped (with a message) only when it has nothing to collect; otherwise every
# pytest exit status, 5 ("no tests collected") included, fails the target.
test: setup
ifneq ($(strip $(TEST_FILES)),)
	$(PY) -m pytest tests
else
	@echo "tests/: no test files, skipping pytest"
endif
ifneq ($(strip $(NOTEBOOKS)),)
	$(PY) -m pytest --nbval --nbval-current-env $(NB_SANITIZE) notebooks
else
	@echo "notebooks/: no notebooks, skipping nbval"
endif

lint: setup
	$(VENV)/bin/ruff check clustering_lib tests benchmarks scripts notebooks conftest.py

BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): requirements-bench.txt $(STAMP)
	$(PY) -m pip install -r requirements-bench.txt
	touch $@

bench: setup $(BENCH_STAMP)
	MPLBACKEND=Agg $(PY) benchmarks/grid.py
	MPLBACKEND=Agg $(PY) benchmarks/kmeans_vs_sklearn.py
	MPLBACKEND=Agg $(PY) benchmarks/quantize_vs_sklearn.py

lab: setup
	$(VENV)/bin/jupyter lab notebooks/

clean:
	rm -rf build/ .pytest_cache/ .ruff_cache/ *.egg-info/ notebooks/.ipynb_checkpoints/
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
