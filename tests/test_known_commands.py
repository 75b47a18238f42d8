"""The commands users already know (DeepMimic's habits, the PyTorch port's README) work as written:
from inside deepmimic/, with bare arg-file names, --model_file, --num_workers, the port's example arg file."""
import os
import subprocess
import sys

import pytest
from conftest import ROOT
from test_training import MPIEXEC

SCRIPTS = os.path.join(ROOT, "deepmimic")

# The PyTorch port's example arg file, verbatim.
SEED_ARGS = """--env_type humanoid3d
--char_file chars/humanoid3d.txt
--motion_file motions/humanoid3d_walk.txt
--num_workers 4
--int_output_iters 100
--int_save_iters 100
"""


def _run(cmd, cwd=SCRIPTS, timeout=600):
    r = subprocess.run([sys.executable, *cmd], cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    return r.stdout


def test_documented_commands_run_from_inside_the_package_folder(tmp_path):
    out = tmp_path / "walk"
    stdout = _run(["DeepMimic_Optimizer.py", "--arg_file", "train_humanoid3d_walk_args.txt",
                   "--max_samples", "300", "--output_path", str(out)])
    assert f"finished at 300 samples; model saved to {out}/agent0_model_anet.pth" in stdout
    stdout = _run(["testrl.py", "--arg_file", "run_humanoid3d_walk_args.txt", "--num_episodes", "1", "--max_steps", "5"])
    assert "episodes: 1" in stdout
    stdout = _run(["testrl.py", "--arg_file", "run_humanoid3d_walk_args.txt", "--model_file",
                   str(out / "agent0_model_anet.pth"), "--num_episodes", "1", "--max_steps", "5"])
    assert "episodes: 1" in stdout


def test_an_arg_file_that_is_nowhere_says_where_it_looked(tmp_path):
    r = subprocess.run([sys.executable, os.path.join(SCRIPTS, "DeepMimic_Optimizer.py"), "--arg_file", "train_nothing.txt"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "train_nothing.txt: arg file not found (looked in: train_nothing.txt," in r.stderr
    assert os.path.join(ROOT, "args", "train_nothing.txt") in r.stderr


@pytest.mark.skipif(MPIEXEC is None, reason="mpiexec not installed")
def test_num_workers_starts_that_many_ranks(tmp_path, small_agent_file):
    out = tmp_path / "w2"
    stdout = _run([os.path.join(SCRIPTS, "DeepMimic_Optimizer.py"), "--arg_file", "train_humanoid3d_walk_deepmimic_args.txt",
                   "--agent_files", small_agent_file, "--num_envs_per_proc", "2", "--num_workers", "2",
                   "--max_iters", "1", "--output_path", str(out), "--rand_seed", "1"], cwd=tmp_path)
    progress = [l for l in stdout.splitlines() if l.startswith("iter ")]
    assert len(progress) == 1 and "(2 workers)" in progress[0]
    assert stdout.count("finished at") == 1  # rank 0 speaks; the launcher adds nothing


def test_the_ports_example_arg_file_trains(tmp_path, small_agent_file):
    (tmp_path / "example_args.txt").write_text(SEED_ARGS)
    out = tmp_path / "seed"
    stdout = _run([os.path.join(SCRIPTS, "DeepMimic_Optimizer.py"), "--arg_file", "example_args.txt",
                   "--max_samples", "300", "--output_path", str(out), "--agent_files", small_agent_file,
                   "--num_envs_per_proc", "1", "--time_lim_min", "0.5", "--time_end_lim_min", "0.5"], cwd=tmp_path)
    assert "(4 workers)" in stdout and (out / "agent0_model_anet.pth").is_file()


@pytest.mark.parametrize("argv,words", [
    (["--env_type", "humanoid2d"], "--env_type must be humanoid3d, got humanoid2d"),
    (["--model_file", "a.pth", "--model_files", "b.pth"], "--model_files is given twice"),
], ids=["env-type", "alias-and-key"])
def test_aliases_and_env_type_are_checked(argv, words):
    from deepmimic.util.arg_parser import ArgParser
    from deepmimic.util.errors import DeepMimicError
    with pytest.raises(DeepMimicError, match=words):
        ArgParser.from_argv(argv)


def test_aliases_and_seed_style_paths_resolve():
    from deepmimic.util.arg_parser import ArgParser, resolve_path
    args = ArgParser.from_argv(["--model_file", "x.pth", "--char_file", "chars/humanoid3d.txt", "--int_save_iters", "5"])
    assert args.parse_strings("model_files") == ["x.pth"] and args.parse_int("int_save_iters") == 5
    assert os.path.samefile(resolve_path(args.parse_string("character_files")),
                            os.path.join(ROOT, "data/characters/humanoid3d.txt"))
    assert os.path.samefile(resolve_path("motions/humanoid3d_run.txt"), os.path.join(ROOT, "data/motions/humanoid3d_run.txt"))


def test_int_save_iters_sets_the_intermediate_models(tmp_path, small_agent_file):
    out = tmp_path / "iters"
    _run([os.path.join(SCRIPTS, "DeepMimic_Optimizer.py"), "--arg_file", "train_humanoid3d_walk_deepmimic_args.txt",
          "--agent_files", small_agent_file, "--num_envs_per_proc", "2", "--max_iters", "4", "--int_save_iters", "3",
          "--int_output_iters", "2", "--output_path", str(out), "--rand_seed", "1"], cwd=tmp_path)
    saved = sorted(p.name for p in (out / "intermediate").glob("agent0_int_model_*_anet.pth"))
    assert saved == ["agent0_int_model_0000000000_anet.pth", "agent0_int_model_0000000003_anet.pth"]
    from deepmimic.util.logger import read_log
    tests = read_log(str(out / "agent0_log.txt"))["Test_Return"]  # the log row is written before the test
    assert tests[0] == tests[1] and tests[2] != tests[1] and tests[3] == tests[2]  # tested after iterations 2 and 4
