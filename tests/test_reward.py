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


def test_end_effectors_relative_to_the_root_ignore_place_and_facing():
    """--end_eff_root_relative (DeepMimic's end-effector error): the whole character moved 1 m and turned
    0.7 rad about the vertical keeps its end-effector term; the upstream (world-position) term drops."""
    import dataclasses
    from conftest import make_env
    terms = {}
    for relative in (False, True):
        env = make_env("walk")
        env.cfg = dataclasses.replace(env.cfg, end_eff_root_relative=relative)
        env.reset(start_time=0.4)
        before = env.reward_terms()["end_eff_reward"]
        pos, rot = env.pb.getBasePositionAndOrientation(env.body)
        turn = env.pb.getQuaternionFromEuler([0.0, 0.7, 0.0])  # about y, the up axis
        new_pos = np.array(env.pb.multiplyTransforms([0, 0, 0], turn, pos, [0, 0, 0, 1])[0]) + [1.0, 0.0, 0.0]
        env.pb.resetBasePositionAndOrientation(env.body, new_pos.tolist(), env.pb.multiplyTransforms([0, 0, 0], turn, [0, 0, 0], rot)[1])
        env.pb.stepSimulation()  # refresh the links' cached transforms, as a control step does
        terms[relative] = (before, env.reward_terms()["end_eff_reward"])
        env.close()
    assert terms[True][0] > 0.9 and abs(terms[True][1] - terms[True][0]) < 0.02  # one physics step of motion
    assert terms[False][0] > 0.9 and terms[False][1] < 0.01


def test_heading_frame_offsets_match_deepmimic():
    from deepmimic.env.reward import heading_frame_offsets
    yaw = 0.9  # the root turned 0.9 rad about y: its forward (x) axis points along (cos, 0, -sin)
    rot = (0.0, math.sin(yaw / 2), 0.0, math.cos(yaw / 2))
    root = np.array([2.0, 0.9, -1.0])
    forward = np.array([math.cos(yaw), 0.0, -math.sin(yaw)])
    points = np.array([root + 0.3 * forward + [0.0, 0.4, 0.0], [root[0], 0.05, root[2]]])
    out = heading_frame_offsets(points, root, rot)
    assert np.allclose(out, [[0.3, 1.3, 0.0], [0.0, 0.05, 0.0]])  # 0.3 ahead, heights above ground


def test_the_reward_keys_reach_the_env_and_all_zero_weights_are_refused():
    """``--reward_*`` weights a user types are the env's: with the end-effector term alone the step's reward is that
    term, its scale as given; the defaults stay DeepMimic's (upstream parity rests on them)."""
    from deepmimic.env.imitation_env import ImitationEnv
    from deepmimic.settings import env_config
    from deepmimic.util.arg_parser import ArgParser
    from deepmimic.util.errors import DeepMimicError
    base = ["--motion_file", "data/motions/humanoid3d_walk.txt"]
    assert env_config(ArgParser.from_argv(base)).reward == RewardWeights() == RewardWeights(0.5, 0.05, 0.15, 0.2)
    only_ee = ["--reward_pose_w", "0", "--reward_vel_w", "0", "--reward_root_w", "0", "--reward_end_eff_w", "2"]
    rewards = {}
    for scale in ("40", "5"):
        env = ImitationEnv(env_config(ArgParser.from_argv(base + only_ee + ["--reward_end_eff_scale", scale])), seed=0)
        env.reset(start_time=0.4)
        for _ in range(20):  # zero actions: the body sags away from the reference
            _, r, _, _ = env.step(np.zeros(env.action_size))
        terms = env.last_reward_terms
        assert r == pytest.approx(terms["end_eff_reward"]) and r != pytest.approx(terms["pose_reward"])
        rewards[scale] = r
        env.close()
    err40 = -math.log(rewards["40"]) / 40  # the same mean squared distance behind both scales
    assert 0 < err40 and rewards["5"] == pytest.approx(math.exp(-5 * err40), rel=0.02)
    zero = ["--reward_pose_w", "0", "--reward_vel_w", "0", "--reward_root_w", "0", "--reward_end_eff_w", "0"]
    with pytest.raises(DeepMimicError, match="all 0"):
        env_config(ArgParser.from_argv(base + zero))
