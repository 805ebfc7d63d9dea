# ruff: noqa
import argparse, cProfile, pstats, json, sys, time
sys.path.insert(0, "examples")
import sched_overhead as so
args = argparse.Namespace(running=512, waiting=4096, programs=100000, policy="plas",
    prompt_len=64, max_tokens=256, max_num_batched_tokens=8192, nexus={})
import logging; logging.getLogger("vllm").setLevel(logging.WARNING)
d = so.Driver("ours", so.build("vllm_nexus.Scheduler", args, so.model_dir()), so.Stream(args, 0), 4096)
so.prefill_programs(d.sched, 100000, 0)
s = d.sched
pr = cProfile.Profile()
n = 0
for i in range(360):
    d.top_up()
    prof = s.mlq.version != s._levels_version
    if prof: pr.enable()
    t0 = time.thread_time()
    out = s.schedule(); mro = so.fake_output(s, out); s.update_from_output(out, mro)
    t1 = time.thread_time()
    if prof:
        pr.disable(); n += 1
        print(f"step {i}: relevel step {1e3*(t1-t0):.2f} ms, demotions total {s.nexus_metrics.demotions}")
st = pstats.Stats(pr); st.sort_stats("cumtime").print_stats(35)
