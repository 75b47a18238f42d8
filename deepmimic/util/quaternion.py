"""Vectorised quaternion algebra on (..., 4) arrays in PyBullet's (x, y, z, w) order.

For whole clips at once (motion import); the env's per-step math stays in PyBullet's own C calls,
whose single-precision results the parity tests rely on.
"""
import numpy as np

IDENTITY = np.array([0.0, 0.0, 0.0, 1.0])


def mul(a, b):
    ax, ay, az, aw = np.moveaxis(np.asarray(a, dtype=np.float64), -1, 0)
    bx, by, bz, bw = np.moveaxis(np.asarray(b, dtype=np.float64), -1, 0)
    return np.stack([aw * bx + ax * bw + ay * bz - az * by,
                     aw * by - ax * bz + ay * bw + az * bx,
                     aw * bz + ax * by - ay * bx + az * bw,
                     aw * bw - ax * bx - ay * by - az * bz], axis=-1)


def conj(q):
    return np.asarray(q) * np.array([-1.0, -1.0, -1.0, 1.0])


def rotate(q, v):
    """Rotate vectors ``v`` (..., 3) by unit quaternions ``q`` (..., 4)."""
    q = np.asarray(q, dtype=np.float64)
    u, w = q[..., :3], q[..., 3:4]
    t = 2.0 * np.cross(u, v)
    return v + w * t + np.cross(u, t)


def from_axis_angle(axis, angle):
    axis = np.asarray(axis, dtype=np.float64)
    half = 0.5 * np.asarray(angle, dtype=np.float64)[..., None]
    return np.concatenate([axis * np.sin(half), np.cos(half)], axis=-1)


def from_two_vectors(u, v):
    """The smallest rotation taking direction ``u`` onto direction ``v`` (single 3-vectors)."""
    u, v = np.asarray(u, float) / np.linalg.norm(u), np.asarray(v, float) / np.linalg.norm(v)
    d = float(u @ v)
    if d < -1.0 + 1e-9:  # opposite: half a turn about any axis normal to u
        axis = np.cross(u, [1.0, 0.0, 0.0] if abs(u[0]) < 0.9 else [0.0, 1.0, 0.0])
        return from_axis_angle(axis / np.linalg.norm(axis), np.pi)
    q = np.append(np.cross(u, v), 1.0 + d)
    return q / np.linalg.norm(q)


def from_matrix(m):
    """Unit quaternion of a 3x3 rotation matrix (Shepperd's method)."""
    m = np.asarray(m, dtype=np.float64)
    tr = np.trace(m)
    if tr > 0:
        s = 2.0 * np.sqrt(tr + 1.0)
        q = [(m[2, 1] - m[1, 2]) / s, (m[0, 2] - m[2, 0]) / s, (m[1, 0] - m[0, 1]) / s, 0.25 * s]
    else:
        i = int(np.argmax(np.diag(m)))
        j, k = (i + 1) % 3, (i + 2) % 3
        s = 2.0 * np.sqrt(1.0 + m[i, i] - m[j, j] - m[k, k])
        q = [0.0, 0.0, 0.0, (m[k, j] - m[j, k]) / s]
        q[i], q[j], q[k] = 0.25 * s, (m[j, i] + m[i, j]) / s, (m[k, i] + m[i, k]) / s
    q = np.array(q)
    return q / np.linalg.norm(q)


def continuous(q, axis=0):
    """Flip signs along ``axis`` (time) so that consecutive quaternions lie in the same hemisphere."""
    q = np.moveaxis(np.array(q, dtype=np.float64), axis, 0)
    for i in range(1, len(q)):
        q[i] *= np.where(np.sum(q[i] * q[i - 1], axis=-1, keepdims=True) < 0, -1.0, 1.0)
    return np.moveaxis(q, 0, axis)


def slerp(q0, q1, t):
    """Spherical interpolation, elementwise over leading axes; ``t`` broadcasts against q[..., 0]."""
    q0, q1 = np.asarray(q0, float), np.asarray(q1, float)
    t = np.asarray(t, dtype=np.float64)[..., None]
    d = np.sum(q0 * q1, axis=-1, keepdims=True)
    q1 = np.where(d < 0, -q1, q1)
    d = np.abs(d)
    theta = np.arccos(np.clip(d, -1.0, 1.0))
    sin = np.sin(theta)
    near = sin < 1e-6
    safe = np.where(near, 1.0, sin)
    w0 = np.where(near, 1.0 - t, np.sin((1.0 - t) * theta) / safe)
    w1 = np.where(near, t, np.sin(t * theta) / safe)
    q = w0 * q0 + w1 * q1
    return q / np.linalg.norm(q, axis=-1, keepdims=True)


def twist_angle(q, axis):
    """Angle of the rotation about ``axis`` (unit 3-vector) in ``q``'s swing-twist split, in (-pi, pi]."""
    a = 2.0 * np.arctan2(np.asarray(q)[..., :3] @ np.asarray(axis, float), np.asarray(q)[..., 3])
    return (a + np.pi) % (2.0 * np.pi) - np.pi
