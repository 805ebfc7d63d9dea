"""Performance model shared by the simulator and the split profiler: hardware presets, model
shapes and the per-step latency model (roofline, calibrated for ``cpu-here``)."""
