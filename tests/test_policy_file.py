"""A policy file is input like any other (``deepmimic.util.policy_file``): every malformed or diverged file is
refused in one line naming it, whichever command reads it (testrl, the gymnasium env, training's resume)."""
import glob
import os
import subprocess
import sys

import pytest
import torch

from deepmimic.util.errors import DeepMimicError
from deepmimic.util.policy_file import read_policy_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WALK = os.path.join(ROOT, "data/policies/humanoid3d/humanoid3d_walk")


def _walk(kind="actor"):
    return torch.load(f"{WALK}_{'anet' if kind == 'actor' else 'cnet'}.pth", map_location="cpu", weights_only=True)


def _with(**changes):
    data = _walk()
    for key, value in changes.items():
        data[key] = value
    return data


def _nan_weights():
    data = _walk()
    data["state_dict"] = dict(data["state_dict"])
    weight = [k for k in data["state_dict"] if k.endswith("weight")][0]
    data["state_dict"][weight] = data["state_dict"][weight].clone()
    data["state_dict"][weight][0, 0] = float("nan")
    return data


class NotWeights:  # a pickled object of another module: torch's safe loader refuses it
    pass


BAD = {
    "env_args a string": (_with(env_args="--time_lim_min 20"), r"saved settings \(env_args\) are not a key -> values"),
    "env_args a list": (_with(env_args=["--time_lim_min", "20"]), r"saved settings \(env_args\) are not"),
    "a value not a list": (_with(env_args={"time_lim_min": 20}), "saved setting --time_lim_min is 20, not a list"),
    "a negative time limit": (_with(env_args=dict(_walk()["env_args"], time_lim_min=["-1"])),
                              r"\(saved setting\): --time_lim_min must be >= 0, got -1"),
    "an unknown choice": (_with(env_args=dict(_walk()["env_args"], ref_root_state=["maybe"])),
                          "--ref_root_state expects true or false"),
    "format_version a string": (_with(format_version="2"), "format_version is '2', not a whole number"),
    "a newer format": (_with(format_version=99), "model format 99 is newer"),
    "state_size a float": (_with(state_size=202.5), "state_size is 202.5, not a positive whole number"),
    "agent not an object": (_with(agent="[]"), "agent settings are not a JSON object"),
    "NaN weights": (_nan_weights(), r"weights hold NaN or infinite values \(.*weight\)"),
    "the critic as actor": (_walk("critic"), r"this is the critic of a model, not its actor"),
    "a Python object": ({"kind": "actor", "state_dict": {}, "x": NotWeights()}, "Python objects beyond tensors"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_malformed_policy_files_are_refused_naming_the_file(tmp_path, case):
    data, message = BAD[case]
    path = tmp_path / "bad_anet.pth"
    torch.save(data, path)
    with pytest.raises(DeepMimicError, match=message) as e:
        read_policy_file(str(path), "actor")
    assert str(e.value).startswith(str(path))
    assert "weights_only" not in str(e.value)


def test_every_command_refuses_them_in_one_line(tmp_path):
    """testrl (exit 2, one line), the gymnasium env and the weights loader."""
    bad = tmp_path / "nan_anet.pth"
    torch.save(_nan_weights(), bad)
    r = subprocess.run([sys.executable, os.path.join(ROOT, "deepmimic", "testrl.py"), "--model_files", str(bad),
                        "--num_episodes", "1"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and r.stderr.strip().splitlines() == [r.stderr.strip()], r.stderr[-2000:]
    assert r.stderr.startswith(f"error: {bad}: the weights hold NaN")
    from deepmimic.env.gym_env import DeepMimicGymEnv
    with pytest.raises(DeepMimicError, match="NaN"):
        DeepMimicGymEnv("walk", policy_file=str(bad))
    # weights of another shape: the message names the weight, not just the class
    from deepmimic.learning.model_io import load_net_state
    from deepmimic.learning.nets import Actor
    from deepmimic.learning.normalizer import Normalizer
    actor = Actor("fc_2layers_1024units", Normalizer(197), Normalizer(36))
    with pytest.raises(DeepMimicError, match=r"weights do not fit the network: size mismatch for s_norm\.mean"):
        load_net_state(actor, _walk(), WALK + "_anet.pth")


def test_every_shipped_policy_file_passes():
    files = glob.glob(os.path.join(ROOT, "data/policies/**/*.pth"), recursive=True)
    assert len(files) >= 20
    for path in files:
        read_policy_file(path, "actor" if path.endswith("_anet.pth") else "critic")


def test_a_policy_object_carries_its_actor_env_and_agent(monkeypatch):
    """Policy.load reads the file once and gives the actor, the typed env settings it was trained with (a file
    of format 2 carries them; a format-1 file, upstream's converted walk, is sized by its state) and its agent;
    one state in, one action out, and a batch alike."""
    import numpy as np
    from deepmimic import policy as policy_module
    from deepmimic.policy import Policy
    reads = []
    real = policy_module.read_policy_file
    monkeypatch.setattr(policy_module, "read_policy_file", lambda *a: reads.append(a) or real(*a))
    ours, theirs = Policy.load("walk"), Policy.load("walk_upstream")
    assert len(reads) == 2
    assert ours.state_size == 202 and ours.agent is not None and ours.samples > 1e6
    cfg = ours.env_config("data/motions/humanoid3d_run.txt", smooth_ref_vel=True)
    assert cfg.ref_root_state and cfg.smooth_ref_vel and cfg.drift_term_dist == float(ours.env_args["drift_term_dist"][0])
    assert cfg.motion_file.endswith("humanoid3d_run.txt")
    old = theirs.env_config("data/motions/humanoid3d_walk.txt")
    assert theirs.env_args == {} and theirs.agent is None and theirs.state_size == 197
    assert not old.ref_root_state and not old.ref_pose_state and len(old.fall_contact_bodies) == 13
    env = ours.make_env("walk")
    s = env.reset(start_time=0.2)
    one, batch = ours.act(s), ours(np.stack([s, s]))
    assert one.shape == (36,) and batch.shape == (2, 36) and np.allclose(batch[1], one, atol=1e-6)
