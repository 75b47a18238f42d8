"""Wiring: builds the concrete PyBullet envs, the agent and the trainer from typed settings.

The learner (``deepmimic.learning``) sees envs only through ``deepmimic.env.base_env``; this is the
one place that knows which env class and agent class go together. The arg set is read by
``deepmimic.settings`` alone.
"""
import math
import time

import torch

from deepmimic.env.imitation_env import ImitationEnv
from deepmimic.learning.ppo_agent import PPOAgent
from deepmimic.learning.trainer import Trainer, check_outputs, check_run
from deepmimic.settings import Settings
from deepmimic.util import mpi_util
from deepmimic.util.errors import DeepMimicError
from deepmimic.util.file_io import FolderLock, check_writable_dir
from deepmimic.util.run_settings import write_run_folder


def make_seed(args):
    """``--rand_seed`` if given (each rank gets its own stream), else a time-based seed from rank 0."""
    if args.has_key("rand_seed"):
        base = args.get("rand_seed")
    else:
        base = mpi_util.bcast_object(int(time.time() * 1000) % (2 ** 31))
    return base + 104729 * mpi_util.rank()


def build_envs(env_cfg, num_envs, seed, enable_draw=False, show_reference=None):
    """``num_envs`` envs of ``env_cfg`` (an ``EnvConfig``), the first one drawn in the GUI if asked; they share
    one ``StartSampler``, so adaptive starts learn from all of the rank's episodes."""
    envs = []
    for i in range(num_envs):
        envs.append(ImitationEnv(env_cfg, seed=seed * 1000 + i, enable_draw=enable_draw and i == 0,
                                 show_reference=show_reference, starts=envs[0].starts if envs else None))
    return envs


def build_agent(settings, env, seed):
    """The PPO agent of ``settings.agent``, resumed or loaded from ``settings.run.resume_from`` (``--model_files``;
    playing needs only its actor); it records the env settings and agent it was made with."""
    agent = PPOAgent(settings.agent, env.spec, seed=seed)
    agent.provenance = {"env_args": settings.env_args, "agent": settings.agent.source}
    if settings.run.resume_from:
        agent.load(settings.run.resume_from, need_critic=settings.run.train)
    return agent


def check_bar_reachable(run, env_cfg):
    """A ``--stop_at_return`` above what a curve point can score never binds (a typo such as 3600 for 360): a
    test episode lasts at most ``--time_end_lim_max`` at reward <= 1 a step."""
    steps = math.ceil(env_cfg.time_end_lim.time_max * env_cfg.ctrl_freq - 1e-9)
    if run.stop_at_return > steps:  # the imitation reward is at most 1 a step
        raise DeepMimicError(f"--stop_at_return {run.stop_at_return:g} is more than a curve point can score ({steps} "
                             f"steps of a {env_cfg.time_end_lim.time_max:g} s test episode at reward <= 1 a step)")


def make_trainer(args):
    """Seed, envs (``--num_envs_per_proc`` per rank), agent (resumed with ``--model_files``) and trainer."""
    seed = make_seed(args)
    torch.manual_seed(seed)
    if mpi_util.num_procs() > 1:
        torch.set_num_threads(1)
    settings = Settings.from_args(args)
    run = settings.run
    check_run(run)
    check_bar_reachable(run, settings.env)
    lock = None
    if mpi_util.is_root() and run.output_path and run.train:  # the folder is this run's until it ends
        check_writable_dir(run.output_path, "output_path")
        lock = FolderLock(run.output_path).acquire()
    try:
        if mpi_util.is_root():
            check_outputs(run)  # before any work: a run already there is never replaced unasked
        mpi_util.barrier()
        envs = build_envs(settings.env, settings.num_envs, seed)
        trainer = Trainer(run, envs, build_agent(settings, envs[0], seed), seed)
        if mpi_util.is_root() and run.output_path and run.train:
            write_run_folder(run.output_path, args, trainer.agent.cfg.source, inputs=run.inputs,
                             used={"output_path": run.output_path, "int_output_path": run.int_output_path})
    except BaseException:  # bad input found while building: the folder is free again
        if lock is not None:
            lock.release()
        raise
    trainer.lock = lock  # released when training ends (DeepMimic_Optimizer)
    return trainer
