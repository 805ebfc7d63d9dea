# ruff: noqa  (a throw-away measurement script, kept as run)
"""Instructions (valgrind callgrind Ir) of one side's timed schedule() + update_from_output()
on examples/sched_overhead.py's stream (100k programs): deterministic, unlike CPU time on this
shared box. Run as
  PYTHONHASHSEED=0 valgrind --tool=callgrind --instr-atstart=no --collect-atstart=no \
     --callgrind-out-file=OUT python irprobe.py --side ours|stock [--split]
irsteps variant: stats dumped after every counted step (callgrind DUMP_STATS_AT "i kind"),
kind = quiet (no admission, finish or preemption) or event. Collection is toggled on around the two timed calls only (libcgt.so: callgrind client
requests via ctypes). --split (ours): collected only inside ours' own code (vLLM's methods
that ours calls are toggled off; ours' hooks that vLLM calls back on), i.e. ours' own Ir."""
import argparse, ctypes, json, os, sys
TREE = os.environ.get("TREE", ".")
sys.path.insert(0, os.path.join(TREE, "examples"))
import sched_overhead as so
import logging; logging.getLogger("vllm").setLevel(logging.WARNING)
ap = argparse.ArgumentParser(); ap.add_argument("--running", type=int, default=64)
ap.add_argument("--waiting", type=int, default=256); ap.add_argument("--steps", type=int, default=400)
ap.add_argument("--warmup", type=int, default=60)
ap.add_argument("--side", choices=("stock", "ours"), required=True)
ap.add_argument("--policy", default="plas"); ap.add_argument("--nexus", default="{}")
ap.add_argument("--split", action="store_true"); ap.add_argument("--programs", type=int, default=100000)
ap.add_argument("--vllm-only", action="store_true", help="with --split: collect vLLM's code only")
ap.add_argument("--lib", default="/tmp/ovh20/cg/libcgt.so")
ap.add_argument("--only", default="", help="2026-12-04f: collect only inside these of ours' methods (comma list; PQ = every ProgramRequestQueue method), vLLM's methods they call toggled off (as --split)")
a = ap.parse_args()
Z = os.environ.get("ZONES")  # 2026-12-04f: per-Python-function attribution (zones.py), map saved to $ZONES
if Z:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__))); import zones; zones.install()
cg = ctypes.CDLL(a.lib)
toggle = cg.cg_toggle
args = argparse.Namespace(running=a.running, waiting=a.waiting, programs=a.programs, policy=a.policy,
    prompt_len=64, max_tokens=256, max_num_batched_tokens=8192, nexus=json.loads(a.nexus), stock_policy="fcfs")
model = so.model_dir()
if a.side == "stock":
    d = so.Driver("stock", so.build(None, args, model), so.Stream(args, 0), a.waiting)
else:
    d = so.Driver("ours", so.build("vllm_nexus.Scheduler", args, model), so.Stream(args, 0), a.waiting)
    # a virtual clock, 3 ms per step (the native pace of a stock + ours pair): valgrind runs
    # ~50x slower, and ours' time-based rules (anti-starvation) must see the native pace
    vt = [1000.0]
    d.sched.clock = lambda: vt[0]
    so.prefill_programs(d.sched, a.programs, 0)
    _step = d.step
    def step(timed, _step=_step):
        vt[0] += 0.003
        return _step(timed)
    d.step = step
for _ in range(a.warmup):
    d.step(False)
abl = os.environ.get("ABL", "")  # ablations for diagnosis (decisions may change; under --policy fcfs they do not)
if abl == "notready":  # every hook of ours falls through to vLLM's (the subclass and the table stay)
    d.sched._nexus_ready = False
elif abl == "nofree":  # ours' completion path skipped
    from vllm.v1.core.sched.scheduler import Scheduler as _V
    d.sched._free_request = lambda r, delay_free_blocks=False: _V._free_request(d.sched, r, delay_free_blocks)
elif abl == "quietskip":  # fcfs only: a decode-only step records and charges nothing (decisions unaffected under fcfs)
    S = d.sched; _rec = S._record_step; _chg = S._charge
    def rec(out, now):
        if not out.scheduled_new_reqs and not out.scheduled_cached_reqs.resumed_req_ids and not S._prefilling and not out.preempted_req_ids:
            return
        return _rec(out, now)
    def chg(out, now):
        if id(out) not in S._steps:
            S._decode.step += 1
            return
        return _chg(out, now)
    S._record_step = rec; S._charge = chg
elif abl == "notenant":  # fcfs only: the tenant ledger's per-step charge skipped
    S = d.sched; S.mlq.tenants.charge = lambda *x: None
elif abl == "noadd":  # ours' arrival path skipped (in the timed calls there is none: a control)
    pass
state = [False]  # collection on?
if a.only:
    a.split = True  # the wrappers below, then collection only inside the chosen methods
if a.split:
    import functools
    from vllm.v1.core.sched.scheduler import Scheduler as V
    import vllm_nexus.programs.scheduler as NS
    from vllm_nexus.programs.request_queue import ProgramRequestQueue as PQ
    def wrap(cls, name, want):
        want = want != a.vllm_only
        f = cls.__dict__[name]
        @functools.wraps(f)
        def w(*x, **k):
            prev = state[0]
            if prev != want:
                toggle(); state[0] = want
            try:
                return f(*x, **k)
            finally:
                if state[0] != prev:
                    toggle(); state[0] = prev
        setattr(cls, name, w)
    PQN = ("add_request", "pop_request", "peek_request", "prepend_request", "prepend_requests",
           "remove_request", "remove_requests", "__bool__", "__len__", "__iter__", "__contains__")
    if a.only:  # 2026-12-04f
        only = a.only.split(",")
        for n in ("schedule", "update_from_output", "_free_request", "_preempt_request"):
            wrap(V, n, False)
        for n in only:
            if n == "PQ":
                for m in PQN:
                    wrap(PQ, m, True)
                continue
            owner = next(c for c in NS.Scheduler.__mro__ if n in c.__dict__)
            f = owner.__dict__[n]
            if isinstance(f, staticmethod):
                f = f.__func__
            if owner is not NS.Scheduler:
                setattr(NS.Scheduler, n, f)
            wrap(NS.Scheduler, n, True)
    else:
      for n in ("schedule", "update_from_output", "_free_request", "_preempt_request"):
        wrap(V, n, False)
        wrap(NS.Scheduler, n, True)
      for n in PQN:
        wrap(PQ, n, True)
s = d.sched
cg.cg_start()
tokens = pre = 0
for i in range(a.steps):
    if a.side == "ours":
        vt[0] += 0.003
    d.top_up()
    if a.vllm_only:  # collection starts inside vLLM's methods (their wrappers toggle it on)
        out = s.schedule(); mro = so.fake_output(s, out); s.update_from_output(out, mro)
    elif a.only:  # collection toggled on only inside the chosen methods (their wrappers)
        out = s.schedule(); mro = so.fake_output(s, out); s.update_from_output(out, mro)
    else:
        toggle(); state[0] = True
        out = s.schedule()
        toggle(); state[0] = False
        mro = so.fake_output(s, out)
        toggle(); state[0] = True
        s.update_from_output(out, mro)
        toggle(); state[0] = False
    tokens += out.total_num_scheduled_tokens; pre += len(out.preempted_req_ids)
    ev = len(out.scheduled_new_reqs) + len(out.scheduled_cached_reqs.resumed_req_ids) + len(out.finished_req_ids) + len(out.preempted_req_ids)
    cg.cg_dump(f"{i} {'event' if ev else 'quiet'}".encode())
m = getattr(s, "nexus_metrics", None)
if Z:
    zones.save(Z)
print(f"side {a.side} split {a.split} steps {a.steps} tokens/step {tokens/a.steps:.2f} preempted {pre} proactive {m.preemptions_proactive if m else '-'}")
