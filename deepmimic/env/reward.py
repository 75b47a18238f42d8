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


@dataclass(frozen=True)
class RewardWeights:
    pose: float = 0.5
    vel: float = 0.05
    end_eff: float = 0.15
    root: float = 0.2
    pose_scale: float = 2.0
    vel_scale: float = 0.1
    end_eff_scale: float = 40.0
    root_scale: float = 5.0
    # the root error mixes position, rotation and velocities with these sub-weights
    root_pos: float = 1.0
    root_rot: float = 0.1
    root_vel: float = 0.01
    root_ang_vel: float = 0.001


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


def rotation_errors(x):
    """Squared rotation angles (rad^2) between reference and simulation: root first, then joints."""
    dots = np.empty(len(x.joint_rot) + 1)
    dots[0] = x.ref_root_rot @ x.root_rot
    ref_q = x.ref_joint_rot
    dots[1:] = np.einsum("ij,ij->i", ref_q, x.joint_rot) / np.sqrt(np.einsum("ij,ij->i", ref_q, ref_q))
    return (2.0 * np.arccos(np.clip(dots, -1.0, 1.0))) ** 2


def imitation_reward(x, joint_w, w=RewardWeights()):
    """The reward and its four terms for one ``TrackingState``."""
    rot_err = rotation_errors(x)
    root_rot_err = float(rot_err[0])
    rev_err = x.rev_angle - x.ref_rev_angle
    pose_err = joint_w.root * root_rot_err + joint_w.sph @ rot_err[1:] + joint_w.rev @ (rev_err * rev_err)

    sph_v = x.joint_vel if x.ref_joint_vel is None else x.joint_vel - x.ref_joint_vel
    rev_v = x.rev_vel if x.ref_rev_vel is None else x.rev_vel - x.ref_rev_vel
    root_ang_vel_err = sq_dist(x.root_ang_vel, x.ref_root_ang_vel)
    vel_err = (joint_w.root * root_ang_vel_err + joint_w.sph @ np.einsum("ij,ij->i", sph_v, sph_v)
               + joint_w.rev @ (rev_v * rev_v))

    d_ee = x.end_eff_pos - x.ref_end_eff_pos
    end_eff_err = float(np.sum(d_ee * d_ee)) / len(d_ee) if len(d_ee) else 0.0
    root_err = (w.root_pos * sq_dist(x.root_pos, x.ref_root_pos) + w.root_rot * root_rot_err
                + w.root_vel * sq_dist(x.root_vel, x.ref_root_vel) + w.root_ang_vel * root_ang_vel_err)

    terms = {"pose_reward": math.exp(-w.pose_scale * pose_err), "vel_reward": math.exp(-w.vel_scale * vel_err),
             "end_eff_reward": math.exp(-w.end_eff_scale * end_eff_err),
             "root_reward": math.exp(-w.root_scale * root_err)}
    terms["reward"] = (w.pose * terms["pose_reward"] + w.vel * terms["vel_reward"] + w.end_eff * terms["end_eff_reward"]
                       + w.root * terms["root_reward"]) / (w.pose + w.vel + w.end_eff + w.root)
    return terms
