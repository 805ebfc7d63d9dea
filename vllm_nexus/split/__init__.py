"""Intra-GPU prefill/decode split (Nexus): how one step runs.

Pure policy (no vLLM import): ``cost_model`` (per-phase latency vs SM share, profiles),
``controller`` (partition grid and the greedy split search, Nexus §4.3), ``plan`` (a step's
prefill/decode sub-batches and the split decision attached to it).
vLLM / CUDA adapters: ``worker`` (``--worker-cls``), ``runners`` (the decode runner),
``forward_context`` (thread-local forward context), ``backends`` (green contexts, CPU
stand-in), ``profiler`` (``vllm-nexus profile``).
"""
