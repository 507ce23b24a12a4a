"""Virtual clinical trials: spec, engine, endpoints, outputs."""
