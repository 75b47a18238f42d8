"""The reward's reference pose by forward kinematics equals a PyBullet body posed with it."""
import numpy as np
import pytest
from conftest import make_env

from deepmimic.env.kinematics import bullet_quaternion


@pytest.mark.parametrize("skill", ["walk", "backflip", "cartwheel", "spinkick"])  # backflip: root quaternions ~1% off unit
def test_body_positions_and_root_quaternion_match_a_posed_body(skill):
    env = make_env(skill)
    rng = np.random.default_rng(0)
    for t in rng.uniform(0.0, 3 * env.motion.cycle_time, 40):
        ref = env.motion.reference(t)
        env._set_body_pose(env.kin_body, ref, with_velocity=False)
        posed = np.array([l[0] for l in env.pb.getLinkStates(env.kin_body, list(range(env.num_links)))])
        assert np.abs(env.skeleton.body_positions(ref) - posed).max() < 1e-12
        pos, rot = env.pb.getBasePositionAndOrientation(env.kin_body)
        assert np.abs(bullet_quaternion(ref.root_rot) - np.array(rot)).max() < 1e-12  # the sign included
    env.close()


def test_root_quaternion_sign_over_all_rotations():
    env = make_env("walk")
    rng = np.random.default_rng(1)
    for q in rng.normal(size=(500, 4)):
        env.pb.resetBasePositionAndOrientation(env.kin_body, [0.0, 1.0, 0.0], q.tolist())
        rot = np.array(env.pb.getBasePositionAndOrientation(env.kin_body)[1])
        assert np.abs(bullet_quaternion(q) - rot).max() < 1e-12, q
    env.close()
