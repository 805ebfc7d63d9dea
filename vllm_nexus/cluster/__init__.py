"""Program-affine multi-engine serving on Ray Serve (Autellix §5, Alg. 2).

- ``app``: the Serve application builder (engine replicas + ingress + router wiring);
- ``router``: the Ray Serve ``RequestRouter`` running :mod:`vllm_nexus.cluster.policy`;
- ``ingress``: the OpenAI endpoint (program-id check, 429/503 answers, ``/metrics``);
- ``metrics``: router and per-replica Prometheus metrics;
- ``cli``: ``vllm-nexus cluster MODEL --replicas N``.

Only ``app.resolve`` and ``cli.add_arguments`` import without Ray.
"""
