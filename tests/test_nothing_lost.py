"""Nothing lost: bad input and refused outputs are one line and exit 2 (no traceback), valid input runs,
and every file that existed before a command is byte-identical after it (md5 before/after).

Each case runs a command's ``main`` in-process, as its console script would, inside a world folder
that holds a trained run, another run's model, a motion clip, a log, a BVH, existing recordings and
a folder of frames."""
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest
import torch
from conftest import ROOT, run_and_interrupt
from test_training import MPIEXEC, _train_cmd

POLICY = os.path.join(ROOT, "data/policies/humanoid3d/humanoid3d_walk_upstream_com")  # 197-d, with its critic
WALK_DM = os.path.join(ROOT, "args/train_humanoid3d_walk_deepmimic_args.txt")
SCRIPTS = {"train": "deepmimic.DeepMimic_Optimizer", "play": "deepmimic.testrl", "view": "deepmimic.view_motion",
           "bvh": "deepmimic.tools.bvh_import", "plot": "deepmimic.plot_log", "convert": "deepmimic.tools.tf_checkpoint"}


@pytest.fixture
def world(tmp_path, small_agent_file):
    """A folder of things a user cares about, and the small agent file."""
    w = tmp_path / "world"
    (w / "run_y").mkdir(parents=True)
    (w / "run_x").mkdir()
    for part in ("anet", "cnet"):
        shutil.copyfile(f"{POLICY}_{part}.pth", w / "run_y" / f"agent0_model_{part}.pth")
        shutil.copyfile(f"{POLICY}_{part}.pth", w / "run_x" / f"agent0_model_{part}.pth")
    (w / "run_y" / "agent0_log.txt").write_text("Iteration\tWall_Time\tSamples\tTrain_Return\tTest_Return\n"
                                                "0\t0.1\t4096\t12.5\t20.0\n")
    (w / "run_y" / "learning_curve.csv").write_text("samples,wall_hours,test_return_mean,test_falls,test_episodes\n"
                                                    "0,0.0,10.0,16,16\n")
    shutil.copyfile(os.path.join(ROOT, "data/motions/humanoid3d_walk.txt"), w / "clip.txt")
    shutil.copyfile(os.path.join(ROOT, "tests/data/cmu_02_01_walk.bvh"), w / "walk.bvh")
    (w / "old.gif").write_bytes(b"GIF89a not really")
    (w / "old.png").write_bytes(b"\x89PNG not really")
    (w / "frames").mkdir()
    (w / "frames" / "mine.txt").write_text("notes")
    (w / "a_file").write_text("x")
    # a user's edited copy of a run's settings, alone in its folder (no model): the "newer surfaces" issue
    (w / "edited").mkdir()
    (w / "edited" / "run_args.txt").write_text(open(WALK_DM).read())
    (w / "edited" / "run_agent.txt").write_text(open(small_agent_file).read())
    (w / "someone").mkdir()
    (w / "someone" / "run_args.txt").write_text("# their settings\n")
    (w / "nan_log.txt").write_text("Iteration\tWall_Time\tSamples\tTrain_Return\tTest_Return\n0\t0.1\t10\tnan\tnan\n")
    (w / "empty_log.txt").write_text("")
    (w / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (w / "quote_args.txt").write_text('--motion_file "data/motions/humanoid3d_walk.txt\n')
    (w / "bom_args.txt").write_bytes("\ufeff--motion_file data/motions/humanoid3d_walk.txt\n".encode("utf-8"))
    agent = json.load(open(small_agent_file))
    agent["ExpParamsBeg"] = {"Rate": 1}
    (w / "agent_no_noise.txt").write_text(json.dumps(agent))
    bvh = open(w / "walk.bvh").read().splitlines()
    motion = bvh.index("MOTION")
    first = bvh[motion + 3].split()
    first[5] = "1e300"  # a rotation channel of the first frame
    (w / "absurd.bvh").write_text("\n".join(bvh[:motion + 3] + [" ".join(first)] + bvh[motion + 4:]) + "\n")
    return w, small_agent_file


def _digest(folder):
    return {str(p.relative_to(folder)): hashlib.md5(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _run(capsys, script, argv, cwd):
    from deepmimic.util.errors import run_cli
    main = __import__(SCRIPTS[script], fromlist=["main"]).main
    old = os.getcwd()
    os.chdir(cwd)
    try:
        code = run_cli(lambda: main(argv))
    except SystemExit as e:
        code = e.code
    finally:
        os.chdir(old)
    out = capsys.readouterr()
    return code, out.out, out.err


def _train(*extra, agent="{agent}"):
    return ["--arg_file", WALK_DM, "--agent_files", agent, "--num_envs_per_proc", "2", "--max_samples", "300", *extra]


# (id, script, argv, expected exit code, words in the one error line). {agent} is the small agent file.
CASES = [
    ("train-none-into-a-run", "train", _train("--model_files", "none", "--output_path", "run_y"), 2, "already holds a trained model"),
    ("train-fresh-into-a-run", "train", _train("--output_path", "run_y"), 2, "already holds a trained model"),
    ("resume-x-into-run-y", "train", _train("--model_files", "run_x/agent0_model_anet.pth", "--output_path", "run_y",
                                            agent=os.path.join(ROOT, "data/agents/ct_agent_humanoid_ppo.txt")),
     2, "holds another run than the model being resumed"),
    ("train-run-args-input-into-its-folder", "train", ["--arg_file", "edited/run_args.txt", "--agent_files", "{agent}",
                                                      "--output_path", "edited", "--max_samples", "300", "--overwrite", "true"],
     2, "edited/run_args.txt: is an input of this command and this run's settings differ from it"),
    ("train-run-agent-input-into-its-folder", "train", _train("--output_path", "edited", "--overwrite", "true",
                                                              agent="edited/run_agent.txt"),
     2, "edited/run_agent.txt: is an input of this command and this run's settings differ from it"),
    ("train-into-someones-run-args", "train", _train("--output_path", "someone"), 2,
     "already holds a run's files (run_args.txt)"),
    ("train-output-under-a-file", "train", _train("--output_path", "a_file/sub"), 2, "--output_path cannot be created"),
    ("train-fractional-curve", "train", _train("--output_path", "new", "--curve_every", "1.5"), 2, "takes a whole number"),
    ("train-binary-arg-file", "train", ["--arg_file", "binary.txt"], 2, "not a text arg file"),
    ("train-unclosed-quote", "train", ["--arg_file", "quote_args.txt"], 2, "line 1: No closing quotation"),
    ("train-agent-missing-noise", "train", _train("--output_path", "new", agent="agent_no_noise.txt"), 2,
     "'ExpParamsBeg' lacks 'Noise'"),
    ("view-record-existing", "view", ["--motion_file", "clip.txt", "--record", "old.gif"], 2, "--record already exists"),
    ("view-record-the-clip", "view", ["--motion_file", "clip.txt", "--record", "clip.txt"], 2, "give the file a .gif name"),
    ("view-record-mp4", "view", ["--motion_file", "clip.txt", "--record", "clip.mp4"], 2, "give the file a .gif name"),
    ("view-frames-into-a-full-folder", "view", ["--motion_file", "clip.txt", "--record_png", "frames"], 2, "is a folder that is not empty"),
    ("view-bom-arg-file", "view", ["--arg_file", "bom_args.txt", "--record", "new.gif", "--max_steps", "2",
                                   "--width", "32", "--height", "24"], 0, ""),
    ("play-record-existing", "play", ["--arg_file", os.path.join(ROOT, "args/run_humanoid3d_walk_args.txt"),
                                      "--record", "old.gif"], 2, "--record already exists"),
    ("play-frames-into-a-full-folder", "play", ["--arg_file", os.path.join(ROOT, "args/run_humanoid3d_walk_args.txt"),
                                                "--record_png", "frames"], 2, "is a folder that is not empty"),
    ("play-record-onto-the-model", "play", ["--arg_file", os.path.join(ROOT, "args/run_humanoid3d_walk_args.txt"),
                                            "--model_files", "run_y/agent0_model_anet.pth",
                                            "--record", "run_y/agent0_model_anet.pth", "--overwrite", "true"], 2,
     "give the file a .gif name"),
    ("play-model-none", "play", ["--arg_file", os.path.join(ROOT, "args/run_humanoid3d_walk_args.txt"),
                                 "--model_files", "none", "--num_episodes", "1"], 2, "no --model_files given"),
    ("bvh-onto-itself", "bvh", ["walk.bvh", "walk.bvh", "--overwrite"], 2, "is also an input of this command"),
    ("bvh-onto-existing", "bvh", ["walk.bvh", "clip.txt"], 2, "--out already exists"),
    ("bvh-abbreviated-option", "bvh", ["walk.bvh", "new.txt", "--sta", "0.05"], 2, "unrecognized arguments: --sta"),
    ("bvh-absurd-values", "bvh", ["absurd.bvh", "new.txt"], 2, "the BVH holds absurd values"),
    ("plot-onto-existing", "plot", ["run_y/agent0_log.txt", "-o", "old.png"], 2, "--out already exists"),
    ("plot-onto-its-input", "plot", ["run_y/agent0_log.txt", "-o", "run_y/agent0_log.txt", "--overwrite"], 2,
     "unknown image format 'txt'"),
    ("plot-under-a-file", "plot", ["run_y/agent0_log.txt", "-o", "a_file/c.png"], 2, "--out's folder is an existing file"),
    ("plot-binary-log", "plot", ["binary.txt", "-o", "b.png"], 2, "not a text file"),
    ("plot-empty-log", "plot", ["empty_log.txt", "-o", "e.png"], 2, "the file is empty"),
    ("plot-all-nan-log", "plot", ["nan_log.txt", "-o", "n.png"], 2, "no finite Train_Return or Test_Return"),
    ("plot-abbreviated-option", "plot", ["run_y/agent0_log.txt", "--ou", "x.png"], 2, "unrecognized arguments"),
    ("plot-valid", "plot", ["run_y/agent0_log.txt", "-o", "fresh.png"], 0, ""),
    ("convert-onto-existing", "convert", ["missing.ckpt", "run_y/agent0_model"], 2, "--out_prefix already exists"),
]


@pytest.mark.parametrize("script,argv,code,words", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_and_nothing_is_lost(world, capsys, script, argv, code, words):
    w, agent = world
    argv = [a.replace("{agent}", agent) for a in argv]
    before = _digest(w)
    got, out, err = _run(capsys, script, argv, w)
    assert got == code, (out[-1000:], err[-1000:])
    assert "Traceback" not in err
    if code == 2:
        assert err.count("\n") == 1 and err.startswith("error: ") and words in err, err
    after = _digest(w)
    assert {k: v for k, v in after.items() if k in before} == before  # every file there before is untouched


def test_sigterm_during_the_warm_start_stops_cleanly_and_resumes(tmp_path, small_agent_file):
    """The warm start is the first phase of training: a stop there saves, exits 130 with one line, and a
    resume continues from the saved model (which runs the warm start again: nothing was fitted yet)."""
    if MPIEXEC is None:
        pytest.skip("mpiexec not installed")
    out = tmp_path / "run"
    base = [MPIEXEC, "-n", "2", sys.executable, os.path.join(ROOT, "deepmimic", "DeepMimic_Optimizer.py"),
            "--arg_file", os.path.join(ROOT, "args/train_humanoid3d_walk_args.txt"), "--agent_files", small_agent_file,
            "--num_envs_per_proc", "2", "--output_path", str(out), "--rand_seed", "2"]
    proc = subprocess.Popen(base + ["--warm_start_samples", "10000000", "--max_samples", "30000000"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 120
        lines = []
        while time.time() < deadline:  # wait for the warm start to begin
            line = proc.stdout.readline()
            lines.append(line)
            if line.startswith("warm start: fitting"):
                break
        time.sleep(2.0)
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    stdout = "".join(lines) + stdout
    assert proc.returncode == 130, stderr[-2000:]
    assert "Traceback" not in stderr
    assert stdout.rstrip().endswith(f"stopped at 0 samples; model saved to {out}/agent0_model_anet.pth")
    saved = torch.load(out / "agent0_model_anet.pth", weights_only=True)
    assert saved["samples"] == 0
    r = subprocess.run(base + ["--warm_start_samples", "200", "--max_samples", "400",
                               "--model_files", str(out / "agent0_model_anet.pth")],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "warm start: actor fitted on 400 samples" in r.stdout
    assert torch.load(out / "agent0_model_anet.pth", weights_only=True)["samples"] == 400


def test_a_headless_default_recording_never_replaces_a_file(tmp_path, capsys, monkeypatch):
    for var in ("DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(var, raising=False)
    argv = ["--motion_file", "motions/humanoid3d_walk.txt", "--max_steps", "2", "--width", "32", "--height", "24"]
    for name in ("motion.gif", "motion_1.gif"):
        code, out, err = _run(capsys, "view", argv, tmp_path)
        assert code == 0 and f"recording to {os.path.join('output', name)}" in out, err
    assert sorted(os.listdir(tmp_path / "output")) == ["motion.gif", "motion_1.gif"]


def test_two_runs_into_one_folder_the_second_is_refused_and_a_stale_lock_is_taken_over(tmp_path, small_agent_file):
    """A folder being trained into belongs to that run: a second training into it (here with --overwrite true,
    which would replace a finished run) is refused with one line while the first runs; a lock left by a killed
    run does not block the next one."""
    out = tmp_path / "run"
    base = [sys.executable, os.path.join(ROOT, "deepmimic", "DeepMimic_Optimizer.py"), "--arg_file", WALK_DM,
            "--agent_files", small_agent_file, "--num_envs_per_proc", "2", "--output_path", str(out)]
    first = subprocess.Popen(base + ["--rand_seed", "1", "--max_samples", "100000000"], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 180
        while time.time() < deadline and not (out / ".deepmimic_lock").exists():
            time.sleep(0.2)
        second = subprocess.run(base + ["--rand_seed", "2", "--max_samples", "300", "--overwrite", "true"], cwd=ROOT,
                                capture_output=True, text=True, timeout=300)
        assert second.returncode == 2, second.stderr[-2000:]
        lines = [l for l in second.stderr.strip().splitlines() if not l.startswith("pybullet build time")]
        assert len(lines) == 1 and lines[0].startswith("error: ") and "is being trained into by another run (pid" in lines[0]
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 130 and not (out / ".deepmimic_lock").exists()  # released at the end
    import socket
    (out / ".deepmimic_lock").write_text(f"{socket.gethostname()} {first.pid}\n")  # as a killed run leaves it
    third = subprocess.run(base + ["--rand_seed", "3", "--max_samples", "300", "--overwrite", "true"], cwd=ROOT,
                           capture_output=True, text=True, timeout=300)
    assert third.returncode == 0, third.stderr[-2000:]
    assert not (out / ".deepmimic_lock").exists()


def test_a_run_resumes_from_its_own_run_args_and_keeps_it(world, capsys):
    """``--arg_file X/run_args.txt --model_files X/agent0_model_anet.pth`` continues run X: its run_args.txt is an
    input, and since the run's settings are the same text it is kept, not rewritten (an edited one is refused)."""
    w, agent = world
    code, _, err = _run(capsys, "train", [a.replace("{agent}", agent) for a in _train("--output_path", "mine", "--rand_seed", "1")], w)
    assert code == 0, err
    settings = (w / "mine" / "run_args.txt").read_text()
    code, out, err = _run(capsys, "train", ["--arg_file", "mine/run_args.txt", "--model_files", "mine/agent0_model_anet.pth"], w)
    assert code == 0 and "resuming" in out, err
    assert (w / "mine" / "run_args.txt").read_text() == settings


def _error_lines(stderr):
    """stderr without PyBullet's banner (it prints one line on import, as every pybullet program does)."""
    return [line for line in stderr.strip().splitlines() if not line.startswith("pybullet build time")]


def _delete_while_written(folder):
    """``rm -rf`` of a folder a run is writing into (a file may appear while it is being emptied)."""
    while folder.exists():
        shutil.rmtree(folder, ignore_errors=True)


def test_a_save_that_loses_its_folder_mid_write_marks_the_run_lost_though_a_new_folder_stands_there(tmp_path):
    """The race behind a rare failure of the test below: ``rm -rf`` removed the folder between the model's temp
    file and its rename while the writer had already made a new, empty folder of that name, so the folder check
    saw a folder and the save's ENOENT became "cannot save the model". The write's ENOENT now marks the run lost
    (finish saves it into the new folder); any other failed save is still the user's error."""
    import errno as errno_mod
    from deepmimic.learning.trainer import Trainer
    from deepmimic.util.errors import DeepMimicError

    def failing_agent(code):
        def save(prefix, with_optimizers):
            e = DeepMimicError("cannot save the model: ...", prefix + "_anet.pth")
            e.errno = code
            raise e
        return type("Agent", (), {"save": staticmethod(save)})()

    out = tmp_path / "run"
    out.mkdir()  # the folder a writer made again
    trainer = object.__new__(Trainer)
    trainer.output_path, trainer.folder_lost = str(out), False
    trainer.agent = failing_agent(errno_mod.ENOENT)
    trainer.save(trainer.model_prefix())
    assert trainer.folder_lost
    trainer.folder_lost, trainer.agent = False, failing_agent(errno_mod.ENOSPC)
    with pytest.raises(DeepMimicError):
        trainer.save(trainer.model_prefix())


def test_a_log_row_or_curve_point_that_loses_its_folder_mid_write_marks_the_run_lost(tmp_path):
    """The same race for the log and the curve: the folder deleted between the trainer's check and the write
    (``open(..., "a")`` of agent0_log.txt) was a FileNotFoundError traceback and MPI's exit 1. A write's ENOENT
    inside the output folder now marks the run lost; any other failed write is still an error."""
    import errno as errno_mod
    from deepmimic.learning.trainer import Trainer
    from deepmimic.util.logger import TabularLogger
    out = tmp_path / "run"
    out.mkdir()
    trainer = object.__new__(Trainer)
    trainer.output_path, trainer.folder_lost = str(out), False
    log = TabularLogger(str(out / "agent0_log.txt"))
    log.log("Iteration", 0)
    log.dump()
    shutil.rmtree(out)  # after dump's check that the log exists, before its append:
    with trainer.writing_output(log.path):
        with open(log.path, "a") as f:
            f.write("1\n")
    assert trainer.folder_lost
    for path, code in ((str(tmp_path / "elsewhere.csv"), errno_mod.ENOENT), (log.path, errno_mod.EACCES)):
        out.mkdir(exist_ok=True)
        trainer.folder_lost = False
        with pytest.raises(OSError):
            with trainer.writing_output(path):
                raise OSError(code, os.strerror(code), path)
        assert not trainer.folder_lost


@pytest.mark.skipif(MPIEXEC is None, reason="mpiexec not installed")
def test_an_output_folder_deleted_during_training_is_said_and_the_model_kept(tmp_path, small_agent_file):
    """Was a FileNotFoundError traceback from TensorBoard's writer thread and nothing saved: every rank stops at
    the next iteration, the model goes into a new folder of that name, one line says so, exit 2."""
    out = tmp_path / "run"
    code, _, stderr = run_and_interrupt(_train_cmd(out, small_agent_file, "--max_samples", "200000", procs=2),
                                        lambda: (out / "agent0_log.txt").is_file(),  # the first iteration's log
                                        lambda proc: _delete_while_written(out))
    lines = _error_lines(stderr)
    assert code == 2 and len(lines) == 1, stderr[-3000:]
    assert lines[0].startswith(f"error: {out}: the output folder was deleted during training: stopped at "), lines
    saved = torch.load(out / "agent0_model_anet.pth", weights_only=True)
    assert f"stopped at {saved['samples']} samples" in lines[0] and saved["samples"] > 0
    assert sorted(os.listdir(out)) == ["agent0_model_anet.pth", "agent0_model_cnet.pth"]  # no half a run


@pytest.mark.skipif(MPIEXEC is None, reason="mpiexec not installed")
@pytest.mark.parametrize("extra,message", [
    (["--output_pat", "x"], "error: command line: unknown key --output_pat; did you mean --output_path?"),
    (["--output_path", "/proc/no_such_dir/run"], "error: /proc/no_such_dir/run: --output_path cannot be created"),
], ids=["every-rank", "rank-0-only"])
def test_errors_under_mpiexec_are_one_line(extra, message):
    """Under mpiexec -n 2 an error was two lines or three (each rank's, then MPI's 'Abort(2) on node ...')."""
    cmd = [MPIEXEC, "-n", "2", sys.executable, os.path.join(ROOT, "deepmimic", "DeepMimic_Optimizer.py"),
           "--arg_file", "args/train_humanoid3d_walk_args.txt", *extra]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=180)
    lines = _error_lines(r.stderr)
    assert r.returncode == 2 and len(lines) == 1 and lines[0].startswith(message), r.stderr[-3000:]


@pytest.mark.skipif(MPIEXEC is None, reason="mpiexec not installed")
@pytest.mark.parametrize("when", ["start-up", "warm-start"])
def test_a_terminal_ctrl_c_under_num_workers_stops_cleanly_at_any_moment(tmp_path, small_agent_file, when):
    """A terminal's Ctrl-C is SIGINT to the whole process group. Under --num_workers it reached the ranks twice
    (directly and passed on by mpiexec) or hit mpiexec mid-start: exit 255 or 1, no model. Now: exit 130, one
    line, and from the warm start on the model saved."""
    out = tmp_path / "run"
    cmd = [sys.executable, os.path.join(ROOT, "deepmimic", "DeepMimic_Optimizer.py"), "--arg_file",
           "args/train_humanoid3d_walk_args.txt", "--agent_files", small_agent_file, "--output_path", str(out),
           "--num_workers", "2", "--max_samples", "200000"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)  # its own group, as a terminal's foreground job
    try:
        if when == "start-up":
            time.sleep(3)
        else:
            line, deadline = "", time.time() + 240
            while time.time() < deadline and not line.startswith("warm start:"):
                line = proc.stdout.readline()
            time.sleep(2)
        os.killpg(proc.pid, signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130 and "Traceback" not in stderr and "error" not in stderr.lower(), stderr[-3000:]
    if when == "warm-start":
        assert f"model saved to {out}/agent0_model_anet.pth" in stdout
        torch.load(out / "agent0_model_anet.pth", weights_only=True)
    else:
        assert re.search(r"stopped by Ctrl-C (before any output was written|after \d+ files? written \(kept\))",
                         stderr) or "model saved" in stdout


@pytest.mark.skipif(MPIEXEC is None or not sys.platform.startswith("linux"), reason="mpiexec on Linux")
def test_a_killed_launcher_leaves_no_training_behind(tmp_path, small_agent_file):
    """--num_workers runs mpiexec in a session of its own (so a Ctrl-C reaches it once); killed outright (a
    time-out's SIGKILL), the launcher takes its training with it instead of leaving it running orphaned."""
    out = tmp_path / "orphan"
    cmd = [sys.executable, os.path.join(ROOT, "deepmimic", "DeepMimic_Optimizer.py"), "--arg_file",
           "args/train_humanoid3d_walk_args.txt", "--agent_files", small_agent_file, "--output_path", str(out),
           "--num_workers", "2", "--max_samples", "500000"]
    code, _, _ = run_and_interrupt(cmd, lambda: (out / "run_args.txt").is_file(), lambda proc: proc.kill())
    assert code == -signal.SIGKILL

    def running():
        ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
        return [line for line in ps.splitlines() if str(out) in line]
    deadline = time.time() + 60
    while running() and time.time() < deadline:
        time.sleep(0.5)
    assert not running()
