# ruff: noqa
# Experiment: simulate a sweep's rates in order on ONE simulated server (scheduler state, learned sizes
# and built shapes carried over), as the real sweep runs on one server; vs a fresh engine per rate.
# usage: python carry.py TRACE PROGRAMS SEED RATES PROFILE SCHED [carry-shapes 0/1]
import sys, argparse, statistics
from vllm_nexus.sim import cli as scli, replay as R
from vllm_nexus.sim.engine import Simulator
from vllm_nexus.bench import report, cli_common as common
trace, n, seed, rates, prof, sched = sys.argv[1:7]
carry_shapes = len(sys.argv) > 7 and sys.argv[7] == '1'
p = argparse.ArgumentParser(); scli.add_arguments(p) if hasattr(scli, 'add_arguments') else None
args = p.parse_args(['--trace', trace, '--programs', n, '--sweep-rates', rates, '--seed', seed, '--think-scale', '0.3',
                     '--hardware', prof, '--model', 'tiny', '--scheduler', sched, '--max-num-seqs', '8', '--max-model-len', '4096', '--no-progress'])
hw, model, scheds, additional = scli._engine_inputs(args)
spec = scli._engine_spec(args, hw, model, sched, additional)
runs = scli.load_runs(args, common.rates(args))
if carry_shapes:
    orig = R.Replay.__init__
    def init(self, sim, programs, ts):
        orig(self, sim, programs, ts); self.shapes_seen = sim.__dict__.setdefault('_shapes', set())
    R.Replay.__init__ = init
sim = Simulator(spec, seed=args.seed)
for rate, programs in runs:
    fresh = Simulator(spec, seed=args.seed).run(programs, think_scale=0.3)
    t0 = sim.clock.t
    res = sim.run([q.with_arrival(q.arrival_s + t0) for q in programs], think_scale=0.3)
    def tl(r):
        recs = r.program_records(); e = report.run_entry(rate, recs, None)['summary']['program_token_latency_s']
        return 1e3 * e['mean'], 1e3 * e['p95']
    print(sched, rate, 'fresh engine: mean %.1f p95 %.1f' % tl(fresh), '| carried over: mean %.1f p95 %.1f' % tl(res), 'preemptions', fresh.preemptions, res.preemptions)
