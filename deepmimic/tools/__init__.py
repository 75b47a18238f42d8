"""Tools around training: the TF checkpoint converter and the upstream-port oracle used by tests and benchmarks."""
