"""Serving glue with no paper concept: the HTTP middleware, the server launcher, the embedded
tiny model and the CPU install shim."""
