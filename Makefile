VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
# glibc's dynamic mmap threshold makes PyTorch page-fault heavily; fixed thresholds avoid it.
export MALLOC_MMAP_THRESHOLD_ := 1000000000
export MALLOC_TRIM_THRESHOLD_ := 100000000000

.PHONY: demo test readme lint docs install install-dev

$(VENV)/bin/activate:
	python3 -m venv $(VENV)

# --no-compile: byte-compiling every installed module (most of them torch's) took about 40 s of the
# demo's install on two cores; Python compiles the modules it imports on first use instead.
install: $(VENV)/bin/activate
	$(PIP) install -q --no-compile -e .

install-dev: $(VENV)/bin/activate
	$(PIP) install -q -e '.[dev,label,labeltools,serve,browser,fast,tune]'

demo: install
	$(VENV)/bin/aoikit demo

test: install-dev
	$(VENV)/bin/pytest -q

# The README's train → evaluate → predict → serve → watch block, run as written where ../shared/data has screw.
readme: install-dev
	$(VENV)/bin/pytest -q -m readme

lint: install-dev
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/mypy

docs: install
	$(PY) -m aoikit.options > docs/options.md
