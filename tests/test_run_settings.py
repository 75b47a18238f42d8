"""A run folder and a policy file describe themselves: run_args.txt retrains the run, the policy plays
with no arg file, and a contradicting setting is one clear error."""
import os
import subprocess
import sys

import torch
from conftest import ROOT

TRAIN = os.path.join(ROOT, "deepmimic", "DeepMimic_Optimizer.py")
PLAY = os.path.join(ROOT, "deepmimic", "testrl.py")


def _run(cmd, cwd, code=0):
    r = subprocess.run([sys.executable, *cmd], cwd=cwd, capture_output=True, text=True, timeout=600)
    assert r.returncode == code, r.stdout[-2000:] + r.stderr[-2000:]
    return r


def _keys(path):
    lines = [l for l in open(path).read().splitlines() if l.startswith("--")]
    return {l.split()[0]: l.split()[1:] for l in lines}


def test_a_trained_policy_plays_alone_and_its_run_retrains(tmp_path):
    out = tmp_path / "walk"
    _run([TRAIN, "--arg_file", "train_humanoid3d_walk_args.txt", "--max_samples", "900", "--output_path", str(out),
          "--rand_seed", "3"], cwd=tmp_path)
    saved = torch.load(out / "agent0_model_anet.pth", weights_only=True)
    assert saved["format_version"] == 2 and saved["env_args"]["ref_root_state"] == ["true"]
    assert saved["agent"]["Optimizer"] == "Adam" and saved["samples"] == 900
    # played from another folder with nothing but the policy file
    r = _run([PLAY, "--model_files", str(out / "agent0_model_anet.pth"), "--num_episodes", "1", "--max_steps", "5"],
             cwd=tmp_path)
    assert "episodes: 1" in r.stdout
    # the run folder retrains the same run
    keys = _keys(out / "run_args.txt")  # paths in the folder relative to it: the folder travels
    assert keys["--output_path"] == ["."] and keys["--int_output_path"] == ["./intermediate"]
    assert keys["--agent_files"] == ["./run_agent.txt"] and "--model_files" not in keys
    again = tmp_path / "again"
    _run([TRAIN, "--arg_file", str(out / "run_args.txt"), "--output_path", str(again)], cwd=tmp_path)
    assert torch.load(again / "agent0_model_anet.pth", weights_only=True)["samples"] == 900
    keys2 = _keys(again / "run_args.txt")
    for k in ("--output_path", "--int_output_path", "--agent_files"):
        keys.pop(k), keys2.pop(k)
    assert keys2 == keys
    # moved elsewhere, the folder resumes from its own run_args.txt, into itself, that file kept as it was
    moved = tmp_path / "elsewhere" / "walk_moved"
    moved.parent.mkdir()
    os.rename(out, moved)
    text = (moved / "run_args.txt").read_text()
    r = _run([TRAIN, "--arg_file", str(moved / "run_args.txt"), "--model_files", str(moved)], cwd=tmp_path)
    assert f"finished at 900 samples; model saved to {moved}/agent0_model_anet.pth" in r.stdout
    assert (moved / "run_args.txt").read_text() == text and not out.exists()
    out = moved
    # a setting that shapes the state and contradicts the policy: one line naming both values
    r = _run([PLAY, "--model_files", str(out / "agent0_model_anet.pth"), "--ref_root_state", "false",
              "--num_episodes", "1"], cwd=tmp_path, code=2)
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert "--ref_root_state false (from command line) contradicts the model, trained with --ref_root_state true" in r.stderr


def test_format_1_policies_still_play_with_their_arg_file(tmp_path):
    """The converted upstream policies predate format 2: they carry no settings, their run_ arg file gives them
    (backflip's, with the override its comment names for the converted one)."""
    upstream = "data/policies/humanoid3d/humanoid3d_backflip_upstream_anet.pth"
    anet = torch.load(os.path.join(ROOT, upstream), weights_only=True)
    assert anet["format_version"] == 1 and "env_args" not in anet
    r = _run([PLAY, "--arg_file", "run_humanoid3d_backflip_args.txt", "--model_files", os.path.join(ROOT, upstream),
              "--ref_root_state", "false", "--num_episodes", "1", "--max_steps", "5"], cwd=tmp_path)
    assert "episodes: 1" in r.stdout


def test_a_residual_policy_plays_as_residual_and_refuses_plain_actions(tmp_path):
    """--residual_actions changes what an action means, so the policy file carries it like a state setting."""
    from deepmimic.policy import Policy
    out = tmp_path / "res"
    _run([TRAIN, "--arg_file", "train_humanoid3d_walk_args.txt", "--residual_actions", "true", "--max_samples", "900",
          "--warm_start_samples", "300", "--output_path", str(out), "--rand_seed", "3"], cwd=tmp_path)
    anet = out / "agent0_model_anet.pth"
    assert torch.load(anet, weights_only=True)["env_args"]["residual_actions"] == ["true"]
    assert Policy.load(str(anet)).make_env("walk").cfg.residual_actions
    r = _run([PLAY, "--model_files", str(anet), "--num_episodes", "1", "--max_steps", "5"], cwd=tmp_path)
    assert "episodes: 1" in r.stdout
    r = _run([PLAY, "--model_files", str(anet), "--residual_actions", "false", "--num_episodes", "1"], cwd=tmp_path,
             code=2)
    assert r.stderr.count("\n") == 1
    assert "--residual_actions false (from command line) contradicts the model, trained with --residual_actions true" \
        in r.stderr
