"""testrl.py playback: headless recording, evaluation, and the converted pretrained policies."""
import os
import re
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from conftest import FALL, ROOT, WALKER_ENV_ARGS, make_env, untrained_policy
from PIL import Image

from deepmimic.learning.learning_curve import read_curve
from deepmimic.tools.tf_checkpoint import convert, read_tf_checkpoint
from upstream_env import make_upstream_env, upstream_root
from deepmimic.util.policy_file import read_policy_file


def test_render_shows_the_character():
    env = make_env("walk", show_reference=False)
    env.reset(start_time=0.2)
    img = env.render_rgb(160, 120)
    assert img.shape == (120, 160, 3) and img.std() > 5  # not blank
    env.pb.resetBasePositionAndOrientation(env.body, [50, 0.9, 50], [0, 0, 0, 1])
    empty = env.render_rgb(160, 120)
    centre = (slice(30, 110), slice(50, 110))
    changed = np.abs(img[centre].astype(int) - empty[centre].astype(int)).sum(-1) > 30
    assert changed.mean() > 0.03  # the character covers part of the view it is centred in


def test_testrl_records_gif_and_png(tmp_path):
    gif, frames = tmp_path / "play.gif", tmp_path / "frames"
    r = subprocess.run([sys.executable, os.path.join(ROOT, "deepmimic", "testrl.py"), "--arg_file",
                        "args/run_humanoid3d_backflip_args.txt", "--record", str(gif), "--record_png", str(frames),
                        "--max_steps", "6", "--rand_seed", "1", "--width", "96", "--height", "72"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "episode 0: return" in r.stdout and "recorded 6 frames" in r.stdout
    pngs = sorted(frames.glob("*.png"))
    assert len(pngs) == 6
    img = np.asarray(Image.open(pngs[0]).convert("RGB"))
    assert img.shape == (72, 96, 3) and img.std() > 5
    assert Image.open(gif).n_frames == 6


def test_testrl_evaluation_prints_statistics():
    r = subprocess.run([sys.executable, os.path.join(ROOT, "deepmimic", "testrl.py"), "--arg_file",
                        "args/run_humanoid3d_jump_args.txt", "--num_episodes", "2", "--max_steps", "20",
                        "--rand_seed", "2"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "episodes: 2  mean return:" in r.stdout
    assert "b3Warning" not in r.stdout + r.stderr  # the generated URDF states every joint's axis


def _play_run_file(skill, *args):
    """(the policy files ``args/run_humanoid3d_<skill>_args.txt`` names, testrl's finished process on it)."""
    run_file = f"args/run_humanoid3d_{skill}_args.txt"
    with open(os.path.join(ROOT, run_file)) as f:
        models = [line.split()[1] for line in f if line.startswith("--model_files")]
    r = subprocess.run([sys.executable, os.path.join(ROOT, "deepmimic", "testrl.py"), "--arg_file", run_file, *args],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    return models, r


OURS_AT_BAR = ["walk", "run", "jump", "spinkick", "cartwheel", "backflip", "kick", "getup_faceup", "getup_facedown",
               "crawl", "dance_a", "roll", "dance_b", "punch"]
# at its bar on the curve, yet falling in its picture: the README's row marks it (‖) and its footnote says why
FALLS_IN_ITS_PICTURE = []  # punch was, until its pose-termination and discount forks (benchmarks/results/README.md)
# shipped at the "fifteen skills" issue's 25M limit without reaching the bar, as the issue asks ("ship the best point
# either way"): the README's row says so, and the results README says what limits it
OURS_BELOW_BAR = ["spin"]
OURS_SHIPPED = OURS_AT_BAR + OURS_BELOW_BAR


def test_every_policy_of_ours_that_ships_is_played_below():
    """A newly shipped policy joins OURS_SHIPPED, so its run arg file is played by the test below."""
    folder = os.path.join(ROOT, "data", "policies", "humanoid3d")
    shipped = {f[len("humanoid3d_"):-len("_anet.pth")] for f in os.listdir(folder)
               if f.endswith("_anet.pth") and "_upstream" not in f}
    assert shipped == set(OURS_SHIPPED)


def test_the_readme_shows_and_measures_every_policy_of_ours():
    """Each shipped skill is in the README's picture grid (its GIF exists) and has a measured row in its table."""
    readme = open(os.path.join(ROOT, "README.md")).read()
    grid = readme.split("<!-- skills -->")[1].split("<!-- /skills -->")[0]
    table = readme.split("<!-- policies -->")[1].split("<!-- /policies -->")[0]
    for skill in OURS_SHIPPED:
        gif = f"benchmarks/results/skills/{skill}.gif"
        assert f"![{skill}]({gif})" in grid and os.path.exists(os.path.join(ROOT, gif)), skill
        row = [line.split("|")[1:-1] for line in table.splitlines() if line.startswith(f"| {skill} |")][0]
        float(row[4].strip().rstrip(" *"))   # reward per step, a number
        assert ("below its bar" in row[3]) == (skill in OURS_BELOW_BAR), (skill, row[3])
        assert ("‖" in row[3]) == (skill in FALLS_IN_ITS_PICTURE), (skill, row[3])


def _shipped_curve_point(skill):
    """(samples, curve rows) that data/README.md names for our shipped ``skill``: ``<skill> N (`<curve>.csv`)``."""
    readme = open(os.path.join(ROOT, "data", "README.md")).read()
    m = re.search(rf"\b{skill} ([\d,]+) \(`({skill}_[a-z0-9_]+)\.csv`\)", readme)
    assert m, f"data/README.md does not name the curve point of {skill}"
    return int(m.group(1).replace(",", "")), read_curve(os.path.join(ROOT, "benchmarks", "results", m.group(2) + ".csv"))


@pytest.mark.parametrize("skill", OURS_SHIPPED)
def test_every_policy_of_ours_names_the_curve_point_it_came_from(skill):
    """data/README.md names, for each policy we ship, its curve in benchmarks/results/ and the sample count, and
    that count is both the one the policy file carries and a point of that curve: a shipped policy can be traced."""
    samples, curve = _shipped_curve_point(skill)
    carried = read_policy_file(os.path.join(ROOT, f"data/policies/humanoid3d/humanoid3d_{skill}_anet.pth"), "actor")
    assert int(carried["samples"]) == samples
    assert samples in {int(row["samples"]) for row in curve}


@pytest.mark.parametrize("skill", ["backflip", "jump", "spinkick", "walk"])
def test_run_args_play_the_converted_upstream_policy_as_their_comment_says(skill):
    """Each run arg file that plays ours names in a comment the override that plays upstream's converted policy
    (197-d state: a 202-d env would refuse its sizes), and that override plays it."""
    comment = [l for l in open(os.path.join(ROOT, "args", f"run_humanoid3d_{skill}_args.txt"))
               if l.startswith("#") and "_upstream" in l and "_anet.pth" in l]
    override = comment[0].lstrip("# ").split()
    assert override[0] == "--model_files" and override[1].startswith(f"data/policies/humanoid3d/humanoid3d_{skill}_upstream")
    _, r = _play_run_file(skill, *override, "--num_episodes", "1", "--max_steps", "10")
    assert r.returncode == 0 and "episodes: 1  mean return:" in r.stdout, r.stderr[-2000:]


@pytest.mark.parametrize("skill", OURS_BELOW_BAR)
def test_a_policy_shipped_below_its_bar_plays_and_its_curve_never_reached_the_bar(skill):
    """The label is true: the policy's own curve never had two points in a row at the skill's bar (a policy that
    reaches it moves to OURS_AT_BAR and must then pass the play test below), and its run file still plays it."""
    from deepmimic.learning.learning_curve import bar_reached_at
    from deepmimic.tools.skill_bars import CONFIRM, skill_bar
    bar = skill_bar(skill)
    assert bar_reached_at(_shipped_curve_point(skill)[1], bar.ret, bar.max_falls, CONFIRM) is None
    models, r = _play_run_file(skill, "--num_episodes", "1", "--max_steps", "30", "--rand_seed", "2")
    assert models == [f"data/policies/humanoid3d/humanoid3d_{skill}_anet.pth"]
    assert r.returncode == 0 and "episodes: 1  mean return:" in r.stdout, r.stderr[-2000:]


@pytest.mark.parametrize("skill", OURS_AT_BAR)
def test_run_args_play_our_policy_out_of_the_box(skill):
    """The run arg file plays our shipped policy (the skill's own name; converted ones end in _upstream)
    without a fall, at more than 0.6 reward per step (of the steps played: a clip that does not loop, kick, ends
    its episode with the clip). A spot check on two random starts (seed 2), not the policy's measure (16 starts:
    benchmarks/pretrained_policies.py): with seed 1 the cartwheel's first start falls at step 82 (1 fall in 16
    testrl episodes, README)."""
    models, r = _play_run_file(skill, "--num_episodes", "2", "--max_steps", "90", "--rand_seed", "2")
    assert models == [f"data/policies/humanoid3d/humanoid3d_{skill}_anet.pth"]
    assert r.returncode == 0, r.stderr[-2000:]
    stats = r.stdout.strip().splitlines()[-1]
    per_step = float(stats.split("mean return:")[1].split()[0]) / float(stats.split("mean length:")[1].split()[0])
    assert "falls: 0 " in stats and per_step > 0.6, stats
    # the summary's tracking error: our policies sit ~80-100 mm from their clip's bodies (root-relative)
    assert 20 < float(stats.split("root-relative:")[1].split()[0]) < 200, stats


def test_tf_checkpoint_conversion(tmp_path):
    envs_dir, data_dir = upstream_root()
    ckpt = os.path.join(data_dir, "data/policies/humanoid3d/humanoid3d_jump.ckpt")
    tensors = read_tf_checkpoint(ckpt)
    assert tensors["agent/main/actor/0/dense/kernel"].shape == (197, 1024)
    assert tensors["agent/main/critic/dense/kernel"].shape == (512, 1)
    anet, _ = convert(ckpt, str(tmp_path / "jump"))
    ours = torch.load(anet, weights_only=True)["state_dict"]
    shipped = torch.load(os.path.join(ROOT, "data/policies/humanoid3d/humanoid3d_jump_upstream_anet.pth"), weights_only=True)["state_dict"]
    assert all(torch.equal(ours[k], shipped[k]) for k in shipped)
    # the converted actor computes the TF graph: normalise, two ReLU layers, linear, unnormalise
    s = np.random.default_rng(0).normal(size=(4, 197))
    x = (s - tensors["agent/resource/s_norm/mean"]) / tensors["agent/resource/s_norm/std"]
    for i in (0, 1):
        x = np.maximum(x @ tensors[f"agent/main/actor/{i}/dense/kernel"] + tensors[f"agent/main/actor/{i}/dense/bias"], 0)
    a = x @ tensors["agent/main/actor/dense/kernel"] + tensors["agent/main/actor/dense/bias"]
    a = a * tensors["agent/resource/a_norm/std"] + tensors["agent/resource/a_norm/mean"]
    from deepmimic.learning.nets import Actor
    from deepmimic.learning.normalizer import Normalizer
    actor = Actor("fc_2layers_1024units", Normalizer(197), Normalizer(36))
    actor.load_state_dict(ours)
    with torch.no_grad():
        assert np.allclose(actor(torch.as_tensor(s, dtype=torch.float32)).numpy(), a, atol=1e-4)


def test_tf_checkpoint_garbage_is_reported(tmp_path):
    from deepmimic.util.errors import DeepMimicError
    (tmp_path / "x.ckpt.index").write_bytes(b"\x00" * 100)
    (tmp_path / "x.ckpt.data-00000-of-00001").write_bytes(b"")
    with pytest.raises(DeepMimicError, match="not a readable TF checkpoint index"):
        read_tf_checkpoint(str(tmp_path / "x.ckpt"))


@pytest.mark.parametrize("skill", ["backflip", "jump"])
def test_pretrained_policy_matches_upstream_env(skill):
    """Same converted policy, same start times: our env's returns are within 10% of upstream's.
    (benchmarks/pretrained_policies.py runs the full 20-episode comparison.)"""
    from deepmimic.policy import Policy
    from deepmimic.learning.rollout import run_episodes
    from upstream_env import run_upstream
    act = Policy.load(f"{skill}_upstream")
    ours, up = make_env(skill), make_upstream_env(skill, FALL)
    starts = np.random.default_rng(11).uniform(0, ours.motion.cycle_time, size=2)
    totals = [(run_episodes(act, [ours], 1, 150, start_times=[t])[0].ret, run_upstream(up, act, t, 150).ret) for t in starts]
    mean_ours, mean_up = np.mean(totals, axis=0)
    assert mean_up > 60  # the pretrained policy really performs in upstream
    assert abs(mean_ours - mean_up) <= 0.1 * mean_up, totals


def test_a_clip_that_does_not_loop_ends_its_episode_with_the_clip_in_both_envs():
    """kick (1.53 s, no loop) from its start: the episode ends with the clip, as the learning curve ends it, in our
    env and in upstream's (which would play on), so pretrained_policies.py measures what the curve measures."""
    from deepmimic.policy import Policy
    from deepmimic.learning.rollout import run_episodes
    from upstream_env import run_upstream, upstream_actor
    act = Policy.load("kick")
    ours = act.make_env("kick")
    up = make_upstream_env("kick", list(ours.cfg.fall_contact_bodies))
    steps = round(ours.motion.cycle_time * 30)
    mine = run_episodes(act, [ours], 1, 600, start_times=[0.0])[0]
    theirs = run_upstream(up, upstream_actor(act, ours, up), 0.0, 600, ours.motion.cycle_time)
    assert mine.length == theirs.length == steps, (mine, theirs)
    assert not mine.fell and not theirs.fell


def test_our_policies_play_in_the_upstream_env_with_their_own_fall_bodies():
    """benchmarks/pretrained_policies.py --envs upstream plays a 202-d (``--ref_root_state``) policy there, and
    gives upstream's env the policy's fall bodies: cartwheel's hands may touch (with walk's it falls at step 23)."""
    r = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "pretrained_policies.py"), "--skills", "cartwheel",
                        "--episodes", "1", "--max_steps", "60", "--envs", "upstream"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    row = [l for l in r.stdout.splitlines() if l.startswith("cartwheel")]
    assert len(row) == 1 and row[0].split()[1] == "upstream" and "mean length   60.0  falls 0/1 " in row[0], r.stdout
    # the tracking error in upstream's env, read off its own bodies: our cartwheel tracks within ~10 cm there
    assert 20 < float(row[0].split("root-relative")[1].split()[0]) < 200, row[0]


def test_a_walker_policy_plays_each_clip_of_its_set_as_the_curve_does(tmp_path):
    """A policy of the walker set gets our env on the set's five clips, and run_episodes leads each episode with the
    curve's clip; pretrained_policies names why upstream's multiclip env (always its first clip) is skipped."""
    from deepmimic.learning.learning_curve import curve_starts
    from deepmimic.policy import Policy
    from deepmimic.learning.rollout import run_episodes
    anet = untrained_policy(tmp_path / "walker", 197 + 5, net="fc_2layers_256units", env_args=WALKER_ENV_ARGS)
    act = Policy.load(anet)
    env = act.make_env("walker")
    assert len(env.motions) == 5
    for clip, t in curve_starts(env.motions, 5):
        assert run_episodes(act, [env], 1, 2, start_times=[(clip, t)])[0].length == 2 and env.clip == clip
    r = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "pretrained_policies.py"), "--skills", anet,
                        "--clip", "walker", "--episodes", "5", "--max_steps", "2", "--envs", "ours", "upstream"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "upstream  skipped: upstream's multiclip env always leads with its first clip" in r.stdout, r.stdout
    assert "falls 0/5" in r.stdout, r.stdout


def test_pretrained_policies_names_a_policy_the_upstream_env_cannot_play(tmp_path):
    """A 238-d (``--ref_pose_state``) policy plays in our env; upstream's env has no upcoming-pose entries, so
    its row says skipped and why, instead of nothing."""
    anet = untrained_policy(tmp_path / "pose_ahead", 197 + 5 + 36, exp_noise=0.2)
    r = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "pretrained_policies.py"), "--skills", anet,
                        "--episodes", "1", "--max_steps", "2", "--envs", "ours", "upstream"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    rows = [l.split(None, 2) for l in r.stdout.splitlines() if l.startswith("pose_ahead_anet.pth")]
    assert [row[1] for row in rows] == ["upstream", "ours"], r.stdout
    assert rows[0][2].startswith("skipped: its state has 238 entries; the upstream env gives 197 (+5"), rows[0]


def test_pretrained_policies_can_play_every_policy_from_deepmimics_start_states():
    """--smooth_ref_vel true/false overrides the policy's own reference velocities (the start states differ, so
    one step from each of the 16 starts returns differently); the row names the policy either way."""
    rows = []
    for value in ("true", "false"):
        r = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "pretrained_policies.py"), "--skills", "backflip",
                            "--episodes", "16", "--max_steps", "1", "--envs", "ours", "--smooth_ref_vel", value],
                           cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr[-2000:]
        rows += [l for l in r.stdout.splitlines() if l.startswith("backflip ")]
    assert len(rows) == 2 and rows[0] != rows[1], rows


@pytest.mark.skipif(__import__("shutil").which("xvfb-run") is None, reason="needs xvfb-run for a virtual display")
def test_gui_playback_on_a_virtual_display():
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    r = subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 800x600x24", sys.executable,
                        os.path.join(ROOT, "deepmimic", "testrl.py"), "--arg_file", "args/run_humanoid3d_jump_args.txt",
                        "--max_steps", "15", "--max_episodes", "2", "--rand_seed", "1"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stdout[-1500:] + r.stderr[-1500:]
    assert "space: pause/resume" in r.stdout and r.stdout.count("episode return") == 2


def test_a_training_checkpoint_with_the_reference_root_state_plays():
    """Policy.load sizes the actor from the file (202-d states with --ref_root_state) and builds its env."""
    from deepmimic.policy import Policy
    from deepmimic.learning.rollout import run_episodes
    act = Policy.load(os.path.join(ROOT, "benchmarks/results/checkpoints/walk_fast_lr3_anet.pth"))
    assert act.state_size == 202
    env = act.make_env("walk")
    assert env.cfg.ref_root_state and not env.cfg.ref_pose_state
    ret, steps = run_episodes(act, [env], 1, 10, start_times=[0.3])[0][:2]
    assert steps == 10 and 3.0 < ret <= 10.0


def where_it_falls(*args):
    """benchmarks/where_it_falls.py's output lines, run with ``args``; it must succeed."""
    r = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "where_it_falls.py"), *args],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout.strip().splitlines()


def test_where_it_falls_reports_each_test_episode():
    """benchmarks/where_it_falls.py on a shipped policy that falls (upstream's spinkick, 15 falls in 16):
    one row per episode with when, where in the clip and on which bodies, and a summary."""
    lines = where_it_falls("--policy", "spinkick_upstream", "--skill", "spinkick", "--episodes", "3", "--max_steps",
                           "120", "--train_episodes", "4")
    assert lines[0].split()[:4] == ["return", "fell", "after", "s"] and len(lines) == 7
    fallen = [l for l in lines[1:4] if l.split()[1] == "yes"]
    assert fallen and all(len(l.split()) > 15 for l in fallen)  # the bodies that touched are named
    assert lines[4].startswith(f"{len(fallen)}/3 falls, mean return") and "m ahead" in lines[4]
    # Where its tracking error sits: five bodies by name, the error by tenth of the clip's phase.
    m = re.fullmatch(r"tracking error root-relative (\d+) mm; the farthest bodies: (.*) mm; by tenth of the clip's "
                     r"phase: (.*) mm", lines[5])
    assert m and len(m.group(2).split(", ")) == 5 and len(m.group(3).split()) == 10
    worst = [int(b.split()[1]) for b in m.group(2).split(", ")]
    assert worst == sorted(worst, reverse=True) and worst[0] > int(m.group(1)) > 0  # ranked, the worst above the mean
    # How training episodes end: the converted policy's env has no drift termination, so only falls and time.
    counts = re.findall(r"(fall|drift or pose distance|time) (\d+)/4", lines[6])
    assert lines[6].startswith("training episodes (drift termination 0 m") and len(counts) == 3
    assert sum(int(n) for _, n in counts) == 4 and dict(counts)["drift or pose distance"] == "0"


def test_where_it_falls_plays_the_start_times_it_is_given():
    """``--start_times``: one row per given time of the clip, each starting at that time's phase (a stretch of the
    clip judged on its own, e.g. the opening a picture from the clip's start shows), instead of the curve's starts."""
    lines = where_it_falls("--policy", "punch", "--skill", "punch", "--start_times", "0", "1.065", "--max_steps", "5",
                           "--train_episodes", "0")
    assert [row.split()[3] for row in lines[1:3]] == ["0.00", "0.50"]  # phase from: 0 s and half the 2.13 s clip
    assert lines[3].startswith("0/2 falls")


def test_where_it_falls_judges_falls_by_the_bodies_it_is_given():
    """``--fall_contact_bodies``: the same episodes judged by fewer fall bodies end no sooner, and some later (a
    model trained without its shins as fall bodies is judged by its clip's own set this way)."""
    def fall_times(*extra):
        lines = where_it_falls("--policy", "spinkick_upstream", "--skill", "spinkick", "--episodes", "3",
                               "--max_steps", "120", "--train_episodes", "0", *extra)
        return [float(row.split()[2]) for row in lines[1:4]]
    own, root_only = fall_times(), fall_times("--fall_contact_bodies", "0")
    assert all(b >= a for a, b in zip(own, root_only)) and any(b > a for a, b in zip(own, root_only)), (own, root_only)


@pytest.mark.parametrize("script, args, words", [
    ("where_it_falls.py", ["--policy", "walk", "--skill", "walk", "--fall_contact_bodies", "15"],
     "fall_contact_bodies [15] are not body ids of"),
    ("where_it_falls.py", ["--policy", "punch", "--skill", "punch", "--start_times", "0", "3"],
     "--start_times: 3 is not a time of the punch clip (0 to 2.13 s)"),
    ("where_it_falls.py", ["--policy", "walk", "--skill", "wak"], "--skill wak: there is no args/train_humanoid3d_wak_args.txt"),
    ("where_it_falls.py", ["--policy", "nope", "--skill", "walk"], "no shipped policy named 'nope' (shipped: backflip,"),
    ("pretrained_policies.py", ["--skills", "nope", "--envs", "ours"], "no shipped policy named 'nope'"),
    ("pretrained_policies.py", ["--skills", "walk", "--episodes", "0"], "--episodes must be from 1 to 10000, got 0"),
    ("where_it_falls.py", ["--policy", "walk", "--skill", "walk", "--train_episodes", "-1"], "--train_episodes must be from 0 to 10000, got -1"),
    ("deepmimic.tools.ship_policy", ["--skill", "wak"], "--skill wak: there is no args/train_humanoid3d_wak_args.txt"),
    ("deepmimic.tools.ship_policy", ["--skill", "run", "--max_falls", "-1"], "--max_falls must be from 0 to 10000, got -1"),
    ("learning_curve.py", ["--skill", "wak", "--stop_at_bar"], "--skill wak: there is no args/train_humanoid3d_wak_args.txt"),
    ("learning_curve.py", ["--skill", "walk", "--config", "recipe", "--publish", "--out", "/nonexistent/run"],
     "/nonexistent/run: --publish: no learning curve here to publish"),
    ("throughput.py", ["--train_samples", "-1"], "--train_samples must be from 0 to 1000000000, got -1"),
])
def test_evaluation_scripts_refuse_bad_input_in_one_line(script, args, words):
    """The scripts that evaluate and ship policies: a misspelt skill or policy, or an impossible count, is one
    error line and exit code 2, not a traceback (nor a table of nan for zero episodes)."""
    cmd = [sys.executable, os.path.join(ROOT, "benchmarks", script)] if script.endswith(".py") else [sys.executable, "-m", script]
    r = subprocess.run([*cmd, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and words in r.stderr.strip().splitlines()[-1] and "Traceback" not in r.stderr, r.stderr


@pytest.mark.parametrize("mode", ["statistics", "record"])
def test_ctrl_c_in_playback_ends_like_a_stop_in_training(tmp_path, mode):
    """A Ctrl-C during ``--num_episodes`` prints the finished episodes and exits 130 (was a traceback); during
    ``--record`` it writes a whole GIF of the frames so far and says so, exit 130 (was exit 0, as if complete)."""
    import signal
    from PIL import Image
    gif = tmp_path / "cut.gif"
    extra = ["--num_episodes", "200"] if mode == "statistics" else ["--record", str(gif), "--num_episodes", "50",
                                                                      "--width", "32", "--height", "24"]
    proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "deepmimic", "testrl.py"), "--arg_file",
                             os.path.join(ROOT, "args/run_humanoid3d_walk_args.txt"), "--rand_seed", "1", *extra],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = ""
    deadline = time.time() + 180
    while time.time() < deadline and not first.startswith(("playing", "recording")):
        first = proc.stdout.readline()  # start-up (imports, compiled kernels) can take long on a loaded machine
    time.sleep(3)  # well inside the episodes (200 x 20 s episodes take minutes)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "Traceback" not in err, err[-2000:]
    last = out.strip().splitlines()[-1]
    assert last.startswith("stopped by signal 2: "), out[-2000:]
    if mode == "statistics":
        assert last.endswith("of 200 episodes finished")
    else:
        frames = int(last.split(": ")[1].split()[0])
        with Image.open(gif) as im:
            assert frames > 0 and im.n_frames == frames


def test_model_files_may_name_a_run_folder(tmp_path):
    """``--model_files <run folder>`` plays the folder's agent0_model_anet.pth (it said '<folder>_anet.pth not found')."""
    import shutil
    run = tmp_path / "humanoid3d_walk"
    run.mkdir()
    for part in ("anet", "cnet"):
        shutil.copyfile(os.path.join(ROOT, f"data/policies/humanoid3d/humanoid3d_walk_{part}.pth"), run / f"agent0_model_{part}.pth")
    r = subprocess.run([sys.executable, os.path.join(ROOT, "deepmimic", "testrl.py"), "--model_files", str(run),
                        "--num_episodes", "1", "--max_steps", "5"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and "episodes: 1  mean return:" in r.stdout, r.stderr[-2000:]
