"""Our env against the upstream pybullet port: same start, same actions -> same states and rewards."""
import os

import numpy as np
import pytest
from conftest import FALL, ROOT, make_env
from upstream_env import make_upstream_env, upstream_reset_at, upstream_state

# Upstream computes states with PyBullet's single-precision math utilities (about 1e-7 relative to
# each 3-vector it rotates), so entries are compared at 1e-5 absolute, scaled by the size of their
# vector when that exceeds 1 (fast-moving links). The simulations themselves must agree exactly.
TOL = 1e-5


def _scale(b):
    scale = np.maximum(1.0, np.abs(b))
    vel = b[107:].reshape(-1, 3)  # per-link linear and angular velocity vectors
    scale[107:] = np.maximum(1.0, np.repeat(np.linalg.norm(vel, axis=1), 3))
    return scale


def close(a, b):
    return np.all(np.abs(a - b) <= TOL * _scale(b))


def physics_state(pb, body):
    pos, rot = pb.getBasePositionAndOrientation(body)
    vel, ang = pb.getBaseVelocity(body)
    joints = pb.getJointStatesMultiDof(body, range(15))
    return np.array(list(pos + rot + vel + ang) + [x for j in joints for x in j[0] + j[1]])


def _step_both(up, a_up, env, a_me, k):
    """One control step of each env (upstream's given ``a_up``, ours ``a_me``): the same state and reward."""
    up.set_action(0, a_up)
    for _ in range(8):
        up.update(1.0 / 240)
    s_up, r_up = np.array(up.record_state(0)), up.calc_reward(0)
    s_me, r_me, _, _ = env.step(a_me)
    assert close(s_me, s_up), f"step {k}: state differs by {np.abs(s_me - s_up).max():.3g}"
    assert abs(r_me - r_up) <= TOL, f"step {k}: reward {r_me} vs upstream {r_up}"


def _compare_rollout(up, env, start, steps=30, clip=None):
    """Same reset and 30 random actions in both envs: states, rewards, falls and physics agree."""
    upstream_reset_at(up, start)
    s_up, s_me = np.array(up.record_state(0)), env.reset(start_time=start, clip=clip)
    assert s_me.shape == (197,) and close(s_me, s_up), np.abs(s_me - s_up).max()
    rng = np.random.default_rng(7)
    mean, std = -env.a_offset, 1.0 / env.a_scale
    for k in range(steps):
        a = mean + std * rng.normal(0.0, 0.05, 36)
        _step_both(up, a, env, a, k)
        assert up._humanoid.terminates() == env.has_fallen()
        sim_up = physics_state(up._pybullet_client, up._humanoid._sim_model)
        assert np.abs(sim_up - physics_state(env.pb, env.body)).max() < 1e-9, f"step {k}: simulations diverged"


@pytest.mark.parametrize("skill,start", [("walk", 0.3), ("walk", 0.9), ("backflip", 0.7), ("backflip", 0.1),
                                         ("getup_facedown", 0.0)])
def test_states_and_rewards_match_upstream(skill, start):
    """getup_facedown from its start: a joint's simulated and reference quaternions come to differ in sign by the
    third step, where upstream's joint difference takes the shorter way (the reward was ~0.4 here, upstream's 0.92)."""
    _compare_rollout(make_upstream_env(skill, FALL), make_env(skill), start)


def test_reference_root_entries_match_upstream():
    """A ``--ref_root_state`` policy plays in the upstream env with the reference root read from upstream's
    own pose interpolator (tests/upstream_env.py): those 5 entries equal ours at reset and after
    steps, across a cycle boundary (walk's 1.23 s clip, started at 1.0 s)."""
    up, env = make_upstream_env("walk", FALL), make_env("walk", ref_root_state=True)
    upstream_reset_at(up, 1.0)
    s_me, s_up = env.reset(start_time=1.0), upstream_state(up, ref_root=True)
    assert s_me.shape == s_up.shape == (202,)
    rng = np.random.default_rng(3)
    for k in range(40):
        assert close(s_me[:197], s_up[:197]) and np.abs(s_me[197:] - s_up[197:]).max() <= TOL, f"step {k}"
        a = -env.a_offset + rng.normal(0.0, 0.05, 36) / env.a_scale
        up.set_action(0, a)
        for _ in range(8):
            up.update(1.0 / 240)
        s_me, s_up = env.step(a)[0], upstream_state(up, ref_root=True)
    assert np.abs(s_me[197:200]).max() > 0.01  # the character has drifted from its reference: the entries are live


def test_multiclip_states_and_rewards_match_upstream():
    """The five walker clips: best-over-clips reward, state and physics as upstream's multiclip env,
    started (as upstream always starts) from the first clip. Upstream continues every clip past its
    end with the first clip's root offset and we with each clip's own, so the rollout stays within
    the first cycle (1.23 s)."""
    up = make_upstream_env(None, FALL, motion_file="data/motions/walker/")
    env = make_env(motion="data/motions/walker")
    assert len(env.motions) == 5
    _compare_rollout(up, env, 0.15, steps=30, clip=0)
    rewards = [r for r in (env.step(env.reference_action(env.t))[1] for _ in range(3))]
    assert all(0.0 < r <= 1.0 for r in rewards)


def test_action_layout_matches_upstream():
    up = make_upstream_env("walk", FALL)
    env = make_env("walk")
    assert np.allclose(env.a_offset, up.build_action_offset(0), atol=1e-6)
    assert np.allclose(env.a_scale, up.build_action_scale(0), atol=1e-6)
    assert np.allclose(env.a_bound_min, up.build_action_bound_min(0), atol=1e-6)
    assert np.allclose(env.a_bound_max, up.build_action_bound_max(0), atol=1e-6)
    assert env.action_size == up.get_action_size(0) == 36
    assert env.state_size == up.get_state_size(0) == 197


def test_reference_pose_matches_pybullet_slerp():
    """Bodies are posed with PyBullet's own slerp (bit for bit); the state and reward's compiled slerp agrees
    with it to float32 precision on every clip, the near-identical rotations PyBullet does not blend included."""
    import glob
    import pybullet as p
    from deepmimic.env.motion_data import MotionData
    env = make_env("backflip")
    rng = np.random.default_rng(2)
    for path in sorted(glob.glob(os.path.join(ROOT, "data", "motions", "humanoid3d_*.txt"))):
        m = MotionData(path, env.char)
        for t in rng.uniform(-1.0, 3 * m.cycle_time, 200):
            _, i, j, frac = m.locate(t)
            want = np.array([p.getQuaternionSlerp(a, b, frac) for a, b in zip(m._rots[i].tolist(), m._rots[j].tolist())])
            posed, ref = m.bullet_reference(t), m.reference(t)
            assert np.array_equal(np.vstack([posed.root_rot, posed.sph_rot]), want)
            assert np.abs(np.vstack([ref.root_rot, ref.sph_rot]) - want).max() < 1e-6, (path, t)
            assert np.array_equal(ref.root_pos, posed.root_pos) and np.array_equal(ref.rev_angle, posed.rev_angle)


def test_a_residual_policy_plays_the_same_in_upstreams_env_through_its_absolute_actions():
    """--residual_actions: each offset turned into the plain action it stands for (``absolute_action``, how
    pretrained_policies.py plays such a policy there) gives upstream's env our states and rewards."""
    up, env = make_upstream_env("run", FALL), make_env("run", config=dict(residual_actions=True))
    upstream_reset_at(up, 0.4)
    env.reset(start_time=0.4)
    rng = np.random.default_rng(3)
    for k in range(12):  # the targets reach upstream through single-precision axis-angle: ~1e-7 apart, growing with contacts
        a = rng.normal(0.0, 0.05, env.action_size) / env.a_scale  # the exploration noise's size around the clip
        _step_both(up, env.absolute_action(a, env.t + env.control_step()), env, a, k)
