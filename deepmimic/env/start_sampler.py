"""Where training episodes start in their clip: DeepMimic's reference state initialisation, optionally
drawn toward the parts of the clip whose episodes fail.

Uniform starts spend most samples where the policy already succeeds: punch's falls all came from starts in
the first 15% of the clip (the opening lunge), which uniform starts visit 15% of the time. With a share
``s`` > 0, each start is drawn uniformly with probability 1 - s and otherwise from the clip's bins in
proportion to the failure rate of the episodes that started there (a fall or a drift termination), kept
as decaying counts over the rank's recent episodes: adaptive start sampling in the spirit of recent motion
trackers (BeyondMimic bins its clips by where episodes fail), here by where they start, since a failure is
caused by what the policy met on the way to it.
With ``s`` = 0 the draw is exactly DeepMimic's (one uniform number per reset), so seeded runs are unchanged.

Binning by start fails a clip that fails from every start (spin: each test episode falls, most in one crouch at
phases 0.45-0.65): every bin's rate is near 1 and the draw stays uniform. ``at="fail"`` is BeyondMimic's own rule
instead: count each failure in the bin where the episode *ended*, and draw a bin in proportion to those counts
smoothed over the bins just after it (weights 1, 0.8, 0.64: its paper's kernel), so starts land at and shortly
before the place the policy cannot pass.
"""
import numpy as np

BINS = 20       # per clip: 5% of its length each
DECAY = 0.999   # per recorded episode: the counts reflect the last ~1,000 episodes of the rank
AHEAD = 0.8 ** np.arange(3)  # at="fail": a bin's weight takes its failures and, decayed, those of the next two bins


class StartSampler:
    """Start times for training episodes of each clip of a motion set, shared by one rank's envs."""

    def __init__(self, cycle_times, share=0.0, at="start", loops=None):
        """``at``: count a failed episode in the bin where it started ("start") or where it ended ("fail");
        ``loops``: per clip, whether it wraps (the bins after its last are its first), default all."""
        if at not in ("start", "fail"):
            raise ValueError(f"adaptive starts count failures at 'start' or 'fail', not {at!r}")
        self.cycle_times = np.asarray(cycle_times, dtype=np.float64)
        self.share = float(share)
        self.at = at
        self.loops = [True] * len(self.cycle_times) if loops is None else [bool(v) for v in loops]
        self.visits = np.zeros((len(self.cycle_times), BINS))
        self.fails = np.zeros((len(self.cycle_times), BINS))

    def bin_of(self, clip, time):
        phase = (time / self.cycle_times[clip]) % 1.0 if self.loops[clip] else time / self.cycle_times[clip]
        return min(max(int(phase * BINS), 0), BINS - 1)

    def record(self, clip, start_time, failed, end_time=None):
        """Count a finished training episode of ``clip`` that started at ``start_time`` (and ended at
        ``end_time``, the clip's time at its last step, which ``at="fail"`` needs)."""
        if self.share <= 0:
            return
        self.visits *= DECAY
        self.fails *= DECAY
        self.visits[clip, self.bin_of(clip, start_time)] += 1.0
        if failed:
            self.fails[clip, self.bin_of(clip, start_time if self.at == "start" else end_time)] += 1.0

    def weights(self, clip):
        """Each bin's probability under the adaptive draw, normalised. By start: its failure rate, with a prior
        of one half-failed episode, so an unvisited bin is neither ignored nor favoured. By failure: its share
        of the rank's episodes that failed there (with the same half episode spread over the bins), smoothed
        toward the bins before each failure (``AHEAD``; a clip that does not loop repeats its last bin)."""
        if self.at == "start":
            rate = (self.fails[clip] + 0.5) / (self.visits[clip] + 1.0)
            return rate / rate.sum()
        share = (self.fails[clip] + 0.5 / BINS) / (self.visits[clip].sum() + 1.0)
        ahead = np.arange(BINS)[:, None] + np.arange(len(AHEAD))[None, :]
        ahead = ahead % BINS if self.loops[clip] else np.minimum(ahead, BINS - 1)
        w = share[ahead] @ AHEAD
        return w / w.sum()

    def sample(self, clip, rng):
        cycle = self.cycle_times[clip]
        if self.share <= 0 or rng.uniform() >= self.share:
            return rng.uniform(0.0, cycle)
        b = rng.choice(BINS, p=self.weights(clip))
        return (b + rng.uniform()) * cycle / BINS
