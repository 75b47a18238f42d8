"""The state on plain arrays: no simulator needed."""
import math

import numpy as np

from deepmimic.env.observation import REF_ROOT_SIZE, build_state, state_size


def _quat_y(angle):  # (x, y, z, w) rotation about y
    return (0.0, math.sin(angle / 2), 0.0, math.cos(angle / 2))


def test_state_is_relative_to_the_root_heading():
    yaw = math.pi / 2  # the character faces world -z (its x axis turned 90 degrees about y)
    base_pos, base_rot = (1.0, 0.9, 2.0), _quat_y(yaw)
    # link 0 is the root itself; link 1 sits 0.5 m along the character's forward axis, moving forward at 1 m/s
    fwd = np.array([math.cos(yaw), 0.0, -math.sin(yaw)])
    links = [list(base_pos) + [0.0] * 6 + list(base_rot),
             list(np.array(base_pos) + 0.5 * fwd) + list(fwd) + [0.0, 2.0, 0.0] + list(_quat_y(yaw + 0.3))]
    s = build_state(0.25, base_pos, base_rot, links)
    assert s.shape == (state_size(2),) == (28,) and s[0] == 0.25 and s[1] == 0.9
    pose = s[2:16].reshape(2, 7)
    assert np.allclose(pose[0, :3], 0) and np.allclose(pose[0, 3:], [1, 0, 0, 0])  # root: origin, no rotation
    assert np.allclose(pose[1, :3], [0.5, 0, 0])  # forward is +x in the heading frame
    assert np.allclose(pose[1, 3:], [math.cos(0.15), 0, math.sin(0.15), 0])  # only the 0.3 rad beyond the heading
    vel = s[16:].reshape(2, 6)
    assert np.allclose(vel[1], [1, 0, 0, 0, 2, 0])


def test_quaternions_keep_w_non_negative_and_ref_root_is_appended():
    base_rot = _quat_y(0.0)
    flipped = [-q for q in _quat_y(0.4)]  # the same rotation with w < 0
    links = [[0.0, 0.9, 0.0] + [0.0] * 6 + list(base_rot), [0.0, 1.2, 0.0] + [0.0] * 6 + flipped]
    s = build_state(0.0, (0.0, 0.9, 0.0), base_rot, links, ref_root=((0.3, 0.9, -0.4), _quat_y(0.5)))
    assert s.shape == (state_size(2, True),) and len(s) == 28 + REF_ROOT_SIZE
    assert s[2 + 7 + 3] > 0  # w of link 1 made positive
    assert np.allclose(s[-5:], [0.3, 0.0, -0.4, math.cos(0.5), math.sin(0.5)])
