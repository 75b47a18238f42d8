"""The imitation reward on plain arrays: no simulator needed."""
import math

import numpy as np
import pytest

from deepmimic.env.reward import JointWeights, RewardWeights, TrackingState, imitation_reward

W = JointWeights(root=1.0, sph=np.array([1.0, 0.5]), rev=np.array([0.3]))


def perfect(**changes):
    """A state where the character matches a reference at rest; ``changes`` perturb it."""
    q = np.array([[0.0, 0.0, 0.0, 1.0], [0.0, 0.0, 0.0, 1.0]])
    base = dict(root_pos=(0.0, 0.9, 0.0), root_rot=np.array([0.0, 0.0, 0.0, 1.0]), root_vel=(1.0, 0.0, 0.0),
                root_ang_vel=(0.0, 0.0, 0.0), ref_root_pos=(0.0, 0.9, 0.0), ref_root_rot=np.array([0.0, 0.0, 0.0, 1.0]),
                ref_root_vel=np.array([1.0, 0.0, 0.0]), ref_root_ang_vel=np.zeros(3), joint_rot=q.copy(),
                ref_joint_rot=2.0 * q, joint_vel=np.zeros((2, 3)), rev_angle=np.array([0.4]),
                ref_rev_angle=np.array([0.4]), rev_vel=np.zeros(1), end_eff_pos=np.array([[0.2, 0.1, 0.3]]),
                ref_end_eff_pos=np.array([[0.2, 0.1, 0.3]]))
    base.update(changes)
    return TrackingState(**base)


def test_perfect_tracking_earns_one():
    terms = imitation_reward(perfect(), W)  # the reference quaternions are not unit length: normalised
    assert terms["reward"] == pytest.approx(1.0) and all(terms[k] == pytest.approx(1.0) for k in terms)


def test_each_error_reaches_its_own_term_with_the_published_scale():
    w = RewardWeights()
    root_off = imitation_reward(perfect(root_pos=(0.3, 0.9, 0.0)), W)
    assert root_off["root_reward"] == pytest.approx(math.exp(-5.0 * 0.09))
    assert root_off["pose_reward"] == root_off["end_eff_reward"] == 1.0
    knee = imitation_reward(perfect(rev_angle=np.array([0.6])), W)  # 0.2 rad on a joint of weight 0.3
    assert knee["pose_reward"] == pytest.approx(math.exp(-2.0 * 0.3 * 0.04))
    turn = np.array([0.0, math.sin(0.25), 0.0, math.cos(0.25)])  # 0.5 rad about y on joint 1 (weight 0.5)
    bent = imitation_reward(perfect(joint_rot=np.array([[0, 0, 0, 1.0], turn])), W)
    assert bent["pose_reward"] == pytest.approx(math.exp(-2.0 * 0.5 * 0.25))
    hand = imitation_reward(perfect(end_eff_pos=np.array([[0.2, 0.2, 0.3]])), W)
    assert hand["end_eff_reward"] == pytest.approx(math.exp(-40.0 * 0.01))
    total = (w.pose + w.vel + w.end_eff + w.root * root_off["root_reward"]) / (w.pose + w.vel + w.end_eff + w.root)
    assert root_off["reward"] == pytest.approx(total)


def test_joint_velocity_reference_upstream_zero_vs_clip():
    moving = perfect(joint_vel=np.array([[0.0, 2.0, 0.0], [0.0, 0.0, 0.0]]))
    assert imitation_reward(moving, W)["vel_reward"] == pytest.approx(math.exp(-0.1 * 4.0))  # compared with 0
    matched = perfect(joint_vel=moving.joint_vel, ref_joint_vel=moving.joint_vel.copy(), ref_rev_vel=np.zeros(1))
    assert imitation_reward(matched, W)["vel_reward"] == pytest.approx(1.0)  # compared with the clip


def test_root_sub_weights_and_quaternion_sign():
    flipped = perfect(root_rot=-np.array([0.0, 0.0, 0.0, 1.0]))  # q and -q: the same rotation
    assert imitation_reward(flipped, W)["root_reward"] < 1.0  # 2 acos(<q, q_ref>) is sign-sensitive: the env reads
    # the reference back from Bullet so that both quaternions follow Bullet's sign convention
    slow = perfect(root_vel=(0.0, 0.0, 0.0))
    only_pos = RewardWeights(root_vel=0.0)
    assert imitation_reward(slow, W)["root_reward"] == pytest.approx(math.exp(-5.0 * 0.01))
    assert imitation_reward(slow, W, only_pos)["root_reward"] == 1.0
