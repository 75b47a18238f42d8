"""Wiring: builds the concrete PyBullet envs, the agent and the trainer from parsed arguments.

The learner (``deepmimic.learning``) sees envs only through ``deepmimic.env.base_env``; this is the
one place that knows which env class and agent class go together.
"""
import time

import torch

from deepmimic.env.imitation_env import EnvConfig, ImitationEnv
from deepmimic.learning.agent_config import agent_config_from_data, load_agent_file
from deepmimic.learning.ppo_agent import PPOAgent
from deepmimic.learning.model_io import model_file
from deepmimic.learning.trainer import RunConfig, Trainer, check_outputs
from deepmimic.util import mpi_util
from deepmimic.util.arg_parser import resolve_path
from deepmimic.util.file_io import FolderLock, check_writable_dir
from deepmimic.util.run_settings import env_args, write_run_folder


def make_seed(args):
    """``--rand_seed`` if given (each rank gets its own stream), else a time-based seed from rank 0."""
    if args.has_key("rand_seed"):
        base = args.get("rand_seed")
    else:
        base = mpi_util.bcast_object(int(time.time() * 1000) % (2 ** 31))
    return base + 104729 * mpi_util.rank()


def build_envs(args, num_envs, seed, enable_draw=False, show_reference=None):
    cfg = EnvConfig.from_args(args)
    return [ImitationEnv(cfg, seed=seed * 1000 + i, enable_draw=enable_draw and i == 0, show_reference=show_reference)
            for i in range(num_envs)]


def build_agent(args, env, seed, saved_agent=None):
    """The PPO agent of ``--agent_files`` (default: the recipe's), or of ``saved_agent`` (a policy's own,
    from ``policy_settings``) when no agent file is given; resumed or loaded from ``--model_files``."""
    agent_file = args.get("agent_files")[0]
    if saved_agent is not None and not args.has_key("agent_files"):
        cfg = agent_config_from_data(*saved_agent)
    else:
        cfg = load_agent_file(resolve_path(agent_file))
    agent = PPOAgent(cfg, env.spec, seed=seed)
    agent.provenance = {"env_args": env_args(args), "agent": cfg.source}
    resume = model_file(args)
    if resume:
        agent.load(resume, need_critic=args.get("train_agents"))
    return agent


def make_trainer(args):
    """Seed, envs (``--num_envs_per_proc`` per rank), agent (resumed with ``--model_files``) and trainer."""
    seed = make_seed(args)
    torch.manual_seed(seed)
    if mpi_util.num_procs() > 1:
        torch.set_num_threads(1)
    run = RunConfig.from_args(args)
    lock = None
    if mpi_util.is_root() and run.output_path and run.train:  # the folder is this run's until it ends
        check_writable_dir(run.output_path, "output_path")
        lock = FolderLock(run.output_path).acquire()
    try:
        if mpi_util.is_root():
            check_outputs(run)  # before any work: a run already there is never replaced unasked
        mpi_util.barrier()
        envs = build_envs(args, args.get("num_envs_per_proc"), seed)
        trainer = Trainer(run, envs, build_agent(args, envs[0], seed), seed)
        if mpi_util.is_root() and run.output_path and run.train:
            write_run_folder(run.output_path, args, trainer.agent.cfg.source, inputs=run.inputs,
                             used={"output_path": run.output_path, "int_output_path": run.int_output_path})
    except BaseException:  # bad input found while building: the folder is free again
        if lock is not None:
            lock.release()
        raise
    trainer.lock = lock  # released when training ends (DeepMimic_Optimizer)
    return trainer
