"""Bad input gives one clear error naming the file and the problem, and a non-zero exit."""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT

from deepmimic.env.character import load_character
from deepmimic.env.motion_data import MotionData
from deepmimic.util.arg_parser import ArgParser
from deepmimic.util.errors import DeepMimicError

CHAR = os.path.join(ROOT, "data/characters/humanoid3d.txt")
WALK = os.path.join(ROOT, "data/motions/humanoid3d_walk.txt")


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_motion_bad_json(tmp_path):
    bad = _write(tmp_path, "m.txt", '{"Loop": "wrap", "Frames": [[0.1, 1, 2,]')
    with pytest.raises(DeepMimicError, match="invalid JSON") as e:
        MotionData(bad, load_character(CHAR))
    assert e.value.path == bad and bad in str(e.value)


def test_motion_wrong_frame_length(tmp_path):
    data = json.load(open(WALK))
    data["Frames"][3] = data["Frames"][3][:40]
    bad = _write(tmp_path, "m.txt", json.dumps(data))
    with pytest.raises(DeepMimicError, match="frame 3 has length 40, expected 44"):
        MotionData(bad, load_character(CHAR))


def test_motion_missing_file(tmp_path):
    with pytest.raises(DeepMimicError, match="motion file not found"):
        MotionData(str(tmp_path / "nope.txt"), load_character(CHAR))


def test_char_unknown_joint_type(tmp_path):
    data = json.load(open(CHAR))
    data["Skeleton"]["Joints"][4]["Type"] = "hinge"
    bad = _write(tmp_path, "c.txt", json.dumps(data))
    with pytest.raises(DeepMimicError, match="unknown joint type 'hinge'") as e:
        load_character(bad)
    assert bad in str(e.value) and "right_knee" in str(e.value)


def test_char_bad_json_and_missing(tmp_path):
    with pytest.raises(DeepMimicError, match="invalid JSON"):
        load_character(_write(tmp_path, "c.txt", "{ not json"))
    with pytest.raises(DeepMimicError, match="character file not found"):
        load_character(str(tmp_path / "missing.txt"))


def test_char_bad_mass(tmp_path):
    data = json.load(open(CHAR))
    data["BodyDefs"][2]["Mass"] = -1
    with pytest.raises(DeepMimicError, match="positive Mass"):
        load_character(_write(tmp_path, "c.txt", json.dumps(data)))


def test_arg_file_missing_and_bad_value(tmp_path):
    with pytest.raises(DeepMimicError, match="arg file not found"):
        ArgParser.from_argv(["--arg_file", str(tmp_path / "none.txt")])
    path = _write(tmp_path, "a.txt", "--fall_contact_bodies 0 one 2\n")
    with pytest.raises(DeepMimicError, match="fall_contact_bodies expects integer") as e:  # checked when parsed
        ArgParser.from_argv(["--arg_file", path])
    assert "a.txt" in str(e.value)
    args = ArgParser.from_argv(["--arg_file", path], strict=False)  # the typed getters check too
    with pytest.raises(DeepMimicError, match="fall_contact_bodies expects integer"):
        args.parse_ints("fall_contact_bodies")


def test_a_value_outside_its_choices_is_named(tmp_path):
    path = _write(tmp_path, "a.txt", "--adaptive_starts 0.5\n--adaptive_starts_at end\n")
    with pytest.raises(DeepMimicError, match="--adaptive_starts_at must be start or fail, got end") as e:
        ArgParser.from_argv(["--arg_file", path])
    assert "a.txt" in str(e.value)


def test_assist_gain_needs_samples_to_fade_over(tmp_path):
    r = _run("DeepMimic_Optimizer.py", "--arg_file", "args/train_humanoid3d_walk_args.txt", "--assist_gain", "1",
             "--output_path", str(tmp_path / "out"))
    assert r.returncode == 2 and "Traceback" not in r.stderr and not (tmp_path / "out").exists()
    assert "--assist_gain needs --assist_anneal_samples > 0" in r.stderr


def test_adaptive_starts_at_needs_a_share(tmp_path):
    r = _run("DeepMimic_Optimizer.py", "--arg_file", "args/train_humanoid3d_walk_args.txt", "--adaptive_starts_at",
             "fail", "--output_path", str(tmp_path / "out"))
    assert r.returncode == 2 and "Traceback" not in r.stderr and not (tmp_path / "out").exists()
    assert "--adaptive_starts_at fail needs --adaptive_starts > 0" in r.stderr


def test_command_line_overrides_arg_file(tmp_path):
    path = _write(tmp_path, "a.txt", "--motion_file x.txt\n--num_envs_per_proc 3 # comment\n")
    args = ArgParser.from_argv(["--arg_file", path, "--num_envs_per_proc", "5"])
    assert args.parse_int("num_envs_per_proc") == 5 and args.parse_string("motion_file") == "x.txt"


def _run(script, *argv):
    return subprocess.run([sys.executable, os.path.join(ROOT, "deepmimic", script), *argv], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("script", ["DeepMimic_Optimizer.py", "testrl.py"])
def test_cli_reports_bad_files_without_traceback(tmp_path, script):
    r = _run(script, "--arg_file", str(tmp_path / "missing_args.txt"))
    assert r.returncode == 2
    assert "missing_args.txt: arg file not found" in r.stderr and "Traceback" not in r.stderr

    motion = _write(tmp_path, "broken_motion.txt", '{"Frames": [[0.1, 0, 0.9]]}')
    argfile = _write(tmp_path, "args.txt", f"--motion_file {motion}\n--agent_files data/agents/ct_agent_humanoid_ppo.txt\n"
                                          "--model_files data/policies/humanoid3d/humanoid3d_jump_upstream_anet.pth\n")
    r = _run(script, "--arg_file", argfile)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "broken_motion.txt" in r.stderr and "at least 2 keyframes" in r.stderr


def test_testrl_reports_corrupt_model(tmp_path):
    anet = tmp_path / "agent0_model_anet.pth"
    anet.write_bytes(b"garbage, not a torch file")
    r = _run("testrl.py", "--arg_file", "args/run_humanoid3d_walk_args.txt", "--model_files", str(anet),
             "--num_episodes", "1")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "agent0_model_anet.pth: not a readable deepmimic actor model" in r.stderr


def test_model_with_wrong_sizes_is_rejected(tmp_path):
    import torch
    src = os.path.join(ROOT, "data/policies/humanoid3d/humanoid3d_jump_upstream_anet.pth")
    data = torch.load(src, weights_only=True)
    data["state_size"] = 100
    bad = tmp_path / "small_anet.pth"
    torch.save(data, bad)
    shutil.copy(src.replace("_anet", "_cnet"), tmp_path / "small_cnet.pth")
    r = _run("testrl.py", "--arg_file", "args/run_humanoid3d_jump_args.txt", "--model_files", str(bad),
             "--num_episodes", "1")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "model sizes do not fit the env: model has state size 100" in r.stderr


def test_agent_file_unknown_net_and_bad_json(tmp_path):
    from deepmimic.learning.agent_config import load_agent_file
    data = json.load(open(os.path.join(ROOT, "data/agents/ct_agent_humanoid_ppo.txt")))
    data["ActorNet"] = "fc_9layers"
    with pytest.raises(DeepMimicError, match="unknown 'ActorNet' 'fc_9layers'") as e:
        load_agent_file(_write(tmp_path, "agent.txt", json.dumps(data)))
    assert "agent.txt" in str(e.value)
    data["ActorNet"], data["ActorMinibatches"] = "fc_2layers_1024units", "explore"
    with pytest.raises(DeepMimicError, match="unknown 'ActorMinibatches' 'explore' \\(known: batch, explored\\)"):
        load_agent_file(_write(tmp_path, "agent3.txt", json.dumps(data)))
    with pytest.raises(DeepMimicError, match="malformed agent file: invalid JSON"):
        load_agent_file(_write(tmp_path, "agent2.txt", '{"AgentType": "PPO",'))


def test_motion_with_uneven_frame_durations(tmp_path):
    data = json.load(open(WALK))
    for i, fr in enumerate(data["Frames"][:-1]):
        fr[0] = 0.02 if i % 2 else 0.04
    m = MotionData(_write(tmp_path, "m.txt", json.dumps(data)), load_character(CHAR))
    assert not m.uniform and np.isclose(m.cycle_time, sum(fr[0] for fr in data["Frames"][:-1]))
    count, frame, nxt, frac = m.locate(0.04 + 0.02 + 0.01)  # half-way through frame 2 (0.04 long)
    assert (count, frame, nxt) == (0, 2, 3) and np.isclose(frac, 0.25)
    assert np.allclose(m.root_vel[1], (m.root_pos[2] - m.root_pos[1]) / 0.02)
    for dur in (0.0, 1e-300):  # 1e-300 s overflowed the frame velocities (OverflowError)
        data["Frames"][5][0] = dur
        with pytest.raises(DeepMimicError, match="frame 5 must last at least 0.0001 s"):
            MotionData(_write(tmp_path, "m2.txt", json.dumps(data)), load_character(CHAR))


@pytest.mark.parametrize("value", ["0.5", True, None])
def test_motion_frames_hold_only_numbers(tmp_path, value):
    """A string or a boolean in a frame converted silently to a number (the "newer surfaces" issue)."""
    data = json.load(open(WALK))
    data["Frames"][3][7] = value
    with pytest.raises(DeepMimicError, match=f"frame 3 holds {value!r}: frames must contain only numbers"):
        MotionData(_write(tmp_path, "m.txt", json.dumps(data)), load_character(CHAR))


def test_motion_root_far_from_the_origin(tmp_path):
    """A root at x = 1e30 made the viewer crawl for minutes with no output: refused, naming the frame."""
    data = json.load(open(WALK))
    data["Frames"][5][1] = 1e30
    bad = _write(tmp_path, "m.txt", json.dumps(data))
    with pytest.raises(DeepMimicError, match="frame 5 puts the root 1e.30 m from the origin; a clip stays within 10000 m"):
        MotionData(bad, load_character(CHAR))
    data["Frames"][5][1] = 9000.0  # far, but a place PyBullet simulates
    MotionData(_write(tmp_path, "ok.txt", json.dumps(data)), load_character(CHAR))
