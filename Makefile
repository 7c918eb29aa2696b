# Two commands do all set-up: `make demo` (the main job) and `make test`.
# The virtual environment is made once and reinstalled only when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
HUB_PROXY := deploy/jupyterhub/node_modules/.installed-stamp
MATHJAX := docs/node_modules/.installed-stamp

.PHONY: demo test test-fast system lint gpu-check bench bench-tf lab hub-proxy book book-check messages

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test,book]'
	@touch $(STAMP)

# Release the course, make four sample learners and grade them in parallel.
demo: $(STAMP)
	@bash scripts/ci-setup.sh grading
	$(PY) -m autograder demo

# tests/system/test_book.py builds the book too (two to four minutes cold, seconds when cached).
# Two pytest processes at once: the kernel and system tests in one, the rest in the other
# (scripts/run_tests.py says why).
test: system $(STAMP) $(HUB_PROXY) $(MATHJAX)
	$(PY) scripts/run_tests.py

# The fast tier, for a developer's loop: no kernels, servers, browsers or book build, on one
# process per core, up to 8 (pytest-xdist; each process imports TensorFlow).
test-fast: $(STAMP)
	$(PY) -m pytest -n auto --maxprocesses 8 -m "not kernel and not system"

# The Debian packages the tests need (PostgreSQL, bubblewrap, Chromium, npm, ...), when missing.
system:
	@bash scripts/ci-setup.sh

# JupyterLab on the course with nbgrader's extensions, on 127.0.0.1; prints the URL.
lab: $(STAMP)
	$(PY) scripts/lab.py

# JupyterHub's proxy, configurable-http-proxy, from the npm registry into deploy/jupyterhub/
# (tests/system/test_jupyterhub.py runs it); again only when package.json changes.
$(HUB_PROXY): deploy/jupyterhub/package.json | system
	npm install --prefix deploy/jupyterhub --no-audit --no-fund --no-package-lock --silent
	@touch $(HUB_PROXY)

hub-proxy: $(HUB_PROXY)

# The book's MathJax, from the npm registry into docs/ (copied into the site, never a CDN).
$(MATHJAX): docs/package.json | system
	npm install --prefix docs --no-audit --no-fund --no-package-lock --silent
	@touch $(MATHJAX)

# The reading edition: the course run, the notes, the reference, as a static site in
# build/book/html; prints where it is. Notebooks re-run only when their code or
# autograder/learner changes.
book: $(STAMP) $(MATHJAX)
	$(PY) docs/build.py

# The book's tests alone: builds it (cached) and checks links, figures, MathJax, search.
book-check: $(STAMP) $(MATHJAX)
	$(PY) -m pytest -q tests/system/test_book.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench: $(STAMP)
	$(PY) benchmarks/bench_np.py

TF_TESTS := tests/rnnref/test_tf_parity.py tests/rnnref/test_tf_graph.py tests/rnnref/test_errors.py

# rnnref.tf against Keras and TF1 on the CPU: default threads, then one thread.
bench-tf: $(STAMP)
	$(PY) benchmarks/bench_tf.py
	$(PY) benchmarks/bench_tf.py --threads 1

# The TF parity tests and the TF benchmark on the first GPU (CUDA_VISIBLE_DEVICES=0 unless
# set). With no GPU visible to TensorFlow it says so, runs the tests on the CPU, skips the
# GPU benchmark (the CPU one is `make bench-tf`), and exits with the tests' status.
gpu-check: $(STAMP)
	@export CUDA_VISIBLE_DEVICES=$${CUDA_VISIBLE_DEVICES-0} TF_CPP_MIN_LOG_LEVEL=3; \
	if $(PY) -c "import sys, tensorflow as tf; g = tf.config.list_physical_devices('GPU'); \
	    print('gpu-check: TensorFlow sees', g[0].name if g else 'NO GPU'); sys.exit(not g)"; then \
	  $(PY) -m pytest -q $(TF_TESTS) && $(PY) benchmarks/bench_tf.py; \
	else \
	  echo "gpu-check: NO GPU is visible to TensorFlow: running the TF tests on the CPU only,"; \
	  echo "gpu-check: without the GPU benchmark. Nothing here has run on a GPU."; \
	  $(PY) -m pytest -q $(TF_TESTS); \
	fi

# The program messages' catalogs: extract every marked message again (babel.cfg,
# autograder/learner/babel.cfg) and merge them into the Chinese catalogs, new ones untranslated.
# tests/autograder/test_i18n.py fails while a catalog lacks a message or a translation.
messages: $(STAMP)
	@mkdir -p build
	$(VENV)/bin/pybabel extract -F babel.cfg --no-location --sort-output \
		-o build/autograder.pot autograder
	$(VENV)/bin/pybabel update -i build/autograder.pot -d autograder/locale -D autograder \
		-l zh --ignore-obsolete --no-fuzzy-matching --init-missing
	$(VENV)/bin/pybabel extract -F autograder/learner/babel.cfg --no-location --sort-output \
		-o build/learner.pot autograder/learner
	$(VENV)/bin/pybabel update -i build/learner.pot -d autograder/learner/locale -D learner \
		-l zh --ignore-obsolete --no-fuzzy-matching --init-missing
