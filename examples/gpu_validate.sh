#!/usr/bin/env bash
# One-shot validation of the vllm-nexus prefill/decode split on ONE CUDA GPU (H100/H200), no
# network, at most 10 minutes. Never run on a GPU by the authors (none was available).
#
#   examples/gpu_validate.sh --out DIR            # on the GPU host, after `make install`
#   examples/gpu_validate.sh --out DIR --dry-run  # anywhere: same report, CUDA steps skipped
#
# Steps (ids in DIR/report.json): env, partitions, sm_disjoint, overlap, equivalence, graphs,
# profile, kv_offload (preempted calls load KV from the host tier instead of recomputing) —
# each in its own process under its own timeout, continuing past failures. Results:
# DIR/report.json, DIR/report.md, DIR/logs/<step>.log, DIR/profile.json. The logic lives in
# vllm_nexus/validation/cli.py (`vllm-nexus validate-gpu --help`); this script only wraps it.
# Exit status 1 if a step failed, errored or timed out.
set -uo pipefail
PY=${PY:-python}  # default: the repository's .venv if there is one (make install)
if [ "$PY" = python ] && [ -x .venv/bin/python ]; then PY=.venv/bin/python; fi
# Hard stop slightly above the 600 s budget the Python side enforces per step.
exec timeout --kill-after=15 630 "$PY" -m vllm_nexus.validation.cli "$@"
