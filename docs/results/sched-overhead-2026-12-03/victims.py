# ruff: noqa
"""Who are the proactive victims on the sched_overhead stream: steps run since admission, tokens computed, earlier preemptions."""
import argparse, collections, sys, json, statistics
sys.path.insert(0, "examples")
import sched_overhead as so
ap = argparse.ArgumentParser()
ap.add_argument("--running", type=int, default=512); ap.add_argument("--waiting", type=int, default=4096)
ap.add_argument("--steps", type=int, default=300); ap.add_argument("--nexus", default="{}")
a = ap.parse_args()
args = argparse.Namespace(running=a.running, waiting=a.waiting, programs=100000, policy="plas", prompt_len=64,
    max_tokens=256, max_num_batched_tokens=8192, nexus=json.loads(a.nexus))
import vllm_nexus.programs.scheduler as NS
rec = []; step = [0]; adm_step = {}
orig = NS.Scheduler._preempt_call
def pc(self, call, now):
    req = self.requests.get(call.call_id)
    head = self.mlq.calls.get(self.waiting.peek_request().request_id)
    rec.append((step[0] - adm_step.get(call.call_id, -1), req.num_computed_tokens, req.num_output_tokens, call.preemptions, call.level, head.level if head else None, self.kv_cache_manager.block_pool.get_num_free_blocks()))
    return orig(self, call, now)
NS.Scheduler._preempt_call = pc
model = so.model_dir()
d = so.Driver("ours", so.build("vllm_nexus.Scheduler", args, model), so.Stream(args, 0), a.waiting)
so.prefill_programs(d.sched, 100000, 0)
s = d.sched; readm = 0
for i in range(60 + a.steps):
    step[0] = i
    d.top_up(); out = s.schedule()
    for r in out.scheduled_new_reqs: adm_step[r.req_id] = i
    for r in out.scheduled_cached_reqs.resumed_req_ids: adm_step[r] = i; readm += 1
    s.update_from_output(out, so.fake_output(s, out))
print("proactive", len(rec), "resumed admissions", readm, "max_num_seqs", s.max_num_active_reqs, "blocks total", s.kv_cache_manager.block_pool.num_gpu_blocks)
for j, name in enumerate(("steps since admission", "computed tokens", "output tokens", "earlier preemptions", "victim level", "head level", "free blocks")):
    xs = [r[j] for r in rec if r[j] is not None]
    q = statistics.quantiles(xs, n=10) if len(xs) > 1 else xs
    print(f"{name:24s} min {min(xs)} p10 {q[0]:.0f} median {statistics.median(xs):.0f} p90 {q[-1]:.0f} max {max(xs)}")
print("levels now: first boundary", s.mlq.levels.first, "quanta", s.mlq.quanta[:3])
c = collections.Counter((r[4], r[5]) for r in rec); print("victim/head levels", c.most_common(5))
