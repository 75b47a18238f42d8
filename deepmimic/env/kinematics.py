"""Forward kinematics of the character in compiled loops: where the reference pose puts every body, without
posing a PyBullet body and reading it back (that round trip of calls cost more than the reward's own
arithmetic). The results are the ones PyBullet reports for a posed body, to rounding: the same lengths
(``urdf_writer.as_loaded``) and the same sign convention for the root quaternion (``bullet_quaternion``).
"""
import math

import numpy as np
from numba import njit

from deepmimic.env.urdf_writer import as_loaded


class Skeleton:
    """The constant arrays of the character's kinematic tree, as PyBullet loads it."""

    def __init__(self, char, world_scale, sph_joints, rev_joints):
        self.parents = np.asarray(char.parents, dtype=np.int64)
        self.attach = as_loaded(char.attach_pos, world_scale)
        self.body_pos = as_loaded(char.body_pos, world_scale)
        self.sph_joints = np.asarray(sph_joints, dtype=np.int64)
        self.rev_joints = np.asarray(rev_joints, dtype=np.int64)

    def body_positions(self, pose):
        """(J, 3) world positions of the bodies' centres of mass for a ``ReferencePose``."""
        return _body_positions(pose.root_pos, pose.root_rot, pose.sph_rot, pose.rev_angle, self.sph_joints,
                               self.rev_joints, self.parents, self.attach, self.body_pos)


@njit(cache=True)
def _rotate(q, v):
    """q v q* for a quaternion (x, y, z, w) of any length: Bullet's quatRotate. A non-unit q also scales
    ``v`` by |q|^2, which Bullet keeps (see ``_body_positions``)."""
    x, y, z, w = q[0], q[1], q[2], q[3]
    a, b = w * w - (x * x + y * y + z * z), 2.0 * (x * v[0] + y * v[1] + z * v[2])
    return np.array([a * v[0] + b * x + 2.0 * w * (y * v[2] - z * v[1]),
                     a * v[1] + b * y + 2.0 * w * (z * v[0] - x * v[2]),
                     a * v[2] + b * z + 2.0 * w * (x * v[1] - y * v[0])])


@njit(cache=True)
def _multiply(a, b):
    ax, ay, az, aw = a[0], a[1], a[2], a[3]
    bx, by, bz, bw = b[0], b[1], b[2], b[3]
    return np.array([aw * bx + ax * bw + ay * bz - az * by, aw * by + ay * bw + az * bx - ax * bz,
                     aw * bz + az * bw + ax * by - ay * bx, aw * bw - ax * bx - ay * by - az * bz])


@njit(cache=True)
def _unit(q):
    n = math.sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3])
    return np.array([q[0] / n, q[1] / n, q[2] / n, q[3] / n])


@njit(cache=True)
def _body_positions(root_pos, root_rot, sph_rot, rev_angle, sph_joints, rev_joints, parents, attach, body_pos):
    count = parents.shape[0]
    local = np.zeros((count, 4))
    local[:, 3] = 1.0
    for k in range(sph_joints.shape[0]):
        local[sph_joints[k]] = _unit(sph_rot[k])
    for k in range(rev_joints.shape[0]):  # revolute joints turn about their z axis
        local[rev_joints[k], 2], local[rev_joints[k], 3] = math.sin(0.5 * rev_angle[k]), math.cos(0.5 * rev_angle[k])
    rot, pos, out = np.empty((count, 4)), np.empty((count, 3)), np.empty((count, 3))
    # As Bullet: the joints' quaternions are normalised, the root's is not (the clips' are up to ~1% off
    # unit length), so its squared length scales every offset, as in a posed PyBullet body.
    base_rot, base_pos = np.asarray(root_rot, dtype=np.float64), np.asarray(root_pos, dtype=np.float64)
    for j in range(count):  # parents come before their children
        p = parents[j]
        parent_rot, parent_pos = (base_rot, base_pos) if p < 0 else (rot[p], pos[p])
        pos[j] = parent_pos + _rotate(parent_rot, attach[j])
        rot[j] = _multiply(parent_rot, local[j])
        out[j] = pos[j] + _rotate(rot[j], body_pos[j])
    return out


@njit(cache=True)
def _bullet_quaternion(q):
    n = _unit(q)
    x, y, z, w = n[0], n[1], n[2], n[3]
    diag = (1.0 - 2.0 * (y * y + z * z), 1.0 - 2.0 * (x * x + z * z), 1.0 - 2.0 * (x * x + y * y))
    if diag[0] + diag[1] + diag[2] > 0.0:
        lead = w
    else:
        i = (2 if diag[1] < diag[2] else 1) if diag[0] < diag[1] else (2 if diag[0] < diag[2] else 0)
        lead = n[i]
    return n if lead >= 0.0 else -n


def bullet_quaternion(q):
    """The unit quaternion PyBullet reports for a body posed with ``q`` (x, y, z, w): Bullet converts it to a
    matrix and back, which fixes the sign (w > 0 when the matrix's trace is, else the component of its
    largest diagonal entry). The sign matters: the reward compares rotations by a dot product."""
    return _bullet_quaternion(np.asarray(q, dtype=np.float64))
