# The two commands of the README: `make run` (demo) and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORES ?= 2

.PHONY: run test venv bench bench-real bench-trees bench-mtlgrn gpu-check test-slurm test-faults lint clean

venv: $(STAMP)

# torch==2.13.0 is pinned in pyproject.toml; pip takes the CPU wheel when one is available
# locally (PIP_FIND_LINKS) and otherwise from PyPI.
# GPU=1 (`make venv GPU=1`): CUDA builds of both frameworks, the `gpu` extra of pyproject.toml.
# tensorflow-cpu and tensorflow ship the same files, so tensorflow-cpu is removed afterwards
# and tensorflow reinstalled over the gap; check with `make gpu-check`.
GPU ?= 0
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
ifeq ($(GPU),1)
	$(BIN)/python -m pip install --quiet -e '.[test,gpu]'
	$(BIN)/python -m pip uninstall --quiet --yes tensorflow-cpu
	$(BIN)/python -m pip install --quiet --force-reinstall --no-deps tensorflow==2.21.0
endif
	touch $(STAMP)

run: venv
	$(BIN)/snakemake --workflow-profile profiles/default --cores $(CORES)

test: venv
	$(BIN)/python -m pytest -q

# The tiny demo through profiles/slurm on a running Slurm (CI: `.ci/slurm-up` first, as root).
test-slurm: venv
	GRNFLOW_TEST_SLURM=1 $(BIN)/python -m pytest -q -s tests/slurm

bench: venv
	$(BIN)/python bench/bench_promoters.py && $(BIN)/python bench/bench_pairs.py
	$(BIN)/python bench/bench_gener.py && $(BIN)/python bench/bench_gener.py --batch-size 256 --steps 150
	$(BIN)/python bench/bench_synthetic.py
	$(BIN)/python bench/bench_infer.py

# E. coli PRECISE-278, every method x split x 3 seeds, from the offline mirror (up to an hour).
DATA ?= ../shared/data
bench-real: venv
	$(BIN)/python bench/real.py --data $(DATA)

# Tree importances on E. coli: extra trees (reference, cached) vs boosting (issue 17 target).
bench-trees: venv
	$(BIN)/python bench/bench_trees.py --data $(DATA)

# MTLGRN epoch time, peak RSS and an epoch's profile at E. coli and yeast scale (issue 17).
bench-mtlgrn: venv
	$(BIN)/python bench/bench_mtlgrn.py --data $(DATA)

# Both trainers on CUDA and on the CPU for a few epochs (< 5 minutes; says "no GPU" without one).
gpu-check: venv
	$(BIN)/python bench/gpu_check.py

lint: venv
	$(BIN)/snakemake --lint
	$(BIN)/snakefmt --check Snakefile workflow/rules

clean:
	rm -rf results logs .snakemake
