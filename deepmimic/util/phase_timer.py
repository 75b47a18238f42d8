"""Wall time per phase of training (policy, env steps, MPI waits, update, tests, outputs).

Always on (a ``perf_counter`` pair per phase costs ~0.2 us): the trainer prints the split when it ends,
and ``benchmarks/throughput.py`` reads it to show where a sample's time goes.
"""
import time
from contextlib import contextmanager


class PhaseTimer:
    def __init__(self):
        self.seconds = {}

    @contextmanager
    def phase(self, name):
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - t0)

    def add(self, name, seconds):
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds

    def timed(self, name, fn):
        """``fn`` wrapped so that each call adds to phase ``name``."""
        def wrapper(*args, **kwargs):
            with self.phase(name):
                return fn(*args, **kwargs)
        return wrapper

    def summary(self, total=None):
        """``phase 12.3 s (45%), ...`` in the order the phases first ran; shares of ``total`` (default: their sum)."""
        total = total or sum(self.seconds.values()) or 1.0
        return ", ".join(f"{k} {v:.1f} s ({100.0 * v / total:.0f}%)" for k, v in self.seconds.items())
