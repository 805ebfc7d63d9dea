# ruff: noqa
"""Call by call: replay a real run's send times into the simulated scheduler (open loop), and
compare each call's time to first token and end to end with the real one.

A call is sent in the simulation at max(its real send time, the time the simulation lets it
go: parents done + think time), so the simulated scheduler sees the real arrivals unless the
simulated engine lags. Everything else (the engine model, the frontend, the scheduler) is the
simulator as it is.
usage: python3 openloop.py TRACE PROFILE RATE SCHED REAL_RESULT[...] (e.g. V's reps)
env: PROGRAMS (100) SEED (81529) CLOSED=1 (ignore the real sends: the simulator as it is)
     QUEUED=S (frontend_ingress_queued_s) RESUME=1 (resumed_call_delay_s = frontend_call_delay_s)
     JITTER=SIGMA [JSEED] (log-normal noise on every step time) ADD=JSON (--additional-config)
     PERPROG=1 / EARLY=1 (per program tables)
stderr: per real run, the simulator's counters beside the real server's, step classes, the
calls finished by quantiles of time, and a few programs' first tokens"""
import argparse, gzip, json, os, statistics as st, sys

from vllm_nexus.bench import cli_common as common
from vllm_nexus.sim import cli as simcli
from vllm_nexus.sim.engine import Simulator
from vllm_nexus.sim.replay import Replay

TRACE, PROFILE, RATE, SCHED = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
REALS = sys.argv[5:]
CLOSED = os.environ.get('CLOSED') == '1'


class OpenReplay(Replay):
    def __init__(self, sim, programs, think_scale, real_send):
        self.real_send = real_send
        self.late = 0
        super().__init__(sim, programs, think_scale)

    def _push(self, t_send, pid, cid):
        real = self.real_send.get((pid, cid))
        if real is not None and not CLOSED:
            if t_send > real + 1e-3:
                self.late += 1
            t_send = max(t_send, real)
        super()._push(t_send, pid, cid)

    def _compose(self, nst):
        out = super()._compose(nst)
        self.rw = getattr(self, 'rw', [])
        c = out[2]
        self.cls = getattr(self, 'cls', [])
        self.cls.append(('decode8' if not c[0] and len(nst) >= 8 else 'decode<8' if not c[0] else '1 prefill' if c[0] == 1 else '2+ prefills', sum(n for n in nst.values() if n > 1), self.clock.t))
        self.rw.append((len(self.sched.running), len(self.sched.waiting), self.clock.t, len(nst), self.sched.kv_cache_manager.block_pool.get_num_free_blocks()))
        self.pf = getattr(self, 'pf', 0) + (1 if out[2][0] else 0)
        self.pft = getattr(self, 'pft', 0) + sum(n for r, n in nst.items() if self.sched.requests[r].num_computed_tokens - n < self.sched.requests[r].num_prompt_tokens)
        return out


def load(p):
    return json.load(gzip.open(p)) if p.endswith('.gz') else json.load(open(p))


def real_calls(p):
    r = [x for x in load(p)['runs'] if float(x['rate']) == RATE][0]
    out = {}
    for pr in r['programs']:
        n = len(pr['calls'])
        for i, c in enumerate(pr['calls']):
            out[(pr['program_id'], c['call_id'])] = (c['send_s'], c['first_token_s'], c['end_s'], n, i, c['output_tokens'])
    return out


parser = argparse.ArgumentParser()
simcli.add_arguments(parser)
args = parser.parse_args([
    '--trace', TRACE, '--programs', os.environ.get('PROGRAMS', '100'), '--sweep-rates', f'{RATE:g}',
    '--seed', os.environ.get('SEED', '81529'), '--arrival-cv', '1.0', '--think-scale', '0.3',
    '--hardware', PROFILE, '--model', 'tiny', '--scheduler', SCHED, '--max-num-seqs', '8',
    '--max-model-len', '4096', '--no-progress', '--no-plots'] + (['--additional-config', os.environ['ADD']] if os.environ.get('ADD') else []))
hw, model, _, additional = simcli._engine_inputs(args)
(rate, programs), = simcli.load_runs(args, common.rates(args))
if os.environ.get('QUEUED'):  # the opt-in queued share of ingress (s)
    hw = hw.with_updates(frontend_ingress_queued_s=float(os.environ['QUEUED']))
if os.environ.get('RESUME'):  # the opt-in per-resume delay: the profile's per-call delay
    hw = hw.with_updates(resumed_call_delay_s=hw.frontend_call_delay_s)
spec = simcli._engine_spec(args, hw, model, SCHED, additional)


def kind(n, i):
    return 'plan' if i == 0 else ('reduce' if i == n - 1 else 'map')


def size(n):
    return '1-5' if n <= 5 else '6-10' if n <= 10 else '11-20' if n <= 20 else '21+'


PER = {}
rows = {}  # (group) -> list of (sim ttft, real ttft, sim e2e, real e2e, sim send lag)
for rp in REALS:
    real = real_calls(rp)
    sim = Simulator(spec, seed=args.seed)
    if os.environ.get('JITTER'):
        import random, math
        rng = random.Random(int(os.environ.get('JSEED', '0')) + REALS.index(rp))
        sig = float(os.environ['JITTER'])
        base = sim.latency.step_time
        sim.latency.step_time = lambda *a, **k: base(*a, **k) * math.exp(rng.gauss(-sig * sig / 2, sig))
    rep = OpenReplay(sim, programs, args.think_scale, {k: v[0] for k, v in real.items()})
    while rep.step(None):
        pass
    res = rep.result()
    rw = rep.rw
    for pp in ('map-reduce-00009', 'map-reduce-00020', 'map-reduce-00041', 'map-reduce-00012'):
        sm = sorted(c.first_token_s for c in res.calls if c.program_id == pp)
        rm = sorted(v[1] for k, v in real.items() if k[0] == pp)
        print('#   %s first tokens sim %.1f..%.1f med %.1f | real %.1f..%.1f med %.1f' % (pp[-2:], sm[1], sm[-1], sm[len(sm) // 2], rm[1], rm[-1], rm[len(rm) // 2]), file=sys.stderr)
    from collections import Counter
    print('#   sim finishing after 10.5s: ' + str(Counter(c.program_id[-2:] for c in res.calls if c.finish_s > 10.5).most_common(8)) + ' real: ' + str(Counter(k[0][-2:] for k, v in real.items() if v[2] > 10.5).most_common(8)), file=sys.stderr)
    tot = {}
    cl = rep.cls
    for i in range(len(cl) - 1):
        a = tot.setdefault(cl[i][0], [0, 0.0, 0]); a[0] += 1; a[1] += cl[i + 1][2] - cl[i][2]; a[2] += cl[i][1]
    hist = [0] * 15
    for i in range(len(cl) - 1):
        if cl[i][0] == 'decode<8': hist[min(14, int(cl[i][2]))] += 1
    print('#   sim decode<8 per second: ' + ' '.join(map(str, hist)), file=sys.stderr)
    print('#   sim classes: ' + '; '.join(f'{k} {v[0]} x {1e3 * v[1] / v[0]:.2f} ms = {v[1]:.1f}s' + (f' ({v[2] / v[0]:.0f} pf tok)' if 'prefill' in k else '') for k, v in sorted(tot.items())), file=sys.stderr)
    print('#   sim prompt %d cached %d' % (sum(c.prompt_tokens for c in res.calls), sum(c.cached_tokens for c in res.calls)), file=sys.stderr)
    se = sorted(c.finish_s for c in res.calls); re_ = sorted(v[2] for v in real.values())
    qs = (0.1, 0.25, 0.5, 0.75, 0.9, 1.0)
    print('#   calls finished by: sim ' + ' '.join('%.2f' % se[min(len(se) - 1, int(q * len(se)))] for q in qs) + ' | real ' + ' '.join('%.2f' % re_[min(len(re_) - 1, int(q * len(re_)))] for q in qs), file=sys.stderr)
    dts = [rw[i + 1][2] - rw[i][2] for i in range(len(rw) - 1)]
    T = sum(dts)
    print('#   sim steps <8 scheduled while waiting: %d of %d; min free blocks %d; kv blocks %d; budget %s' % (sum(1 for r in rw if r[3] < 8 and r[1] > 0), len(rw), min(r[4] for r in rw), res.kv_blocks, sim.vllm_config.scheduler_config.max_num_batched_tokens), file=sys.stderr)
    print('#   sim time-weighted running %.2f waiting %.2f' % (sum(r[0] * d for r, d in zip(rw, dts)) / T, sum(r[1] * d for r, d in zip(rw, dts)) / T), file=sys.stderr)
    q = getattr(sim.scheduler, 'mlq', None)
    if q is not None:
        sz = q.sizes or q.size_gate
        print('#   sim: promotions %d (wait %d) size_declined %d withheld %d ended %d size samples %s end_idle %.2f' % (
            q.promotions_total, q.wait_promotions_total, q.preemptions_size_declined, q.preemptions_withheld, q.programs.ended_total,
            sz.global_table.samples if sz and sz.global_table else None, sz.end_idle_s if sz else -1), file=sys.stderr)
    srv = [x for x in load(rp)['runs'] if float(x['rate']) == RATE][0]['server']
    print('#   real metrics: ' + ' '.join(f"{k.replace('vllm_nexus_', '')} {v:g}" for k, v in srv.items() if k.startswith('vllm_nexus_') or k == 'preemptions'), file=sys.stderr)
    for c in res.calls:
        s0, f0, e0, n, i, out = real[(c.program_id, c.call_id)]
        PER.setdefault(c.program_id, []).append((kind(n, i), c.first_token_s - c.send_s, f0 - s0, n, s0))
        for g in (kind(n, i), f'size {size(n)}', 'all'):
            rows.setdefault(g, []).append((c.first_token_s - c.send_s, f0 - s0, c.finish_s - c.send_s, e0 - s0, c.send_s - s0, c.arrival_s - c.send_s))
    print(f'# {rp}: {len(res.calls)} calls, {res.preemptions} preemptions, late sends {rep.late}, virtual {res.virtual_s:.1f}s, steps {res.steps}, prefill steps {rep.pf}, busy {res.busy_s:.1f}s, computed {res.computed_tokens} recomputed {res.recomputed_tokens} prefill-ish tokens {rep.pft}', file=sys.stderr)

print(f'{SCHED} at {RATE:g}/s, {"closed" if CLOSED else "open"} loop, {len(REALS)} real runs: per call, sim vs real (means, s)')
print('| group | calls | TTFT sim | TTFT real | ratio | e2e sim | e2e real | ratio | send lag | sim frontend |')
print('|---|---|---|---|---|---|---|---|---|---|')
for g in ('plan', 'map', 'reduce', 'size 1-5', 'size 6-10', 'size 11-20', 'size 21+', 'all'):
    r = rows.get(g)
    if not r:
        continue
    a = [st.mean(x[k] for x in r) for k in range(6)]
    print(f'| {g} | {len(r)} | {a[0]:.3f} | {a[1]:.3f} | {a[0] / a[1]:.2f} | {a[2]:.3f} | {a[3]:.3f} | {a[2] / a[3]:.2f} | {a[4]:.3f} | {a[5]:.3f} |')

if os.environ.get('PERPROG'):
    out = []
    for pid, xs in PER.items():
        m = [x for x in xs if x[0] == 'map']
        if not m:
            continue
        out.append((min(x[4] for x in xs), pid, xs[0][3], st.mean(x[1] for x in m), st.mean(x[2] for x in m)))
    out.sort()
    print('| program | arrival | calls | map TTFT sim | real | diff |')
    for a, pid, n, s_, r_ in out:
        print(f'| {pid} | {a:.2f} | {n} | {s_:.2f} | {r_:.2f} | {s_ - r_:+.2f} |')

if os.environ.get('EARLY'):
    agg = {}
    for pid, xs in PER.items():
        for k, s_, r_, n, a in xs:
            d = agg.setdefault((pid, k), [0, 0.0, 0.0, n, a])
            d[0] += 1; d[1] += s_; d[2] += r_
    rows2 = sorted(((v[2] - v[1]) / v[0] * v[0], pid, k, v[3], v[4], v[0]) for (pid, k), v in agg.items())
    print('calls served earlier in real than in sim (sum over reps of real - sim TTFT)')
    for d, pid, k, n, a, cnt in rows2[:15]:
        print(f'{pid} {k} calls {n} arrival {a:.2f} n {cnt} sum diff {d:+.1f}')
    print('...later in real')
    for d, pid, k, n, a, cnt in rows2[-15:]:
        print(f'{pid} {k} calls {n} arrival {a:.2f} n {cnt} sum diff {d:+.1f}')
