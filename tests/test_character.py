"""The character built from data/characters/humanoid3d.txt against pybullet_data's humanoid.urdf."""
import json
import os

import numpy as np
import pybullet as p
import pybullet_data
from conftest import ROOT, make_env


def _load_upstream_body(client):
    flags = p.URDF_MAINTAIN_LINK_ORDER | p.URDF_USE_SELF_COLLISION | p.URDF_USE_SELF_COLLISION_EXCLUDE_ALL_PARENTS
    return p.loadURDF(os.path.join(pybullet_data.getDataPath(), "humanoid/humanoid.urdf"), [0, 0.889540259, 0],
                      globalScaling=0.25, flags=flags, physicsClientId=client)


def test_body_matches_upstream_urdf():
    env = make_env("walk")
    ours, pb = env.body, env.pb
    cid = p.connect(p.DIRECT)
    try:
        theirs = _load_upstream_body(cid)
        assert pb.getNumJoints(ours) == p.getNumJoints(theirs, physicsClientId=cid) == 15
        for link in range(-1, 15):
            d_ours = pb.getDynamicsInfo(ours, link)
            d_theirs = p.getDynamicsInfo(theirs, link, physicsClientId=cid)
            assert np.isclose(d_ours[0], d_theirs[0]), f"mass of link {link}"
            assert np.allclose(d_ours[2], d_theirs[2], rtol=1e-6), f"inertia of link {link}"
            assert np.allclose(d_ours[3], d_theirs[3], atol=1e-9), f"inertial frame of link {link}"
            if link < 0:
                continue
            j_ours, j_theirs = pb.getJointInfo(ours, link), p.getJointInfo(theirs, link, physicsClientId=cid)
            assert j_ours[2] == j_theirs[2], f"joint type of {link}"
            assert np.allclose(j_ours[8:10], j_theirs[8:10]), f"limits of {link}"
            assert np.allclose(j_ours[14], j_theirs[14], atol=1e-9), f"joint frame position of {link}"
            assert np.allclose(j_ours[15], j_theirs[15], atol=1e-9), f"joint frame rotation of {link}"
            assert j_ours[16] == j_theirs[16], f"parent of {link}"
            if j_ours[2] == p.JOINT_REVOLUTE:
                assert np.allclose(j_ours[13], j_theirs[13])
            c_ours = pb.getCollisionShapeData(ours, link)
            c_theirs = p.getCollisionShapeData(theirs, link, physicsClientId=cid)
            assert len(c_ours) == len(c_theirs) == 1
            assert c_ours[0][2] == c_theirs[0][2], f"shape type of {link}"
            assert np.allclose(c_ours[0][3], c_theirs[0][3], atol=1e-9), f"shape size of {link}"
            assert np.allclose(c_ours[0][5], c_theirs[0][5], atol=1e-9), f"shape position of {link}"
            assert np.allclose(c_ours[0][6], c_theirs[0][6], atol=1e-9), f"shape rotation of {link}"
    finally:
        p.disconnect(cid)


def _edited_char(tmp_path, body, key, value):
    with open(os.path.join(ROOT, "data/characters/humanoid3d.txt")) as f:
        data = json.load(f)
    data["BodyDefs"][body][key] = value
    path = tmp_path / "humanoid3d_edited.txt"
    path.write_text(json.dumps(data))
    return str(path)


def test_editing_char_file_changes_simulated_body(tmp_path):
    base = make_env("walk")
    edited = make_env("walk", char_file=_edited_char(tmp_path, 1, "Mass", 28.0))
    assert base.pb.getDynamicsInfo(base.body, 1)[0] == 14.0
    assert edited.pb.getDynamicsInfo(edited.body, 1)[0] == 28.0
    # and the heavier chest changes the motion under the same actions
    a = -base.a_offset
    s0, s1 = base.reset(start_time=0.2), edited.reset(start_time=0.2)
    assert np.allclose(s0, s1)
    for _ in range(5):
        s0, s1 = base.step(a)[0], edited.step(a)[0]
    assert np.abs(s0 - s1).max() > 1e-3


def test_editing_body_size_changes_collision_shape(tmp_path):
    env = make_env("walk", char_file=_edited_char(tmp_path, 0, "Param0", 0.3))
    assert np.isclose(env.pb.getCollisionShapeData(env.body, 0)[0][3][0], 0.15)
