"""Diagnostic: engine-core CPU per step with a long waiting queue, offline, one process.

usage: python engine_cpu.py MODEL_DIR SCHED [N] [OUT]   (SCHED: stock | fcfs | default)
Submits N requests at once (prompts 64-512 random token ids, 32 output tokens, ignore_eos;
program ids: 6 calls per program for ours), max_num_seqs 8, and prints wall time, process CPU
time, engine steps, and the CPU time inside the scheduler's schedule()/update_from_output()
(timed by wrapping the two bound methods on the instance; diagnostic only)."""
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
n = int(sys.argv[3]) if len(sys.argv) > 3 else 400
kw = dict(model=model, dtype="float32", enforce_eager=True, max_model_len=4096, max_num_seqs=8,
          seed=0)
if sched != "stock":
    kw["scheduler_cls"] = "vllm_nexus.Scheduler"
    kw["additional_config"] = {"vllm_nexus": {"scheduler": {"policy": "fcfs"}} if sched == "fcfs" else {}}
llm = LLM(**kw)
core = llm.llm_engine.engine_core.engine_core
s = core.scheduler
acc = {"schedule": 0.0, "update": 0.0, "steps": 0}
orig_s, orig_u = s.schedule, s.update_from_output


def sch(*a, **k):
    t = time.process_time()
    r = orig_s(*a, **k)
    acc["schedule"] += time.process_time() - t
    acc["steps"] += 1
    return r


def upd(*a, **k):
    t = time.process_time()
    r = orig_u(*a, **k)
    acc["update"] += time.process_time() - t
    return r


s.schedule, s.update_from_output = sch, upd
rng = random.Random(7)
def batch(k, tag):
    ps, sp = [], []
    for i in range(k):
        ps.append(TokensPrompt(prompt_token_ids=[rng.randrange(10, 4000) for _ in range(rng.randint(64, 512))]))
        sp.append(SamplingParams(max_tokens=32, ignore_eos=True, temperature=0.0,
                                 extra_args={"program_id": f"{tag}-p{i // 6}"}))
    return ps, sp
llm.generate(*batch(16, "warm"), use_tqdm=False)
acc.update(schedule=0.0, update=0.0, steps=0)
ps, sp = batch(n, "run")
w0, c0 = time.perf_counter(), time.process_time()
outs = llm.generate(ps, sp, use_tqdm=False)
wall, cpu = time.perf_counter() - w0, time.process_time() - c0
res = dict(sched=sched, n=n, wall_s=round(wall, 3), cpu_s=round(cpu, 3), steps=acc["steps"],
           cpu_ms_per_step=round(1000 * cpu / acc["steps"], 3),
           sched_ms_per_step=round(1000 * (acc["schedule"] + acc["update"]) / acc["steps"], 3),
           schedule_ms=round(1000 * acc["schedule"] / acc["steps"], 3),
           update_ms=round(1000 * acc["update"] / acc["steps"], 3),
           out_tokens=sum(len(o.outputs[0].token_ids) for o in outs))
print(json.dumps(res))
if len(sys.argv) > 4:
    with open(sys.argv[4], "a") as f:
        f.write(json.dumps(res) + "\n")
