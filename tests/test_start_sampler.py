import numpy as np
from conftest import make_env

from deepmimic.env.start_sampler import BINS, StartSampler


def test_without_a_share_starts_are_deepmimics_uniform_draw():
    """--adaptive_starts 0: one uniform number per start, the same stream as before the sampler existed, and
    nothing is counted."""
    s = StartSampler([2.0], share=0.0)
    a, b = np.random.default_rng(5), np.random.default_rng(5)
    for _ in range(50):
        assert s.sample(0, a) == b.uniform(0.0, 2.0)
        s.record(0, 0.3, True)
    assert not s.visits.any() and not s.fails.any()


def test_starts_move_toward_the_bins_whose_episodes_fail():
    s = StartSampler([2.0, 1.0], share=0.8)
    for k in range(2000):
        start = (k % BINS + 0.5) * 2.0 / BINS
        s.record(0, start, failed=s.bin_of(0, start) == 3)  # only episodes started in bin 3 fail
    w = s.weights(0)
    assert np.isclose(w.sum(), 1.0) and w.argmax() == 3 and w[3] > 10 * np.median(w)
    assert np.allclose(s.weights(1), 1.0 / BINS)  # the other clip has no record: uniform
    rng = np.random.default_rng(0)
    starts = np.array([s.sample(0, rng) for _ in range(4000)])
    in_bin3 = np.mean((starts >= 3 * 0.1) & (starts < 4 * 0.1))
    assert 0.55 < in_bin3 < 0.85  # ~0.8 x its weight + 0.2 x 1/20, against 0.05 uniformly
    assert starts.min() >= 0.0 and starts.max() < 2.0


def test_training_episodes_are_counted_by_their_start_and_tests_are_not():
    """The env counts each finished training episode in its start's bin (a fall or drift: failed); the envs
    of one rank share the counts (``build_envs``)."""
    from deepmimic.env.base_env import Mode
    from deepmimic.factory import build_envs
    env = make_env("walk")
    env.cfg.adaptive_starts = env.starts.share = 0.5
    env.cfg.pose_term_dist = 1e-4  # the first step fails
    env.reset(start_time=0.31 * env.motion.cycle_time)
    assert env.step(env.reference_action(env.t))[2]
    assert env.starts.visits[0, 6] == 1.0 and env.starts.fails[0, 6] == 1.0 and env.starts.visits.sum() == 1.0
    env.set_mode(Mode.TEST)
    env.reset(start_time=0.0)
    env.step(env.reference_action(env.t))
    assert env.starts.visits.sum() == 1.0
    envs = build_envs(env.cfg, 3, seed=1)
    assert envs[0].starts is envs[1].starts is envs[2].starts and envs[0].starts.share == 0.5
