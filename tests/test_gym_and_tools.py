"""Gymnasium envs, the log plotter and robustness of training to NaNs."""
import os
import subprocess
import sys
import time

import gymnasium as gym
import numpy as np
import pytest
import torch
from conftest import ROOT, WALKER_ENV_ARGS, untrained_policy
from gymnasium.utils.env_checker import check_env

import deepmimic  # noqa: F401  (registers the ids)
from deepmimic.env.registration import SKILLS, env_id


def test_every_skill_is_registered():
    assert len(SKILLS) == 15
    for skill in SKILLS:
        assert env_id(skill) in gym.registry


@pytest.mark.parametrize("skill", ["walk", "backflip"])
def test_gym_env_passes_checker_and_renders(skill):
    env = gym.make(env_id(skill), render_mode="rgb_array")
    check_env(env.unwrapped, skip_render_check=False)
    obs, info = env.reset(seed=3)
    assert obs.shape == (197,) and obs.dtype == np.float32
    frame = env.render()
    assert frame.shape == (240, 320, 3) and frame.std() > 5
    obs2, _ = env.reset(seed=3)
    assert np.array_equal(obs, obs2)
    obs, r, terminated, truncated, info = env.step(env.action_space.sample())
    assert 0.0 <= r <= 1.0 and isinstance(terminated, bool)
    env.close()
    assert gym.make(env_id(skill), ref_root_state=True).observation_space.shape == (202,)


def test_plot_log_cli(tmp_path):
    log = tmp_path / "agent0_log.txt"
    log.write_text("Iteration\tWall_Time\tSamples\tTrain_Return\tTest_Return\n0\t0.01\t4096\t3.5\t2.0\n1\t0.02\t8192\t4.5\t3.0\n")
    out = tmp_path / "curves.png"
    r = subprocess.run([sys.executable, os.path.join(ROOT, "deepmimic", "plot_log.py"), str(log), "-o", str(out)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    from PIL import Image
    assert Image.open(out).size[0] > 500
    bad = tmp_path / "other.txt"
    bad.write_text("a b\n1 2\n")
    r = subprocess.run([sys.executable, os.path.join(ROOT, "deepmimic", "plot_log.py"), str(bad)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "other.txt: not a DeepMimic training log" in r.stderr


def test_nan_gradient_is_skipped_and_saved_model_stays_valid(tmp_path, small_agent_file, monkeypatch):
    from deepmimic.learning.ppo_agent import PPOAgent
    from deepmimic.factory import make_trainer
    from deepmimic.util.arg_parser import ArgParser
    from deepmimic.util.logger import read_log

    calls = {"n": 0}
    original = PPOAgent._average_grads

    def faulty(self):
        calls["n"] += 1
        if calls["n"] == 15:  # inside the second iteration's update (10 minibatches an iteration)
            next(self.critic.parameters()).grad[0, 0] = float("nan")
        return original(self)

    monkeypatch.setattr(PPOAgent, "_average_grads", faulty)
    out = tmp_path / "run"
    args = ArgParser.from_argv(["--arg_file", os.path.join(ROOT, "args/train_humanoid3d_walk_deepmimic_args.txt"),
                                "--agent_files", small_agent_file, "--output_path", str(out),
                                "--num_envs_per_proc", "2", "--rand_seed", "9", "--max_iters", "4"])
    trainer = make_trainer(args)
    before = {}

    original_train = PPOAgent.train

    def spy(self, batch):
        if self.iter == 1:
            before.update({k: v.clone() for k, v in self.actor.state_dict().items()})
        try:
            return original_train(self, batch)
        finally:
            if self.iter == 2 and before:  # rolled back: identical to the pre-update weights
                after = self.actor.state_dict()
                assert all(torch.equal(before[k], after[k]) for k in before)
                before.clear()

    monkeypatch.setattr(PPOAgent, "train", spy)
    trainer.train()
    cols = read_log(str(out / "agent0_log.txt"))
    assert cols["NaN_Skips"] == [0, 1, 1, 1]
    assert np.isnan(cols["Critic_Loss"][1]) or np.isnan(cols["Actor_Loss"][1])
    assert np.isfinite(cols["Actor_Loss"][2]) and np.isfinite(cols["Actor_Loss"][3])  # training went on
    saved = torch.load(out / "agent0_model_anet.pth", weights_only=True)
    assert saved["iter"] == 4 and all(torch.isfinite(v).all() for v in saved["state_dict"].values())


def test_tensorboard_scalars_mirror_the_log(tmp_path, small_agent_file):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from deepmimic.factory import make_trainer
    from deepmimic.util.arg_parser import ArgParser
    from deepmimic.util.logger import read_log
    out = tmp_path / "run"
    args = ArgParser.from_argv(["--arg_file", os.path.join(ROOT, "args/train_humanoid3d_walk_deepmimic_args.txt"),
                                "--agent_files", small_agent_file, "--output_path", str(out),
                                "--num_envs_per_proc", "2", "--rand_seed", "4", "--max_iters", "2"])
    make_trainer(args).train()
    acc = EventAccumulator(str(out / "tensorboard"))
    acc.Reload()
    train_return = [e.value for e in acc.Scalars("Train_Return")]
    assert np.allclose(train_return, read_log(str(out / "agent0_log.txt"))["Train_Return"], rtol=1e-5)


def test_tensorboard_scalars_are_written_without_a_thread_that_a_deleted_folder_kills(tmp_path):
    """TensorBoard's own writer thread reopened its file by name at each write: a run whose output folder was
    deleted died of that thread's FileNotFoundError (MPI's exit 1, a traceback) before it could say so."""
    pytest.importorskip("tensorboard")
    import shutil
    import threading
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from deepmimic.util.logger import TabularLogger, log_to_tensorboard, make_tensorboard_writer
    threads, log = threading.active_count(), TabularLogger()
    writer = make_tensorboard_writer(str(tmp_path / "tb"))
    for step in (1, 2):
        log.log("Train_Return", 0.5 * step)
        log_to_tensorboard(writer, log, step)
    acc = EventAccumulator(str(tmp_path / "tb"))
    acc.Reload()
    assert [(e.step, e.value) for e in acc.Scalars("Train_Return")] == [(1, 0.5), (2, 1.0)]
    shutil.rmtree(tmp_path / "tb")
    log_to_tensorboard(writer, log, 3)
    time.sleep(0.2)
    log_to_tensorboard(writer, log, 4)
    writer.close()
    assert threading.active_count() == threads


@pytest.mark.parametrize("kind", ["train", "run", "deepmimic"])
def test_every_skill_arg_file_builds_and_steps(kind):
    """All 48 arg files (the 15 clips and the five-clip walker set) point at loadable data, every clip drives the
    character, the train_ files run the recipe and the _deepmimic_ files DeepMimic's configuration, with the same
    fall bodies."""
    from deepmimic.env.imitation_env import ImitationEnv
    from deepmimic.settings import env_config
    from deepmimic.util.arg_parser import ArgParser
    for skill in (*SKILLS, "walker"):
        name = f"train_humanoid3d_{skill}_deepmimic_args.txt" if kind == "deepmimic" else f"{kind}_humanoid3d_{skill}_args.txt"
        args = ArgParser.from_argv(["--arg_file", os.path.join(ROOT, "args", name)])
        if kind == "train":
            faithful = ArgParser.from_argv(["--arg_file", os.path.join(ROOT, f"args/train_humanoid3d_{skill}_deepmimic_args.txt")])
            assert args.parse_bool("ref_root_state") and args.parse_float("drift_term_dist") == 1.0
            assert args.parse_int("warm_start_samples") > 0 and args.parse_float("time_lim_min") == 20
            assert args.parse_string("agent_files") == "data/agents/ct_agent_humanoid_ppo_fast.txt"
            assert args.parse_ints("fall_contact_bodies") == faithful.parse_ints("fall_contact_bodies"), skill
            assert args.parse_string("motion_file") == faithful.parse_string("motion_file")
        if kind == "deepmimic":
            assert args.parse_string("agent_files") == "data/agents/ct_agent_humanoid_ppo.txt"
            assert args.parse_float("anneal_samples") == 32e6 and not args.has_key("ref_root_state")
        assert os.path.isfile(args.parse_string("agent_files")) or os.path.isfile(os.path.join(ROOT, args.parse_string("agent_files")))
        model = args.parse_string("model_files")
        env = ImitationEnv(env_config(args), seed=1)
        if model.startswith("data/policies"):  # shipped pretrained policies play out of the box
            assert os.path.isfile(os.path.join(ROOT, model)), model
            assert torch.load(os.path.join(ROOT, model), weights_only=True)["state_size"] == env.state_size, model
        s = env.reset()
        for _ in range(3):
            s, r, _, _ = env.step(-env.a_offset)
        assert s.shape == (env.state_size,) and env.state_size in (197, 202)
        assert np.all(np.isfinite(s)) and 0.0 <= r <= 1.0
        env.close()


def test_gym_env_builds_the_observation_a_policy_file_was_trained_with(tmp_path):
    import gymnasium as gym
    from deepmimic.util.errors import DeepMimicError
    recipe = tmp_path / "recipe_anet.pth"
    torch.save({"kind": "actor", "format_version": 2, "env_args": {"ref_root_state": ["true"]}, "state_dict": {}}, recipe)
    env = gym.make("deepmimic/HumanoidDeepMimicRun-v0", policy_file=str(recipe))
    assert env.reset(seed=0)[0].shape == (202,)
    env.close()
    old = os.path.join(ROOT, "data/policies/humanoid3d/humanoid3d_jump_upstream_anet.pth")  # format 1: DeepMimic's state
    env = gym.make("deepmimic/HumanoidDeepMimicRun-v0", policy_file=old, ref_root_state=True)
    assert env.reset(seed=0)[0].shape == (197,)
    env.close()
    with pytest.raises(DeepMimicError, match="actor model file not found"):
        gym.make("deepmimic/HumanoidDeepMimicRun-v0", policy_file=str(tmp_path / "missing.pth"))


def test_skill_gifs_draws_a_shipped_skill_and_refuses_bad_input(tmp_path):
    """deepmimic-skill-gifs plays a skill by its run arg file and writes a GIF of the pair (simulated and
    reference side by side, 15 frames/s); an unknown skill or an existing GIF is one line and exit 2."""
    from PIL import Image
    cmd = [sys.executable, "-m", "deepmimic.tools.skill_gifs", "--out_dir", str(tmp_path), "--size", "64",
           "--min_seconds", "0.5", "--max_seconds", "0.5"]
    r = subprocess.run(cmd + ["--skills", "walk"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    gif = tmp_path / "walk.gif"
    with Image.open(gif) as im:
        assert im.format == "GIF" and im.size == (64, 64) and im.n_frames == 8  # 15 control steps, every other one
        im.seek(4)
        frame = np.asarray(im.convert("RGB"))
    assert len(np.unique(frame.reshape(-1, 3), axis=0)) > 8  # a rendered scene, not a blank frame
    line = [l for l in r.stdout.splitlines() if l.startswith("walk")][0]
    assert "no fall" in line and "root-relative" in line, line
    for extra, problem in ((["--skills", "walk"], "already exists"), (["--skills", "wlak"], "unknown skill 'wlak'")):
        r = subprocess.run(cmd + extra, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert r.returncode == 2 and problem in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_skill_gifs_draws_a_policy_that_is_not_shipped(tmp_path):
    """--model_files draws a run's policy (look before shipping): that file is read, for one skill only."""
    import shutil
    run = tmp_path / "run"
    run.mkdir()
    for part in ("anet", "cnet"):
        shutil.copy(os.path.join(ROOT, "data", "policies", "humanoid3d", f"humanoid3d_walk_{part}.pth"),
                    run / f"agent0_model_{part}.pth")
    cmd = [sys.executable, "-m", "deepmimic.tools.skill_gifs", "--out_dir", str(tmp_path / "gifs"), "--size", "64",
           "--min_seconds", "0.5", "--max_seconds", "0.5", "--skills", "walk", "--model_files"]
    r = subprocess.run(cmd + [str(run)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and (tmp_path / "gifs" / "walk.gif").is_file(), r.stderr[-2000:]
    (run / "agent0_model_anet.pth").write_bytes(b"not a model")
    for extra, problem in (([str(run)], str(run / "agent0_model_anet.pth")), ([str(tmp_path / "none_anet.pth")], "no actor model"),
                           ([str(run), "--skills", "walk", "run"], "one skill")):
        r = subprocess.run(cmd + extra + ["--overwrite"], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert r.returncode == 2 and problem in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_skill_gifs_draws_each_clip_of_the_walker_set_in_turn(tmp_path):
    """A clip set's GIF plays each of its five clips from its start, --max_seconds shared among them."""
    from PIL import Image
    anet = untrained_policy(tmp_path / "walker", 197 + 5, env_args=WALKER_ENV_ARGS)
    r = subprocess.run([sys.executable, "-m", "deepmimic.tools.skill_gifs", "--out_dir", str(tmp_path), "--size", "64",
                        "--min_seconds", "0.5", "--max_seconds", "1.0", "--skills", "walker", "--model_files", anet],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    with Image.open(tmp_path / "walker.gif") as im:
        assert im.n_frames == 15  # 5 clips x 0.2 s (6 control steps, every other one drawn)
    line = [l for l in r.stdout.splitlines() if l.startswith("walker")][0]
    assert line.split()[1] == "1.0", line  # 30 control steps in all


def test_skill_gifs_checks_every_skills_policy_before_drawing_any(tmp_path, monkeypatch):
    """A skill whose run file names no policy yet (it plays output/..., not trained) is refused before the
    first GIF is drawn, not after the skills before it."""
    from deepmimic.tools import skill_gifs
    from deepmimic.util.errors import DeepMimicError
    (tmp_path / "args").mkdir()
    (tmp_path / "args" / "run_humanoid3d_walk_args.txt").write_text(open(skill_gifs.run_args("walk")[1]).read())
    (tmp_path / "args" / "run_humanoid3d_untrained_args.txt").write_text(
        f"--model_files {tmp_path / 'output' / 'agent0_model_anet.pth'}\n")
    monkeypatch.setattr(skill_gifs, "PACKAGE_ROOT", str(tmp_path))
    out = tmp_path / "gifs"
    with pytest.raises(DeepMimicError, match="--skills untrained: no policy to draw"):
        skill_gifs.main(["--skills", "walk", "untrained", "--out_dir", str(out), "--size", "64"])
    assert not out.exists() or not list(out.iterdir())
