"""``vllm-nexus validate-gpu``: the one-shot check of the GPU half on a CUDA host (a tool).

``cli`` (the command, each step in its own child process under a budget, the report),
``device`` (CUDA-level steps: env, partitions, disjoint SMs, overlap, graph placement),
``engine`` (stock vs ``split=sequential`` vs ``split=concurrent`` token-for-token on the tiny
model, CUDA graphs, a profile), ``offload`` (the host KV tier under KV pressure).

A tool ring above ``split/`` and ``serving/``: it drives the product (the split worker, the host
KV tier) on the embedded tiny model, so the product folders never import it.
"""
