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

REF_ROOT_SIZE = 5  # reference root offset (x, y, z) and heading difference (cos, sin)


def heading(qx, qy, qz, qw):
    """Angle about y of the rotation's forward (x) axis."""
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
    n = len(links)
    arr = np.array(links, dtype=np.float64)
    arr[:, 0:3] -= base_pos
    # Heading: rotation about y that turns the root's forward (x) axis onto world x.
    theta = -heading(*base_rot)
    c, s = math.cos(theta), math.sin(theta)
    rot_t = np.array([[c, 0.0, -s], [0.0, 1.0, 0.0], [s, 0.0, c]])  # transpose of R_y(theta)
    vecs = (arr[:, 0:9].reshape(-1, 3) @ rot_t).reshape(-1, 9)
    # heading * q as one matrix product on (x, y, z, w) rows, giving (w, x, y, z) columns
    hy, hw = math.sin(0.5 * theta), math.cos(0.5 * theta)
    left_mul = np.array([[0.0, hw, 0.0, -hy], [-hy, 0.0, hw, 0.0], [0.0, hy, 0.0, hw], [hw, 0.0, hy, 0.0]])
    quat = arr[:, 9:13] @ left_mul
    quat *= np.where(quat[:, 0:1] < 0, -1.0, 1.0)
    extra = 0 if ref_pose is None else len(ref_pose)
    out = np.empty(state_size(n, ref_root is not None, extra))
    out[0], out[1] = phase, base_pos[1]
    pose = out[2:2 + 7 * n].reshape(n, 7)
    pose[:, 0:3], pose[:, 3:7] = vecs[:, 0:3], quat
    out[2 + 7 * n:2 + 13 * n] = vecs[:, 3:9].ravel()
    if ref_root is not None:
        ref_pos, ref_rot = ref_root
        out[2 + 13 * n:2 + 13 * n + 3] = (np.asarray(ref_pos) - base_pos) @ rot_t
        d_heading = heading(*ref_rot) + theta
        out[2 + 13 * n + 3:2 + 13 * n + REF_ROOT_SIZE] = math.cos(d_heading), math.sin(d_heading)
    if extra:
        out[-extra:] = ref_pose
    return out
