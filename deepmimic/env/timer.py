"""DeepMimic's episode timer: a max episode length sampled per episode, annealed during training.

Training starts with short episodes (``--time_lim_*``) that grow towards ``--time_end_lim_*``
over ``--anneal_samples`` samples; test episodes always use the end limits.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class TimerParams:
    time_min: float
    time_max: float
    exp_rate: float  # rate of the exponential added to time_min (0: always time_min)

    def blend(self, other, t):
        return TimerParams(*(a + t * (b - a) for a, b in ((self.time_min, other.time_min),
                                                          (self.time_max, other.time_max),
                                                          (self.exp_rate, other.exp_rate))))


class EpisodeTimer:
    def __init__(self, beg, end, anneal_samples):
        self.beg, self.end, self.anneal_samples = beg, end, anneal_samples
        self.sample_count = 0

    def set_sample_count(self, count):
        self.sample_count = count

    def progress(self, span):
        """The share of ``span`` samples trained so far, in [0, 1]: where a curriculum over ``span`` stands."""
        return min(max(self.sample_count / span, 0.0), 1.0)

    def params(self, mode):
        """Test episodes (mode 1) use the end limits; training ones blend from the start limits."""
        if mode != 0:
            return self.end
        if self.anneal_samples <= 0:
            return self.beg
        return self.beg.blend(self.end, self.progress(self.anneal_samples))

    def sample(self, rng, mode):
        p = self.params(mode)
        extra = rng.exponential(1.0 / p.exp_rate) if p.exp_rate > 0 else 0.0
        return min(p.time_min + extra, p.time_max)
