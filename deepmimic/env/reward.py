"""DeepMimic's imitation reward as a pure function of named arrays, so it can be read and tested
without a simulator. The env gathers one ``TrackingState`` per control step from PyBullet.

    r = (w_p r_pose + w_v r_vel + w_e r_end_eff + w_r r_root) / (w_p + w_v + w_e + w_r)
    r_x = exp(-scale_x * err_x)

Errors are weighted by the char file's per-joint ``DiffWeight`` (``JointWeights``). Weights and
scales are those of DeepMimic's published cSceneImitate code (not the paper's), as the upstream port.
"""
import math
from dataclasses import dataclass
from typing import Optional

import numpy as np
from numba import njit

from deepmimic.env.env_config import RewardWeights
from deepmimic.env.observation import heading, turn_about_y


@dataclass(frozen=True)
class JointWeights:
    """Per-joint DiffWeight of the root, the spherical joints and the revolute joints."""
    root: float
    sph: np.ndarray
    rev: np.ndarray


@dataclass
class TrackingState:
    """Simulated and reference quantities of one control step, in world coordinates.
    Quaternions are (x, y, z, w) rows; reference joint quaternions need not be unit length."""
    root_pos: tuple
    root_rot: np.ndarray
    root_vel: tuple
    root_ang_vel: tuple
    ref_root_pos: tuple
    ref_root_rot: np.ndarray
    ref_root_vel: np.ndarray
    ref_root_ang_vel: np.ndarray
    joint_rot: np.ndarray          # (spherical joints, 4)
    ref_joint_rot: np.ndarray
    joint_vel: np.ndarray          # (spherical joints, 3) angular velocities
    rev_angle: np.ndarray          # (revolute joints,)
    ref_rev_angle: np.ndarray
    rev_vel: np.ndarray
    end_eff_pos: np.ndarray        # (end effectors, 3)
    ref_end_eff_pos: np.ndarray
    #: None compares joint velocities with 0 (the upstream port, whose kinematic body reads back
    #: zero velocities); the clip's velocities compare as DeepMimic does.
    ref_joint_vel: Optional[np.ndarray] = None
    ref_rev_vel: Optional[np.ndarray] = None


def sq_dist(a, b):
    """Squared distance of two 3-vectors; plain floats beat numpy at this size."""
    dx, dy, dz = a[0] - b[0], a[1] - b[1], a[2] - b[2]
    return float(dx * dx + dy * dy + dz * dz)


def heading_frame_offsets(points, root_pos, root_rot):
    """DeepMimic's end-effector coordinates: the horizontal offset from the root and the height above
    the (flat, y = 0) ground, turned by the root's heading so that facing and place do not count."""
    return _heading_frame_offsets(np.asarray(points, dtype=np.float64), np.asarray(root_pos, dtype=np.float64),
                                  np.asarray(root_rot, dtype=np.float64))


@njit(cache=True)
def _heading_frame_offsets(points, root_pos, root_rot):
    theta = -heading(root_rot[0], root_rot[1], root_rot[2], root_rot[3])
    c, s = math.cos(theta), math.sin(theta)
    out = np.empty_like(points)
    for j in range(points.shape[0]):
        out[j, 0], out[j, 2] = turn_about_y(c, s, points[j, 0] - root_pos[0], points[j, 2] - root_pos[2])
        out[j, 1] = points[j, 1]
    return out


def rotation_errors(x):
    """Squared rotation angles (rad^2) between reference and simulation: root first, then joints."""
    return _rotation_errors(x.root_rot, x.ref_root_rot, x.joint_rot, x.ref_joint_rot)


@njit(cache=True)
def _rotation_errors(root_rot, ref_root_rot, joint_rot, ref_joint_rot):
    """Squared rotation angles, root first. As upstream: a joint's angle is the shorter way (its
    ``getDifferenceQuaternion``, so q and -q are one rotation), the root's is not (its own quaternion product, so
    the root's sign matters). The reference quaternions need not be unit length: dot products are divided by
    their norm."""
    n = joint_rot.shape[0]
    err = np.empty(n + 1)
    dot = ref_root_rot[0] * root_rot[0] + ref_root_rot[1] * root_rot[1] + ref_root_rot[2] * root_rot[2] \
        + ref_root_rot[3] * root_rot[3]
    err[0] = (2.0 * math.acos(min(max(dot, -1.0), 1.0))) ** 2
    for j in range(n):
        r, q = ref_joint_rot[j], joint_rot[j]
        dot = abs(r[0] * q[0] + r[1] * q[1] + r[2] * q[2] + r[3] * q[3]) / math.sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2] + r[3] * r[3])
        err[j + 1] = (2.0 * math.acos(min(max(dot, -1.0), 1.0))) ** 2
    return err


@njit(cache=True)
def _joint_errors(rot_err, w_sph, w_rev, rev_angle, ref_rev_angle, joint_vel, ref_joint_vel, rev_vel,
                  ref_rev_vel, use_ref_vel, end_eff_pos, ref_end_eff_pos):
    """(pose error without the root's share, joint part of the velocity error, end-effector error), in one
    compiled pass: on arrays this small, numpy's per-call cost was most of the reward's time."""
    pose = 0.0
    for j in range(w_sph.shape[0]):
        pose += w_sph[j] * rot_err[j + 1]
    vel = 0.0
    for j in range(w_sph.shape[0]):
        sq = 0.0
        for k in range(3):
            d = joint_vel[j, k] - ref_joint_vel[j, k] if use_ref_vel else joint_vel[j, k]
            sq += d * d
        vel += w_sph[j] * sq
    for j in range(w_rev.shape[0]):
        d = rev_angle[j] - ref_rev_angle[j]
        pose += w_rev[j] * d * d
        v = rev_vel[j] - ref_rev_vel[j] if use_ref_vel else rev_vel[j]
        vel += w_rev[j] * v * v
    n_ee = end_eff_pos.shape[0]
    ee = 0.0
    for j in range(n_ee):
        for k in range(3):
            d = end_eff_pos[j, k] - ref_end_eff_pos[j, k]
            ee += d * d
    return pose, vel, ee / n_ee if n_ee else 0.0


def imitation_reward(x, joint_w, w=RewardWeights()):
    """The reward and its four terms for one ``TrackingState``."""
    rot_err = rotation_errors(x)
    root_rot_err = float(rot_err[0])
    use_ref_vel = x.ref_joint_vel is not None
    joint_pose_err, joint_vel_err, end_eff_err = _joint_errors(
        rot_err, joint_w.sph, joint_w.rev, x.rev_angle, x.ref_rev_angle, x.joint_vel,
        x.ref_joint_vel if use_ref_vel else x.joint_vel, x.rev_vel, x.ref_rev_vel if use_ref_vel else x.rev_vel,
        use_ref_vel, x.end_eff_pos, x.ref_end_eff_pos)
    pose_err = joint_w.root * root_rot_err + joint_pose_err
    root_ang_vel_err = sq_dist(x.root_ang_vel, x.ref_root_ang_vel)
    vel_err = joint_w.root * root_ang_vel_err + joint_vel_err
    root_err = (w.root_pos * sq_dist(x.root_pos, x.ref_root_pos) + w.root_rot * root_rot_err
                + w.root_vel * sq_dist(x.root_vel, x.ref_root_vel) + w.root_ang_vel * root_ang_vel_err)

    terms = {"pose_reward": math.exp(-w.pose_scale * pose_err), "vel_reward": math.exp(-w.vel_scale * vel_err),
             "end_eff_reward": math.exp(-w.end_eff_scale * end_eff_err),
             "root_reward": math.exp(-w.root_scale * root_err)}
    terms["reward"] = (w.pose * terms["pose_reward"] + w.vel * terms["vel_reward"] + w.end_eff * terms["end_eff_reward"]
                       + w.root * terms["root_reward"]) / (w.pose + w.vel + w.end_eff + w.root)
    return terms
