"""``make bench`` (examples/bench_sweep.py) without engines: reports, docs, safe resume."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from example_loader import load_example

from vllm_nexus.bench import report
from vllm_nexus.bench.metrics import CallRecord, ProgramRecord


@pytest.fixture(scope="module")
def sweep():
    return load_example("bench_sweep.py")


def fake_sweep(sweep, out: Path, argv: list[str]) -> None:
    """A finished sweep directory: one run per scheduler x rate, stock slower than atlas."""
    args = sweep.parse_args(argv)
    for sched, slow in (("stock", 2.0), ("atlas", 1.0)):
        for rate in (1.0, 2.0):
            end = slow * rate  # latency grows with rate
            rec = ProgramRecord(
                "p", "chat", 0.0, [CallRecord("c0", [], 5, 10, 0, 0, 0.1, end, 5, 10)]
            )
            server = {"requests": 1.0, "mean_queue_s": 0.1, "mean_prefill_s": 0.02,
                      "mean_decode_s": 0.2, "preemptions": 0.0 if sched == "stock" else 2.0,
                      "engine_steps": 10.0, "tokens_per_step": 5.0}  # fmt: skip
            if sched == "atlas":
                server["vllm_nexus_preempted_tokens_total"] = 20.0
                server["vllm_nexus_recomputed_tokens_total"] = 5.0
            res = report.make_result(
                sched, {}, [report.run_entry(rate, [rec], 1.0, server=server)], env={}
            )
            report.save_result(
                res, out / "raw" / "mixed" / sched / f"rate{rate:g}-rep0" / "result.json"
            )
    meta = {"args": vars(args), "model": args.model, "commands": ["vllm serve MODEL --x"],
            "started": "2026-01-01 00:00:00 UTC"}  # fmt: skip
    (out / "sweep.json").write_text(json.dumps(meta))


ARGV = ["--workloads", "mixed", "--rates", "1,2", "--reps", "1", "--schedulers", "stock,atlas",
        "--model", "/nonexistent/model"]  # fmt: skip


def test_report_only_writes_docs_and_keeps_the_analysis(sweep, tmp_path, capsys):
    out = tmp_path / "sweep"
    fake_sweep(sweep, out, ARGV)
    docs = tmp_path / "docs" / "benchmarks.md"
    docs.parent.mkdir()
    docs.write_text(f"old\n{sweep.NOTES_BEGIN}\nhand-written analysis\n{sweep.NOTES_END}\nold\n")
    assert sweep.main(["--report-only", str(out), "--docs", str(docs)]) == 0
    text = docs.read_text()
    assert "hand-written analysis" in text and "\nold\n" not in text
    assert "## mixed" in text and report.BREAKDOWN_HEADING in text
    assert "| atlas | 1 |" in text and "| 20 / 5 | 9.1 |" in text  # 5 recomputed of 50 + 5 computed
    assert "vllm serve MODEL --x" in text
    assert (docs.parent / "figures" / "benchmarks" / "mixed-latency_vs_rate.png").exists()
    assert json.loads((out / "mixed" / "atlas.json").read_text())["label"] == "atlas"
    assert "2.00x" in capsys.readouterr().out  # atlas twice as fast at every rate


def test_resume_refuses_settings_that_change_the_data(sweep, tmp_path):
    out = tmp_path / "sweep"
    fake_sweep(sweep, out, ARGV)
    with pytest.raises(SystemExit, match="--programs the per-workload default.*asks for 50"):
        sweep.main([*ARGV, "--out", str(out), "--programs", "50", "--docs", ""])
    assert not (out / "traces").exists()  # nothing touched


def test_resume_starts_no_server_when_every_run_exists(sweep, tmp_path, monkeypatch):
    import vllm_nexus.serving.launcher

    def no_server(*a, **k):
        raise AssertionError("a server was started for runs that already exist")

    monkeypatch.setattr(vllm_nexus.serving.launcher, "VllmServer", no_server)
    out = tmp_path / "sweep"
    fake_sweep(sweep, out, ARGV)
    assert sweep.main([*ARGV, "--out", str(out), "--docs", ""]) == 0
    meta = json.loads((out / "sweep.json").read_text())
    assert meta["started"] == "2026-01-01 00:00:00 UTC" and len(meta["resumed"]) == 1
    assert meta["commands"] == ["vllm serve MODEL --x"] and "finished" in meta
    assert (out / "traces" / "mixed.jsonl").exists()


def test_each_workload_gets_its_own_rates_unless_overridden(sweep):
    plan = sweep.workload_plan(sweep.parse_args([]), ["mixed", "lats", "react"])
    assert plan["lats"] == {"rates": [1.0, 4.0, 8.0], "programs": 40}
    assert (
        plan["react"] == {"rates": [8.0, 16.0, 32.0], "programs": 300}
        and plan["mixed"]["programs"] == 100
    )
    args = sweep.parse_args(["--rates", "2,3", "--programs", "7"])
    assert sweep.workload_plan(args, ["lats"]) == {"lats": {"rates": [2.0, 3.0], "programs": 7}}
    with pytest.raises(SystemExit, match="'mine' has no default rates"):
        sweep.workload_plan(sweep.parse_args([]), ["mine"])


def test_docs_name_each_workloads_rates_and_programs(sweep, tmp_path):
    out = tmp_path / "sweep"
    fake_sweep(sweep, out, ARGV)
    meta = json.loads((out / "sweep.json").read_text())
    meta["plan"] = {"mixed": {"rates": [1.0, 2.0], "programs": 100}}
    (out / "sweep.json").write_text(json.dumps(meta))
    docs = tmp_path / "benchmarks.md"
    assert sweep.main(["--report-only", str(out), "--docs", str(docs)]) == 0
    text = docs.read_text()
    assert "100 programs per trace; rates 1, 2 programs/s." in text
    assert "--workloads mixed --rates 1,2 --reps 1" in text and "--programs" not in text


def test_every_replay_sends_the_whole_trace(sweep, tmp_path, monkeypatch):
    """`bench --trace` replays only the first --programs (default 100) programs of a trace."""
    import vllm_nexus.serving.launcher
    from vllm_nexus import cli

    class FakeServer:
        base_url, model = "http://127.0.0.1:1/v1", "m"

        def __init__(self, *a, **k):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    replays = []

    def fake_main(argv):
        if argv[0] == "bench" and "--trace" in argv:
            replays.append(argv)
            return 0
        return real_main(argv)

    real_main = cli.main
    monkeypatch.setattr(vllm_nexus.serving.launcher, "VllmServer", FakeServer)
    monkeypatch.setattr(cli, "main", fake_main)
    argv = ["--workloads", "react", "--reps", "1", "--schedulers", "stock",
            "--model", "/nonexistent/model", "--out", str(tmp_path / "s"), "--docs", ""]  # fmt: skip
    sweep.main(argv)
    assert len(replays) == 3  # react's three default rates
    for r in replays:
        assert r[r.index("--programs") + 1] == "300"
    assert sum(1 for _ in (tmp_path / "s" / "traces" / "react.jsonl").open()) == 300


def test_noids_variants_send_no_ids_and_set_their_options(sweep, tmp_path):
    """``plas-noids-preempt``: the bench strips ids, the server keeps an audit log and lets
    unproven programs preempt (the A/B of ``unproven_preemption``); ``plas`` is untouched."""
    audit = tmp_path / "audit.jsonl"
    for sched, option in (("plas-noids", None), ("plas-noids-preempt", True), ("plas", None)):
        argv = sweep.scheduler_args(sched, audit)
        cfg = json.loads(argv[argv.index("--additional-config") + 1])["vllm_nexus"]["scheduler"]
        assert cfg["policy"] == "plas" and cfg.get("unproven_preemption") is option
        assert ("program_inference_log" in cfg) is (sched != "plas")
        assert sweep.sends_no_ids(sched) is (sched != "plas")


def test_nopreempt_variant_turns_proactive_preemption_off_and_keeps_ids(sweep, tmp_path):
    argv = sweep.scheduler_args("plas-nopreempt", tmp_path / "audit.jsonl")
    cfg = json.loads(argv[argv.index("--additional-config") + 1])["vllm_nexus"]["scheduler"]
    assert cfg == {"policy": "plas", "preemption": False}
    assert not sweep.sends_no_ids("plas-nopreempt")


def test_servers_start_together_and_every_failure_is_returned(sweep) -> None:
    import threading

    started, barrier = [], threading.Barrier(3, timeout=10)

    class Fake:
        def __init__(self, fail: bool) -> None:
            self.fail = fail

        def start(self) -> None:
            barrier.wait()  # all three are inside start() at once, or this times out
            started.append(self)
            if self.fail:
                raise RuntimeError("engine died")

    servers = [Fake(False), Fake(True), Fake(False)]
    errors = sweep.start_servers(servers)
    assert len(started) == 3
    assert [str(e) for e in errors] == ["engine died"]
