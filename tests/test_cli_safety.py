"""Training and playback never lose work and never accept a typo: strict keys, values checked before
any work, no silent overwrite, a graceful stop on Ctrl-C / SIGTERM, and --help."""
import glob
import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import torch
from conftest import ROOT, run_and_interrupt

from test_training import MPIEXEC, _train_cmd

WALK_TRAIN = os.path.join(ROOT, "args/train_humanoid3d_walk_deepmimic_args.txt")
WALK_RUN = os.path.join(ROOT, "args/run_humanoid3d_walk_args.txt")


def _cli(capsys, script, argv):
    """Run a CLI's main in-process as the console script would; returns (exit code, stdout, stderr)."""
    from deepmimic.util.errors import run_cli
    module = {"train": "deepmimic.DeepMimic_Optimizer", "play": "deepmimic.testrl", "view": "deepmimic.view_motion",
              "bvh": "deepmimic.tools.bvh_import"}[script]
    main = __import__(module, fromlist=["main"]).main
    try:
        code = run_cli(lambda: main(argv))
    except SystemExit as e:
        code = e.code
    out = capsys.readouterr()
    return code, out.out, out.err


def _agent(tmp_path, **over):
    base = json.load(open(os.path.join(ROOT, "data/agents/ct_agent_humanoid_ppo.txt")))
    path = tmp_path / "agent.txt"
    path.write_text(json.dumps(dict(base, **over)))
    return ["--agent_files", str(path)]


BAD_TRAIN = [  # (extra argv, words the one-line error must contain)
    (["--max_iters", "1", "--max_iters", "2"], "command line: --max_iters is given twice"),
    (["--max_sample", "5"], "unknown key --max_sample; did you mean --max_samples?"),
    (["--fall_contact_bodys", "1"], "did you mean --fall_contact_bodies?"),
    (["--max_samples", "0"], "--max_samples must be >= 1, got 0"),
    (["--max_samples", "2500.5"], "--max_samples is a count and takes a whole number, got 2500.5"),
    (["--max_samples", "-3"], "--max_samples must be >= 1, got -3"),
    (["--rand_seed", "-1"], "--rand_seed must be from 0 to 2147483647, got -1"),
    (["--num_envs_per_proc", "0"], "--num_envs_per_proc must be from 1 to 256"),
    (["--num_envs_per_proc", "100000"], "--num_envs_per_proc must be from 1 to 256"),
    (["--world_scale", "nan"], "--world_scale must be a positive number"),
    (["--time_lim_min", "2", "--time_lim_max", "1"], "--time_lim_max (1) must be positive and >= --time_lim_min (2)"),
    (["--time_end_lim_min", "-1"], "--time_end_lim_min must be >= 0"),
    (["--train_agents", "maybe"], "--train_agents expects true or false"),
    (["--motion_file", "a", "b"], "--motion_file takes one value"),
    (["--output_path", WALK_TRAIN], "--output_path is an existing file, not a folder"),
    (["--output_path", "/proc/deepmimic_out"], "--output_path cannot be created"),
    (["--output_path", "/proc/sys"], "--output_path is not writable"),
]
BAD_AGENT = [
    ({"OutputIters": 0}, "'OutputIters' must be an integer from 1"),
    ({"IntOutputIters": 0}, "'IntOutputIters' must be an integer from 1"),
    ({"Epochs": 0}, "'Epochs' must be an integer from 1"),
    ({"BatchSize": 10 ** 9}, "'BatchSize' must be an integer from 1 to 1000000"),
    ({"MiniBatchSize": 8192}, "'MiniBatchSize' (8192) must not exceed 'BatchSize' (4096)"),
    ({"ActorStepSize": 1e-5}, "unknown key 'ActorStepSize'; did you mean 'ActorStepsize'?"),
    ({"ExpParamsBeg": {"Noize": 0.1}}, "unknown key 'ExpParamsBeg.Noize'; did you mean 'Noise'?"),
    ({"Discount": "0.95"}, "'Discount' must be a number"),
]


@pytest.mark.parametrize("extra,words", BAD_TRAIN, ids=[" ".join(b[0])[:40] for b in BAD_TRAIN])
def test_bad_training_input_is_one_line_and_exit_2(tmp_path, capsys, extra, words):
    out_dir = [] if "--output_path" in extra else ["--output_path", str(tmp_path / "out")]
    argv = ["--arg_file", WALK_TRAIN, *out_dir, *extra]
    code, out, err = _cli(capsys, "train", argv)
    assert code == 2 and words in err and "Traceback" not in err and err.count("\n") == 1, err
    assert not (tmp_path / "out" / "agent0_log.txt").exists()


@pytest.mark.parametrize("over,words", BAD_AGENT, ids=[str(b[0])[:40] for b in BAD_AGENT])
def test_bad_agent_file_is_one_line_naming_the_file(tmp_path, capsys, over, words):
    code, _, err = _cli(capsys, "train", ["--arg_file", WALK_TRAIN, "--output_path", str(tmp_path / "o"),
                                          *_agent(tmp_path, **over)])
    assert code == 2 and words in err and "agent.txt" in err and err.count("\n") == 1, err


def test_unknown_key_in_an_arg_file_names_the_file(tmp_path, capsys):
    argfile = tmp_path / "my_args.txt"
    argfile.write_text(open(WALK_TRAIN).read() + "\n--fall_contact_bodys 1 2\n")
    code, _, err = _cli(capsys, "train", ["--arg_file", str(argfile)])
    assert code == 2 and "my_args.txt: unknown key --fall_contact_bodys; did you mean --fall_contact_bodies?" in err


def test_a_key_repeated_in_an_arg_file_names_the_file(tmp_path, capsys):
    args = tmp_path / "args.txt"
    args.write_text(open(WALK_TRAIN).read() + "--motion_file data/motions/humanoid3d_run.txt\n")
    code, _, err = _cli(capsys, "train", ["--arg_file", str(args), "--output_path", str(tmp_path / "out")])
    assert code == 2 and f"{args}: --motion_file is given twice" in err and err.count("\n") == 1, err


def test_deepmimic_compat_keys_are_accepted():
    from deepmimic.util.arg_parser import ArgParser
    args = ArgParser.from_argv(["--arg_file", WALK_TRAIN, "--scene", "imitate", "--num_sim_substeps", "2",
                                "--terrain_file", "data/terrain/plane.txt", "--char_types", "general"])
    assert args.parse_string("scene") == "imitate"


@pytest.mark.parametrize("extra,words", [
    (["--num_episodes", "-1"], "--num_episodes must be from 0"),
    (["--max_steps", "0"], "--max_steps must be from 1"),
    (["--width", "0", "--record", "x.gif"], "--width must be from 16"),
    (["--record", "/proc/nope/x.gif"], "--record cannot be created"),
    (["--record", "/proc/x.gif"], "--record's folder is not writable"),  # it exists; root may write anywhere else
    (["--record_png", WALK_TRAIN], "--record_png is an existing file"),
])
def test_bad_playback_input_is_one_line_and_exit_2(capsys, extra, words):
    argv = ["--arg_file", WALK_RUN, "--model_files", "data/policies/humanoid3d/humanoid3d_jump_upstream_anet.pth", *extra]
    code, _, err = _cli(capsys, "play", argv)
    assert code == 2 and words in err and err.count("\n") == 1, err


@pytest.mark.parametrize("script,group", [("train", "output:"), ("play", "playback:")])
def test_help_lists_every_key_and_the_skills(capsys, script, group):
    from deepmimic.util.arg_keys import KEYS
    code, out, _ = _cli(capsys, script, ["--help"])
    assert code == 0 and group in out and "env:" in out and "train (the recipe): args/train_humanoid3d_<skill>_args.txt" in out and "_deepmimic_args.txt for backflip" in out
    assert "walk" in out and "backflip" in out
    shown = [k for k in KEYS if f"--{k} " in out]
    assert "drift_term_dist" in shown and "motion_file" in shown


def test_existing_model_is_never_silently_overwritten(tmp_path, capsys, small_agent_file):
    out = tmp_path / "run"
    out.mkdir()
    (out / "agent0_model_anet.pth").write_bytes(b"a trained model")
    argv = ["--arg_file", WALK_TRAIN, "--agent_files", small_agent_file, "--output_path", str(out), "--max_iters", "1"]
    code, _, err = _cli(capsys, "train", argv)
    assert code == 2 and "already holds a trained model; resume it with --model_files" in err
    assert (out / "agent0_model_anet.pth").read_bytes() == b"a trained model"


def test_intermediate_models_follow_the_command_line_output_path():
    from deepmimic.settings import output_paths
    from deepmimic.util.arg_parser import ArgParser
    args = ArgParser.from_argv(["--arg_file", WALK_TRAIN, "--output_path", "/tmp/x"])
    assert output_paths(args) == ("/tmp/x", os.path.join("/tmp/x", "intermediate"))
    args = ArgParser.from_argv(["--arg_file", WALK_TRAIN, "--output_path", "/tmp/x", "--int_output_path", "/tmp/i"])
    assert output_paths(args) == ("/tmp/x", "/tmp/i")
    args = ArgParser.from_argv(["--arg_file", WALK_TRAIN])  # the arg file's own pair
    assert output_paths(args) == ("output/humanoid3d_walk_deepmimic", "output/humanoid3d_walk_deepmimic/intermediate")


def test_resume_needs_the_matching_critic(tmp_path, small_agent_file):
    from deepmimic.factory import build_agent, build_envs
    from deepmimic.settings import Settings
    from deepmimic.util.arg_parser import ArgParser
    from deepmimic.util.errors import DeepMimicError
    base = ["--arg_file", WALK_TRAIN, "--agent_files", small_agent_file]
    settings = lambda *more: Settings.from_args(ArgParser.from_argv(base + list(more)))  # noqa: E731
    env = build_envs(settings().env, 1, seed=0)[0]
    agent = build_agent(settings(), env, seed=0)
    agent.set_total_samples(100)
    agent.save(str(tmp_path / "a"))
    agent.set_total_samples(200)
    agent.save(str(tmp_path / "b"))
    os.replace(tmp_path / "b_cnet.pth", tmp_path / "a_cnet.pth")  # anet of one save, cnet of another
    resume = settings("--model_files", str(tmp_path / "a_anet.pth"))
    with pytest.raises(DeepMimicError, match="different saves"):
        build_agent(resume, env, seed=0)
    os.remove(tmp_path / "a_cnet.pth")
    with pytest.raises(DeepMimicError, match="critic model file not found"):
        build_agent(resume, env, seed=0)
    play = settings("--model_files", str(tmp_path / "a_anet.pth"), "--train_agents", "false")
    assert build_agent(play, env, seed=0).total_samples == 100  # playing needs only the actor


def _stop_run(tmp_path, small_agent_file, sig, procs):
    out = tmp_path / f"stop_{procs}"
    def stop(proc):
        time.sleep(1.0)
        proc.send_signal(sig)
    code, stdout, stderr = run_and_interrupt(_train_cmd(out, small_agent_file, procs=procs),
                                             lambda: (out / "agent0_model_anet.pth").is_file(), stop)
    return out, code, stdout, stderr


@pytest.mark.parametrize("sig,procs", [(signal.SIGINT, 2), (signal.SIGTERM, 1)], ids=["ctrl-c-mpiexec-2", "sigterm-python"])
def test_stop_signal_saves_the_current_model_and_exits_130(tmp_path, small_agent_file, sig, procs):
    if procs > 1 and MPIEXEC is None:
        pytest.skip("mpiexec not installed")
    out, code, stdout, stderr = _stop_run(tmp_path, small_agent_file, sig, procs)
    assert code == 130, stderr[-2000:]
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    saved = torch.load(out / "agent0_model_anet.pth", weights_only=True)
    assert f"stopped at {saved['samples']} samples; model saved to {out}/agent0_model_anet.pth" in stdout
    from deepmimic.util.logger import read_log
    assert read_log(str(out / "agent0_log.txt"))["Samples"][-1] == saved["samples"]  # model and log agree


def _edited_data(tmp_path, name, edit):
    data = json.load(open(os.path.join(ROOT, name)))
    edit(data)
    path = tmp_path / os.path.basename(name)
    path.write_text(json.dumps(data))  # json writes NaN/Infinity, which Python's json also reads
    return str(path)


@pytest.mark.parametrize("name,edit,words", [
    ("data/controllers/humanoid3d_ctrl.txt", lambda d: d["PDControllers"][3].update(Kp=float("nan")), "finite, non-negative gains"),
    ("data/controllers/humanoid3d_ctrl.txt", lambda d: d["PDControllers"][3].update(Kd=float("inf")), "finite, non-negative gains"),
    ("data/characters/humanoid3d.txt", lambda d: d["Skeleton"]["Joints"][2].update(TorqueLim=-5), "negative TorqueLim"),
    ("data/characters/humanoid3d.txt", lambda d: d["Skeleton"]["Joints"][4].update(LimLow0=2, LimHigh0=1), "LimLow > LimHigh"),
    ("data/characters/humanoid3d.txt", lambda d: d["Skeleton"]["Joints"][1].update(AttachY=float("nan")), "non-finite 'AttachY'"),
    ("data/characters/humanoid3d.txt", lambda d: d["Skeleton"]["Joints"][4].update(LimLow0=0, LimHigh0=0),
     "joint 4 (right_knee) has no range (LimLow = LimHigh = 0)"),
    ("data/characters/humanoid3d.txt", lambda d: d["Skeleton"]["Joints"][7].update(Name="right_knee"),
     "joint name 'right_knee' is used by joints [4, 7]"),
], ids=["kp-nan", "kd-inf", "torque-negative", "limits-inverted", "attach-nan", "knee-locked", "names-twice"])
def test_bad_values_in_data_files_are_reported(tmp_path, name, edit, words):
    from deepmimic.env.character import load_character
    from deepmimic.env.pd_controller import load_pd_gains
    from deepmimic.util.errors import DeepMimicError
    path = _edited_data(tmp_path, name, edit)
    with pytest.raises(DeepMimicError, match=re.escape(words)) as e:
        if "controllers" in name:
            load_pd_gains(path, load_character(os.path.join(ROOT, "data/characters/humanoid3d.txt")))
        else:
            load_character(path)
    assert os.path.basename(name) in str(e.value)


def test_gym_env_rejects_non_finite_actions():
    import gymnasium as gym
    import numpy as np
    import deepmimic  # noqa: F401  (registers the envs)
    env = gym.make("deepmimic/HumanoidDeepMimicWalk-v0")
    env.reset(seed=0)
    action = np.zeros(env.action_space.shape)
    action[5] = np.nan
    with pytest.raises(ValueError, match=r"NaN or infinite values at indices \[5\]"):
        env.step(action)
    obs, *_ = env.step(np.zeros(env.action_space.shape))  # the env is still usable
    assert np.all(np.isfinite(obs))
    env.close()


def test_plot_and_converter_outputs_are_checked_first(tmp_path, capsys):
    from deepmimic.tools.tf_checkpoint import main as convert_main
    from deepmimic.plot_log import main as plot_main
    from deepmimic.util.errors import DeepMimicError
    curve = os.path.join(ROOT, "benchmarks/results/walk_deepmimic.csv")
    with pytest.raises(DeepMimicError, match="unknown image format 'pngx'"):
        plot_main([curve, "-o", str(tmp_path / "c.pngx")])
    with pytest.raises(DeepMimicError, match="--out cannot be created"):
        plot_main([curve, "-o", "/proc/no_such_dir/c.png"])
    with pytest.raises(DeepMimicError, match="--out_prefix cannot be created"):
        convert_main(["missing.ckpt", "/proc/no_such_dir/walk"])


def test_wheel_install_trains_from_any_directory(tmp_path, small_agent_file):
    """A non-editable install carries the arg files, clips and policies: train and play from elsewhere."""
    wheel_dir, target, work = tmp_path / "wheel", tmp_path / "site", tmp_path / "elsewhere"
    work.mkdir()
    import shutil
    src = tmp_path / "src"  # build from a copy: setuptools leaves build/ behind in the source tree
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".git", ".venv", "output", "build", "*.egg-info",
                                                             "__pycache__", ".pytest_cache"))
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation", "-q",
                        "-w", str(wheel_dir)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    wheel = next(wheel_dir.glob("deepmimic-*.whl"))
    r = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    env = dict(os.environ, PYTHONPATH=str(target))
    r = subprocess.run([sys.executable, "-c", "import deepmimic; print(deepmimic.__file__, deepmimic.PACKAGE_ROOT)"],
                       cwd=work, env=env, capture_output=True, text=True, timeout=120)
    assert str(target) in r.stdout and r.stdout.split()[1].endswith(os.path.join("deepmimic", "resources"))
    r = subprocess.run([sys.executable, "-m", "deepmimic.DeepMimic_Optimizer", "--arg_file",
                        "args/train_humanoid3d_walk_deepmimic_args.txt", "--agent_files", small_agent_file, "--output_path", "out",
                        "--num_envs_per_proc", "2", "--max_samples", "300", "--rand_seed", "1"],
                       cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-1000:] + r.stderr[-2000:]
    assert (work / "out" / "agent0_model_anet.pth").is_file()
    r = subprocess.run([sys.executable, "-m", "deepmimic.testrl", "--arg_file", "args/run_humanoid3d_jump_args.txt",
                        "--num_episodes", "1", "--max_steps", "5"], cwd=work, env=env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0 and "episodes: 1" in r.stdout, r.stderr[-2000:]


@pytest.mark.skipif(MPIEXEC is None, reason="mpiexec not installed")
def test_existing_model_is_refused_under_mpiexec(tmp_path, small_agent_file):
    out = tmp_path / "run"
    out.mkdir()
    (out / "agent0_model_anet.pth").write_bytes(b"a trained model")
    r = subprocess.run(_train_cmd(out, small_agent_file, "--max_iters", "1", procs=2), cwd=ROOT, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr[-2000:]
    assert r.stderr.count("already holds a trained model") == 1  # one line, from rank 0
    assert (out / "agent0_model_anet.pth").read_bytes() == b"a trained model"


def test_upstream_arg_files_load_under_strict_keys():
    """DeepMimic's / the upstream port's arg files still load: their unused keys are the documented list."""
    import glob
    import pybullet_data
    from deepmimic.util.arg_parser import ArgParser
    files = sorted(glob.glob(os.path.join(pybullet_data.getDataPath(), "args", "*.txt")))
    assert len(files) >= 30
    for path in files:
        ArgParser.from_argv(["--arg_file", path])


def test_a_copy_interrupted_midway_leaves_the_old_file_whole(tmp_path, monkeypatch):
    """ship_policy / the skill queue copy models over shipped or committed ones: a Ctrl-C mid-copy must not
    leave a truncated policy behind (a plain shutil.copyfile truncates the destination first)."""
    import shutil
    from deepmimic.util.file_io import atomic_copy
    src, dst = tmp_path / "new_anet.pth", tmp_path / "shipped_anet.pth"
    src.write_bytes(b"n" * 100_000)
    dst.write_bytes(b"old policy")

    def half_then_interrupt(fsrc, fdst, *args):
        fdst.write(fsrc.read(1000))
        raise KeyboardInterrupt
    monkeypatch.setattr(shutil, "copyfileobj", half_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        atomic_copy(src, dst)
    assert dst.read_bytes() == b"old policy"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new_anet.pth", "shipped_anet.pth"]
    monkeypatch.undo()
    atomic_copy(src, dst)
    assert dst.read_bytes() == src.read_bytes()


def test_atomic_copy_all_replaces_every_file_or_none(tmp_path):
    """An actor and its critic are shipped together: a missing second source leaves both targets as they were."""
    from deepmimic.util.file_io import atomic_copy_all
    a_src, a_dst, b_dst = tmp_path / "a_src", tmp_path / "a_dst", tmp_path / "b_dst"
    a_src.write_text("new a")
    a_dst.write_text("old a")
    b_dst.write_text("old b")
    with pytest.raises(FileNotFoundError):
        atomic_copy_all([(a_src, a_dst), (tmp_path / "missing", b_dst)])
    assert a_dst.read_text() == "old a" and b_dst.read_text() == "old b"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_dst", "a_src", "b_dst"]  # no temp file left
    (tmp_path / "b_src").write_text("new b")
    atomic_copy_all([(a_src, a_dst), (tmp_path / "b_src", b_dst)])
    assert a_dst.read_text() == "new a" and b_dst.read_text() == "new b"


def test_a_sync_that_fails_leaves_the_old_file_and_no_temp(tmp_path, monkeypatch):
    """A full disk at the sync (``AtomicFile.finish``), for one file or a pair: the targets stay as they were and
    no temp file is left beside them."""
    import errno
    from deepmimic.util import file_io
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_text("old a")
    b.write_text("old b")

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(file_io.os, "fsync", full)
    with pytest.raises(OSError, match="No space left"):
        file_io.atomic_write(str(a), lambda f: f.write(b"new a"))
    with pytest.raises(OSError, match="No space left"):
        file_io.atomic_write_all([(str(a), lambda f: f.write(b"new a")), (str(b), lambda f: f.write(b"new b"))])
    assert a.read_text() == "old a" and b.read_text() == "old b"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]


@pytest.mark.parametrize("cmd", [
    [os.path.join(ROOT, "deepmimic", "testrl.py"), "--arg_file", "args/run_humanoid3d_walk_args.txt", "--record"],
    [os.path.join(ROOT, "deepmimic", "DeepMimic_Optimizer.py"), "--arg_file", "args/train_humanoid3d_walk_args.txt",
     "--output_path"],
    ["-m", "deepmimic.view_motion", "--motion_file"],
    ["-m", "deepmimic.tools.bvh_import", "--out"],
], ids=["testrl", "optimizer", "view_motion", "bvh_import"])
def test_a_path_that_is_not_utf8_is_one_line(tmp_path, cmd):
    """A Latin-1 file name (was a UnicodeEncodeError traceback when printed or saved) is refused at once."""
    bad = os.fsencode(str(tmp_path)) + b"/caf\xe9.gif"
    r = subprocess.run([sys.executable.encode(), *[c.encode() for c in cmd], bad], cwd=ROOT, capture_output=True,
                       timeout=300)
    err = r.stderr.decode("utf-8", "replace").strip().splitlines()
    assert r.returncode == 2 and err[-1].startswith("error: ") and "caf\\xe9.gif'" in err[-1], err
    assert err[-1].endswith("holds bytes that are not UTF-8; rename the file or folder to a UTF-8 name"), err
    assert not any(line.startswith("Traceback") for line in err) and os.listdir(tmp_path) == []


def test_a_model_pair_is_saved_whole_or_not_at_all(tmp_path, monkeypatch):
    """A full disk on the critic (after the actor was written) left a new actor beside an old critic, with a
    traceback: now both stay as they were, no temp file is left, and one error names the model."""
    import errno
    from deepmimic.learning import model_io
    from deepmimic.learning.nets import Actor, Critic
    from deepmimic.learning.normalizer import Normalizer
    from deepmimic.util.errors import DeepMimicError
    actor = Actor("fc_2layers_256units", Normalizer(4), Normalizer(2))
    critic = Critic("fc_2layers_256units", Normalizer(4), Normalizer(1))
    prefix = str(tmp_path / "agent0_model")
    model_io.save_actor_critic(prefix, actor, critic, 4, 2, 0.05, 0.95, samples=100)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    real_save, calls = torch.save, []

    def disk_fills_on_the_second(obj, f):
        calls.append(1)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_save(obj, f)
    monkeypatch.setattr(model_io.torch, "save", disk_fills_on_the_second)
    with pytest.raises(DeepMimicError, match=r"agent0_model_anet.pth: cannot save the model: No space left on device"):
        model_io.save_actor_critic(prefix, actor, critic, 4, 2, 0.05, 0.95, samples=200)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_an_empty_output_path_is_refused_before_training():
    """``--output_path ''`` trained to the end and saved nothing; leaving the key out still trains, and says so first."""
    from deepmimic.util.arg_parser import ArgParser
    from deepmimic.util.errors import DeepMimicError
    with pytest.raises(DeepMimicError, match="--output_path is empty: name a folder"):
        ArgParser.from_argv(["--arg_file", "args/train_humanoid3d_walk_args.txt", "--output_path", ""])


@pytest.mark.parametrize("script", sorted(os.path.basename(f)[:-3] for f in glob.glob(os.path.join(ROOT, "benchmarks", "*.py"))))
def test_every_benchmark_says_bad_input_in_one_line(script):
    """Every benchmark ends bad input as every command does (was argparse's usage block, or exit 1 with no prefix;
    golden_log_spread ignored its arguments and ran its 14 trainings)."""
    r = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", f"{script}.py"), "--no_such_option", "1"],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1 and lines[0].startswith(f"error: {script}: "), r.stderr
    assert "unrecognized arguments: --no_such_option 1" in lines[0] or "arguments are required" in lines[0]


def test_a_second_ctrl_c_says_what_it_did(capsys, monkeypatch):
    """A Ctrl-C during start-up and a second Ctrl-C while the first one's save runs both end in one line, exit 130;
    the second said 'before any output was written', untrue while a model was being saved."""
    from deepmimic.util import file_io, stop_signal
    from deepmimic.util.errors import run_cli
    monkeypatch.setitem(stop_signal.stop_seen, "any", False)
    monkeypatch.setitem(file_io.files_written, "count", 0)  # earlier tests of this process wrote files

    def interrupted():
        raise KeyboardInterrupt
    with pytest.raises(SystemExit) as e:
        run_cli(interrupted)
    assert e.value.code == 130 and capsys.readouterr().err == "stopped by Ctrl-C before any output was written\n"

    def saving_when_stopped_twice():
        with stop_signal.StopRequest() as stop:
            os.kill(os.getpid(), signal.SIGINT)  # the first: a request, training goes on to its save
            assert stop.requested
            os.kill(os.getpid(), signal.SIGINT)  # the second: at once
            time.sleep(1.0)
    with pytest.raises(SystemExit) as e:
        run_cli(saving_when_stopped_twice)
    assert e.value.code == 130
    assert capsys.readouterr().err.startswith("stopped at once by a second Ctrl-C; a file being saved was left as it was")
    # Started ignoring Ctrl-C (`nohup cmd &` from a script): the first still asks to stop, the second still stops.
    monkeypatch.setitem(stop_signal.stop_seen, "any", False)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with pytest.raises(SystemExit) as e:
            run_cli(saving_when_stopped_twice)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert e.value.code == 130 and capsys.readouterr().err.startswith("stopped at once by a second Ctrl-C")


def test_sigterm_to_a_command_without_its_own_stop_handling_is_one_line_and_leaves_no_temp_file(tmp_path, capsys,
                                                                                               monkeypatch):
    """SIGTERM killed the tools (deepmimic-skill-gifs, ship-policy, ...) where they stood: no line, and the GIF being
    recorded left as a .tmp_ file beside the ones already drawn. It now unwinds as a Ctrl-C does, exit 143."""
    from deepmimic.util import file_io, stop_signal
    from deepmimic.util.errors import run_cli
    monkeypatch.setitem(stop_signal.stop_seen, "any", False)
    monkeypatch.setitem(file_io.files_written, "count", 0)

    def terminated_at_start():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(1.0)
    with pytest.raises(SystemExit) as e:
        run_cli(terminated_at_start)
    assert e.value.code == 143 and capsys.readouterr().err == "stopped by SIGTERM before any output was written\n"

    def terminated_while_writing_the_second_file():
        file_io.atomic_write(str(tmp_path / "first.gif"), lambda f: f.write(b"one"))
        out = file_io.AtomicFile(str(tmp_path / "second.gif"))
        out.file.write(b"half")
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1.0)
        except BaseException:
            out.discard()
            raise
        out.commit()
    with pytest.raises(SystemExit) as e:
        run_cli(terminated_while_writing_the_second_file)
    assert e.value.code == 143 and capsys.readouterr().err.startswith("stopped by SIGTERM after 1 file written (kept)")
    assert sorted(os.listdir(tmp_path)) == ["first.gif"]
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # put back for whatever runs next


def test_a_full_disk_anywhere_is_one_line(capsys):
    """A write that fills the disk (a log, a curve, TensorBoard's file), not only a model's, ends in one line
    naming the file, exit 2; other OS errors stay what they are."""
    import errno
    from deepmimic.util.errors import run_cli

    def fills(code):
        def main():
            raise OSError(code, os.strerror(code), "/runs/walk/agent0_log.txt")
        return main
    with pytest.raises(SystemExit) as e:
        run_cli(fills(errno.ENOSPC))
    assert e.value.code == 2 and capsys.readouterr().err == (
        "error: /runs/walk/agent0_log.txt: No space left on device: free some space; files being written were left "
        "as they were\n")
    with pytest.raises(PermissionError):
        run_cli(fills(errno.EACCES))
