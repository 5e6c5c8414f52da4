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
# Offline rooms: `make wheelhouse` fills $(WHEELHOUSE) with every pinned requirement (and their
# dependencies); while it holds wheels, `make setup` installs from it alone, without an index.
# WHEELHOUSE_FLAGS selects other laptops' wheels, e.g. "--python-version 3.12
# --platform macosx_11_0_arm64 --only-binary=:all:" (see the README's workshop section).
WHEELHOUSE       ?= build/wheelhouse
WHEELHOUSE_FLAGS ?=
PIP_SOURCE       := $(if $(wildcard $(WHEELHOUSE)/*.whl),--no-index --find-links $(WHEELHOUSE))
# `make test` checks the student notebooks too; add --require-exercises once every notebook
# has one.
WORKSHOP_CHECK_FLAGS ?= --require-exercises

# The student notebooks run under another instruction set than nbval's run, and the cells of their
# story must print and draw what is stored: XLA's compiled code limited to AVX, as on a processor
# without AVX2 or AVX-512 (the k-means engine and NMF compile with XLA). oneDNN is asked for AVX
# too, but the notebooks' set-up call caps oneDNN at AVX2 on every machine (TensorFlow's
# convolution gradients and float32 products go through it), so that part of the variation is
# removed by construction, not tested. OpenBLAS's kernel is left as the machine sets it
# (OPENBLAS_CORETYPE is never changed in tests).
SECOND_ISA ?= ONEDNN_MAX_CPU_ISA=AVX XLA_FLAGS=--xla_cpu_max_isa=AVX
# Notebooks that run once, as their student version under SECOND_ISA with every output outside
# the exercises compared to the stored one (the same comparison as nbval's, figures included),
# instead of twice (nbval, then the student version under SECOND_ISA): the five most expensive
# notebooks (04 trains networks, 05 computes six UMAP embeddings). The comparison is nbval's, so each stored output is still
# checked once; running these once keeps CI under 30 minutes (a run of 2026-12-04 with all but 04
# twice took 1,930 s on a loaded machine).
# Listed longest first: the student runs start in this order, then the other notebooks.
RUN_ONCE ?= 04_kmeans_loss_mnist.ipynb 05_neighbour_graph_clustering_mnist.ipynb \
            11_kmeans_at_scale.ipynb 02_colour_compression.ipynb \
            06_streaming_and_seeded_kmeans.ipynb
NBVAL_NOTEBOOKS := $(filter-out $(addprefix notebooks/,$(RUN_ONCE)),$(NOTEBOOKS))
STUDENT_ORDER   := $(filter $(notdir $(NOTEBOOKS)),$(RUN_ONCE)) \
                   $(filter-out $(RUN_ONCE),$(notdir $(NOTEBOOKS)))
# How many unit-test processes, then notebooks (nbval's, then the student versions) run at once.
# Most tests and notebook cells keep one core busy (the unit tests used 430 CPU seconds in 426 s,
# a run of notebooks 01, 07 and 09 91 in 94 s), so on two cores two at a time finish sooner;
# JOBS=1 runs one after another. A test file, and a notebook, stays in one process.
JOBS ?= 2
XDIST := $(if $(filter-out 1,$(JOBS)),-n $(JOBS) --dist loadfile)

.DEFAULT_GOAL := help
.PHONY: help setup run test lint bench lab clean distclean
.PHONY: workshop workshop-check wheelhouse figure-baselines
.PHONY: book book-test

help:
	@echo "Targets:"
	@echo "  setup      create $(VENV) (if missing) and install requirements.txt + this package (editable)"
	@echo "  run        execute notebooks/*.ipynb headless -> build/html/, build/executed/"
	@echo "             (a subset: $(PY) scripts/run_notebooks.py NAME.ipynb ...)"
	@echo "  test       pytest tests, a normal (wheel) install outside the checkout, then strict"
	@echo "             nbval on notebooks/ and the student notebooks"
	@echo "  lint       ruff check (package, tests, benchmarks, scripts, notebooks)"
	@echo "  bench      benchmarks/ (grid of shapes vs scikit-learn and faiss-cpu, cold and"
	@echo "             interleaved in one process, with a machine-noise check;"
	@echo "             per-iteration MNIST/china.jpg; colour quantisation); installs"
	@echo "             requirements-bench.txt (faiss-cpu) first"
	@echo "  lab        start JupyterLab on notebooks/"
	@echo "  workshop   student notebooks (stubs for the exercises) -> build/workshop/, and the"
	@echo "             teacher's HTML of the full notebooks -> build/workshop/solutions/"
	@echo "  workshop-check  run every student notebook: only the stubs may fail (part of test)"
	@echo "  wheelhouse download every pinned requirement -> $(WHEELHOUSE)/ (for offline setup)"
	@echo "  figure-baselines  regenerate tests/baseline_images/ (after an intended change)"
	@echo "  book       the notebooks as a book, from their stored outputs (nothing is executed)"
	@echo "             -> build/book/index.html; installs requirements-book.txt first"
	@echo "  book-test  build the book and check every page in headless Chromium (installs"
	@echo "             Debian's chromium and chromium-driver when missing; screenshots in"
	@echo "             build/book-screenshots/)"
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
	$(PY) -m pip install $(PIP_SOURCE) -r requirements.txt
	$(PY) -m pip install -e . --no-deps --no-build-isolation
	touch $@

setup: $(STAMP)

run: setup
	$(PY) scripts/run_notebooks.py

# Each step is skipped (with a message) only when it has nothing to collect; otherwise every
# pytest exit status, 5 ("no tests collected") included, fails the target.
test: setup
ifneq ($(strip $(TEST_FILES)),)
	$(PY) -m pytest tests --ignore=tests/book -m "" $(XDIST)
else
	@echo "tests/: no test files, skipping pytest"
endif
	$(PY) scripts/check_install.py
ifneq ($(strip $(NBVAL_NOTEBOOKS)),)
	$(PY) -m pytest --nbval --nbval-current-env $(NB_SANITIZE) -m "" $(XDIST) $(NBVAL_NOTEBOOKS)
else
	@echo "notebooks/: no notebooks, skipping nbval"
endif
ifneq ($(strip $(NOTEBOOKS)),)
	$(SECOND_ISA) $(PY) scripts/check_workshop.py $(WORKSHOP_CHECK_FLAGS) --compare-outputs \
	  --jobs $(JOBS) $(STUDENT_ORDER)
endif

workshop: setup
	$(PY) scripts/make_workshop.py

workshop-check: setup
	$(PY) scripts/check_workshop.py $(WORKSHOP_CHECK_FLAGS)

# Needs internet (and no venv): pip resolves requirements.txt for this interpreter, or for the
# platform in WHEELHOUSE_FLAGS. Copy the repository with $(WHEELHOUSE) to the workshop laptops.
wheelhouse:
	$(PYTHON) -m pip download --dest $(WHEELHOUSE) $(WHEELHOUSE_FLAGS) -r requirements.txt

figure-baselines: setup
	CL_UPDATE_BASELINES=1 $(PY) -m pytest tests/test_plotting_images.py -q

lint: setup
	$(VENV)/bin/ruff check clustering_lib tests benchmarks scripts notebooks conftest.py

BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): requirements-bench.txt $(STAMP)
	$(PY) -m pip install -r requirements-bench.txt
	touch $@

# The benchmarks run with OpenBLAS's own choice of kernel for this processor: a kernel forced
# through OPENBLAS_CORETYPE or a cache size through OPENBLAS_L2_SIZE, if the environment sets
# them, would time another BLAS than users get. Only here: tests and CI keep the environment.
BENCH_ENV := env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE MPLBACKEND=Agg

bench: setup $(BENCH_STAMP)
	$(BENCH_ENV) $(PY) benchmarks/grid.py
	$(BENCH_ENV) $(PY) benchmarks/kmeans_vs_sklearn.py
	$(BENCH_ENV) $(PY) benchmarks/quantize_vs_sklearn.py
	$(BENCH_ENV) $(PY) benchmarks/scale.py

lab: setup
	$(VENV)/bin/jupyter lab notebooks/

# The book: Sphinx + myst-nb + sphinx-book-theme on the stored outputs (docs/conf.py,
# docs/build_book.py); fails on any Sphinx warning (a broken cross-link, a bad docstring).
BOOK_STAMP := $(VENV)/.book-installed

$(BOOK_STAMP): requirements-book.txt $(STAMP)
	$(PY) -m pip install -r requirements-book.txt
	touch $@

book: setup $(BOOK_STAMP)
	$(PY) docs/build_book.py

# docs/check_book.py through tests/book: the real book, and tiny synthetic books (working,
# with a truncated figure, a broken link, an untagged check cell). --noconftest and no figure
# plugin: these tests need neither. apt-get runs as root (CI) or through sudo.
book-test: book
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
	  echo "installing Debian's chromium and chromium-driver"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -q && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	    chromium chromium-driver; \
	fi
	BOOK_SITE=build/book BOOK_SCREENSHOTS=build/book-screenshots \
	  $(PY) -m pytest tests/book --noconftest -p no:clustering_course_figures -q

clean:
	rm -rf build/ .pytest_cache/ .ruff_cache/ *.egg-info/ notebooks/.ipynb_checkpoints/
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
