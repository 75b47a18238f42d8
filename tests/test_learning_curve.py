"""The learning-curve benchmark's pieces: fixed test starts, the CSV, resume, and the recipe's knobs."""
import dataclasses
import glob
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from conftest import ROOT, benchmark, make_env

from deepmimic.learning.learning_curve import COLUMNS, CurveWriter, bar_reached_at, read_curve, start_times
from deepmimic.learning.rollout import EpisodeResult as E


def test_start_times_are_fixed_and_inside_the_clip():
    a, b = start_times(1.25, 16), start_times(1.25, 16)
    assert np.array_equal(a, b) and a.shape == (16,) and np.all((0 <= a) & (a < 1.25))
    assert len(set(np.round(a, 6))) == 16  # spread over the cycle, not one phase


def test_curve_starts_judge_every_clip_of_a_set_at_fixed_times_and_one_clip_as_before():
    """A motion set's curve episodes lead with clip i mod 5 (the walker's five clips, each at every point) at fixed
    times inside that clip; a single clip keeps start_times' values, so its curves stay comparable."""
    from deepmimic.learning.learning_curve import curve_starts
    from deepmimic.learning.rollout import reset_at
    walk = make_env()
    assert curve_starts(walk.motions, 16) == [(0, float(t)) for t in start_times(walk.motion.cycle_time, 16)]
    walker = make_env(motion="data/motions/walker")
    starts = curve_starts(walker.motions, 16)
    assert starts == curve_starts(walker.motions, 16) and [c for c, _ in starts] == [i % 5 for i in range(16)]
    assert all(0 <= t < walker.motions.clips[c].cycle_time for c, t in starts)
    for clip, t in starts[:5]:
        reset_at(walker, (clip, t))
        assert (walker.clip, walker.t) == (clip, t)


def test_curve_writer_columns_and_resume(tmp_path):
    path = str(tmp_path / "learning_curve.csv")
    w = CurveWriter(path)
    assert w.next_due(1000) == 0
    w.add(0, 0.0, [E(10.0, 30, True, 300.0, 90.0), E(20.0, 40, True, 200.0, 80.0)])
    w.add(1000, 0.01, [E(300.0, 600, False, 100.0, 50.0), E(100.0, 200, True, 500.0, 90.0)])
    w.add(2000, 0.02, [E(400.0, 600, False, 60.0, 40.0), E(500.0, 600, False, 40.0, 30.0)])
    with open(path) as f:
        assert f.readline().strip() == ",".join(COLUMNS) == ("samples,wall_hours,test_return_mean,test_falls,test_episodes,"
                                                             "body_err_mm,body_err_rel_mm")
    rows = read_curve(path)
    assert [r["samples"] for r in rows] == [0, 1000, 2000]
    assert rows[1]["test_return_mean"] == 200.0 and rows[1]["test_falls"] == 1 and rows[1]["test_episodes"] == 2
    # the tracking error is the mean over every control step, so a long episode weighs more than a short one
    assert rows[1]["body_err_mm"] == 200.0 and rows[1]["body_err_rel_mm"] == 60.0
    assert rows[0]["body_err_mm"] == pytest.approx((300 * 30 + 200 * 40) / 70, abs=0.05)
    # a run resumed from a model saved at 1500 samples keeps the rows up to it and continues after
    w2 = CurveWriter(path, resume_samples=1500)
    assert [r["samples"] for r in read_curve(path)] == [0, 1000] and w2.next_due(1000) == 2000
    # a fresh run (no resume) starts a new curve
    CurveWriter(path).add(0, 0.0, [E(1.0, 3, True)])
    assert len(read_curve(path)) == 1


def test_a_curve_written_before_the_tracking_error_reads_and_continues(tmp_path):
    """Committed curves have five columns: they read with the error cells NaN, and a resumed run rewrites them
    with seven (the old rows' error cells empty)."""
    path = tmp_path / "learning_curve.csv"
    path.write_text("samples,wall_hours,test_return_mean,test_falls,test_episodes\n0,0.0000,8.346,16,16\n")
    rows = read_curve(str(path))
    assert rows[0]["test_return_mean"] == 8.346 and np.isnan(rows[0]["body_err_mm"]) and np.isnan(rows[0]["body_err_rel_mm"])
    CurveWriter(str(path), resume_samples=0).add(100, 0.1, [E(20.0, 40, True, 250.0, 120.0)])
    lines = path.read_text().splitlines()
    assert lines[1] == "0,0.0000,8.346,16,16,," and lines[2] == "100,0.1000,20.000,1,1,250.0,120.0"


def _train(out, agent_file, *extra):
    cmd = [sys.executable, os.path.join(ROOT, "deepmimic", "DeepMimic_Optimizer.py"),
           "--arg_file", "args/train_humanoid3d_walk_deepmimic_args.txt", "--agent_files", agent_file,
           "--output_path", str(out), "--int_output_path", str(out / "int"), "--num_envs_per_proc", "2",
           "--rand_seed", "3", "--curve_every", "600", "--curve_episodes", "3", "--time_end_lim_max", "1",
           "--time_end_lim_min", "1", *extra]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    return r.stdout


def test_training_writes_the_curve_and_resume_continues_it(tmp_path, small_agent_file):
    out = tmp_path / "run"
    stdout = _train(out, small_agent_file, "--max_iters", "2")
    rows = read_curve(str(out / "learning_curve.csv"))
    assert rows[0]["samples"] == 0 and len(rows) >= 2 and all(r["test_episodes"] == 3 for r in rows)
    assert all(0 < r["test_return_mean"] <= 30 for r in rows)  # 1 s test episodes: at most 30 steps of reward <= 1
    assert all(0 < r["body_err_rel_mm"] < 1000 and 0 < r["body_err_mm"] < 1000 for r in rows)  # measured, < 1 m
    assert f"Curve at {rows[-1]['samples']} samples" in stdout
    progress = [l for l in stdout.splitlines() if l.startswith("iter ")]  # one compact line per iteration
    assert len(progress) == 2 and "samples/s" in progress[0] and "| Samples |" not in stdout
    assert stdout.rstrip().endswith(f"finished at {rows[-1]['samples']} samples; model saved to {out}/agent0_model_anet.pth")
    anet = out / "agent0_model_anet.pth"
    saved = torch.load(anet, weights_only=True)
    assert rows[-1]["samples"] == saved["samples"]  # the final point is the saved model
    for r in rows:  # every point keeps its policy
        kept = torch.load(out / "int" / f"agent0_curve_model_{r['samples']:012d}_anet.pth", weights_only=True)
        assert kept["samples"] == r["samples"]
    _train(out, small_agent_file, "--model_files", str(anet), "--max_iters", str(saved["iter"] + 2))
    rows2 = read_curve(str(out / "learning_curve.csv"))
    assert rows2[:len(rows)] == rows and len(rows2) > len(rows)
    samples = [r["samples"] for r in rows2]
    assert samples == sorted(samples) and len(set(samples)) == len(samples)
    assert rows2[-1]["wall_hours"] >= rows[-1]["wall_hours"]
    from deepmimic.util.logger import read_log
    log = read_log(str(out / "agent0_log.txt"))
    first_resumed = log["Samples"].index(next(s for s in log["Samples"] if s > saved["samples"]))
    assert log["Test_Return"][first_resumed] == log["Test_Return"][first_resumed - 1] > 0  # carried, not 0
    # continued elsewhere from the committed model and curve alone (no log): the clock still continues
    os.remove(out / "agent0_log.txt")
    saved2 = torch.load(anet, weights_only=True)
    _train(out, small_agent_file, "--model_files", str(anet), "--max_iters", str(saved2["iter"] + 1))
    rows3 = read_curve(str(out / "learning_curve.csv"))
    assert len(rows3) > len(rows2) and rows3[-1]["wall_hours"] >= rows2[-1]["wall_hours"] > 0


def test_drift_termination_ends_episodes_that_leave_the_reference():
    from deepmimic.env.imitation_env import Terminate
    plain, strict = make_env(), make_env()
    strict.cfg.drift_term_dist = 0.05  # open-loop clip targets drift 5 cm from the reference within ~8 steps
    ends = []
    for env in (plain, strict):
        env.reset(start_time=0.4)
        for n in range(1, 13):
            _, _, done, term = env.step(env.reference_action(env.t + 1.0 / 30))
            if done:
                break
        ends.append((n, term, env.root_drift_sq))
    assert ends[0][1] is None  # without the option the same steps do not end the episode
    assert ends[1][1] == Terminate.FAIL and 3 < ends[1][0] < 12 and ends[1][2] > 0.05 ** 2
    from deepmimic.env.base_env import Mode
    strict.set_mode(Mode.TEST)  # test episodes end only by falls and time: comparable across configurations
    strict.reset(start_time=0.4)
    for _ in range(12):
        _, _, done, _ = strict.step(strict.reference_action(strict.t + 1.0 / 30))
        assert not done


def test_drift_curriculum_moves_the_limit_from_its_start_to_drift_term_dist():
    from deepmimic.env.imitation_env import Terminate
    from deepmimic.settings import env_config
    from deepmimic.util.arg_parser import ArgParser
    from deepmimic.util.errors import DeepMimicError
    walk = ["--motion_file", "data/motions/humanoid3d_walk.txt"]
    args = ArgParser.from_argv([*walk, "--drift_term_dist", "0.05", "--drift_term_dist_beg", "3",
                                "--drift_anneal_samples", "1000"])
    env = make_env()
    env.cfg = env_config(args)
    limits = []
    for count in (0, 250, 500, 1000, 5000):
        env.set_sample_count(count)
        limits.append(env.drift_limit())
    assert np.allclose(limits, [3.0, 2.2625, 1.525, 0.05, 0.05])
    ends = []
    for count in (0, 5000):  # open-loop clip targets drift 5 cm within ~8 steps: ended only at the tight end
        env.set_sample_count(count)
        env.reset(start_time=0.4)
        for n in range(1, 13):
            _, _, done, term = env.step(env.reference_action(env.t + 1.0 / 30))
            if done:
                break
        ends.append(term)
    assert ends == [None, Terminate.FAIL]
    assert env_config(ArgParser.from_argv([*walk, "--drift_term_dist", "1"])).drift_term_dist_beg is None
    for bad, says in ((["--drift_term_dist_beg", "2", "--drift_anneal_samples", "100"], "needs --drift_term_dist > 0"),
                      (["--drift_term_dist", "1", "--drift_term_dist_beg", "2"], "needs --drift_anneal_samples > 0")):
        with pytest.raises(DeepMimicError, match=says):
            env_config(ArgParser.from_argv([*walk, *bad]))


def test_reference_action_reproduces_the_clip_pose():
    env = make_env()
    sph_k = [k for k, s in zip(env._ref_index, env._act_is_sph) if s]
    rev_k = [k for k, s in zip(env._ref_index, env._act_is_sph) if not s]
    for t in (0.0, 0.37, 0.81):
        ref = env.motion.reference(t)
        targets = env.action_to_targets(env.reference_action(t))
        got_q = np.array([q for q, s in zip(targets, env._act_is_sph) if s])
        got_rev = [q[0] for q, s in zip(targets, env._act_is_sph) if not s]
        want_q = ref.sph_rot[sph_k] / np.linalg.norm(ref.sph_rot[sph_k], axis=1, keepdims=True)
        assert np.allclose(np.abs(np.sum(got_q * want_q, axis=1)), 1.0, atol=1e-5)  # same rotation (q ~ -q)
        assert np.allclose(got_rev, ref.rev_angle[rev_k])


def test_warm_start_fits_the_actor_to_the_clip():
    from deepmimic.learning.agent_config import load_agent_file
    from deepmimic.learning.ppo_agent import PPOAgent
    from deepmimic.learning.warm_start import warm_start
    env = make_env()
    cfg = load_agent_file(os.path.join(ROOT, "data/agents/ct_agent_humanoid_ppo_deepmimic.txt"))
    cfg = dataclasses.replace(cfg, actor_net="fc_2layers_256units", critic_net="fc_2layers_256units")
    agent = PPOAgent(cfg, env.spec)
    starts = start_times(env.motion.cycle_time, 4)

    def clip_error():  # actor mean vs the clip's action, in normalised units, at fixed states
        s = np.array([env.reset(start_time=t) for t in starts])
        a = np.array([env.reference_action(t + 1.0 / 30) for t in starts])
        mean, _, _ = agent.act(s, explore=False)
        return float(np.mean(((mean - a) * env.a_scale) ** 2))

    before = clip_error()
    used, mse = warm_start(agent, [env], 1500, np.random.default_rng(0))
    assert used == 1500 and mse < 0.02 and clip_error() < 0.2 * before


def test_recipe_keys_are_validated():
    from deepmimic.util.arg_parser import ArgParser
    from deepmimic.util.errors import DeepMimicError
    for bad in (["--drift_term_dist", "-1"], ["--warm_start_samples", "-5"], ["--curve_episodes", "0"],
                ["--ref_root_state", "maybe"]):
        with pytest.raises(DeepMimicError, match=bad[0][2:]):
            ArgParser.from_argv(["--arg_file", os.path.join(ROOT, "args/train_humanoid3d_walk_deepmimic_args.txt"), *bad])


def test_agent_file_anneals_the_step_sizes_by_samples_resume_included(tmp_path):
    """ActorStepsizeEnd / CriticStepsizeEnd over StepsizeAnnealSamples: linear in the sample count, set on
    the optimizers (so the log's Actor_Stepsize shows it), and a resumed agent starts at its samples' value."""
    from deepmimic.learning.agent_config import load_agent_file
    from deepmimic.learning.ppo_agent import PPOAgent
    from deepmimic.util.errors import DeepMimicError
    base = dict(json.load(open(os.path.join(ROOT, "data/agents/ct_agent_humanoid_ppo_fast.txt"))),
                ActorNet="fc_2layers_256units", CriticNet="fc_2layers_256units")
    path = tmp_path / "anneal.txt"
    path.write_text(json.dumps(dict(base, ActorStepsize=3e-5, ActorStepsizeEnd=1e-5, StepsizeAnnealSamples=1e6)))
    env = make_env()
    agent = PPOAgent(load_agent_file(str(path)), env.spec)
    lrs = lambda: (agent.actor_opt.param_groups[0]["lr"], agent.critic_opt.param_groups[0]["lr"])  # noqa: E731
    assert np.allclose(lrs(), (3e-5, 1e-4))
    agent.set_total_samples(250000)
    assert np.allclose(lrs(), (2.5e-5, 1e-4))  # the critic has no end value: constant
    agent.set_total_samples(5e6)
    assert np.allclose(lrs(), (1e-5, 1e-4))
    agent.save(str(tmp_path / "m"), with_optimizers=True)
    resumed = PPOAgent(load_agent_file(str(path)), env.spec)
    resumed.load(str(tmp_path / "m_anet.pth"))
    assert resumed.optimizers_restored and np.isclose(resumed.actor_opt.param_groups[0]["lr"], 1e-5)
    plain = PPOAgent(load_agent_file(os.path.join(ROOT, "data/agents/ct_agent_humanoid_ppo_fast.txt")), env.spec)
    plain.set_total_samples(5e6)
    assert plain.actor_opt.param_groups[0]["lr"] == 3e-5  # no schedule: the agent file's step, always
    path.write_text(json.dumps(dict(base, CriticStepsizeEnd=1e-5)))
    with pytest.raises(DeepMimicError, match="'CriticStepsizeEnd' needs 'StepsizeAnnealSamples'"):
        load_agent_file(str(path))


def test_agent_file_chooses_the_optimizer(tmp_path):
    from deepmimic.learning.agent_config import load_agent_file
    from deepmimic.learning.ppo_agent import PPOAgent
    from deepmimic.util.errors import DeepMimicError
    base = json.load(open(os.path.join(ROOT, "data/agents/ct_agent_humanoid_ppo_deepmimic.txt")))
    env = make_env()
    kinds = {}
    for opt in ("SGD", "Adam"):
        path = tmp_path / f"{opt}.txt"
        path.write_text(json.dumps(dict(base, Optimizer=opt, ActorNet="fc_2layers_256units", CriticNet="fc_2layers_256units")))
        agent = PPOAgent(load_agent_file(str(path)), env.spec)
        kinds[opt] = (type(agent.actor_opt).__name__, type(agent.critic_opt).__name__)
    assert kinds == {"SGD": ("SGD", "SGD"), "Adam": ("Adam", "Adam")}
    bad = tmp_path / "bad.txt"
    bad.write_text(json.dumps(dict(base, Optimizer="RMSprop")))
    with pytest.raises(DeepMimicError, match="Optimizer"):
        load_agent_file(str(bad))


@pytest.mark.parametrize("anet", sorted(glob.glob(os.path.join(ROOT, "data/policies/humanoid3d/*_anet.pth"))),
                         ids=os.path.basename)
def test_every_shipped_policy_loads_and_acts(anet):
    from deepmimic.policy import Policy
    assert os.path.isfile(anet.replace("_anet.pth", "_cnet.pth"))
    act = Policy.load(anet)
    env = act.make_env(os.path.basename(anet)[len("humanoid3d_"):-len("_anet.pth")].split("_upstream")[0])
    assert env.state_size == act.state_size
    s = env.reset(start_time=0.1)
    a = act(s)
    assert a.shape == (36,) and np.all(np.isfinite(a)) and np.abs(a).max() > 1e-3
    s, r, _, _ = env.step(a)
    assert np.all(np.isfinite(s)) and 0.0 <= r <= 1.0


def test_ref_root_state_shows_the_drift_the_policy_must_correct():
    import dataclasses
    from deepmimic.env.imitation_env import ImitationEnv
    plain = make_env()
    env = ImitationEnv(dataclasses.replace(plain.cfg, ref_root_state=True), seed=0)
    assert env.state_size == plain.state_size + 5
    s = env.reset(start_time=0.7)
    assert np.allclose(s[-5:], [0, 0, 0, 1, 0], atol=1e-6)  # on the reference: no offset, same heading
    assert np.array_equal(s[:-5], plain.reset(start_time=0.7))  # the DeepMimic state is unchanged
    for _ in range(20):
        s, _, _, _ = env.step(env.reference_action(env.t + 1.0 / 30))
    offset = s[-5:-2]
    assert np.isclose(np.linalg.norm(offset), np.sqrt(env.root_drift_sq), rtol=1e-6) and np.linalg.norm(offset) > 0.05
    assert np.isclose(s[-2] ** 2 + s[-1] ** 2, 1.0) and s[-2] < 0.999  # the heading has drifted too
    assert len(env.build_state_offset()) == len(env.build_state_norm_groups()) == env.state_size


def test_model_trained_with_ref_root_state_needs_it(tmp_path, small_agent_file):
    """A policy's state size travels with it: playing it in the plain env is a clear error."""
    from deepmimic.factory import build_agent, build_envs
    from deepmimic.settings import Settings
    from deepmimic.util.arg_parser import ArgParser
    from deepmimic.util.errors import DeepMimicError
    base = ["--arg_file", os.path.join(ROOT, "args/train_humanoid3d_walk_deepmimic_args.txt"), "--agent_files", small_agent_file]
    args = Settings.from_args(ArgParser.from_argv(base + ["--ref_root_state", "true"]))
    env = build_envs(args.env, 1, seed=0)[0]
    build_agent(args, env, seed=0).save(str(tmp_path / "m"))
    plain = Settings.from_args(ArgParser.from_argv(base + ["--model_files", str(tmp_path / "m_anet.pth")]))
    with pytest.raises(DeepMimicError, match="state size 202.*197"):
        build_agent(plain, build_envs(plain.env, 1, seed=0)[0], seed=0)


def test_plot_cli_draws_learning_curves(tmp_path):
    from deepmimic.plot_log import main
    from deepmimic.util.errors import DeepMimicError
    path = str(tmp_path / "walk_x.csv")
    CurveWriter(path).add(0, 0.0, [E(5.0, 20, True)])
    main([path, "-o", str(tmp_path / "c.png")])
    assert (tmp_path / "c.png").stat().st_size > 1000
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n")
    with pytest.raises(DeepMimicError, match="not a learning_curve.csv"):
        main([str(tmp_path / "bad.csv"), "-o", str(tmp_path / "d.png")])


def test_many_curves_are_told_apart_and_their_legend_sits_beside_the_plots(tmp_path):
    """Past ten configurations matplotlib's colours repeat, and a legend of 17 inside the axes covered the curves
    (run_all_configs.png): every series gets its own colour and line style, and many share one legend outside."""
    from PIL import Image
    from deepmimic.plot_log import LEGEND_INSIDE_MAX, plot_curves, series_styles
    assert len(set(series_styles(40))) == 40
    paths = []
    for k in range(LEGEND_INSIDE_MAX + 5):
        paths.append(str(tmp_path / f"walk_c{k}.csv"))
        CurveWriter(paths[-1]).add(0, 0.0, [E(5.0 + k, 20, True)])
    few = Image.open(plot_curves(paths[:LEGEND_INSIDE_MAX], str(tmp_path / "few.png"))).size
    many = Image.open(plot_curves(paths, str(tmp_path / "many.png"))).size
    assert many[0] > few[0] + 50  # the image widened to hold the legend beside the plots


def test_plot_log_draws_a_one_row_log_visibly(tmp_path):
    from PIL import Image
    from deepmimic.plot_log import plot_logs
    log = tmp_path / "run" / "agent0_log.txt"
    log.parent.mkdir()
    log.write_text("Iteration\tWall_Time\tSamples\tTrain_Return\tTest_Return\n0\t0.001\t4096\t15.0\t17.0\n")
    im = np.asarray(Image.open(plot_logs([str(log)], str(tmp_path / "p.png"))).convert("RGB")).astype(int)
    w = im.shape[1]
    centre = im[:, int(0.22 * w):int(0.32 * w)]  # the lone point sits mid-axes; the legend is far right
    blue = np.abs(centre - np.array([31, 119, 180])).sum(-1) < 60  # matplotlib's first colour
    assert blue.sum() > 10


def test_ref_pose_state_shows_the_pose_one_control_step_ahead():
    import dataclasses
    from deepmimic.env.imitation_env import ImitationEnv
    plain = make_env()
    env = ImitationEnv(dataclasses.replace(plain.cfg, ref_root_state=True, ref_pose_state=True), seed=0)
    assert env.state_size == plain.state_size + 5 + 36 == 238
    s = env.reset(start_time=0.7)
    assert np.array_equal(s[:197], plain.reset(start_time=0.7))
    for _ in range(3):
        s, _, _, _ = env.step(env.reference_action(env.t))
    nxt = env.motion.reference(env.t + 1.0 / 30)
    q = s[202:234].reshape(8, 4)
    assert np.all(q[:, 3] >= 0) and np.allclose(np.linalg.norm(q, axis=1), 1.0)
    unit = nxt.sph_rot / np.linalg.norm(nxt.sph_rot, axis=1, keepdims=True)
    assert np.allclose(np.abs(np.sum(q * unit, axis=1)), 1.0) and np.allclose(s[234:], nxt.rev_angle)
    assert len(env.build_state_offset()) == len(env.build_state_norm_groups()) == env.state_size


def test_an_episode_of_a_clip_that_does_not_loop_ends_with_the_clip():
    """Kick, punch and the getups (Loop none): an episode is the rest of the clip, a time-out, not 20 s of
    standing after it (as DeepMimic)."""
    from deepmimic.env.base_env import Mode, Terminate
    env = make_env("kick", fall=[])
    env.set_mode(Mode.TEST)
    assert not env.motion.loop
    env.reset(start_time=0.5)
    steps, done = 0, False
    while not done:
        _, _, done, term = env.step(env.reference_action(env.t + env.control_step()))
        steps += 1
    assert term == Terminate.NULL and steps == round((env.motion.cycle_time - 0.5) * 30)
    walk = make_env("walk", fall=[])
    walk.set_mode(Mode.TEST)
    walk.reset(start_time=walk.motion.cycle_time - 0.1)
    for _ in range(10):  # a looping clip goes on past its end
        assert not walk.step(walk.reference_action(walk.t + walk.control_step()))[2]


def test_clip_end_hold_plays_training_episodes_past_the_clip():
    """--clip_end_hold S: a training episode of a clip that does not loop goes on S seconds past the clip's
    end, against its last frame held; a test episode still ends with the clip."""
    from deepmimic.env.base_env import Mode, Terminate
    env = make_env("kick", fall=[])
    env.cfg.clip_end_hold = 0.5

    def steps_from(start):
        env.reset(start_time=start)
        steps, done = 0, False
        while not done:
            _, _, done, term = env.step(env.reference_action(env.t + env.control_step()))
            steps += 1
        return steps, term

    assert steps_from(1.0) == (round((env.motion.cycle_time - 1.0 + 0.5) * 30), Terminate.NULL)
    last = env.motion.reference(env.motion.cycle_time)
    held = env.motion.reference(env.t)
    assert env.t > env.motion.cycle_time + 0.4 and np.array_equal(held.sph_rot, last.sph_rot)
    env.set_mode(Mode.TEST)
    assert steps_from(1.0) == (round((env.motion.cycle_time - 1.0) * 30), Terminate.NULL)


def test_pose_termination_ends_training_episodes_only():
    """--pose_term_dist D: a training episode fails once any body is farther than D from the reference
    body; test episodes end only by falls, time and the clip's end."""
    from deepmimic.env.base_env import Mode, Terminate
    env = make_env("walk", fall=[])
    env.cfg.pose_term_dist = 1e-4  # tighter than any tracking: the first step ends it
    env.reset(start_time=0.2)
    _, _, done, term = env.step(env.reference_action(env.t + env.control_step()))
    assert done and term == Terminate.FAIL and env.pose_dev_sq > 1e-8
    env.set_mode(Mode.TEST)
    env.reset(start_time=0.2)
    assert not env.step(env.reference_action(env.t + env.control_step()))[2]
    env.set_mode(Mode.TRAIN)
    env.cfg.pose_term_dist = 1.0  # following the clip stays within 1 m
    env.reset(start_time=0.2)
    for _ in range(10):
        assert not env.step(env.reference_action(env.t + env.control_step()))[2]
    assert 0 < env.pose_dev_sq < 1.0


def test_ship_policy_ships_the_best_kept_point_with_few_falls_and_never_replaces_silently(tmp_path, monkeypatch):
    """ship_policy picks by the curve: the highest return among points with <= --max_falls falls whose model the
    trainer kept; an already shipped policy is replaced only with --overwrite; a broken curve is one line."""
    from deepmimic.tools import ship_policy
    monkeypatch.setattr(ship_policy, "PACKAGE_ROOT", str(tmp_path))  # data/policies/humanoid3d/ under tmp_path
    run = tmp_path / "run"
    (run / "intermediate").mkdir(parents=True)
    points = [(1000, 300.0, 1), (2000, 400.0, 3), (3000, 350.0, 2), (4000, 390.0, 0)]  # 4000: no model kept
    with open(run / "learning_curve.csv", "w") as f:
        f.write("samples,wall_hours,test_return_mean,test_falls,test_episodes\n")
        f.writelines(f"{s},1.0,{r},{falls},16\n" for s, r, falls in points)
    for samples, _, _ in points[:3]:
        for part in ("anet", "cnet"):
            (run / "intermediate" / f"agent0_curve_model_{samples:012d}_{part}.pth").write_bytes(f"{samples} {part}".encode())

    def ship(*extra):
        return ship_policy.main(["--skill", "walk", "--run", str(run), "--ship", *extra])
    shipped = tmp_path / "data" / "policies" / "humanoid3d" / "humanoid3d_walk"
    shipped.parent.mkdir(parents=True)
    assert ship() == 0
    assert [(shipped.parent / f"humanoid3d_walk_{part}.pth").read_bytes() for part in ("anet", "cnet")] == [b"3000 anet", b"3000 cnet"]
    from deepmimic.util.errors import DeepMimicError
    with pytest.raises(DeepMimicError, match="--ship already exists: .* pass --overwrite"):  # 2000 would win now
        ship("--max_falls", "3")
    assert (shipped.parent / "humanoid3d_walk_anet.pth").read_bytes() == b"3000 anet"
    assert ship("--max_falls", "3", "--overwrite") == 0
    assert (shipped.parent / "humanoid3d_walk_anet.pth").read_bytes() == b"2000 anet"
    # a point whose critic was not kept is not shippable (its actor would land beside another run's critic),
    # and a NaN return is no best: both files stay the 2000 point's
    (run / "intermediate" / f"agent0_curve_model_{2000:012d}_cnet.pth").unlink()
    with open(run / "learning_curve.csv", "a") as f:
        f.write("5000,1.0,nan,0,16\n")
    for part in ("anet", "cnet"):
        (run / "intermediate" / f"agent0_curve_model_{5000:012d}_{part}.pth").write_bytes(b"5000")
    assert ship("--max_falls", "3", "--overwrite") == 0
    assert [(shipped.parent / f"humanoid3d_walk_{part}.pth").read_bytes() for part in ("anet", "cnet")] == [b"3000 anet", b"3000 cnet"]
    (run / "learning_curve.csv").write_text("samples,return\n1,2\n")
    r = subprocess.run([sys.executable, "-m", "deepmimic.tools.ship_policy", "--skill", "walk", "--run", str(run)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "learning_curve.csv: not a learning_curve.csv" in r.stderr, r.stderr
    (run / "learning_curve.csv").write_text(",".join(COLUMNS) + "\n1000,0.1,20.0,16,16,300.0,90.0\n2000,0.2,3")  # cut
    r = subprocess.run([sys.executable, "-m", "deepmimic.tools.ship_policy", "--skill", "walk", "--run", str(run)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stderr.strip().splitlines() == [
        f"error: {run / 'learning_curve.csv'}: line 3 is cut short or is not numbers (2000,0.2,3); "
        "a run stopped mid-write: delete that line"], r.stderr


def test_ship_policy_refuses_a_run_of_another_clip_and_an_unknown_skill(tmp_path, monkeypatch):
    """A run folder names its clip in run_args.txt: a roll run shipped as walk would play the wrong motion, so it is
    one error line naming that file; a misspelt skill is refused before any curve is read."""
    from deepmimic.tools import ship_policy
    from deepmimic.util.errors import DeepMimicError
    monkeypatch.setattr(ship_policy, "PACKAGE_ROOT", str(tmp_path))
    run = tmp_path / "run"
    run.mkdir()
    (run / "learning_curve.csv").write_text(",".join(COLUMNS) + "\n1000,0.1,400.0,0,16,300.0,90.0\n")
    (run / "run_args.txt").write_text("--motion_file data/motions/humanoid3d_roll.txt\n")
    with pytest.raises(DeepMimicError, match="the run trained humanoid3d_roll.txt, not walk's clip humanoid3d_walk.txt") as e:
        ship_policy.main(["--skill", "walk", "--run", str(run), "--ship"])
    assert str(run / "run_args.txt") in str(e.value)
    with pytest.raises(DeepMimicError, match="--skill wlak: there is no args/train_humanoid3d_wlak_args.txt"):
        ship_policy.main(["--skill", "wlak", "--run", str(run)])
    with pytest.raises(DeepMimicError, match="no curve point with a finite return, a kept actor"):  # roll's own run
        ship_policy.main(["--skill", "roll", "--run", str(run)])  # passes the clip check (no model kept here)
    assert not (tmp_path / "data").exists()  # nothing shipped by a refused run


def test_ship_policy_ships_a_committed_checkpoint_at_its_curve_point_without_adams_state(tmp_path, monkeypatch):
    """--checkpoint ships a committed run's last model (checkpoints/<name>_{anet,cnet}.pth beside <name>.csv): its
    curve point must pass --max_falls, its clip must be the skill's, and the shipped critic has the same weights
    without the optimizers' state (only a resume reads it)."""
    from deepmimic.learning.model_io import save_actor_critic
    from deepmimic.learning.nets import Actor, Critic
    from deepmimic.learning.normalizer import Normalizer
    from deepmimic.tools import ship_policy
    from deepmimic.util.errors import DeepMimicError
    monkeypatch.setattr(ship_policy, "PACKAGE_ROOT", str(tmp_path))
    results = tmp_path / "results"
    (results / "checkpoints").mkdir(parents=True)
    prefix = str(results / "checkpoints" / "walk_recipe_x")
    actor = Actor("fc_2layers_256units", Normalizer(4), Normalizer(2))
    critic = Critic("fc_2layers_256units", Normalizer(4), Normalizer(1))
    walk = {"motion_file": ["data/motions/humanoid3d_walk.txt"]}
    save_actor_critic(prefix, actor, critic, 4, 2, 0.05, 0.95, optimizers={"actor": {"step": 7}}, samples=3000,
                      env_args=walk)
    (results / "walk_recipe_x.csv").write_text(",".join(COLUMNS) + "\n1000,0.1,400.0,0,16,300.0,90.0\n"
                                                "3000,0.3,350.0,3,16,300.0,90.0\n")
    shipped = tmp_path / "data" / "policies" / "humanoid3d"
    shipped.mkdir(parents=True)
    with pytest.raises(DeepMimicError, match="its curve point has 3 falls .more than --max_falls 2."):
        ship_policy.main(["--skill", "walk", "--checkpoint", prefix, "--ship"])
    assert not list(shipped.iterdir())
    with pytest.raises(DeepMimicError, match="the run trained humanoid3d_walk.txt, not roll's clip"):
        ship_policy.main(["--skill", "roll", "--checkpoint", prefix, "--max_falls", "3", "--ship"])
    assert ship_policy.main(["--skill", "walk", "--checkpoint", prefix + "_anet.pth", "--max_falls", "3", "--ship"]) == 0
    a, c = (torch.load(shipped / f"humanoid3d_walk_{part}.pth", weights_only=True) for part in ("anet", "cnet"))
    assert a["samples"] == c["samples"] == 3000 and "optimizers" not in c
    assert all(torch.equal(c["state_dict"][k], v) for k, v in critic.state_dict().items())
    assert all(torch.equal(a["state_dict"][k], v) for k, v in actor.state_dict().items())
    assert "optimizers" in torch.load(prefix + "_cnet.pth", weights_only=True)  # the checkpoint itself is untouched
    with pytest.raises(DeepMimicError, match="--ship already exists"):
        ship_policy.main(["--skill", "walk", "--checkpoint", prefix, "--max_falls", "3", "--ship"])
    (results / "walk_recipe_x.csv").write_text(",".join(COLUMNS) + "\n1000,0.1,400.0,0,16,300.0,90.0\n")
    with pytest.raises(DeepMimicError, match="no curve point at the checkpoint's 3,000 samples"):
        ship_policy.main(["--skill", "walk", "--checkpoint", prefix])
    with pytest.raises(DeepMimicError, match="no learning curve for this checkpoint here: name it with --curve"):
        ship_policy.main(["--skill", "walk", "--checkpoint", prefix, "--curve", str(tmp_path / "none.csv")])
    save_actor_critic(str(tmp_path / "other"), actor, critic, 4, 2, 0.05, 0.95, samples=2000, env_args=walk)
    os.replace(tmp_path / "other_cnet.pth", prefix + "_cnet.pth")
    with pytest.raises(DeepMimicError, match="its critic was saved at 2000 samples, its actor at 3000: not one checkpoint"):
        ship_policy.main(["--skill", "walk", "--checkpoint", prefix])


def test_skill_bars_hold_walk_to_its_own_bar():
    """Training stops a skill at the issue's bar: walk from scratch at >= 450 with <= 1 fall within 10M samples,
    the other skills at >= 360 with <= 2 falls within 15M; a command-line bar replaces the skill's own."""
    from deepmimic.tools import skill_bars
    walk, flip = skill_bars.skill_bar("walk"), skill_bars.skill_bar("backflip")
    assert (walk.ret, walk.max_falls, walk.max_samples) == (450.0, 1, 10e6)
    assert (flip.ret, flip.max_falls, flip.max_samples) == (360.0, 2, 15e6)
    rows = [{"samples": 1, "test_return_mean": 400.0, "test_falls": 2}, {"samples": 2, "test_return_mean": 420.0, "test_falls": 1}]
    assert bar_reached_at(rows, flip.ret, flip.max_falls) == 2
    assert bar_reached_at(rows, walk.ret, walk.max_falls) is None
    given = skill_bars.skill_bar("walk", ret=300.0, max_samples=5e6)
    assert (given.ret, given.max_falls, given.max_samples) == (300.0, 1, 5e6)


def test_skill_bar_of_a_clip_that_does_not_loop_fits_its_episodes():
    """A kick's test episodes end with the clip (1.53 s), so 360 of 600 is out of reach: the bar asks the same
    0.6 per step of the steps each curve episode can run, counted here by running the env from each start."""
    from deepmimic.env.imitation_env import Mode, Terminate
    from deepmimic.tools import skill_bars
    from deepmimic.learning.learning_curve import start_times
    env = make_env("kick", fall=[])  # no falls: every episode runs to its time-out
    env.set_mode(Mode.TEST)
    lengths = []
    for t in start_times(env.motion.cycle_time, 16):
        env.reset(start_time=t)
        n, term = 0, None
        while term is None:
            term = env.step(np.zeros(env.action_size))[3]
            n += 1
        assert term == Terminate.NULL
        lengths.append(n)
    assert list(skill_bars.episode_steps("kick")) == lengths and max(lengths) < 47
    assert skill_bars.skill_bar("kick").ret == pytest.approx(0.6 * np.mean(lengths))
    assert skill_bars.skill_bar("kick", ret=30.0).ret == 30.0
    assert list(skill_bars.episode_steps("spinkick")) == [600] * 16


def test_a_skill_past_its_bar_or_budget_says_why_it_is_done():
    """deepmimic-train-skills skips a skill for one of two reasons, and says which: past its bar and its fine phase, or its own budget
    spent (walk's budget is 10M, the others' 15M), below the bar or with single points past it (named);
    an unfinished curve is trained on."""
    from deepmimic.tools import skill_bars
    curves = {}

    def curve(skill, *points):
        curves[skill] = [dict(samples=int(s), test_return_mean=r, test_falls=falls) for s, r, falls in points]

    def why(skill):
        return skill_bars.why_done(curves.get(skill, []), skill_bars.skill_bar(skill))
    curve("run", (9e6, 370.0, 1), (9.25e6, 380.0, 2))
    curve("backflip", (14.9e6, 54.1, 16), (15.0e6, 48.1, 16))
    curve("walk", (10.5e6, 440.0, 0))
    curve("jump", (8.0e6, 380.0, 1), (9.0e6, 300.0, 3), (14.0e6, 362.0, 2), (15.0e6, 200.0, 9), (15.5e6, 500.0, 0))
    curve("spinkick", (5e6, 30.0, 16))
    assert why("run") is None  # at its bar: the fine phase (1M samples) is still to train
    assert skill_bars.why_done(curves["run"], skill_bars.skill_bar("run", fine_samples=0)) == (
        "past its bar (360 with <= 2 falls) at 9,250,000 samples")
    curve("run", (9e6, 370.0, 1), (9.25e6, 380.0, 2), (10.25e6, 300.0, 5))
    assert why("run") == "past its bar (360 with <= 2 falls) at 9,250,000 samples and its fine phase of 1,000,000"
    assert why("backflip").endswith("budget of 15,000,000 samples spent (15,000,000) below the bar")
    assert why("walk").endswith("budget of 10,000,000 samples spent (10,500,000) below the bar")
    # single points past the bar within the budget (not the 500 after it) are named, not called "below the bar"
    assert why("jump") == ("its budget of 15,000,000 samples spent (15,500,000); points past its bar "
                           "(360 with <= 2 falls), not 2 in a row: the best 380.0 with 1 falls at 8,000,000")
    assert why("spinkick") is None and why("cartwheel") is None


FAKE_TRAINING = """
import signal, sys, time
marks = sys.argv[1]
def on_int(signum, frame):
    open(marks, "a").write("INT\\n")
    time.sleep(1.0)  # saving; a second Ctrl-C now would abort an mpiexec
    sys.exit(130)
signal.signal(signal.SIGINT, on_int)
open(marks, "a").write("ready\\n")
for _ in range(1200):  # never outlives a failed test by more than a minute
    time.sleep(0.05)
"""


@pytest.mark.parametrize("signals", [("SIGINT", "SIGINT"), ("SIGTERM",)])
def test_learning_curve_stops_its_training_with_one_ctrl_c(tmp_path, signals):
    """Ctrl-C (twice, as impatient users do) or SIGTERM to learning_curve.py reaches the training as exactly one
    Ctrl-C, so mpiexec lets every rank save; the script then reports the stop, with no traceback."""
    import signal
    import time
    fake, marks = tmp_path / "fake_training.py", tmp_path / "marks.txt"
    fake.write_text(FAKE_TRAINING)
    runner = ("import sys, learning_curve; "  # python -c imports from its working directory, benchmarks/
              "print(*learning_curve.run_training([sys.executable, sys.argv[1], sys.argv[2]], sys.argv[3]))")
    proc = subprocess.Popen([sys.executable, "-c", runner, str(fake), str(marks), str(tmp_path / "log.txt")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=os.path.join(ROOT, "benchmarks"))
    deadline = time.time() + 30
    while not (marks.exists() and "ready" in marks.read_text()) and time.time() < deadline:
        time.sleep(0.05)
    for name in signals:
        proc.send_signal(getattr(signal, name))
        time.sleep(0.2)
    out, err = proc.communicate(timeout=30)
    assert "Traceback" not in err, err
    assert out.splitlines()[-1].split() == ["130", "True"] and out.count("stopping") == 1
    assert marks.read_text().split() == ["ready", "INT"]


def test_learning_curve_configs_change_the_agent_file_the_train_files_name():
    """Configurations that override agent keys (recipe_g99, fast_lr3) start from the recipe's agent file, the one
    every train_humanoid3d_<skill>_args.txt names, so they differ from "recipe" only by the keys they state."""
    learning_curve = benchmark("learning_curve")
    recipe_files = [f for f in glob.glob(os.path.join(ROOT, "args", "train_humanoid3d_*_args.txt"))
                    if "_deepmimic_" not in f]
    assert len(recipe_files) == 16  # the 15 clips and the walker set
    for path in recipe_files:
        agents = [line.split()[1] for line in open(path) if line.startswith("--agent_files")]
        assert agents == [learning_curve.RECIPE_AGENT], path


def test_the_recipe_closes_the_drift_limit_and_earlier_configurations_hold_theirs():
    """recipe_v2 ("closer and sooner"): every train_ file closes the drift limit from 3 m at the first sample to 1 m
    at 4M; DeepMimic's own files have none. The learning-curve configurations measured before it hold their limit
    (1 m, or 2 m) from the first sample, so their commands train what their committed curves trained."""
    from deepmimic.settings import env_config
    from deepmimic.util.arg_parser import ArgParser
    learning_curve = benchmark("learning_curve")
    for path in glob.glob(os.path.join(ROOT, "args", "train_humanoid3d_*_args.txt")):
        cfg = env_config(ArgParser.from_argv(["--arg_file", path]))
        limits = (cfg.drift_term_dist_beg, cfg.drift_term_dist, cfg.drift_anneal_samples)
        assert limits == ((None, 0.0, 0.0) if "_deepmimic_" in path else (3.0, 1.0, 4e6)), (path, limits)
    for name, (extra, _, _) in learning_curve.CONFIGS.items():
        curriculum = name.startswith("recipe_v2") or name == "recipe_b2_qfix_driftcur"  # v2 and the levers on it
        argv = ["--arg_file", learning_curve.arg_file("run", name), *extra]
        argv[argv.index("--agent_files") + 1] = os.path.join(ROOT, learning_curve.RECIPE_AGENT)
        cfg = env_config(ArgParser.from_argv(argv))
        if curriculum:  # 3 m to 1 m, over recipe_v2's 4M or a lever's longer span (recipe_v2_anneal6)
            assert (cfg.drift_term_dist_beg, cfg.drift_term_dist) == (3.0, 1.0) and cfg.drift_anneal_samples >= 4e6, name
        else:  # held: no curriculum (DeepMimic's files), or one from the limit to itself
            assert cfg.drift_term_dist_beg in (None, cfg.drift_term_dist), name


def test_the_recipe_offsets_the_clip_pose_and_earlier_configurations_play_plain_targets():
    """Residual actions ("closer and sooner": run at its bar in 0.64x recipe_v2's samples, spinkick ahead at every
    point) are in every train_ file and in none of DeepMimic's; every learning-curve configuration measured before
    them trains with plain PD targets, so its command still trains what its committed curve trained."""
    from deepmimic.settings import env_config
    from deepmimic.util.arg_parser import ArgParser
    learning_curve = benchmark("learning_curve")
    files = glob.glob(os.path.join(ROOT, "args", "train_humanoid3d_*_args.txt"))
    assert len(files) == 32
    for path in files:
        assert env_config(ArgParser.from_argv(["--arg_file", path])).residual_actions == ("_deepmimic_" not in path), path
    for name in learning_curve.CONFIGS:
        argv = ["--arg_file", learning_curve.arg_file("run", name), *learning_curve.config_args(name)]
        argv[argv.index("--agent_files") + 1] = os.path.join(ROOT, learning_curve.RECIPE_AGENT)
        assert env_config(ArgParser.from_argv(argv)).residual_actions == ("residual" in name), name


def test_learning_curve_stop_at_bar_hands_the_skills_bar_to_the_optimizer(tmp_path):
    """--stop_at_bar: the optimizer ends the run at the skill's own bar (a queue of skills is a shell loop);
    without it, no stop is asked."""
    import argparse
    learning_curve = benchmark("learning_curve")
    from deepmimic.tools import skill_bars
    a = argparse.Namespace(skill="kick", config="recipe_b2", procs=2, samples=15e6, seed=1, every=250000, episodes=16,
                           stop_at_bar=True, fine_samples=1e6)
    cmd = learning_curve.train_command(a, str(tmp_path))
    bar = skill_bars.skill_bar("kick")
    i = cmd.index("--stop_at_return")
    assert float(cmd[i + 1]) == bar.ret and cmd[cmd.index("--stop_max_falls") + 1] == str(bar.max_falls) == "2"
    assert cmd[cmd.index("--fine_samples") + 1] == "1000000"
    assert "--stop_at_return" not in learning_curve.train_command(argparse.Namespace(**dict(vars(a), stop_at_bar=False)),
                                                                  str(tmp_path))


@pytest.mark.parametrize("args, words", [
    (["--skill", "wak"], "--skill wak: there is no args/train_humanoid3d_wak_args.txt"),
    (["--samples", "0"], "--samples must be from 1 to"),
    (["--samples", "nan"], "--samples must be from 1 to"),
    (["--samples", "3e9"], "--samples must be from 1 to 2147483647, got 3000000000"),
    (["--procs", "0"], "--procs must be from 1 to 256"),
    (["--fine_samples", "1e6"], "--fine_samples is a phase after the bar: give --stop_at_bar too"),
    (["--stop_at_bar", "--fine_samples", "-1"], "--fine_samples must be from 0 to"),
    (["--episodes", "20000"], "--episodes must be from 1 to 10000"),  # the trainer's --curve_episodes range
    (["--resume_from", "no/such/prefix"], "--resume_from no/such/prefix: no/such/prefix_anet.pth not found"),
    (["--config", "fast_lr3", "--resume_from", "benchmarks/results/checkpoints/walk_recipe"],
     "--resume_from benchmarks/results/checkpoints/walk_recipe: the model is at 10,003,006 samples, its curve "
     "walk_fast_lr3.csv ends at 8,"),
    (["--skill", "crawl", "--config", "recipe_drift2", "--fork_from", "recipe"],
     "--fork_from recipe: benchmarks/results/checkpoints/crawl_recipe_anet.pth not found"),
    (["--fork_from", "recipe"], "--fork_from recipe: that is --config itself; continue its run with --resume_from"),
    (["--config", "recipe_drift2", "--fork_from", "recipe", "--resume_from", "benchmarks/results/checkpoints/walk_recipe"],
     "--resume_from and --fork_from: give one"),
])
def test_learning_curve_checks_its_arguments_before_it_starts(tmp_path, args, words):
    """A bad value is one error line and exit code 2, before a run folder is made or mpiexec started."""
    out = tmp_path / "run"
    r = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "learning_curve.py"), *args, "--out", str(out)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and words in r.stderr.splitlines()[-1] and "Traceback" not in r.stderr
    assert not out.exists()


def test_learning_curve_forks_a_committed_run_under_another_configuration(tmp_path):
    """--fork_from seeds the new run folder with the other configuration's committed model and curve, and the
    training command then continues that model with this configuration's change (and only that change)."""
    import argparse
    learning_curve = benchmark("learning_curve")
    a = argparse.Namespace(skill="backflip", config="recipe_drift2", fork_from="recipe", resume_from=None, procs=2,
                           samples=19e6, seed=1, every=250000, episodes=16, stop_at_bar=False)
    out = str(tmp_path / "fork")
    os.makedirs(out)
    prefix, curve, option = learning_curve.seed_source(a)
    assert option == "--fork_from" and curve.endswith(os.path.join("results", "backflip_recipe.csv"))
    learning_curve.seed_run(out, prefix, curve, option)
    with open(curve) as f, open(os.path.join(out, "learning_curve.csv")) as g:
        assert f.read() == g.read()
    cmd = learning_curve.train_command(a, out)
    assert cmd[cmd.index("--drift_term_dist") + 1] == "2.0"
    assert cmd[cmd.index("--model_files") + 1] == os.path.join(out, "agent0_model_anet.pth")
    assert cmd[cmd.index("--arg_file") + 1].endswith("train_humanoid3d_backflip_args.txt")
    from deepmimic.util.errors import DeepMimicError
    # The same command again, where the fork already ran one more point: resumed in place, nothing replaced.
    with open(os.path.join(out, "learning_curve.csv"), "a") as f:
        f.write(f"{read_curve(curve)[-1]['samples'] + 250000},30.0,111.0,5,16\n")
    model = (tmp_path / "fork" / "agent0_model_anet.pth").read_bytes()
    grown = (tmp_path / "fork" / "learning_curve.csv").read_text()
    learning_curve.seed_run(out, prefix, curve, option)
    assert (tmp_path / "fork" / "learning_curve.csv").read_text() == grown
    assert (tmp_path / "fork" / "agent0_model_anet.pth").read_bytes() == model
    # A folder holding another run (its curve does not begin with the committed points) is refused.
    (tmp_path / "fork" / "learning_curve.csv").write_text(grown.splitlines()[0] + "\n0,0.0,8.0,16,16\n")
    with pytest.raises(DeepMimicError, match="already holds a model of another run: resume it without --fork_from"):
        learning_curve.seed_run(out, prefix, curve, option)


def test_publish_replaces_a_committed_curve_only_with_one_that_continues_it(tmp_path, monkeypatch):
    """A short run into another --out published over the committed 10M-sample curve and its PNGs (the "newer
    surfaces" issue); now the committed curve is replaced only by a curve that begins with all its points."""
    lc = benchmark("learning_curve")
    from deepmimic.util.errors import DeepMimicError
    monkeypatch.setattr(lc, "RESULTS", str(tmp_path / "results"))
    committed = tmp_path / "results" / "walk_recipe.csv"
    committed.parent.mkdir()
    committed.write_text("samples,wall_hours,test_return_mean,test_falls,test_episodes\n0,0.0,8.346,16,16\n"
                         "250000,0.1,18.292,16,16\n")
    before = committed.read_text()
    short = tmp_path / "short.csv"
    CurveWriter(str(short)).add(0, 0.0, [E(8.0, 30, True)])
    with pytest.raises(DeepMimicError, match="does not continue the committed one"):
        lc.publish(str(short), "walk", "recipe")
    assert committed.read_text() == before and not (tmp_path / "results" / "walk_recipe.png").exists()
    longer = tmp_path / "longer.csv"
    longer.write_text(before)
    w = CurveWriter(str(longer), resume_samples=250000)
    w.add(500000, 0.2, [E(30.0, 60, True, 300.0, 150.0)])
    lc.publish(str(longer), "walk", "recipe")
    rows = read_curve(str(committed))
    assert [r["samples"] for r in rows] == [0, 250000, 500000] and rows[2]["body_err_rel_mm"] == 150.0
    assert (tmp_path / "results" / "walk_recipe.png").is_file()


def test_a_second_seed_is_published_and_resumed_under_its_own_name(tmp_path, monkeypatch):
    """--seed 2 of a configuration is its own curve (<skill>_<config>_seed2): publishing it leaves the seed-1
    curve as it is (it would otherwise be refused as not continuing it), and --resume_from continues the seed-2 curve."""
    import argparse
    lc = benchmark("learning_curve")
    monkeypatch.setattr(lc, "RESULTS", str(tmp_path / "results"))
    committed = tmp_path / "results" / "punch_recipe_b2_qfix.csv"
    committed.parent.mkdir()
    committed.write_text("samples,wall_hours,test_return_mean,test_falls,test_episodes\n0,0.0,8.3,16,16\n")
    other = tmp_path / "other.csv"
    CurveWriter(str(other)).add(0, 0.0, [E(9.0, 30, True)])
    lc.publish(str(other), "punch", "recipe_b2_qfix", seed=2)
    assert committed.read_text().endswith("0,0.0,8.3,16,16\n")
    assert read_curve(str(tmp_path / "results" / "punch_recipe_b2_qfix_seed2.csv"))[0]["test_return_mean"] == 9.0
    a = argparse.Namespace(skill="punch", config="recipe_b2_qfix", fork_from=None, resume_from="ck/punch", seed=2)
    assert lc.seed_source(a)[1] == str(tmp_path / "results" / "punch_recipe_b2_qfix_seed2.csv")
    assert lc.run_name("punch", "recipe_b2_qfix") == "punch_recipe_b2_qfix"


def test_learning_curve_out_naming_a_file_is_one_line(tmp_path):
    f = tmp_path / "a_file"
    f.write_text("x")
    r = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "learning_curve.py"), "--skill", "walk",
                        "--samples", "300", "--out", str(f)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stderr.startswith("error: ") and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert f.read_text() == "x"


#: Clips whose clip loops: the others (kick, punch, the getups) end their episode with the clip, as in DeepMimic.
NOT_LOOPING = {"kick", "punch", "getup_faceup", "getup_facedown"}


def deepmimic_fall_bodies(skill):
    """The fall bodies of DeepMimic's own train_ arg file, as the pybullet wheel ships it (the oracle): none where it
    sets --enable_char_contact_fall false (the getups, roll)."""
    from upstream_env import upstream_root
    words = open(os.path.join(upstream_root()[1], "args", f"train_humanoid3d_{skill}_args.txt")).read().split()
    if "--enable_char_contact_fall" in words and words[words.index("--enable_char_contact_fall") + 1] == "false":
        return []
    if "--fall_contact_bodies" not in words:
        return []
    after = words[words.index("--fall_contact_bodies") + 1:]
    ends = next((k for k, w in enumerate(after) if w.startswith("--")), len(after))
    return sorted(int(w) for w in after[:ends])


@pytest.mark.parametrize("skill", ["backflip", "cartwheel", "crawl", "dance_a", "dance_b", "getup_facedown", "getup_faceup",
                                   "jump", "kick", "punch", "roll", "run", "spin", "spinkick", "walk"])
def test_every_train_file_carries_its_clips_termination(skill):
    """The recipe's and DeepMimic's train_ files of every clip end episodes as DeepMimic's arg files do: the same
    fall bodies (none for the getups and roll, root/chest/neck for crawl) and, for a clip that does not loop,
    the episode ending with the clip."""
    from deepmimic.env.motion_data import MotionData
    from deepmimic.settings import env_config
    from deepmimic.env.character import load_character
    from deepmimic.util.arg_parser import ArgParser
    want = deepmimic_fall_bodies(skill)
    assert (want == []) == (skill in ("getup_faceup", "getup_facedown", "roll")) and (skill != "crawl" or want == [0, 1, 2])
    for kind in ("", "_deepmimic"):
        args = ArgParser.from_argv(["--arg_file", os.path.join(ROOT, "args", f"train_humanoid3d_{skill}{kind}_args.txt")])
        cfg = env_config(args)
        assert sorted(cfg.fall_contact_bodies) == want, (skill, kind)
        assert cfg.motion_file.endswith(f"humanoid3d_{skill}.txt")
        assert MotionData(cfg.motion_file, load_character(cfg.char_file)).loop == (skill not in NOT_LOOPING), skill


def test_stop_at_return_ends_after_two_points_at_the_bar_and_keeps_the_best(tmp_path, small_agent_file):
    """--stop_at_return R: training ends once two curve points in a row reach R with at most --stop_max_falls
    falls, and agent0_best_*.pth is the model of the best such point (the issue's "one house" test)."""
    out = tmp_path / "run"
    stdout = _train(out, small_agent_file, "--max_iters", "50", "--stop_at_return", "0.5", "--stop_max_falls", "3")
    rows = read_curve(str(out / "learning_curve.csv"))
    assert len(rows) == 2 and all(r["test_return_mean"] >= 0.5 for r in rows)  # 1 s episodes: every point passes
    assert "two curve points in a row at --stop_at_return 0.5" in stdout
    best = max(rows, key=lambda r: r["test_return_mean"])
    kept = torch.load(out / "int" / f"agent0_curve_model_{best['samples']:012d}_anet.pth", weights_only=True)
    saved = torch.load(out / "agent0_best_anet.pth", weights_only=True)
    assert saved["samples"] == best["samples"]
    for key, value in kept["state_dict"].items():
        assert torch.equal(value, saved["state_dict"][key]), key


def test_fine_samples_train_past_the_bar_with_the_fine_step_and_final_exploration_and_resume_in_it(tmp_path, small_agent_file):
    """--fine_samples N: once two curve points in a row reach --stop_at_return, training goes on N more samples with
    the actor step at FineActorStepsize and the exploration at ExpParamsEnd (the "closer" phase), then ends; a run
    resumed past its bar continues in the fine phase from its first iteration."""
    from deepmimic.util.logger import read_log
    agent = tmp_path / "agent_fine.txt"
    data = json.loads(open(small_agent_file).read())
    data["FineActorStepsize"] = 7e-7
    agent.write_text(json.dumps(data))
    out = tmp_path / "run"
    stdout = _train(out, str(agent), "--max_iters", "50", "--stop_at_return", "0.5", "--stop_max_falls", "3",
                    "--fine_samples", "1200")
    rows = read_curve(str(out / "learning_curve.csv"))
    bar = bar_reached_at(rows, 0.5, 3)
    assert bar == rows[1]["samples"] and rows[-1]["samples"] >= bar + 1200 and len(rows) == 4, rows
    assert f"fine phase: the bar was reached at {bar:,} samples" in stdout and "fine phase done (1,200 samples" in stdout
    log = read_log(str(out / "agent0_log.txt"))
    before = [i for i, n in enumerate(log["Samples"]) if n <= bar]
    after = [i for i, n in enumerate(log["Samples"]) if n > bar]
    assert before and after
    assert all(log["Actor_Stepsize"][i] == pytest.approx(2.5e-6) for i in before)
    assert all(log["Actor_Stepsize"][i] == pytest.approx(7e-7) for i in after)
    assert all(log["Exp_Rate"][i] > 0.99 for i in before) and all(log["Exp_Rate"][i] == pytest.approx(0.2) for i in after)
    # resumed with a longer fine phase: in it from the start, and it ends at the new length
    more = _train(out, str(agent), "--max_iters", "50", "--stop_at_return", "0.5", "--stop_max_falls", "3",
                  "--fine_samples", "2400", "--model_files", str(out / "agent0_model_anet.pth"))
    assert more.index(f"fine phase: the bar was reached at {bar:,} samples") < more.index("iter ")
    log = read_log(str(out / "agent0_log.txt"))
    assert log["Actor_Stepsize"][-1] == pytest.approx(7e-7) and read_curve(str(out / "learning_curve.csv"))[-1]["samples"] >= bar + 2400


def test_fine_samples_need_a_bar(tmp_path, small_agent_file):
    cmd = [sys.executable, os.path.join(ROOT, "deepmimic", "DeepMimic_Optimizer.py"), "--arg_file",
           "args/train_humanoid3d_walk_deepmimic_args.txt", "--agent_files", small_agent_file, "--output_path",
           str(tmp_path / "run"), "--curve_every", "600", "--fine_samples", "1000"]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and r.stderr.strip().splitlines()[-1] == (
        "error: --fine_samples is a phase after the bar: give --stop_at_return (and --curve_every) too"), r.stderr
    assert not (tmp_path / "run").exists()


def test_stop_at_return_needs_the_curve(tmp_path, small_agent_file):
    cmd = [sys.executable, os.path.join(ROOT, "deepmimic", "DeepMimic_Optimizer.py"), "--arg_file",
           "args/train_humanoid3d_walk_deepmimic_args.txt", "--agent_files", small_agent_file, "--output_path",
           str(tmp_path / "run"), "--stop_at_return", "300"]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and r.stderr.strip().splitlines()[-1] == (
        "error: --stop_at_return is judged on learning-curve points: give --curve_every too"), r.stderr


def test_stop_max_falls_and_stop_at_return_cannot_exceed_what_a_curve_point_has(tmp_path, small_agent_file):
    cmd = [sys.executable, os.path.join(ROOT, "deepmimic", "DeepMimic_Optimizer.py"), "--arg_file",
           "args/train_humanoid3d_walk_deepmimic_args.txt", "--agent_files", small_agent_file, "--output_path",
           str(tmp_path / "run"), "--curve_every", "600", "--curve_episodes", "4", "--stop_at_return", "300",
           "--stop_max_falls", "5"]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and r.stderr.strip().splitlines()[-1] == (
        "error: --stop_max_falls 5 is more falls than a curve point has episodes (--curve_episodes 4)"), r.stderr
    assert not (tmp_path / "run").exists()
    r = subprocess.run(cmd[:-4] + ["--stop_at_return", "3600"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and r.stderr.strip().splitlines()[-1] == (
        "error: --stop_at_return 3600 is more than a curve point can score (600 steps of a 20 s test episode at "
        "reward <= 1 a step)"), r.stderr
    assert not (tmp_path / "run").exists()
    r = subprocess.run([sys.executable, "-m", "deepmimic.tools.train_skills", "--skills", "kick", "--out",
                        str(tmp_path / "skills"), "--max_falls", "17"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "--max_falls must be from 0 to 16, got 17" in r.stderr.strip().splitlines()[-1], r.stderr
    assert not (tmp_path / "skills" / "kick").exists()


def test_train_skills_trains_each_to_its_bar_and_continues_where_it_stopped(tmp_path):
    """deepmimic-train-skills: one training per skill into <out>/<skill> (the optimizer with --stop_at_return at
    the skill's bar), in one process tree; run again, a skill past its bar or budget is skipped and says why."""
    cmd = [sys.executable, "-m", "deepmimic.tools.train_skills", "--skills", "kick", "--out", str(tmp_path),
           "--num_workers", "1", "--max_samples", "600", "--curve_every", "300", "--bar", "0.001", "--max_falls", "16"]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert f"[skills] kick: training into {tmp_path}/kick to 0.0 with <= 16 falls" in r.stdout
    run_args = (tmp_path / "kick" / "run_args.txt").read_text()
    assert "--stop_at_return 0.001" in run_args and "--stop_max_falls 16" in run_args and "--fine_samples 1000000" in run_args
    assert (tmp_path / "kick" / "agent0_best_anet.pth").is_file() and read_curve(str(tmp_path / "kick" / "learning_curve.csv"))
    again = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and "[skills] kick: done, " in again.stdout, again.stdout + again.stderr[-2000:]
    bad = subprocess.run(cmd[:4] + ["moonwalk"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and bad.stderr.strip() == ("error: --skills moonwalk: there is no "
                                                          "args/train_humanoid3d_moonwalk_args.txt")


def test_the_exploration_the_curve_configs_start_from_is_the_recipe_agents_own():
    """learning_curve's BEG_EXP / FINE_EXP are the recipe agent file's ExpParamsBeg / ExpParamsEnd: a config that
    changes one value of them (the noise, the rate) must change only that value."""
    lc = benchmark("learning_curve")
    with open(os.path.join(ROOT, lc.RECIPE_AGENT)) as f:
        agent = json.load(f)
    assert (agent["ExpParamsBeg"], agent["ExpParamsEnd"]) == (lc.BEG_EXP, lc.FINE_EXP)


@pytest.mark.parametrize("skill", ["backflip", "cartwheel", "crawl", "dance_a", "dance_b", "getup_facedown", "getup_faceup",
                                   "jump", "kick", "punch", "roll", "run", "spin", "spinkick", "walk", "walker"])
def test_every_train_file_trains_with_the_recipes_second_version(skill, tmp_path):
    """The "closer and sooner" decision: the half batch (2,048 samples per PPO iteration, learning_curve's recipe_b2)
    reached the bar from scratch in 0.87x (run) and 0.92x (spinkick) the samples of the 4,096-sample recipe, so it is
    the default of every recipe train_ file; DeepMimic's configuration stays in the _deepmimic files."""
    from deepmimic.learning.agent_config import load_agent_file
    from deepmimic.util.arg_parser import ArgParser
    lc = benchmark("learning_curve")
    for kind, batch, optimizer in (("", 2048, "adam"), ("_deepmimic", 4096, "sgd")):
        args = ArgParser.from_argv(["--arg_file", os.path.join(ROOT, "args", f"train_humanoid3d_{skill}{kind}_args.txt")])
        cfg = load_agent_file(args.parse_string("agent_files"))
        assert (cfg.batch_size, cfg.optimizer.lower()) == (batch, optimizer), (skill, kind)
        if kind == "":
            extra, over, _ = lc.CONFIGS["recipe_b2"]  # the train_ files' agent (their drift limit is recipe_v2's); "recipe" stays v1
            b2 = load_agent_file(lc.write_agent_file(extra[1], over, str(tmp_path / "b2.txt")))
            assert dataclasses.replace(b2, path=cfg.path) == cfg
            extra, over, _ = lc.CONFIGS["recipe"]
            assert load_agent_file(lc.write_agent_file(extra[1], over, str(tmp_path / "v1.txt"))).batch_size == 4096
