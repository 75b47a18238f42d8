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
"""
import numpy as np

BINS = 20       # per clip: 5% of its length each
DECAY = 0.999   # per recorded episode: the counts reflect the last ~1,000 episodes of the rank


class StartSampler:
    """Start times for training episodes of each clip of a motion set, shared by one rank's envs."""

    def __init__(self, cycle_times, share=0.0):
        self.cycle_times = np.asarray(cycle_times, dtype=np.float64)
        self.share = float(share)
        self.visits = np.zeros((len(self.cycle_times), BINS))
        self.fails = np.zeros((len(self.cycle_times), BINS))

    def bin_of(self, clip, start_time):
        phase = (start_time / self.cycle_times[clip]) % 1.0
        return min(int(phase * BINS), BINS - 1)

    def record(self, clip, start_time, failed):
        """Count a finished training episode of ``clip`` that started at ``start_time``."""
        if self.share <= 0:
            return
        self.visits *= DECAY
        self.fails *= DECAY
        b = self.bin_of(clip, start_time)
        self.visits[clip, b] += 1.0
        self.fails[clip, b] += float(failed)

    def weights(self, clip):
        """Each bin's probability under the adaptive draw: its failure rate (with a prior of one half-failed
        episode, so an unvisited bin is neither ignored nor favoured), normalised."""
        rate = (self.fails[clip] + 0.5) / (self.visits[clip] + 1.0)
        return rate / rate.sum()

    def sample(self, clip, rng):
        cycle = self.cycle_times[clip]
        if self.share <= 0 or rng.uniform() >= self.share:
            return rng.uniform(0.0, cycle)
        b = rng.choice(BINS, p=self.weights(clip))
        return (b + rng.uniform()) * cycle / BINS
