"""Throw-away: run schedulers in the simulator and dump per-call records (JSON) for analysis.

python docs/results/policy-2026-12-03b/dump.py OUT.json SETTING WORKLOAD SEED RATE sched[=key:json] ...
(with --classes before OUT.json: clients name each program's class)
"""

import json
import sys

sys.path.insert(0, "examples")
import policy_sim as ps

from vllm_nexus.perf.hardware import get_hardware
from vllm_nexus.perf.models import get_model
from vllm_nexus.sim.engine import EngineSpec, Simulator


def main():
    argv = sys.argv[1:]
    out_path = argv.pop(0)
    sname, w, seed, rate = argv[0], argv[1], int(argv[2]), float(argv[3])
    st_ = ps.SETTINGS[sname]
    programs = ps.programs_for(st_, w, seed, rate)
    dump = {"programs": {}, "runs": {}}
    for p in programs:
        dump["programs"][p.program_id] = dict(
            kind=p.kind,
            arrival=p.arrival_s,
            n=len(p.calls),
            think=sum(c.think_s for c in p.calls) * st_.think_scale,
            out=sum(c.output_tokens for c in p.calls),
        )
    for arg in argv[4:]:
        name, _, rest = arg.partition("=")
        key, _, cfg = rest.partition(":") if rest else (name, "", "")
        sched = ps.SCHEDULERS[key]
        section = json.loads(cfg) if cfg else None
        additional = {"vllm_nexus": section} if section and sched.startswith("vllm_nexus") else None
        spec = EngineSpec(
            hardware=get_hardware(st_.hardware),
            model=get_model(st_.model),
            scheduler=sched,
            additional_config=additional,
            max_num_seqs=st_.max_num_seqs,
            num_gpu_blocks=st_.num_gpu_blocks,
        )
        res = Simulator(spec, seed=seed).run(programs, think_scale=st_.think_scale)
        dump["runs"][name] = dict(
            preemptions=res.preemptions,
            steps=res.steps,
            busy=res.busy_s,
            virt=res.virtual_s,
            calls=[
                [
                    c.program_id,
                    c.call_id,
                    c.send_s,
                    c.arrival_s,
                    c.first_token_s,
                    c.finish_s,
                    c.prompt_tokens,
                    c.output_tokens,
                    c.cached_tokens,
                    c.preemptions,
                ]
                for c in res.calls
            ],
        )
        print(name, "done", flush=True)
    json.dump(dump, open(out_path, "w"))


main()
