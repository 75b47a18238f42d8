"""DeepMimic's state as a pure function of the links' world-frame arrays, so it can be read and
tested without a simulator. The env gathers the arrays from PyBullet once per control step.

    [phase, root height, per link: position, rotation (w, x, y, z), then per link: linear and
     angular velocity], all relative to the root in its heading frame (197 entries for humanoid3d),
    optionally followed by the reference root's offset and heading difference (``REF_ROOT_SIZE``)
    and by the reference pose one control step ahead (joint quaternions with w >= 0, then revolute
    angles; MimicKit's "target observation").
"""
import math

import numpy as np
from numba import njit

REF_ROOT_SIZE = 5  # reference root offset (x, y, z) and heading difference (cos, sin)


@njit(cache=True)
def heading(qx, qy, qz, qw):
    """Angle about y of the rotation's forward (x) axis (compiled: the state's loop calls it too)."""
    return math.atan2(-2.0 * (qx * qz - qw * qy), 1.0 - 2.0 * (qy * qy + qz * qz))


def state_size(num_links, ref_root=False, ref_pose_size=0):
    return 2 + 13 * num_links + (REF_ROOT_SIZE if ref_root else 0) + ref_pose_size


def ref_pose_features(sph_rot, rev_angle):
    """A reference pose as state entries: unit joint quaternions (x, y, z, w) with w >= 0, then angles."""
    q = sph_rot / np.linalg.norm(sph_rot, axis=1, keepdims=True)
    q *= np.where(q[:, 3:4] < 0, -1.0, 1.0)
    return np.concatenate([q.ravel(), rev_angle])


def build_state(phase, base_pos, base_rot, links, ref_root=None, ref_pose=None):
    """The state vector.

    ``links``: (J, 13) rows of world position, linear velocity, angular velocity, rotation (x, y, z, w);
    ``base_rot``: the root's (x, y, z, w); ``ref_root``: None or the reference root's (position, rotation);
    ``ref_pose``: None or ``ref_pose_features`` of the upcoming reference pose.
    """
    arr = np.asarray(links, dtype=np.float64)
    n = len(arr)
    extra = 0 if ref_pose is None else len(ref_pose)
    out = np.empty(state_size(n, ref_root is not None, extra))
    base_pos = np.asarray(base_pos, dtype=np.float64)
    theta = _link_state(out, phase, base_pos, np.asarray(base_rot, dtype=np.float64), arr)
    if ref_root is not None:
        _ref_root_entries(out, 2 + 13 * n, theta, base_pos, np.asarray(ref_root[0], dtype=np.float64),
                          np.asarray(ref_root[1], dtype=np.float64))
    if extra:
        out[-extra:] = ref_pose
    return out


def ref_root_features(base_pos, base_rot, ref_pos, ref_rot):
    """The ``REF_ROOT_SIZE`` state entries alone, for a state built elsewhere (the upstream env's, in
    tests/upstream_env.py), so a policy trained with ``--ref_root_state`` can play there."""
    out = np.empty(REF_ROOT_SIZE)
    base_rot = np.asarray(base_rot, dtype=np.float64)
    theta = -heading(base_rot[0], base_rot[1], base_rot[2], base_rot[3])
    _ref_root_entries(out, 0, theta, np.asarray(base_pos, dtype=np.float64), np.asarray(ref_pos, dtype=np.float64),
                      np.asarray(ref_rot, dtype=np.float64))
    return out


@njit(cache=True)
def turn_about_y(c, s, x, z):
    """(x, z) turned about y by the angle of cosine ``c`` and sine ``s``: world offsets into a heading frame."""
    return c * x + s * z, c * z - s * x


@njit(cache=True)
def _ref_root_entries(out, at, theta, base_pos, ref_pos, ref_rot):
    """The reference root's offset from the root in its heading frame (``theta`` turns world into it),
    then the heading difference as (cos, sin)."""
    c, s = math.cos(theta), math.sin(theta)
    out[at], out[at + 2] = turn_about_y(c, s, ref_pos[0] - base_pos[0], ref_pos[2] - base_pos[2])
    out[at + 1] = ref_pos[1] - base_pos[1]
    d_heading = heading(ref_rot[0], ref_rot[1], ref_rot[2], ref_rot[3]) + theta
    out[at + 3], out[at + 4] = math.cos(d_heading), math.sin(d_heading)


@njit(cache=True)
def _link_state(out, phase, base_pos, base_rot, links):
    """Phase, root height, then per link its position and rotation (w, x, y, z with w >= 0) and then its
    linear and angular velocity, in the root's heading frame: the rotation about y by ``theta`` that
    turns the root's forward axis onto world x, which it returns. One compiled loop: on 15 links, numpy's
    per-call cost was most of the time."""
    theta = -heading(base_rot[0], base_rot[1], base_rot[2], base_rot[3])
    c, s = math.cos(theta), math.sin(theta)
    hy, hw = math.sin(0.5 * theta), math.cos(0.5 * theta)
    n = links.shape[0]
    out[0], out[1] = phase, base_pos[1]
    for j in range(n):
        x, y, z = links[j, 0] - base_pos[0], links[j, 1] - base_pos[1], links[j, 2] - base_pos[2]
        o = 2 + 7 * j
        out[o], out[o + 2] = turn_about_y(c, s, x, z)
        out[o + 1] = y
        lx, ly, lz, lw = links[j, 9], links[j, 10], links[j, 11], links[j, 12]
        w, rx, ry, rz = hw * lw - hy * ly, hw * lx + hy * lz, hw * ly + hy * lw, hw * lz - hy * lx  # R_y(theta) * q
        sign = -1.0 if w < 0 else 1.0
        out[o + 3], out[o + 4], out[o + 5], out[o + 6] = sign * w, sign * rx, sign * ry, sign * rz
        v = 2 + 7 * n + 6 * j
        for k in range(2):
            x, y, z = links[j, 3 + 3 * k], links[j, 4 + 3 * k], links[j, 5 + 3 * k]
            out[v + 3 * k], out[v + 3 * k + 2] = turn_about_y(c, s, x, z)
            out[v + 3 * k + 1] = y
    return theta
