# ruff: noqa
import json, sys
from vllm_nexus.perf.hardware import resolve_hardware
from vllm_nexus.perf.latency import StepLatencyModel
from vllm_nexus.perf.models import get_model
for f in sys.argv[1:]:
    hw = resolve_hardware(f, warn=False).preset
    m = StepLatencyModel(hw, get_model("tiny"))
    d1 = m.decode_time(1, 1000); d8 = m.decode_time(8, 1000); d8b = m.decode_time(8, 3000)
    p = m.prefill_time(500, 0)
    print(f"{f.split('results/')[-1]:55s} ov {hw.step_overhead_s*1e3:.2f} seq {hw.per_seq_overhead_s*1e6:.1f}us tok {hw.per_token_overhead_s*1e6:.2f}us pre {hw.per_prefill_overhead_s*1e3:.2f} flops {hw.peak_flops/1e9:.1f}G bw {hw.mem_bw/1e9:.2f}G | d1 {d1*1e3:.2f} d8 {d8*1e3:.2f} d8@3k {d8b*1e3:.2f} p500 {p*1e3:.2f}")
