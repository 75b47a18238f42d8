"""BVH import: our walk clip written as a T-pose BVH (facing +z, in cm, Euler orders of its own) comes
back as the same clip; a real CMU walk becomes a plausible clip; bad BVHs are one-line errors; a
converted clip plays in the viewer and trains."""
import json
import os

import numpy as np
import pytest
from conftest import ROOT
from scipy.spatial.transform import Rotation
from test_cli_safety import _cli

from deepmimic.env.character import load_character
from deepmimic.tools import bvh_import
from deepmimic.util import quaternion as quat

CHAR = load_character(os.path.join(ROOT, "data/characters/humanoid3d.txt"))
CMU_WALK = os.path.join(ROOT, "tests/data/cmu_02_01_walk.bvh")
# Our joints under CMU names (the chest is the top of the spine, the neck the head).
NAMES = {"root": "Hips", "chest": "Spine1", "neck": "Head", "right_hip": "RightUpLeg", "right_knee": "RightLeg",
         "right_ankle": "RightFoot", "right_shoulder": "RightArm", "right_elbow": "RightForeArm",
         "right_wrist": "RightHand", "left_hip": "LeftUpLeg", "left_knee": "LeftLeg", "left_ankle": "LeftFoot",
         "left_shoulder": "LeftArm", "left_elbow": "LeftForeArm", "left_wrist": "LeftHand"}
MIXAMO = {**{k: "mixamorig:" + v for k, v in NAMES.items()}, "chest": "mixamorig:Spine2"}
ORDERS = ["ZYX", "ZXY", "YXZ", "XYZ"]  # a different Euler order per joint


def _our_globals(frames):
    """Global rotations (F, J, 4) xyzw of the char from DeepMimic frames (wrists: their elbow's)."""
    g = np.zeros((len(frames), CHAR.num_joints, 4))
    g[:, 0] = frames[:, [5, 6, 7, 4]]
    col = 8
    for j in range(1, CHAR.num_joints):
        t = CHAR.types[j]
        if t == "spherical":
            local = frames[:, [col + 1, col + 2, col + 3, col]]
            local /= np.linalg.norm(local, axis=1, keepdims=True)
            col += 4
        elif t == "revolute":
            local = quat.from_axis_angle([0.0, 0.0, 1.0], frames[:, col])
            col += 1
        else:
            local = np.broadcast_to(quat.IDENTITY, (len(frames), 4))
        g[:, j] = quat.mul(g[:, CHAR.parents[j]], local)
    return g


def write_bvh_from_clip(path, frames, cm=100.0, frame_time=1 / 30, names=NAMES):
    """Our clip as a BVH in a T-pose (arms out sideways), facing +z, in centimetres."""
    to_bvh = quat.from_axis_angle([0.0, 1.0, 0.0], -np.pi / 2)  # our +x (forward) -> BVH +z
    rest = bvh_import.char_rest_positions(CHAR)
    arm_fix = {}
    for side, s in (("right", 1.0), ("left", -1.0)):  # T-pose: upper arm and forearm along +-z
        sh, el, wr = (CHAR.names.index(f"{side}_{n}") for n in ("shoulder", "elbow", "wrist"))
        rest[el] = rest[sh] + s * np.array([0, 0, np.linalg.norm(CHAR.attach_pos[el])])
        rest[wr] = rest[el] + s * np.array([0, 0, np.linalg.norm(CHAR.attach_pos[wr])])
        c = quat.from_two_vectors([0, -1, 0], [0, 0, s])  # our rest bone -> the T-pose bone
        arm_fix[sh] = arm_fix[el] = arm_fix[wr] = c
    g = _our_globals(frames)
    g_bvh = np.stack([quat.mul(quat.mul(to_bvh, quat.mul(g[:, j], quat.conj(arm_fix.get(j, quat.IDENTITY)))),
                               quat.conj(to_bvh)) for j in range(CHAR.num_joints)], axis=1)
    lines, channels = ["HIERARCHY"], []

    def emit(j, depth):
        pad = "  " * depth
        offset = quat.rotate(to_bvh, rest[j] - (rest[CHAR.parents[j]] if j else 0)) * cm
        order = ORDERS[j % len(ORDERS)]
        lines.append(f"{pad}{'ROOT' if j == 0 else 'JOINT'} {names[CHAR.names[j]]}")
        lines.append(pad + "{")
        lines.append(f"{pad}  OFFSET {offset[0]:.6f} {offset[1]:.6f} {offset[2]:.6f}")
        pos = "Xposition Yposition Zposition " if j == 0 else ""
        lines.append(f"{pad}  CHANNELS {6 if j == 0 else 3} {pos}" + " ".join(f"{a}rotation" for a in order))
        local = g_bvh[:, j] if j == 0 else quat.mul(quat.conj(g_bvh[:, CHAR.parents[j]]), g_bvh[:, j])
        channels.append(np.degrees(Rotation.from_quat(local).as_euler(order, degrees=False)))
        kids = [c for c in range(CHAR.num_joints) if CHAR.parents[c] == j]
        for c in kids:
            emit(c, depth + 1)
        if not kids:
            lines.append(f"{pad}  End Site")
            lines.append(pad + "  {")
            lines.append(f"{pad}    OFFSET 0 {-5.0:.6f} 0")
            lines.append(pad + "  }")
        lines.append(pad + "}")

    emit(0, 0)
    root = quat.rotate(to_bvh, frames[:, 1:4]) * cm
    motion = np.concatenate([root] + channels, axis=1)
    lines += ["MOTION", f"Frames: {len(frames)}", f"Frame Time: {frame_time:.10f}"]
    lines += [" ".join(f"{v:.8f}" for v in row) for row in motion]
    path.write_text("\n".join(lines) + "\n")


def _frames(path):
    return np.array(json.load(open(path))["Frames"])


@pytest.mark.parametrize("names", [NAMES, MIXAMO], ids=["cmu_names", "mixamo_names"])
def test_our_walk_survives_a_round_trip_through_a_t_pose_bvh(tmp_path, capsys, names):
    walk = _frames(os.path.join(ROOT, "data/motions/humanoid3d_walk.txt"))
    bvh, out = tmp_path / "walk.bvh", tmp_path / "walk.txt"
    write_bvh_from_clip(bvh, walk, names=names)
    code, stdout, err = _cli(capsys, "bvh", [str(bvh), str(out)])  # the clip's 0.033332 s frames written as 1/30
    assert code == 0, err
    back = _frames(out)
    assert back.shape == walk.shape and np.allclose(back[:, 0], 1 / 30)
    assert "scale 0.01 m per BVH unit" in stdout  # cm inferred from the leg length
    # one constant turn about the vertical (the clip is turned to face +x on average)
    turn = quat.mul(back[0, [5, 6, 7, 4]], quat.conj(walk[0, [5, 6, 7, 4]]))
    assert abs(turn[0]) < 1e-6 and abs(turn[2]) < 1e-6
    root_q = quat.mul(turn, walk[:, [5, 6, 7, 4]])
    assert np.allclose(np.abs(np.sum(root_q * back[:, [5, 6, 7, 4]], axis=1)), 1.0, atol=1e-9)
    path = quat.rotate(turn, walk[:, 1:4] - walk[0, 1:4])
    assert np.allclose(back[:, [1, 3]] - back[0, [1, 3]], path[:, [0, 2]], atol=1e-6)
    lift = back[:, 2] - walk[:, 2]
    assert np.ptp(lift) < 1e-6  # heights differ by one constant: the ground placement
    # every joint: same rotation (quaternion sign aside), same angle
    col = 8
    for t in CHAR.types[1:]:
        if t == "spherical":
            a, b = walk[:, col:col + 4], back[:, col:col + 4]
            dots = np.abs(np.sum(a * b, axis=1)) / np.linalg.norm(a, axis=1)
            assert np.all(dots > 1 - 1e-9), (col, dots.min())
            col += 4
        elif t == "revolute":
            assert np.allclose(back[:, col], walk[:, col], atol=1e-6), col
            col += 1


def test_a_real_cmu_walk_converts_to_a_plausible_clip(tmp_path, capsys):
    out = tmp_path / "cmu_walk.txt"
    code, stdout, err = _cli(capsys, "bvh", [CMU_WALK, str(out), "--start", "0.05"])  # skip the calibration pose
    assert code == 0, err
    f = _frames(out)
    assert len(f) == 85 and np.allclose(f[:, 0], 1 / 30)
    x, y, z = f[:, 1], f[:, 2], f[:, 3]
    steps = x[15::15] - x[:-15:15]  # every 0.5 s
    assert np.all((steps > 0.4) & (steps < 0.8)), steps  # forward, steadily (about 1.2 m/s)
    assert np.abs(z).max() < 0.2 and 0.8 < y.min() and y.max() < 1.0
    assert "lowest foot point per frame 0.000 to 0.0" in stdout  # feet on the ground all along (< 10 cm)
    from deepmimic.env.imitation_env import EnvConfig, ImitationEnv
    env = ImitationEnv(EnvConfig(motion_file=str(out)), seed=0)
    env.reset(start_time=0.5)
    _, r, _, _ = env.step(env.reference_action(env.t))
    assert 0.3 < r <= 1.0


def test_converted_clip_plays_in_the_viewer_and_trains(tmp_path, capsys, small_agent_file):
    out = tmp_path / "cmu_walk.txt"
    assert _cli(capsys, "bvh", [CMU_WALK, str(out), "--start", "0.05", "--end", "1.5"])[0] == 0
    gif = tmp_path / "clip.gif"
    code, _, err = _cli(capsys, "view", ["--motion_file", str(out), "--record", str(gif), "--max_steps", "4",
                                         "--width", "64", "--height", "48"])
    assert code == 0 and gif.is_file(), err
    run = tmp_path / "run"
    code, _, err = _cli(capsys, "train", ["--arg_file", "args/train_humanoid3d_walk_args.txt", "--motion_file", str(out),
                                          "--agent_files", small_agent_file, "--num_envs_per_proc", "2",
                                          "--max_samples", "1200", "--output_path", str(run),
                                          "--int_output_path", str(run / "int")])
    assert code == 0 and (run / "agent0_model_anet.pth").is_file(), err


def _bvh_without_legs(p):
    text = open(CMU_WALK).read()
    return text.replace("RightUpLeg", "RightThighBone").replace("LeftUpLeg", "LeftThighBone")


BAD = [
    (lambda p: "HIERARCHY\nROOT Hips\n{\n OFFSET 0 0\n", "not a readable BVH file"),
    (lambda p: open(CMU_WALK).read().replace("Frames: 344", "Frames: 0"), "not a readable BVH file"),
    (lambda p: open(CMU_WALK).read()[:-2000], "not a readable BVH file"),
    (_bvh_without_legs, "the BVH lacks joints the map needs: right_hip (tried rightupleg"),
]


@pytest.mark.parametrize("make,words", BAD, ids=["bad offset", "zero frames", "truncated", "missing joints"])
def test_bad_bvh_is_a_one_line_error(tmp_path, capsys, make, words):
    bvh = tmp_path / "bad.bvh"
    bvh.write_text(make(tmp_path))
    code, _, err = _cli(capsys, "bvh", [str(bvh), str(tmp_path / "out.txt")])
    assert code == 2 and words in err and err.count("\n") == 1 and "Traceback" not in err, err
    assert not (tmp_path / "out.txt").exists()


def test_custom_map_and_argument_errors(tmp_path, capsys):
    bvh = tmp_path / "legs.bvh"
    bvh.write_text(_bvh_without_legs(tmp_path))
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"right_hip": "RightThighBone", "left_hip": "LeftThighBone"}))
    out = tmp_path / "out.txt"
    assert _cli(capsys, "bvh", [str(bvh), str(out), "--map", str(mapping), "--end", "0.5"])[0] == 0
    code, _, err = _cli(capsys, "bvh", [str(bvh), str(out), "--map", str(mapping)])
    assert code == 2 and "--out already exists: choose another name, or pass --overwrite to replace it" in err
    for args, words in ((["--fps", "0"], "--fps must be from 1 to 1000"), (["--scale", "-1"], "--scale must be a positive"),
                        (["--loop", "pingpong"], "argument --loop: invalid choice"),
                        (["--start", "5"], "leave fewer than 2 of the clip's 344 frames")):
        code, _, err = _cli(capsys, "bvh", [CMU_WALK, str(tmp_path / "x.txt"), *args])
        assert code == 2 and words in err and err.count("\n") == 1, err
