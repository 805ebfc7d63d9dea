"""Throw-away diagnosis: per-program / per-phase comparison of schedulers in the simulator.

python docs/results/oracle-2026-12-02/diag.py SETTING WORKLOAD SEED RATE sched[=json] ...
"""

import json
import statistics as st
import sys

sys.path.insert(0, "examples")
import policy_sim as ps

from vllm_nexus.perf.hardware import get_hardware
from vllm_nexus.perf.models import get_model
from vllm_nexus.sim.engine import EngineSpec, Simulator


def run(setting, sched, section, programs, seed):
    additional = {"vllm_nexus": section} if section and sched.startswith("vllm_nexus") else None
    spec = EngineSpec(
        hardware=get_hardware(setting.hardware),
        model=get_model(setting.model),
        scheduler=sched,
        additional_config=additional,
        max_num_seqs=setting.max_num_seqs,
        num_gpu_blocks=setting.num_gpu_blocks,
    )
    sim = Simulator(spec, seed=seed)
    res = sim.run(programs, think_scale=setting.think_scale)
    return res


def main():
    sname, w, seed, rate = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    st_ = ps.SETTINGS[sname]
    programs = ps.programs_for(st_, w, seed, rate)
    specs = {p.program_id: p for p in programs}
    out = {}
    for arg in sys.argv[5:]:
        name, _, rest = arg.partition("=")
        if rest:
            key, _, cfg = rest.partition(":")
        else:
            key, cfg = name, ""
        sched = ps.SCHEDULERS[key]
        section = json.loads(cfg) if cfg else None
        res = run(st_, sched, section, programs, seed)
        recs = {r.program_id: r for r in res.program_records()}
        per = {}
        for pid, r in recs.items():
            spec = specs[pid]
            out_tok = sum(c.output_tokens for c in r.calls)
            think = sum(c.think_s for c in spec.calls) * st_.think_scale
            ttft = sum(c.ttft_s or 0 for c in r.calls)
            dec = sum((c.end_s - c.first_token_s) for c in r.calls)
            per[pid] = dict(
                kind=spec.kind,
                n=len(spec.calls),
                tok=out_tok,
                e2e=r.e2e_s,
                tl=r.e2e_s / out_tok,
                think=think,
                ttft=ttft,
                dec=dec,
                arr=spec.arrival_s,
            )
        calls = res.calls
        out[name] = dict(
            per=per,
            calls=calls,
            pre=res.preemptions,
            steps=res.steps,
            busy=res.busy_s,
            virt=res.virtual_s,
        )
        print(
            f"{name}: mean tl {1e3 * st.mean(p['tl'] for p in per.values()):.1f} ms/tok "
            f"steps {res.steps} busy {res.busy_s:.1f}s virt {res.virtual_s:.1f}s pre {res.preemptions}",
            flush=True,
        )
    names = list(out)
    base = out[names[0]]["per"]
    # per size quartile of total output tokens (proxy for program work)
    pids = sorted(base, key=lambda p: base[p]["tok"])
    q = max(1, len(pids) // 4)
    groups = [pids[i * q : (i + 1) * q] if i < 3 else pids[3 * q :] for i in range(4)]
    print(
        "\nper program-size quartile (by output tokens): mean token latency ms/tok | ttft s | decode s | think s"
    )
    for gi, g in enumerate(groups):
        line = f"Q{gi + 1} n={len(g)} calls~{st.mean(base[p]['n'] for p in g):.0f} tok~{st.mean(base[p]['tok'] for p in g):.0f}: "
        for n in names:
            per = out[n]["per"]
            line += f" {n}: {1e3 * st.mean(per[p]['tl'] for p in g):6.1f} ttft {st.mean(per[p]['ttft'] for p in g):6.1f} dec {st.mean(per[p]['dec'] for p in g):6.1f} |"
        print(line + f" think {st.mean(base[p]['think'] for p in g):.1f}")
    kinds = sorted({p["kind"] for p in base.values()})
    if len(kinds) > 1:
        print("\nper kind")
        for k in kinds:
            g = [p for p in base if base[p]["kind"] == k]
            line = f"{k:14s} n={len(g)}: "
            for n in names:
                per = out[n]["per"]
                line += f" {n}: {1e3 * st.mean(per[p]['tl'] for p in g):6.1f} ttft {st.mean(per[p]['ttft'] for p in g):6.1f} dec {st.mean(per[p]['dec'] for p in g):6.1f} |"
            print(line)
    # per call: wait by call position within its program (early / mid / late) and by prompt size
    print("\nper call: mean ttft (s) and mean decode time per token (ms) by call position fraction")
    for n in names:
        cs = out[n]["calls"]
        bins = {}
        for c in cs:
            spec = specs[c.program_id]
            idx = int(c.call_id[1:])
            frac = idx / max(1, len(spec.calls))
            b = min(3, int(frac * 4))
            ttft = (c.first_token_s - c.arrival_s) if c.first_token_s else 0
            d = (c.finish_s - c.first_token_s) / max(1, c.output_tokens - 1)
            bins.setdefault(b, []).append(
                (ttft, d, c.prompt_tokens, c.cached_tokens, c.preemptions)
            )
        print(
            n,
            " ".join(
                f"pos{b}: ttft {st.mean(x[0] for x in v):.2f} tpot {1e3 * st.mean(x[1] for x in v):.1f} prompt {st.mean(x[2] for x in v):.0f} cached {st.mean(x[3] for x in v):.0f} pre {st.mean(x[4] for x in v):.2f}"
                for b, v in sorted(bins.items())
            ),
        )
    # by remaining calls in the program
    print("\nper call: mean ttft by remaining calls in program (1, 2-4, 5-15, 16+)")
    for n in names:
        cs = out[n]["calls"]
        bins = {}
        for c in cs:
            spec = specs[c.program_id]
            rem = len(spec.calls) - int(c.call_id[1:])
            b = 0 if rem <= 1 else 1 if rem <= 4 else 2 if rem <= 15 else 3
            ttft = (c.first_token_s - c.arrival_s) if c.first_token_s else 0
            bins.setdefault(b, []).append(ttft)
        print(
            n, " ".join(f"rem{b}: {st.mean(v):.2f} (n={len(v)})" for b, v in sorted(bins.items()))
        )


main()
