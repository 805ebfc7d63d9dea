"""``vllm-nexus bench``: program-level load generator, agentic workloads, trace replay, reports.

Modules: ``trace`` (JSONL program traces), ``workloads`` (chat/react/lats/mixed generators),
``prompts`` (exact-length fresh prompt content), ``runner`` (async client), ``metrics``
(program-level metrics, pure), ``report`` (JSON/markdown/plots, compare), ``cli``;
``cli_common`` (workload/output arguments and the program loader shared with ``simulate``).
"""
