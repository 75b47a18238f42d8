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


def test_by_failure_starts_move_to_where_episodes_end_and_just_before_it():
    """at="fail" (BeyondMimic's rule): every start fails, all of them in bin 12, so counting by start would stay
    uniform; counting where they end puts the weight on bin 12 and, less, on the two bins before it."""
    by_start, by_fail = (StartSampler([2.0], share=1.0, at=at) for at in ("start", "fail"))
    for k in range(2000):
        start = (k % BINS + 0.5) * 2.0 / BINS
        for s in (by_start, by_fail):
            s.record(0, start, failed=True, end_time=12.5 * 2.0 / BINS + 2.0 * (k % 3))  # wrapped by 0, 1 or 2 cycles
    assert np.allclose(by_start.weights(0), 1.0 / BINS, rtol=1e-3)
    w = by_fail.weights(0)
    assert np.isclose(w.sum(), 1.0) and w[12] > w[11] > w[10] > 20 * np.median(w)
    assert np.isclose(w[11] / w[12], 0.8, rtol=0.01) and np.isclose(w[10] / w[12], 0.64, rtol=0.01)
    assert w[13] < w[10] / 20
    rng = np.random.default_rng(0)
    starts = np.array([by_fail.sample(0, rng) for _ in range(4000)])
    assert 0.9 < np.mean((starts >= 1.0) & (starts < 1.3)) <= 1.0  # bins 10-12: [1.0, 1.3) s


def test_by_failure_a_clip_that_does_not_loop_does_not_wrap():
    """Failures in a non-looping clip's first bin draw no starts from its last bins (which would wrap onto it in
    a looping clip), and an end past the clip (--clip_end_hold) counts in its last bin."""
    loop, once = (StartSampler([1.0], share=1.0, at="fail", loops=[v]) for v in (True, False))
    for s in (loop, once):
        for _ in range(500):
            s.record(0, 0.5, failed=True, end_time=0.01)
    assert loop.weights(0)[BINS - 1] > 10 * loop.weights(0)[BINS // 2]
    assert once.weights(0)[BINS - 1] < 2 * once.weights(0)[BINS // 2]
    once.record(0, 0.5, failed=True, end_time=1.7)
    assert once.fails[0, BINS - 1] == 1.0


def test_by_failure_the_env_counts_an_episode_where_it_ended():
    import dataclasses
    from deepmimic.env.imitation_env import ImitationEnv
    env = ImitationEnv(dataclasses.replace(make_env("walk").cfg, adaptive_starts=0.5, adaptive_starts_at="fail"))
    assert env.starts.at == "fail"
    env.cfg.pose_term_dist = 1e-4  # the first step fails
    start = 0.349 * env.motion.cycle_time  # bin 6; the episode ends one control step later, in bin 7
    env.reset(start_time=start)
    assert env.step(env.reference_action(env.t))[2]
    assert env.starts.bin_of(0, env.t) == 7
    assert env.starts.visits[0, 6] == 1.0 and env.starts.fails[0, 7] == 1.0 and env.starts.fails.sum() == 1.0
