"""Diagnostic: the engine core's CPU per call at light load, offline, one process.

usage: python light_cpu.py MODEL_DIR SCHED [PROGRAMS] [CONC] [OUT]   (SCHED: stock | fcfs | default)

`react`-like programs (the 2026-12-04 (f) `react` TaL trace's shape at --tokens-scale 0.25:
3 calls each, a fresh prompt of ~184 tokens per call on top of the previous call's prompt and
output, 8 output tokens, ignore_eos, explicit program ids for ours), CONC programs at a time
(default 2: batches of 1-2 calls, no queue), max_num_seqs 8. Prints wall and process CPU time
per call, engine steps, and the CPU time inside the scheduler's add_request / schedule /
update_from_output (wrapped on the instance; diagnostic only)."""
import json
import os
import random
import sys
import time

os.environ["VLLM_ENABLE_V1_MULTIPROCESSING"] = "0"
os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "2")
from vllm import LLM, SamplingParams  # noqa: E402
from vllm.inputs import TokensPrompt  # noqa: E402

model, sched = sys.argv[1], sys.argv[2]
nosnap = sched.endswith("-nosnap")  # ablation: the metrics snapshot never written
sched = sched.removesuffix("-nosnap")
programs = int(sys.argv[3]) if len(sys.argv) > 3 else 120
conc = int(sys.argv[4]) if len(sys.argv) > 4 else 2
kw = dict(model=model, dtype="float32", enforce_eager=True, max_model_len=4096, max_num_seqs=8,
          seed=0)
if sched != "stock":
    kw["scheduler_cls"] = "vllm_nexus.Scheduler"
    kw["additional_config"] = {"vllm_nexus": {"scheduler": {"policy": "fcfs"}} if sched == "fcfs" else {}}
llm = LLM(**kw)
s = llm.llm_engine.engine_core.engine_core.scheduler
if nosnap:
    s._snapshots.path = None
acc = {"add": 0.0, "schedule": 0.0, "update": 0.0, "steps": 0}


def timed(name, fn, count=False):
    def wrapper(*a, **k):
        t = time.process_time()
        r = fn(*a, **k)
        acc[name] += time.process_time() - t
        if count:
            acc["steps"] += 1
        return r
    return wrapper


s.add_request = timed("add", s.add_request)
s.schedule = timed("schedule", s.schedule, count=True)
s.update_from_output = timed("update", s.update_from_output)
rng = random.Random(7)


def run(n_programs, tag):
    """n_programs programs, conc at a time; each wave runs call k of its programs together."""
    calls = 0
    for start in range(0, n_programs, conc):
        ids = [f"{tag}-p{start + i}" for i in range(min(conc, n_programs - start))]
        ctx = {p: [] for p in ids}
        for _ in range(3):
            ps, sp = [], []
            for p in ids:
                ctx[p] = ctx[p] + [rng.randrange(10, 4000) for _ in range(rng.randint(120, 250))]
                ps.append(TokensPrompt(prompt_token_ids=list(ctx[p])))
                sp.append(SamplingParams(max_tokens=8, ignore_eos=True, temperature=0.0,
                                         extra_args={"program_id": p}))
            outs = llm.generate(ps, sp, use_tqdm=False)
            for p, o in zip(ids, outs, strict=True):
                ctx[p] = ctx[p] + list(o.outputs[0].token_ids)
            calls += len(ids)
    return calls


run(6, "warm")
acc.update(add=0.0, schedule=0.0, update=0.0, steps=0)
prof = None
if os.environ.get("PROFILE"):  # cProfile of the timed part: where the scheduler's time goes
    import cProfile

    prof = cProfile.Profile()
    prof.enable()
w0, c0 = time.perf_counter(), time.process_time()
n_calls = run(programs, "run")
wall, cpu = time.perf_counter() - w0, time.process_time() - c0
if prof is not None:
    import pstats

    prof.disable()
    st = pstats.Stats(prof, stream=sys.stderr).sort_stats("tottime")
    st.print_stats("vllm_nexus|v1/core/sched|kv_cache_manager|block_pool", 45)
per = lambda x: round(1000 * x / n_calls, 3)  # noqa: E731
res = dict(sched=sched + ("-nosnap" if nosnap else ""), programs=programs, conc=conc, calls=n_calls, steps=acc["steps"],
           wall_ms_per_call=per(wall), cpu_ms_per_call=per(cpu),
           add_ms_per_call=per(acc["add"]), schedule_ms_per_call=per(acc["schedule"]),
           update_ms_per_call=per(acc["update"]),
           sched_ms_per_step=round(1000 * (acc["add"] + acc["schedule"] + acc["update"]) / acc["steps"], 3))
print(json.dumps(res))
if len(sys.argv) > 5:
    with open(sys.argv[5], "a") as f:
        f.write(json.dumps(res) + "\n")
