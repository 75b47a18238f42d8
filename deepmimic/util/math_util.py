"""Vectorised quaternion math (x, y, z, w order, like PyBullet) over any leading batch shape.

These mirror the PyBullet utility functions the upstream port calls one joint at a time
(getQuaternionSlerp, getDifferenceQuaternion, getAxisAngleFromQuaternion, ...), so the
whole skeleton is processed in one numpy call.
"""
import numpy as np

_AXIS_EPS = 10.0 * np.finfo(np.float32).eps  # Bullet's threshold for a degenerate rotation axis


def quat_mul(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    ax, ay, az, aw = a[..., 0], a[..., 1], a[..., 2], a[..., 3]
    bx, by, bz, bw = b[..., 0], b[..., 1], b[..., 2], b[..., 3]
    return np.stack([aw * bx + ax * bw + ay * bz - az * by,
                     aw * by + ay * bw + az * bx - ax * bz,
                     aw * bz + az * bw + ax * by - ay * bx,
                     aw * bw - ax * bx - ay * by - az * bz], axis=-1)


def quat_conj(q):
    q = np.array(q, dtype=np.float64)
    q[..., :3] *= -1.0
    return q


def _cross(a, b):
    # np.cross is slow on tiny arrays (axis bookkeeping); spell it out.
    return np.stack([a[..., 1] * b[..., 2] - a[..., 2] * b[..., 1],
                     a[..., 2] * b[..., 0] - a[..., 0] * b[..., 2],
                     a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]], axis=-1)


def quat_rotate(q, v):
    """Rotate vectors ``v`` by unit quaternions ``q``."""
    q = np.asarray(q, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    qv = q[..., :3]
    t = 2.0 * _cross(qv, v)
    return v + q[..., 3:4] * t + _cross(qv, t)


def quat_angle(q):
    """Rotation angle 2*acos(w) in [0, 2*pi], as Bullet's getAngle (no shortest-path folding)."""
    return 2.0 * np.arccos(np.clip(np.asarray(q)[..., 3], -1.0, 1.0))


def quat_to_axis_angle(q):
    q = np.asarray(q, dtype=np.float64)
    angle = quat_angle(q)
    s2 = 1.0 - q[..., 3] ** 2
    degenerate = s2 < _AXIS_EPS
    s = np.where(degenerate, 1.0, 1.0 / np.sqrt(np.where(degenerate, 1.0, s2)))
    axis = q[..., :3] * s[..., None]
    axis = np.where(degenerate[..., None], np.array([1.0, 0.0, 0.0]), axis)
    return axis, angle


def quat_to_rotvec(q):
    axis, angle = quat_to_axis_angle(q)
    return axis * angle[..., None]


def axis_angle_to_quat(axis, angle):
    """Quaternion from (unnormalised) axis and angle; a zero axis falls back to x, as in PyBullet."""
    axis = np.asarray(axis, dtype=np.float64)
    angle = np.asarray(angle, dtype=np.float64)
    norm = np.linalg.norm(axis, axis=-1, keepdims=True)
    zero = norm < 1e-12
    axis = np.where(zero, np.array([1.0, 0.0, 0.0]), axis / np.where(zero, 1.0, norm))
    half = 0.5 * angle[..., None]
    return np.concatenate([axis * np.sin(half), np.cos(half)], axis=-1)


def quat_pos_w(q):
    """Flip quaternions to w >= 0 (same rotation), as DeepMimic stores them in states."""
    q = np.asarray(q, dtype=np.float64)
    return np.where(q[..., 3:4] < 0, -q, q)


def quat_normalize(q):
    q = np.asarray(q, dtype=np.float64)
    return q / np.linalg.norm(q, axis=-1, keepdims=True)


def heading_quat(root_rot):
    """Rotation about world y that cancels the root's heading (facing along +x afterwards)."""
    fwd = quat_rotate(root_rot, np.array([1.0, 0.0, 0.0]))
    heading = np.arctan2(-fwd[..., 2], fwd[..., 0])
    return axis_angle_to_quat(np.array([0.0, 1.0, 0.0]), -heading)


def lerp(a, b, t):
    return (1.0 - t) * a + t * b


def log_lerp(a, b, t):
    return np.exp(lerp(np.log(a), np.log(b), t))
