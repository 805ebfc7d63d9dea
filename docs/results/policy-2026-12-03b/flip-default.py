# Not applied: the one-line default flip to num_queues 10 (config + tests), for the lead if the candidate is accepted.
# Run from the repository root: python docs/results/policy-2026-12-03b/flip-default.py
p = "vllm_nexus/config.py"
s = open(p).read()
a = '''    num_queues: int = 7
    """K, the number of discrete priority levels."""'''
assert a in s
s = s.replace(
    a,
    '''    num_queues: int = 10
    """K, the number of discrete priority levels. 10 (was 7) since 2026-12-03: with doubling
    boundaries the last level starts at 256x (was 32x) the first boundary, so least attained
    service still separates long sequential programs from older tree searches there
    (docs/benchmarks.md, "2026-12-03 (later)")."""''',
)
open(p, "w").write(s)
p = "tests/test_config.py"
s = open(p).read()
s = s.replace("cfg.scheduler.num_queues == 7", "cfg.scheduler.num_queues == 10")
open(p, "w").write(s)
p = "tests/test_policy_queues.py"
s = open(p).read()
s += """

def test_default_levels_separate_programs_up_to_256_median_calls():
    # the default since 2026-12-03 (docs/benchmarks.md, "2026-12-03 (later)"): 10 doubling
    # levels, so a program 100x the first boundary still ranks above one 400x it (with 7
    # levels both shared the last level: FCFS between a long chat/ReAct program and an old
    # tree search)
    q = MultiLevelQueue(SchedulerConfig())
    b = q.boundaries[0]
    assert q.num_levels == 10 and q.boundaries[-1] == b * 256
    complete(q, "a0", "A", 100 * b)
    complete(q, "b0", "B", 400 * b)
    a, later = q.add("a1", "A", 1.0), q.add("b1", "B", 0.5)
    assert a.level < later.level and a.order_key() < later.order_key()
"""
open(p, "w").write(s)
