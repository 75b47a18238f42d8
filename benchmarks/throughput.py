"""Sampling throughput: the physics floor, our env, the upstream pybullet port and end-to-end training of
both configurations, in one run, with the same policy.

    python benchmarks/throughput.py [--steps 1500] [--skill walk] [--train_samples 40000]
    python benchmarks/throughput.py --under_load   # 4: quiet vs one busy process

1. Env level, one process: control steps/s of
   - upstream:     its env driven as its DeepMimic_Optimizer loop drives it (world update per 240 Hz
                   substep, reward and fall check every substep, a policy evaluation per control step),
   - ours:         the same policy over 8 envs batched in one torch call, as our trainer runs,
   - raw PyBullet: the physics alone (8 x stable-PD command + stepSimulation) timed on those same steps.
   Both use an fc_2layers_1024units actor (a 197-d one upstream, our 202-d walk policy here), so the
   policy cost is the same; ours runs the recipe's env (reference root in the state, drift termination).
2. The PPO update of one rank (its half of a batch) for both agent files, against the physics of the
   same samples, with the share of its time in matrix products and their rate (torch profiler).
3. End to end: our trainer under ``mpiexec -n 2`` (PPO updates included) with the recipe
   (``train_humanoid3d_<skill>_args.txt``, its warm start left out) and with DeepMimic's configuration
   (``..._deepmimic_args.txt``); samples/s from the log between the first and the last iteration, as a
   share of 2 x the physics floor, and rank 0's time per phase (the trainer's own timers).
4. ``--under_load``: the recipe end to end and the floor run as two processes at once, first quiet,
   then with one busy process on the machine: how much of its speed training keeps, against the floor's.
"""
import contextlib
import io
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from deepmimic.policy import DEFAULT_FALL_BODIES, Policy
from deepmimic.util.errors import ToolArgumentParser, check_ranges, run_cli
from deepmimic.util.paths import load_script


def skill_env_config(skill, **settings):
    """Our env's settings on ``skill``'s clip with the walk's fall bodies; ``settings`` add the recipe's."""
    from deepmimic.env.imitation_env import EnvConfig
    return EnvConfig(motion_file=os.path.join(ROOT, f"data/motions/humanoid3d_{skill}.txt"),
                     fall_contact_bodies=list(DEFAULT_FALL_BODIES),
                     **settings)


def bench_raw(skill, steps):
    from deepmimic.env.imitation_env import ImitationEnv
    env = ImitationEnv(skill_env_config(skill), seed=0)
    env.reset(start_time=0.0)
    env.set_action(-env.a_offset)
    pb, pd = env.pb, env.pd
    t = time.perf_counter()
    for i in range(steps):
        for _ in range(8):
            pd.apply()
            pb.stepSimulation()
        if i % 30 == 29:  # keep the character in typical poses rather than lying on the floor
            env.reset(start_time=0.1 * i % env.motion.cycle_time)
    return steps / (time.perf_counter() - t)


def bench_upstream(skill, steps, act):
    """Upstream's training loop (testrl.update_world + RLWorld + RLAgent) minus the TF graph."""
    oracle = load_script(os.path.join(ROOT, "tests", "upstream_env.py"))  # the tests' upstream env
    env = oracle.make_upstream_env(skill)
    with contextlib.redirect_stdout(io.StringIO()):
        env.reset()
    dt, first, ctrl_steps, substeps = 1.0 / 240, True, 0, 0
    t = time.perf_counter()
    while ctrl_steps < steps:
        if env.need_new_action(0):                    # agent.update
            s = env.record_state(0)
            if not first:
                env.calc_reward(0)
            env.set_action(0, act(np.asarray(s)))
            first = False
            ctrl_steps += 1
        env.update(dt)                                # env.update
        env.calc_reward(0)                            # update_world: reward every substep
        substeps += 1
        if env.is_episode_end() or substeps >= 1000:  # update_world: end check every substep
            env.record_state(0)
            env.calc_reward(0)
            with contextlib.redirect_stdout(io.StringIO()):
                env.reset()
            first, substeps = True, 0
    return steps / (time.perf_counter() - t)


def bench_ours(skill, steps, act, num_envs=8, **settings):
    """Our trainer's sampling loop on the recipe's env (reference root in the state, drift termination; ``settings``
    add to it): (control steps/s, physics-only steps/s on the very same steps, PhaseTimer of the parts of a step)."""
    from deepmimic.env.imitation_env import ImitationEnv
    from deepmimic.learning.rollout import step_envs
    from deepmimic.util.phase_timer import PhaseTimer
    cfg = skill_env_config(skill, ref_root_state=True, drift_term_dist=1.0, **settings)
    envs = [ImitationEnv(cfg, seed=i) for i in range(num_envs)]
    timer = PhaseTimer()
    for env in envs:  # the parts of env.step, timed on the instances (the env code is unchanged)
        env.pd.apply = timer.timed("PD (stable PD command)", env.pd.apply)
        env.pb = _TimedStep(env.pb, timer)
        for name, part in (("set_action", "action to PD targets"), ("record_state", "state"),
                           ("calc_reward", "reward"), ("check_terminate", "termination")):
            setattr(env, name, timer.timed(part, getattr(env, name)))
    states = np.array([e.reset() for e in envs])
    done_steps = 0
    t = time.perf_counter()
    policy = lambda s: (act(s), None, None)  # noqa: E731
    while done_steps < steps:
        steps_now = step_envs(policy, envs, states, timer=timer)
        states = np.array([e.reset() if st.done else st.next_state for e, st in zip(envs, steps_now)])
        done_steps += num_envs
    physics = timer.seconds["PD (stable PD command)"] + timer.seconds["stepSimulation"]
    return done_steps / (time.perf_counter() - t), done_steps / physics, timer


class _TimedStep:
    """A BulletClient whose stepSimulation is timed; every other call passes through (cached, as the client caches
    its own: a look-up per call would charge the env for the benchmark's wrapper)."""

    def __init__(self, pb, timer):
        self._pb, self.stepSimulation = pb, timer.timed("stepSimulation", pb.stepSimulation)

    def __getattr__(self, name):
        attr = getattr(self._pb, name)
        setattr(self, name, attr)
        return attr


def bench_update(agent_file, env, procs=2, repeats=3):
    """One rank's PPO update as ``mpiexec -n procs`` runs it (its BatchSize / procs samples, minibatches of
    MiniBatchSize / procs rows), in one process on a batch of real states: (rows, median seconds, share of
    that time in matrix products by the torch profiler, their GFLOP/s). Matrix products near the core's
    peak mean the update is bound by the nets' size and epochs, not by overhead."""
    import dataclasses
    from torch.profiler import ProfilerActivity, profile
    from deepmimic.env.base_env import Terminate
    from deepmimic.learning.agent_config import load_agent_file
    from deepmimic.learning.path_buffer import Batch, Path
    from deepmimic.learning.ppo_agent import PPOAgent
    cfg = load_agent_file(os.path.join(ROOT, "data", "agents", agent_file))
    rows = cfg.batch_size // procs
    cfg = dataclasses.replace(cfg, mini_batch_size=cfg.mini_batch_size // procs)
    agent = PPOAgent(cfg, env.spec, seed=0)
    rng = np.random.default_rng(0)
    states = np.array([env.reset() for _ in range(64)])

    def batch():
        b, n = Batch(), 128
        for _ in range(rows // n):
            b.add(Path(states=states[rng.integers(len(states), size=n + 1)], actions=rng.normal(size=(n, env.action_size)),
                       logps=rng.normal(size=n) - 50.0, rewards=rng.random(n), exp_flags=rng.random(n) < 0.9,
                       terminate=Terminate.FAIL))
        return b
    agent.train(batch())
    times = []
    for _ in range(repeats):
        b = batch()
        t = time.perf_counter()
        agent.train(b)
        times.append(time.perf_counter() - t)
    b = batch()
    with profile(activities=[ProfilerActivity.CPU], with_flops=True) as prof:
        agent.train(b)
    events = [e for e in prof.key_averages() if e.key in ("aten::mm", "aten::addmm")]
    mm_us = sum(e.self_cpu_time_total for e in events)
    total_us = sum(e.self_cpu_time_total for e in prof.key_averages())
    return rows, float(np.median(times)), mm_us / total_us, sum(e.flops for e in events) / mm_us / 1e3


def bench_subnormals(policy, rows=128, repeats=50):
    """A trained actor's forward on a minibatch of ``rows`` with subnormal numbers flushed to zero (as every
    process runs, ``deepmimic.learning.nets``) and without: weight decay leaves thousands of the actor's
    weights subnormal, and on Intel CPUs each product with one takes a microcode assist.
    Returns (subnormal weights, ms flushed, ms not flushed)."""
    actor = policy.actor
    with torch.no_grad():  # subnormal: exponent bits 0, mantissa not (read from the bits: flushed, they compare as 0)
        bits = [p.view(torch.int32) for p in actor.parameters()]
        count = sum(int((((b & 0x7F800000) == 0) & ((b & 0x007FFFFF) != 0)).sum()) for b in bits)
        x = torch.randn(rows, policy.state_size)
        times = {}
        for flush in (False, True):
            torch.set_flush_denormal(flush)
            actor.forward_norm(x)
            t = time.perf_counter()
            for _ in range(repeats):
                actor.forward_norm(x)
            times[flush] = (time.perf_counter() - t) / repeats * 1e3
    torch.set_flush_denormal(True)
    return count, times[True], times[False]


def bench_training(arg_file, samples, procs=2, extra=()):
    """(samples/s between the first and last log rows, rank 0's time-per-phase line); ``extra``: more options."""
    from deepmimic.util.logger import read_log
    out = os.path.join(tempfile.mkdtemp(prefix="deepmimic_bench_"), "run")
    mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    cmd = [mpiexec, "-n", str(procs), sys.executable, os.path.join(ROOT, "deepmimic", "DeepMimic_Optimizer.py"),
           "--arg_file", os.path.join(ROOT, "args", arg_file), "--output_path", out, "--int_output_path", "",
           "--max_samples", str(samples), "--rand_seed", "1", "--warm_start_samples", "0", "--tensorboard", "false", *extra]
    r = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT)
    phases = next((l.split(": ", 1)[1] for l in r.stdout.splitlines() if l.startswith("time per phase")), "")
    cols = read_log(os.path.join(out, "agent0_log.txt"))
    s, w = cols["Samples"], cols["Wall_Time"]
    return (s[-1] - s[0]) / ((w[-1] - w[0]) * 3600.0), phases


def bench_floor_pair(skill, steps):
    """The floor as the trainer's two ranks meet it: ``bench_raw`` in two processes at once, steps/s summed."""
    code = f"import runpy; print(runpy.run_path({os.path.abspath(__file__)!r})['bench_raw']({skill!r}, {steps}))"
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True, cwd=ROOT) for _ in range(2)]
    return sum(float(p.communicate()[0].split()[-1]) for p in procs)


@contextlib.contextmanager
def busy_process():
    """Another program wanting a whole core for as long as the block runs."""
    proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield
    finally:
        proc.kill()
        proc.wait()


def under_load(skill, steps, samples):
    """The recipe end to end and the two-process floor, quiet and then with one busy process."""
    print(f"under load (skill {skill}): the floor as two processes at once, and the recipe under mpiexec -n 2")
    rows = []
    for label, load in (("quiet", contextlib.nullcontext()), ("one busy process", busy_process())):
        with load:
            floor = bench_floor_pair(skill, steps)
            rate, phases = bench_training(f"train_humanoid3d_{skill}_args.txt", samples)
        rows.append((floor, rate))
        print(f"  {label:17s} floor {floor:7.1f} steps/s, recipe {rate:7.1f} samples/s = {100 * rate / floor:.0f}% of it")
        print(f"    rank 0 time per phase: {phases}")
    (floor_q, rate_q), (floor_b, rate_b) = rows
    print(f"  with the busy process training keeps {100 * rate_b / rate_q:.0f}% of its quiet speed, the floor "
          f"{100 * floor_b / floor_q:.0f}%: relative to the floor, {100 * (rate_b / floor_b) / (rate_q / floor_q):.0f}%")


def main():
    p = ToolArgumentParser(prog="throughput", description=__doc__.splitlines()[0])
    p.add_argument("--skill", default="walk")
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--train_samples", type=int, default=40000, help="samples of the end-to-end training run (0: skip it)")
    p.add_argument("--num_envs", type=int, default=8, help="our envs per process in the env-level benchmark (the trainer's "
                   "--num_envs_per_proc): more envs amortise the policy forward over a larger batch")
    p.add_argument("--under_load", action="store_true",
                   help="only the recipe and the floor, quiet and with one busy process on the machine")
    a = p.parse_args()
    check_ranges(p, a, {"steps": (1, 10 ** 7), "train_samples": (0, 10 ** 9), "num_envs": (1, 256)})
    torch.set_num_threads(1)
    if a.under_load:
        return under_load(a.skill, a.steps, a.train_samples)
    with contextlib.redirect_stderr(io.StringIO()):
        up = bench_upstream(a.skill, a.steps, Policy.load("walk_upstream_com"))
        ours, raw, parts = bench_ours(a.skill, a.steps, Policy.load("walk"), a.num_envs)
        raw_alone = bench_raw(a.skill, a.steps)
        # the root assist at full strength (--assist_gain 1, never faded): what early training pays for it
        assisted = bench_ours(a.skill, a.steps, Policy.load("walk"), a.num_envs, assist_gain=1.0,
                              assist_anneal_samples=1e12)[0]
        # --residual_actions: the walk policy's actions read as offsets (the body thrashes and resets more; the part
        # that changes per step is turning an action into PD targets, timed on its own)
        _, _, res_parts = bench_ours(a.skill, a.steps, Policy.load("walk"), a.num_envs, residual_actions=True)
        from deepmimic.env.imitation_env import ImitationEnv
        env = ImitationEnv(skill_env_config(a.skill, ref_root_state=True), seed=0)
        updates = {name: bench_update(f, env) for name, f in (("recipe", "ct_agent_humanoid_ppo_fast.txt"),
                                                              ("deepmimic", "ct_agent_humanoid_ppo.txt"))}
        subnormals = bench_subnormals(Policy.load(a.skill))
    print(f"env control steps/s (1 process, skill {a.skill}):")
    print(f"  upstream env, its training loop:        {up:8.1f}")
    print(f"  ours, {a.num_envs:2d} envs + batched policy:         {ours:8.1f}   ratio vs upstream {ours / up:.2f}x")
    print(f"  raw PyBullet physics on the same steps: {raw:8.1f}   ours is {100 * ours / raw:.0f}% of it")
    print(f"  (raw physics, standing poses only:      {raw_alone:8.1f})")
    print(f"  ours with the root assist at full strength: {assisted:8.1f}   {assisted / ours:.2f}x ours without it")
    n_steps = -(-a.steps // a.num_envs) * a.num_envs  # both runs step their envs in whole batches
    to_targets = [p.seconds["action to PD targets"] / n_steps * 1e6 for p in (parts, res_parts)]
    print(f"  action to PD targets per step: {to_targets[0]:.1f} us, with --residual_actions {to_targets[1]:.1f} us "
          f"({(to_targets[1] - to_targets[0]) * ours / 1e4:.1f}% of a control step more)")
    per = 4096.0 / a.steps  # the timer holds a.steps control steps (rounded up to the envs)
    env_parts = {k: v for k, v in parts.seconds.items() if k not in ("env", "policy")}
    other = parts.seconds["env"] - sum(env_parts.values())
    print("  where a 4,096-sample batch's time goes (1 process): " + ", ".join(
        f"{k} {v * per:.2f} s" for k, v in list(env_parts.items()) + [("rest of env.step", other),
                                                                     ("policy forward", parts.seconds["policy"])]))
    env_physics = parts.seconds["PD (stable PD command)"] + parts.seconds["stepSimulation"]
    print(f"  ceiling: with this policy forward and an env that costs nothing beyond its physics, ours reaches at most "
          f"{100 * env_physics / (env_physics + parts.seconds['policy']):.0f}% of the floor")
    print("one rank's PPO update on its half of the agent file's batch, 1 process:")
    for name, (rows, secs, mm_share, gflops) in updates.items():
        physics = rows / raw
        print(f"  {name:10s} {rows} samples: {secs:.2f} s, {100 * secs / physics:.0f}% of the {physics:.2f} s of physics they "
              f"take; matrix products are {100 * mm_share:.0f}% of it, at {gflops:.0f} GFLOP/s")
        # The update runs on the same cores as the physics: even with an env that costs nothing beyond
        # its physics, end to end cannot pass physics / (physics + update) of the floor.
        print(f"  {'':10s} ceiling: with this update and nothing else beyond the physics, end to end reaches at "
              f"most {100 * physics / (physics + secs):.0f}% of 2 x the floor")
    count, flushed, kept = subnormals
    print(f"the shipped {a.skill} actor ({count} subnormal weights), one 128-row forward: {flushed:.2f} ms with subnormals "
          f"flushed to zero (every process), {kept:.2f} ms without ({kept / flushed:.1f}x)")
    if a.train_samples > 0:
        print(f"end-to-end training, mpiexec -n 2 (PPO updates included), vs 2 x the physics floor ({2 * raw:.0f}/s):")
        for name, arg_file in (("recipe", f"train_humanoid3d_{a.skill}_args.txt"),
                               ("deepmimic", f"train_humanoid3d_{a.skill}_deepmimic_args.txt")):
            rate, phases = bench_training(arg_file, a.train_samples)
            print(f"  {name:10s} {rate:8.1f} samples/s = {100 * rate / (2 * raw):.0f}% of the floor, "
                  f"{rate / up:.2f}x the upstream loop on one process")
            print(f"    rank 0 time per phase: {phases}")


if __name__ == "__main__":
    sys.exit(run_cli(main))
