"""The training loop: several envs per MPI rank, the policy evaluated on all of them at once,
PPO iterations once the global batch is full, logging, checkpoints, test episodes and the learning curve.
"""
import contextlib
import errno
import math
import os
import sys
import time
from dataclasses import dataclass

import numpy as np

from deepmimic.learning.learning_curve import CurveWriter, at_bar, bar_reached_at, curve_model_prefix, curve_starts
from deepmimic.learning.path_buffer import Batch, PathRecorder
from deepmimic.learning.ppo_agent import NonFiniteError
from deepmimic.learning.rollout import run_episodes, step_envs, summarize
from deepmimic.learning.warm_start import warm_start
from deepmimic.util import machine, mpi_util
from deepmimic.util.arg_keys import KEYS
from deepmimic.util.errors import DeepMimicError
from deepmimic.util.file_io import check_writable_dir
from deepmimic.util.phase_timer import PhaseTimer
from deepmimic.util.logger import TabularLogger, log_to_tensorboard, make_tensorboard_writer
from deepmimic.util.stop_signal import StopRequest


def _inside(path, folder):
    folder = os.path.abspath(folder)
    return os.path.commonpath([os.path.abspath(path), folder]) == folder


@dataclass(frozen=True)
class RunConfig:
    """The run's own settings (outputs, limits, curve, warm start); built from an arg set by ``deepmimic.settings``."""
    output_path: str = KEYS["output_path"].default
    int_output_path: str = KEYS["int_output_path"].default
    max_samples: float = KEYS["max_samples"].default
    max_iters: float = KEYS["max_iters"].default
    resume_from: str = ""           # the model --model_files resumes ("" or none: a fresh run)
    overwrite: bool = KEYS["overwrite"].default
    train: bool = KEYS["train_agents"].default
    tensorboard: bool = KEYS["tensorboard"].default
    curve_every: float = KEYS["curve_every"].default
    curve_episodes: int = KEYS["curve_episodes"].default
    stop_at_return: float = KEYS["stop_at_return"].default  # two curve points in a row at it: training ends
    stop_max_falls: int = KEYS["stop_max_falls"].default    # ... with at most this many falls (and the best point's)
    fine_samples: float = KEYS["fine_samples"].default      # ... or, past it, this many more in the fine phase
    warm_start_samples: int = KEYS["warm_start_samples"].default  # per rank
    int_output_iters: int = KEYS["int_output_iters"].default  # tests every this many iterations (0: IntOutputIters)
    int_save_iters: int = KEYS["int_save_iters"].default      # intermediate models every this many (0: as tests)
    inputs: tuple = ()              # the files this command reads (--arg_file, --agent_files): never replaced


#: The files that make a folder hold a run: training there replaces them.
RUN_FILES = ("agent0_model_anet.pth", "agent0_log.txt", "learning_curve.csv", "run_args.txt", "run_agent.txt")


def check_run(run):
    """The run's settings agree with each other (before any folder is made)."""
    if run.stop_at_return > 0 and run.curve_every <= 0:
        raise DeepMimicError("--stop_at_return is judged on learning-curve points: give --curve_every too")
    if run.fine_samples > 0 and run.stop_at_return <= 0:
        raise DeepMimicError("--fine_samples is a phase after the bar: give --stop_at_return (and --curve_every) too")
    # a cap above the episodes can never bind: a typo (the default 2 stays valid with 1 curve episode)
    if run.stop_max_falls > max(run.curve_episodes, KEYS["stop_max_falls"].default):
        raise DeepMimicError(f"--stop_max_falls {run.stop_max_falls} is more falls than a curve point has episodes "
                             f"(--curve_episodes {run.curve_episodes})")


def check_outputs(run):
    """Before any work: the folders are writable, and a run already there is never silently replaced.
    A fresh run needs a folder without one; a resume writes only into the folder of the run it continues
    (its model is that folder's model) or into one without a run; --overwrite true allows either."""
    check_run(run)
    for key, path in (("output_path", run.output_path), ("int_output_path", run.int_output_path)):
        if path:
            check_writable_dir(path, key)
    if not (run.output_path and run.train):
        return
    held = [f for f in RUN_FILES if os.path.exists(os.path.join(run.output_path, f))]
    if run.overwrite or not held:
        return
    existing = os.path.join(run.output_path, "agent0_model_anet.pth")
    if not run.resume_from:
        what = "a trained model" if os.path.exists(existing) else f"a run's files ({', '.join(held)})"
        raise DeepMimicError(f"already holds {what}; resume it with --model_files {existing}, choose another "
                             "--output_path, or pass --overwrite true to replace it", run.output_path)
    if not (os.path.isfile(existing) and os.path.isfile(run.resume_from) and os.path.samefile(existing, run.resume_from)):
        raise DeepMimicError(f"holds another run than the model being resumed ({run.resume_from}): a resume writes "
                             "into its own run's folder or an empty one; choose another --output_path", run.output_path)


class Trainer:
    """Collect -> update -> log -> checkpoint -> test, over ``envs`` (one MPI rank's) with ``agent``."""

    def __init__(self, run, envs, agent, seed):
        """``run``: a ``RunConfig`` (its outputs already checked: ``check_outputs``); ``envs``: this rank's
        envs; ``agent``: the (possibly resumed) agent. Nothing is read or written before ``train``."""
        self.run, self.envs, self.agent, self.seed = run, envs, agent, seed
        self.cfg = self.agent.cfg
        self.output_path, self.int_output_path = run.output_path, run.int_output_path
        self.max_samples, self.max_iters = run.max_samples, run.max_iters
        self.test_iters = run.int_output_iters or self.cfg.int_output_iters
        self.int_save_iters = run.int_save_iters or self.test_iters
        self.stop = StopRequest()  # installed by the caller (DeepMimic_Optimizer) around train()
        self.lock = None  # the output folder's FolderLock (rank 0; factory.make_trainer takes it)
        self.bar_samples = None  # the samples where the curve reached --stop_at_return: the fine phase, if any, starts there
        self.timer = PhaseTimer()
        self.stopped = False
        self.folder_lost = False  # the output folder was deleted under the run (rank 0 sees it; agreed in collect)

    def open_outputs(self):
        """The log (a resumed run's rows kept), TensorBoard, the learning curve: the first step of ``train``."""
        run = self.run
        self.logger = TabularLogger(os.path.join(self.output_path, "agent0_log.txt")
                                    if self.output_path and mpi_util.is_root() else None)
        self.wall_offset = 0.0  # hours already spent by the run being resumed
        self.print_root(machine.describe(mpi_util.num_procs()))
        if not self.output_path:  # said before the work, not only when it ends
            self.print_root("no --output_path: this run saves nothing (no model, log or curve)")
        if run.resume_from:
            self.logger.resume_from_file(max_samples=self.agent.total_samples)
            self.wall_offset = self.logger.last_value("Wall_Time", 0.0)
            self.print_root(f"resuming {run.resume_from} at {self.agent.total_samples:,} samples; " + (
                "optimizer state restored" if self.agent.optimizers_restored else
                f"the model carries no {self.agent.cfg.optimizer} state for this agent file: it starts afresh"))
        # TensorBoard scalars (same columns as the log) when the package is installed; rank 0 only.
        self.tb = (make_tensorboard_writer(os.path.join(self.output_path, "tensorboard"))
                   if self.logger.path and run.tensorboard else None)
        # A resumed run carries its last test return until the next test (0 would plot a false drop).
        self.avg_test_return = self.logger.last_value("Test_Return", 0.0) if run.resume_from else 0.0
        self.avg_test_return = mpi_util.bcast_object(self.avg_test_return)
        self.test_body_err = mpi_util.bcast_object([self.logger.last_value(k, float("nan")) if run.resume_from else float("nan")
                                                    for k in ("Test_Body_Err", "Test_Body_Err_Rel")])
        self._init_curve()
        for env in self.envs:
            env.set_sample_count(self.agent.total_samples)

    def warm_start(self):
        """``--warm_start_samples N`` (per rank): fit the actor to the clip before PPO (fresh runs only).

        The first phase of training: it stops on Ctrl-C/SIGTERM like the rest, shows its progress, and
        takes no more than ``--max_samples`` (over all ranks). Returns False when a stop was requested.
        """
        procs = mpi_util.num_procs()
        per_rank = self.run.warm_start_samples
        if math.isfinite(self.max_samples):
            per_rank = min(per_rank, int(self.max_samples // procs))
        if per_rank <= 0 or self.agent.total_samples > 0:
            return True
        self.print_root(f"warm start: fitting the actor to the clip's own actions (PD targets, or no offset with "
                        f"--residual_actions) on {per_rank * procs:,} samples")
        quarters = [1]

        def report(n):  # a line at each quarter
            if 4 * n >= quarters[0] * per_rank:
                self.print_root(f"warm start: {n * procs:,} of {per_rank * procs:,} samples")
                quarters[0] = 4 * n // per_rank + 1
        with self.timer.phase("warm_start"):
            done = warm_start(self.agent, self.envs, per_rank, np.random.default_rng(self.seed + 1),
                              stop=lambda: self.stop.requested, report=report if mpi_util.is_root() else None)
        if done is None:
            self.stopped = True
            return False
        used, mse = done
        self.agent.set_total_samples(used)
        for env in self.envs:
            env.set_sample_count(used)
        self.print_root(f"warm start: actor fitted on {used:,} samples (error {mse:.4f})")
        return True

    def _init_curve(self):
        """``--curve_every K``: every K samples, ``--curve_episodes`` full test episodes from fixed starts."""
        self.curve_every, self.curve_episodes = self.run.curve_every, self.run.curve_episodes
        self.curve = None
        if self.curve_every > 0 and self.logger.path:
            resumed = self.agent.total_samples if self.run.resume_from else None
            self.curve = CurveWriter(os.path.join(self.output_path, "learning_curve.csv"), resume_samples=resumed)
        self.next_curve = mpi_util.bcast_object(self.curve.next_due(self.curve_every) if self.curve else 0)
        if self.curve is not None and self.curve.rows:  # a run resumed from its model and curve alone
            self.wall_offset = max(self.wall_offset, self.curve.rows[-1]["wall_hours"])
        self.wall_offset = mpi_util.bcast_object(self.wall_offset)
        reached = mpi_util.bcast_object(self.curve_verdict()[1] if self.curve is not None and self.curve.rows else None)
        if reached is not None and self.run.fine_samples > 0:  # a run resumed in its fine phase
            self.begin_fine_phase(reached)

    def begin_fine_phase(self, bar_samples):
        """``--fine_samples``: past the bar, the agent's fine settings until ``bar_samples + fine_samples``."""
        self.bar_samples = bar_samples
        self.agent.enter_fine_phase()
        self.print_root(f"fine phase: the bar was reached at {bar_samples:,} samples; until "
                        f"{int(bar_samples + self.run.fine_samples):,} the actor step is {self.cfg.fine_actor_stepsize:g} "
                        f"and exploration {self.cfg.fine_exp.rate:g} of the steps")

    def done_past_bar(self):
        """Past the bar and its fine phase (at once, without one): training ends."""
        return self.bar_samples is not None and self.agent.total_samples >= self.bar_samples + self.run.fine_samples

    def evaluate_curve(self, wall_hours):
        """One point of the learning curve; the seeded starts are split over ranks."""
        starts = curve_starts(self.envs[0].motions, self.curve_episodes)
        mine = starts[mpi_util.rank()::mpi_util.num_procs()]
        results = mpi_util.gather_list(run_episodes(self.agent, self.envs, len(mine), start_times=mine) if len(mine) else [])
        self.next_curve = self.agent.total_samples + self.curve_every
        best, reached, row = False, None, None
        if self.curve is not None and not self.output_lost():
            with self.writing_output(self.curve.path):
                row = self.curve.add(self.agent.total_samples, wall_hours, results)
        if row is not None:
            self.print_root(f"Curve at {row['samples']} samples: mean test return {row['test_return_mean']:.2f}, "
                            f"falls {row['test_falls']}/{row['test_episodes']}, tracking error {row['body_err_mm']:.0f} mm "
                            f"({row['body_err_rel_mm']:.0f} mm root-relative)")
            best, reached = self.curve_verdict()
        if self.int_output_path:  # the policy behind each point, so the best one can be shipped
            self.save(curve_model_prefix(self.int_output_path, self.agent.total_samples))
        if best:
            self.save(os.path.join(self.output_path, "agent0_best"))
        reached = mpi_util.bcast_object(reached)
        if reached is None or self.bar_samples is not None:
            return
        best_file = f"the best point is {self.output_path}/agent0_best_anet.pth"
        self.print_root(f"two curve points in a row at --stop_at_return {self.run.stop_at_return:g} with at most "
                        f"{self.run.stop_max_falls} falls: " + ("the fine phase follows" if self.run.fine_samples > 0
                                                                 else f"training ends; {best_file}"))
        if self.run.fine_samples > 0:
            self.begin_fine_phase(reached)
        else:
            self.bar_samples = reached

    def curve_verdict(self):
        """(Is the newest curve point the best so far, the samples where the curve reached --stop_at_return or
        None.) Points count with at most --stop_max_falls falls; the best has the highest mean return among them
        (rank 0: the curve's rows)."""
        rows, falls = self.curve.rows, self.run.stop_max_falls
        ok = [r for r in rows if at_bar(r, -math.inf, falls)]
        newest = rows[-1]
        best = bool(ok) and ok[-1] is newest and newest["test_return_mean"] >= max(r["test_return_mean"] for r in ok)
        bar = self.run.stop_at_return
        return best, (bar_reached_at(rows, bar, falls) if bar > 0 else None)

    def curve_due(self):
        return self.curve_every > 0 and self.agent.total_samples >= self.next_curve

    # ----- outputs ---------------------------------------------------------------------------
    def model_prefix(self):
        return os.path.join(self.output_path, "agent0_model")

    def save(self, prefix):
        """A model pair; the run's own model (the one a resume reads) also keeps the optimizers' state.
        Nothing once the output folder is gone (``output_lost``): ``finish`` saves the model on its own."""
        if mpi_util.is_root() and self.output_path and not self.output_lost():
            with self.writing_output(prefix):
                self.agent.save(prefix, with_optimizers=prefix == self.model_prefix())

    @contextlib.contextmanager
    def writing_output(self, path):
        """A write to ``path`` (a model, a log row, a curve point) that finds the output folder deleted after
        ``output_lost`` looked: the write's ENOENT marks the run lost, even when a writer has already made a new,
        empty folder of that name. The next collect stops, finish saves the model again; other errors stand."""
        try:
            yield
        except (OSError, DeepMimicError) as e:
            if getattr(e, "errno", None) == errno.ENOENT and _inside(path, self.output_path):
                self.folder_lost = True
            if not self.output_lost():
                raise

    def output_lost(self):
        """Has the output folder been deleted under the run (rank 0)? Once seen, it stays lost: a later write
        would quietly make a new folder holding half a run."""
        if self.output_path and not self.folder_lost and not os.path.isdir(self.output_path):
            self.folder_lost = True
        return self.folder_lost

    def print_root(self, text):
        if mpi_util.is_root():
            print(text, flush=True)

    # ----- main loop: collect -> update -> log -> checkpoint -> test ----------------------------
    def train(self):
        agent = self.agent
        self.open_outputs()
        self.start = time.time()
        self.start_samples = agent.total_samples
        timer = self.timer
        if not self.warm_start():
            return self.finish()
        self.ppo_start, self.start_samples = time.time(), agent.total_samples  # the progress rate is PPO's
        if self.cfg.test_episodes > 0 and agent.iter == 0:
            with timer.phase("tests"):
                self.test()
        if self.curve_due():
            self.evaluate_curve(self.wall_hours(at_start=True))
        self.begin_episodes()
        while agent.total_samples < self.max_samples and agent.iter < self.max_iters and not self.done_past_bar():
            batch, global_samples, train_return = self.collect()
            if batch is None:
                break
            self.log_before_update(global_samples, train_return)
            with timer.phase("update"):
                stats = self.update(batch, global_samples)
            with timer.phase("output"):
                self.log_after_update(stats)
                self.checkpoint()
            tests_due = self.cfg.test_episodes > 0 and agent.iter % self.test_iters == 0
            curve_due = self.curve_due()
            with timer.phase("tests"):
                if tests_due:
                    self.test()
                if curve_due:
                    self.evaluate_curve(self.wall_hours())
                if tests_due or curve_due:
                    self.begin_episodes()  # test episodes used the envs: start fresh training episodes
        if self.curve_every > 0 and self.next_curve != agent.total_samples + self.curve_every and not self.stopped:
            self.evaluate_curve(self.wall_hours())  # the final point (none when the bar's point was the last)
        if self.done_past_bar() and self.run.fine_samples > 0 and not self.stopped:
            self.print_root(f"fine phase done ({int(self.run.fine_samples):,} samples past the bar): training ends; the "
                            f"best point is {self.output_path}/agent0_best_anet.pth")
        return self.finish()

    def finish(self):
        """Save the model and say where it is (after the last iteration, or on a stop)."""
        agent, timer = self.agent, self.timer
        if self.tb is not None:
            self.tb.close()
        if self.folder_lost:
            return self.save_lost_run()
        self.save(self.model_prefix())
        self.print_root(f"time per phase (rank 0, {time.time() - self.start:.1f} s): "
                        + timer.summary(total=time.time() - self.start))
        where = f"model saved to {self.model_prefix()}_anet.pth" if self.output_path else "no --output_path: nothing saved"
        self.print_root(f"{'stopped' if self.stopped else 'finished'} at {agent.total_samples} samples; {where}")
        return agent

    def save_lost_run(self):
        """The output folder was deleted during training: the model goes into a new folder of that name, and
        one line says so (the run ends with exit code 2)."""
        if mpi_util.is_root():
            os.makedirs(self.output_path, exist_ok=True)
            self.agent.save(self.model_prefix(), with_optimizers=True)
            print(f"error: {self.output_path}: the output folder was deleted during training: stopped at "
                  f"{self.agent.total_samples} samples; the model is saved in a new {self.model_prefix()}_anet.pth "
                  "(its log, curve and run files went with the folder)", file=sys.stderr, flush=True)
        return self.agent

    def wall_hours(self, at_start=False):
        return self.wall_offset + (0.0 if at_start else (time.time() - self.start) / 3600.0)

    def begin_episodes(self):
        self.recorders = [PathRecorder() for _ in self.envs]
        self.states = np.array([env.reset() for env in self.envs])

    def collect(self):
        """Step this rank's envs with exploration until its share of the batch is full (more than
        BatchSize / ranks samples, one explored step at least), then agree with the other ranks in one
        reduction: no collective per step, so no rank waits for the other's every step.

        Returns (batch, global sample count, mean training return over all ranks), or (None, 0, 0)
        when a stop was requested on any rank.
        """
        agent, batch, returns = self.agent, Batch(), []
        quota = self.cfg.batch_size / mpi_util.num_procs()
        policy = lambda s: agent.act(s, explore=True)  # noqa: E731
        while not self.stop.requested and not (batch.num_samples > quota and batch.num_exp > 0):
            next_states = []
            for env, rec, step in zip(self.envs, self.recorders, step_envs(policy, self.envs, self.states, timer=self.timer)):
                rec.add_step(step.state, step.action, step.logp, step.explored)
                rec.add_reward(step.reward)
                s = step.next_state
                if step.done:
                    path = rec.finish(s, step.term)
                    batch.add(path)
                    returns.append(path.calc_return())
                    if agent.need_normalizer_update():
                        agent.record_normalizer_states(path.states)
                    s = env.reset()
                next_states.append(s)
            self.states = np.array(next_states)  # a new array: recorded states are views of the old one
        with self.timer.phase("mpi_wait"):
            lost = float(mpi_util.is_root() and self.output_lost())
            stop, samples, ret_sum, ret_count, lost = mpi_util.allreduce_sum(
                np.array([float(self.stop.requested), batch.num_samples, np.sum(returns), len(returns), lost]))
        if stop > 0 or lost > 0:
            self.stopped, self.folder_lost = True, lost > 0
            return None, 0, 0.0
        return batch, int(samples), ret_sum / max(ret_count, 1.0)

    def update(self, batch, global_samples):
        """One PPO iteration, then (as DeepMimic) the normalizers, then the sample counts."""
        agent = self.agent
        try:
            stats = agent.train(batch)
        except NonFiniteError as e:
            self.print_root(f"warning: {e}; update skipped, continuing from the last good model")
            stats = {}
        # After the update, as DeepMimic: the batch was collected and is trained with one normalizer.
        if agent.need_normalizer_update():
            agent.update_normalizers()
        agent.set_total_samples(agent.total_samples + global_samples)
        for env in self.envs:
            env.set_sample_count(agent.total_samples)
        return stats

    def log_before_update(self, global_samples, train_return):
        agent, log = self.agent, self.logger
        log.log("Iteration", agent.iter)
        log.log("Wall_Time", self.wall_hours())
        log.log("Samples", agent.total_samples + global_samples)
        log.log("Train_Return", float(train_return))
        log.log("Test_Return", float(self.avg_test_return))
        log.log("Test_Body_Err", float(self.test_body_err[0]))      # tracking error (mm) of the last test
        log.log("Test_Body_Err_Rel", float(self.test_body_err[1]))  # ... root-relative
        log.log("State_Mean", float(agent.s_norm.mean.mean()))
        log.log("State_Std", float(agent.s_norm.std.mean()))
        log.log("Exp_Rate", float(agent.exp_params.rate))
        log.log("Exp_Noise", float(agent.exp_params.noise))

    def log_after_update(self, stats):
        log = self.logger
        for k in ("Critic_Loss", "Critic_Stepsize", "Actor_Loss", "Actor_Stepsize", "Clip_Frac", "Adv_Mean", "Adv_Std"):
            log.log(k, float(stats.get(k, float("nan"))))
        log.log("NaN_Skips", self.agent.nan_skips)
        self.print_root(self.progress_line(self.ppo_start))
        if mpi_util.is_root() and not self.output_lost():
            if log.path:
                with self.writing_output(log.path):
                    log.dump()
            log_to_tensorboard(self.tb, log, self.agent.total_samples)

    def checkpoint(self):
        """The model every OutputIters iterations, intermediate models every --int_save_iters (rank 0)."""
        done_iter = self.agent.iter - 1  # the iteration just trained
        if done_iter % self.cfg.output_iters == 0:
            self.save(self.model_prefix())
        if self.int_output_path and done_iter % self.int_save_iters == 0:
            self.save(os.path.join(self.int_output_path, f"agent0_int_model_{done_iter:010d}"))

    def progress_line(self, start):
        """One line per iteration; the full DeepMimic table goes to agent0_log.txt."""
        agent, log = self.agent, self.logger
        elapsed = max(time.time() - start, 1e-9)
        rate = (agent.total_samples - self.start_samples) / elapsed
        text = f"iter {agent.iter:6d}  samples {agent.total_samples:,}"
        workers = mpi_util.num_procs()
        if math.isfinite(self.max_samples):
            left = max(self.max_samples - agent.total_samples, 0) / max(rate, 1e-9)
            text += f" ({min(100.0, 100.0 * agent.total_samples / self.max_samples):.1f}%, ETA {hours_minutes(left)})"
        return (text + f"  {rate:,.0f} samples/s ({workers} worker{'s' if workers > 1 else ''})  train return {log.get('Train_Return', 0.0):.2f}"
                f"  test return {self.avg_test_return:.2f}  clip frac {log.get('Clip_Frac', float('nan')):.3f}")

    def test(self):
        """DeepMimic's periodic test: TestEpisodes deterministic episodes split over ranks."""
        per_rank = int(math.ceil(self.cfg.test_episodes / mpi_util.num_procs()))
        point = summarize(mpi_util.gather_list(run_episodes(self.agent, self.envs, per_rank)))
        err = [point["body_err_mm"], point["body_err_rel_mm"]]
        self.avg_test_return = point["return"] if point["episodes"] else 0.0
        self.test_body_err = err
        self.print_root(f"Test return over {point['episodes']} episodes: {self.avg_test_return:.3f}, tracking error "
                        f"{err[0]:.0f} mm ({err[1]:.0f} mm root-relative)")


def hours_minutes(seconds):
    """'1h05m' for 3,900 s: whole hours, then minutes rounded (58 min is '0h58m', never '1h58m')."""
    hours, minutes = divmod(int(round(seconds / 60.0)), 60)
    return f"{hours}h{minutes:02d}m"
