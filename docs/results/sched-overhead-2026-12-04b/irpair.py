# ruff: noqa  (a throw-away measurement script, kept as run)
"""Instructions (callgrind) of ONE side's timed schedule() + update_from_output() while both
schedulers step alternately in one process (ABBA), exactly as examples/sched_overhead.py
runs them: unlike irprobe.py (one side per process), this sees what the two sides do to each
other (shared interpreter state: the adaptive interpreter's inline caches in vLLM's code,
run with two scheduler types; caches). --collect stock|ours picks the side whose calls are
counted; ours gets irprobe.py's virtual clock (3 ms per step). Run as
  PYTHONHASHSEED=0 valgrind --tool=callgrind --instr-atstart=no --collect-atstart=no \
     --callgrind-out-file=OUT python irpair.py --collect ours"""
import argparse, ctypes, json, os, sys
TREE = os.environ.get("TREE", ".")
sys.path.insert(0, os.path.join(TREE, "examples"))
import sched_overhead as so
import logging; logging.getLogger("vllm").setLevel(logging.WARNING)
ap = argparse.ArgumentParser(); ap.add_argument("--running", type=int, default=64)
ap.add_argument("--waiting", type=int, default=256); ap.add_argument("--steps", type=int, default=200)
ap.add_argument("--collect", choices=("stock", "ours"), required=True)
ap.add_argument("--pair", choices=("ours", "stock"), default="ours",
                help="stock: the second scheduler is a second stock one (A/A control)")
ap.add_argument("--lib", default="/tmp/ovh16/cg/libcgt.so")
a = ap.parse_args()
cg = ctypes.CDLL(a.lib); toggle = cg.cg_toggle
args = argparse.Namespace(running=a.running, waiting=a.waiting, programs=100000, policy="plas",
    prompt_len=64, max_tokens=256, max_num_batched_tokens=8192, nexus={}, stock_policy="fcfs")
model = so.model_dir()
st = so.Driver("stock", so.build(None, args, model), so.Stream(args, 0), a.waiting)
second = "vllm_nexus.Scheduler" if a.pair == "ours" else None
ou = so.Driver("ours", so.build(second, args, model), so.Stream(args, 0), a.waiting)
vt = [1000.0]
if a.pair == "ours":
    ou.sched.clock = lambda: vt[0]
    so.prefill_programs(ou.sched, 100000, 0)
def step(d, on):
    if d is ou:
        vt[0] += 0.003
    d.top_up(); s = d.sched
    if on: toggle()
    out = s.schedule()
    if on: toggle()
    mro = so.fake_output(s, out)
    if on: toggle()
    s.update_from_output(out, mro)
    if on: toggle()
for _ in range(60):
    step(st, False); step(ou, False)
cg.cg_start()
for i in range(a.steps):
    pair = (st, ou) if i % 2 == 0 else (ou, st)
    for d in pair:
        step(d, d.name == a.collect)
cg.cg_dump(a.collect.encode())
print(f"side {a.collect} pair {a.pair} steps {a.steps}")
