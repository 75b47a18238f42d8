"""--residual_actions: actions offset the clip's pose; a zero action plays the clip, an offset turns the right way."""
import numpy as np
import pytest
from conftest import make_env

from deepmimic.util import quaternion


def _same_rotation(a, b, tol=1e-6):
    """Quaternions equal up to sign (q and -q are the same rotation)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    return min(np.abs(a - b).max(), np.abs(a + b).max()) < tol


def test_a_zero_action_targets_the_clip_pose_at_the_end_of_the_step():
    plain, res = make_env("run"), make_env("run", config=dict(residual_actions=True))
    assert not np.any(res.spec.action_offset) and np.all(res.clip_action(0.3) == 0)
    for t in (0.0, 0.37, 0.61):
        want = plain.action_to_targets(plain.reference_action(t))  # PyBullet's single precision
        got = res.residual_targets(np.zeros(res.action_size), t)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert _same_rotation(g, w) if len(w) == 4 else g == pytest.approx(w, abs=1e-6)


def test_an_offset_turns_a_ball_joint_after_its_clip_rotation_and_adds_to_a_hinge():
    env = make_env("run", config=dict(residual_actions=True))
    t, a = 0.37, np.zeros(env.action_size)
    sph = next(k for k, s in enumerate(env._act_is_sph) if s)
    rev = next(k for k, s in enumerate(env._act_is_sph) if not s)
    a[env._act_start[sph] + 1:env._act_start[sph] + 4] = [0.0, 0.3, 0.0]  # 0.3 rad about the joint's own y
    a[env._act_start[rev]] = -0.2
    a[env._act_start[sph]] = 5.0  # the angle entry is unused
    ref = env.motion.reference(t)
    got = env.residual_targets(a, t)
    want = quaternion.mul(ref.sph_rot[env._ref_index[sph]], quaternion.from_axis_angle([0.0, 1.0, 0.0], 0.3))
    assert _same_rotation(got[sph], want, 1e-6)  # PyBullet's single precision
    assert got[rev] == pytest.approx([ref.rev_angle[env._ref_index[rev]] - 0.2])
    untouched = env.residual_targets(np.zeros(env.action_size), t)
    assert all(np.allclose(g, u) for k, (g, u) in enumerate(zip(got, untouched)) if k not in (sph, rev))


def test_zero_actions_play_as_the_plain_env_plays_the_clip_targets():
    """The residual env fed zeros and the plain env fed the clip's PD targets simulate the same motion."""
    plain, res = make_env("walk"), make_env("walk", config=dict(residual_actions=True))
    s0, s1 = plain.reset(start_time=0.2), res.reset(start_time=0.2)
    for _ in range(10):
        s0, r0, _, _ = plain.step(plain.reference_action(plain.t + plain.control_step()))
        s1, r1, _, _ = res.step(res.clip_action(res.t + res.control_step()))
        assert r1 == pytest.approx(r0, abs=1e-3)
    assert np.abs(s1 - s0).max() < 1e-3


def test_noise_has_deepmimics_size_and_the_warm_start_fits_no_offset():
    from deepmimic.learning.warm_start import collect_reference_rollouts
    plain, res = make_env("walk"), make_env("walk", config=dict(residual_actions=True))
    sph = plain._act_start[next(k for k, s in enumerate(plain._act_is_sph) if s)]
    # a spherical joint's angle noise (1 / scale) against the rotation vector's, root-mean-square over its 3 entries
    assert np.sqrt(3) / res.spec.action_scale[sph + 1] == pytest.approx(1.0 / plain.spec.action_scale[sph])
    _, actions = collect_reference_rollouts([res], 20, 0.05, np.random.default_rng(0))
    assert actions.shape == (20, res.action_size) and not np.any(actions)


def test_the_absolute_action_plays_a_residual_action_in_a_plain_env():
    """absolute_action turns an offset into the plain action with the same PD targets (how upstream's env plays it)."""
    plain, res = make_env("run"), make_env("run", config=dict(residual_actions=True))
    a = np.random.default_rng(1).normal(size=res.action_size) * 0.3
    for t in (0.1, 0.52):
        for g, w in zip(plain.action_to_targets(res.absolute_action(a, t)), res.residual_targets(a, t)):
            assert _same_rotation(g, w, 1e-5) if len(w) == 4 else g == pytest.approx(w, abs=1e-6)
    assert res.absolute_action(np.zeros(res.action_size), 0.52) == pytest.approx(plain.reference_action(0.52))
