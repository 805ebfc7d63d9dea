# ruff: noqa  (a throw-away measurement script, kept as run)
import sys, time, argparse
sys.path.insert(0, "examples")
import sched_overhead as so
args = argparse.Namespace(running=64, waiting=256, programs=100000, policy="plas", prompt_len=64, max_tokens=256, max_num_batched_tokens=8192, nexus={})
so.model_dir()
st = so.Stream(args, 0)
a = [st.request() for _ in range(512)]
b = [st.request() for _ in range(512)]
for r in b:
    r._nexus_running_key = (0, 0, 1)
print("attrs in __dict__:", len(a[0].__dict__), len(b[0].__dict__))
import gc
def f(reqs):
    t = 0
    for r in reqs:
        t += r.num_computed_tokens + r.num_tokens + len(r.spec_token_ids) + r.num_output_placeholders + r.num_prompt_tokens
        x = r.request_id; y = r.status; z = r.sampling_params
    return t
for rep in range(3):
    for name, reqs in (("plain", a), ("extra attr", b)):
        t0 = time.perf_counter()
        for _ in range(2000): f(reqs)
        print(name, round((time.perf_counter() - t0) * 1e3, 1), "ms")
