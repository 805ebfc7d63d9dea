"""``vllm-nexus validate-gpu --out DIR``: what works on this GPU, in one command, < 10 minutes.

Written for the first time this code meets a GPU (one H100/H200, possibly for minutes, no
network). Eight steps, in this order, each in its own child process under its own timeout,
continuing past failures; the whole run stays within ``--budget-s`` (600 s): a step gets
``min(its timeout, what is left)`` and is skipped when too little is left. Results go to
``DIR/report.json`` (schema :data:`SCHEMA`) and ``DIR/report.md``; each step's full output to
``DIR/logs/<id>.log``.

- ``env``: driver, CUDA, torch, vLLM, cuda-bindings, Triton versions and the backend probe;
- ``partitions``: the partition grid built through the driver backend, each green context's SM
  count against the request, GPU memory before and after;
- ``sm_disjoint``: a Triton kernel recording ``%smid`` launched on the prefill and decode
  streams at once, for three splits: disjoint SM sets of the requested sizes;
- ``overlap``: a long kernel alone vs both partitions busy (compute- and memory-bound): both
  progress together; the slowdown;
- ``equivalence``: stock vs ``split=sequential`` vs ``split=concurrent`` on the offline tiny
  model, float32, eager, identical engine arguments, greedy (:mod:`vllm_nexus.validation.engine`);
- ``graphs``: ``split=sequential`` without ``--enforce-eager``: does it run, and do CUDA-graph
  kernels stay in the partition they are replayed on;
- ``profile``: ``vllm-nexus profile`` on the tiny model, one repeat: latency vs SM count;
- ``kv_offload``: a KV-bound run with and without the host KV tier (``vllm_nexus.kv_offload``,
  vLLM's ``OffloadingConnector``): preempted calls load their KV instead of recomputing it
  (:mod:`vllm_nexus.validation.offload`).

``--dry-run`` (or a host without CUDA) writes the same report with every CUDA step skipped;
``env`` always runs. Step statuses: pass, fail, error (the step crashed), timeout, skipped.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

SCHEMA = "vllm-nexus/gpu-validate/1"
STEP_IDS = (
    "env", "partitions", "sm_disjoint", "overlap", "equivalence", "graphs", "profile", "kv_offload",
)  # fmt: skip
STEP_TIMEOUT_S = {
    "env": 30,
    "partitions": 60,
    "sm_disjoint": 60,
    "overlap": 60,
    "equivalence": 180,
    "graphs": 105,
    "profile": 90,
    "kv_offload": 120,
}
CUDA_STEPS = frozenset(STEP_IDS) - {"env"}
STATUSES = ("pass", "fail", "error", "timeout", "skipped")
BUDGET_S = 600.0
RESERVE_S = 10.0  # kept for writing the report
MIN_STEP_S = 10.0
EXCERPT_LINES = 40


def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def _excerpt(log: Path) -> str:
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(lines[-EXCERPT_LINES:])[-4000:]


def _entry(step: str, status: str, summary: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": step,
        "status": status,
        "summary": summary,
        "figures": extra.pop("figures", {}),
        "duration_s": extra.pop("duration_s", 0.0),
        "timeout_s": extra.pop("timeout_s", STEP_TIMEOUT_S[step]),
        "log": extra.pop("log", None),
        "log_excerpt": extra.pop("log_excerpt", ""),
    }


def run_step_child(step: str, out: Path, timeout_s: float) -> dict[str, Any]:
    """Run one step in a child process (own process group) and collect its result."""
    log = out / "logs" / f"{step}.log"
    res_file = out / "steps" / f"{step}.json"
    res_file.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "vllm_nexus.validation.cli", "--run-step", step,
           "--out", str(out), "--deadline-s", str(timeout_s)]  # fmt: skip
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    t0 = time.monotonic()
    with log.open("w") as f:
        proc = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)  # fmt: skip
        try:
            rc = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            rc = None
    took = time.monotonic() - t0
    common = dict(duration_s=round(took, 1), timeout_s=round(timeout_s, 1), log=str(log),
                  log_excerpt=_excerpt(log))  # fmt: skip
    if rc is None:
        return _entry(step, "timeout", f"killed after {timeout_s:.0f} s", **common)
    if res_file.exists():
        r = json.loads(res_file.read_text())
        return _entry(step, r["status"], r["summary"], figures=r.get("figures", {}), **common)
    return _entry(step, "error", f"the step exited with status {rc} and no result", **common)


def run_step_inline(step: str, out: Path, deadline_s: float) -> tuple[str, str, dict[str, Any]]:
    """The body of one step (in the child process)."""
    deadline = time.monotonic() + deadline_s - 3.0
    work = out / "work"
    work.mkdir(parents=True, exist_ok=True)
    if step == "env":
        from vllm_nexus.validation.device import step_env

        return step_env()
    if not _cuda_available():
        return "skipped", "no CUDA device", {}
    from vllm_nexus.validation import device as g
    from vllm_nexus.validation import engine as eng

    if step == "partitions":
        return g.step_partitions()
    if step == "sm_disjoint":
        return g.step_sm_disjoint()
    if step == "overlap":
        return g.step_overlap()
    from vllm_nexus.serving.tiny_model import build_tiny_model

    model = str(build_tiny_model(work / "tiny-model"))
    if step == "equivalence":
        return eng.step_equivalence(work, model, deadline, sys.stdout)
    if step == "graphs":
        return eng.step_graphs(work, model, deadline, sys.stdout)
    if step == "profile":
        os.environ.update(eng.CHILD_ENV)  # in-process engine, V1 runner, offline
        return eng.step_profile(work, model, out)
    if step == "kv_offload":
        from vllm_nexus.validation.offload import step_kv_offload

        return step_kv_offload(work, model, deadline, sys.stdout)
    raise ValueError(f"unknown step {step!r}")


def validate(out: Path, dry_run: bool, steps: tuple[str, ...] = STEP_IDS,
             budget_s: float = BUDGET_S) -> dict[str, Any]:  # fmt: skip
    """Run the steps (children), write report.json and report.md, return the report."""
    for d in ("logs", "steps", "work"):
        (out / d).mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    cuda = _cuda_available()
    entries = []
    for step in STEP_IDS:
        if step not in steps:
            entries.append(_entry(step, "skipped", "not selected (--steps)"))
            continue
        if step in CUDA_STEPS and (dry_run or not cuda):
            why = "dry run" if dry_run else "no CUDA device on this host"
            entries.append(_entry(step, "skipped", why))
            continue
        left = budget_s - RESERVE_S - (time.monotonic() - start)
        timeout = min(STEP_TIMEOUT_S[step], left)
        if timeout < MIN_STEP_S:
            entries.append(_entry(step, "skipped", f"the {budget_s:.0f} s budget is used up"))
            continue
        print(f"== {step} (timeout {timeout:.0f} s)", flush=True)
        e = run_step_child(step, out, timeout)
        print(f"   {e['status']}: {e['summary']}", flush=True)
        entries.append(e)
    report = {
        "schema": SCHEMA,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "dry_run": dry_run,
        "cuda": cuda,
        "budget_s": budget_s,
        "total_s": round(time.monotonic() - start, 1),
        "steps": entries,
    }
    (out / "report.json").write_text(json.dumps(report, indent=1) + "\n")
    (out / "report.md").write_text(render_md(report))
    return report


def render_md(report: dict[str, Any]) -> str:
    lines = [
        "# vllm-nexus GPU validation",
        "",
        f"created {report['created']}, dry run: {report['dry_run']}, CUDA: {report['cuda']}, "
        f"total {report['total_s']} s of {report['budget_s']:.0f} s",
        "",
        "| step | status | time s | summary |",
        "|---|---|---|---|",
    ]
    for e in report["steps"]:
        summary = e["summary"].replace("|", "/")
        lines.append(f"| {e['id']} | {e['status']} | {e['duration_s']} | {summary} |")
    for e in report["steps"]:
        lines += ["", f"## {e['id']}: {e['status']}", "", e["summary"]]
        if e["figures"]:
            lines += ["", "```json", json.dumps(e["figures"], indent=1), "```"]
        if e["log_excerpt"]:
            lines += ["", f"Log excerpt ({e['log']}):", "", "```", e["log_excerpt"], "```"]
    return "\n".join(lines) + "\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--dry-run", action="store_true", help="skip every CUDA step")
    parser.add_argument(
        "--steps", default=",".join(STEP_IDS), help=f"comma list out of {','.join(STEP_IDS)}"
    )
    parser.add_argument("--budget-s", type=float, default=BUDGET_S, help="whole-run budget")
    parser.add_argument("--run-step", choices=STEP_IDS, help=argparse.SUPPRESS)
    parser.add_argument("--deadline-s", type=float, default=0.0, help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    out = args.out.resolve()
    if args.run_step:  # child process: run one step, write its result
        try:
            status, summary, figures = run_step_inline(args.run_step, out, args.deadline_s)
        except Exception as e:  # noqa: BLE001 - the report carries the failure
            traceback.print_exc()
            status, summary, figures = "error", f"{e.__class__.__name__}: {e}", {}
        res = {"status": status, "summary": summary, "figures": figures}
        (out / "steps" / f"{args.run_step}.json").write_text(json.dumps(res, indent=1, default=str))
        return 0
    steps = tuple(s for s in args.steps.split(",") if s)
    unknown = [s for s in steps if s not in STEP_IDS]
    if unknown:
        print(f"unknown step(s) {unknown}: choose from {list(STEP_IDS)}", file=sys.stderr)
        return 2
    report = validate(out, args.dry_run, steps, args.budget_s)
    print(f"wrote {out / 'report.json'} and {out / 'report.md'} ({report['total_s']} s)")
    bad = [e["id"] for e in report["steps"] if e["status"] in ("fail", "error", "timeout")]
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="vllm-nexus validate-gpu", description=__doc__.splitlines()[0]
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
