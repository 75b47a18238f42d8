"""DeepMimic's minibatch draw: fixed-size minibatches walk a shuffled index order and wrap around its end.

Every minibatch has the same size even when the batch is not a multiple of it (the first rows are reused
at the wrap). The critic's order is shuffled once per epoch; the actor's (only the steps that explored)
is also reshuffled after a minibatch that reached its end, as DeepMimic's PPO does.
"""
import numpy as np


class CyclicMinibatches:
    def __init__(self, count, size, rng, reshuffle_on_wrap=False):
        self.order = np.arange(count)
        self.size, self.rng, self.reshuffle_on_wrap = size, rng, reshuffle_on_wrap
        self.pos = 0

    def new_epoch(self):
        """Shuffle the order and start from its beginning."""
        self.rng.shuffle(self.order)
        self.pos = 0

    def next(self):
        """The next ``size`` row indices."""
        at = np.arange(self.pos, self.pos + self.size) % len(self.order)
        rows = self.order[at]
        self.pos += self.size
        if self.reshuffle_on_wrap and (at[-1] < at[0] or at[-1] == len(self.order) - 1):
            self.rng.shuffle(self.order)
        return rows
