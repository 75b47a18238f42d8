"""The tracking error (``deepmimic.env.tracking_error``): its definition, the env's value against the PyBullet
body itself, and where it is reported (test episodes, testrl, the gymnasium env)."""
import numpy as np
import pytest
from conftest import make_env

from deepmimic.env.tracking_error import body_pos_error, body_pos_errors


def test_known_displacements():
    rng = np.random.default_rng(0)
    ref = rng.normal(size=(15, 3))
    assert body_pos_error(ref, ref) == (0.0, 0.0)
    # the whole body 0.3 m to the side: globally 0.3 m off, root-relative exact
    g, r = body_pos_error(ref + [0.0, 0.0, 0.3], ref)
    assert g == pytest.approx(0.3) and r == pytest.approx(0.0, abs=1e-12)
    # one limb 0.15 m off (3-4-5 triangle: 0.09, 0.12): 0.15 / 15 bodies, the same root-relative
    sim = ref.copy()
    sim[7] += [0.09, 0.12, 0.0]
    assert body_pos_error(sim, ref) == pytest.approx((0.01, 0.01))
    # the root alone 0.15 m off: 1 body of 15 globally, every other body root-relative
    sim = ref.copy()
    sim[0] += [0.0, 0.15, 0.0]
    assert body_pos_error(sim, ref) == pytest.approx((0.01, 0.14))



def test_per_body_distances_name_the_body_that_is_off():
    """``body_pos_errors``: each body's own distance (what ``where_it_falls.py`` ranks), whose means are the error."""
    ref = np.random.default_rng(1).normal(size=(15, 3))
    sim = ref.copy()
    sim[7] += [0.09, 0.12, 0.0]
    dist, rel = body_pos_errors(sim, ref)
    assert dist == pytest.approx(np.eye(15)[7] * 0.15) and rel == pytest.approx(np.eye(15)[7] * 0.15)
    sim[0] += [0.0, 0.15, 0.0]  # the root off too: every other body root-relative
    dist, rel = body_pos_errors(sim, ref)
    assert (dist[0], rel[0], rel[3]) == pytest.approx((0.15, 0.0, 0.15))
    assert (dist.mean(), rel.mean()) == pytest.approx(tuple(body_pos_error(sim, ref)))


def _posed_reference_links(env):
    """The reference pose at the env's time, read off a PyBullet body posed from the clip (independent of the
    env's forward kinematics)."""
    pb = env.pb
    env._set_body_pose(env.kin_body, env.motion.bullet_reference(env.t), with_velocity=False)
    return np.array([l[0] for l in pb.getLinkStates(env.kin_body, env._links, computeForwardKinematics=1)])


def test_zero_on_the_reference_and_right_for_a_shifted_body():
    env = make_env("walk")
    env.reset(start_time=0.4)
    env.calc_reward()
    assert np.allclose(env.body_error, (0.0, 0.0), atol=1e-6)
    # the simulated body moved 0.2 m along x, its pose unchanged
    pb = env.pb
    pos, rot = pb.getBasePositionAndOrientation(env.body)
    pb.resetBasePositionAndOrientation(env.body, [pos[0] + 0.2, pos[1], pos[2]], rot)
    env.calc_reward()
    assert env.body_error.global_m == pytest.approx(0.2, abs=1e-6) and env.body_error.root_rel_m == pytest.approx(0.0, abs=1e-6)
    env.close()


def test_env_matches_an_independent_computation_on_the_pybullet_body():
    """After steps of noisy actions the env's error is the mean body distance between the simulated body and a
    body posed at the reference, both read from PyBullet."""
    env = make_env("run", seed=3)
    env.reset(start_time=0.1)
    rng = np.random.default_rng(1)
    for _ in range(12):
        env.step(env.reference_action(env.t) + rng.normal(scale=0.2, size=env.action_size))
        sim = np.array([l[0] for l in env.pb.getLinkStates(env.body, env._links, computeForwardKinematics=1)])
        ref = _posed_reference_links(env)
        dist = np.linalg.norm(sim - ref, axis=1).mean()
        rel = np.linalg.norm((sim - sim[0]) - (ref - ref[0]), axis=1).mean()
        assert env.body_error.global_m == pytest.approx(dist, abs=1e-6)
        assert env.body_error.root_rel_m == pytest.approx(rel, abs=1e-6)
        per_body = np.linalg.norm((sim - sim[0]) - (ref - ref[0]), axis=1)
        assert env.body_errors[1] == pytest.approx(per_body, abs=1e-6)
    assert env.body_error.root_rel_m > 0.01  # the noise moved the limbs off the clip: a real comparison
    env.close()


def test_test_episodes_and_the_gym_env_report_it():
    import gymnasium as gym
    import deepmimic  # noqa: F401  (registers the ids)
    from deepmimic.learning.rollout import run_episodes

    class ClipPose:  # a "policy" that asks for the reference pose: close, but not exact
        def __init__(self, env):
            self.env = env

        def act(self, states, explore=False):
            return np.array([self.env.reference_action(self.env.t + self.env.control_step())]), None, None

    env = make_env("walk")
    res = run_episodes(ClipPose(env), [env], 1, max_steps=20, start_times=[0.2])[0]
    assert res.length == 20 and 0 < res.body_err_rel_mm < 200 and 0 < res.body_err_mm < 300
    env.close()

    g = gym.make("deepmimic/HumanoidDeepMimicWalk-v0")
    g.reset(seed=0, options={"start_time": 0.2})
    _, _, _, _, info = g.step(g.unwrapped.sim.reference_action(0.2 + 1 / 30))
    assert 0 < info["body_err_rel_mm"] < 100 and 0 < info["body_err_mm"] < 100
    g.close()


def test_computed_only_when_read_and_averaged_per_step(monkeypatch):
    """Training steps never pay for the error (the env keeps the two poses and measures them when asked);
    an episode's error is the mean of its steps' errors."""
    import deepmimic.env.imitation_env as imitation_env
    from deepmimic.learning.rollout import EpisodeResult
    calls = []
    monkeypatch.setattr(imitation_env, "body_pos_error", lambda *a: calls.append(1) or body_pos_error(*a))
    env = make_env("walk")
    env.reset(start_time=0.2)
    assert env.body_error == (0.0, 0.0) and not calls  # before the first step
    for _ in range(5):
        env.step(env.reference_action(env.t + env.control_step()))
    assert not calls
    assert env.body_error.root_rel_m > 0 and len(calls) == 1
    env.close()
    res = EpisodeResult.from_sums(3.0, 4, False, [0.4, 0.2])
    assert (res.ret, res.length, res.fell) == (3.0, 4, False)
    assert res.body_err_mm == pytest.approx(100.0) and res.body_err_rel_mm == pytest.approx(50.0)
