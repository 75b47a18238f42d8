"""Warm start: before PPO, fit the state normalizer and the actor to the clip itself.

A fresh DeepMimic actor outputs the action offset (a neutral pose) and PPO spends millions of samples
discovering the feed-forward pose trajectory. The clip already gives it: the PD targets that reproduce
the reference pose. We roll out that open-loop controller (it tracks for about a second, then falls
without balance feedback), with the agent's exploration noise to widen the states seen, and regress
the actor's mean onto the clip's action for the next control step (``clip_action``; with ``--residual_actions``
that is no offset, so the fit only keeps the actor at the clip's pose). PPO then only has to learn the
corrections. The states also seed the normalizer, so its later updates move it little.
Warm-start samples are environment samples and count towards the run's total.
"""
import math

import numpy as np
import torch

from deepmimic.util import mpi_util


def collect_reference_rollouts(envs, num_samples, noise, rng, horizon=30, stop=lambda: False, report=None):
    """(states, clip actions) from open-loop rollouts that follow the clip from random start times.

    Checks ``stop()`` before each rollout and returns early when it says so; ``report(n)`` is called
    with the samples collected so far after each env's share.
    """
    states, actions = [], []
    for k, env in enumerate(envs):
        per_env = int(math.ceil((num_samples - len(states)) / (len(envs) - k)))  # exactly num_samples in all
        dt = env.control_step()
        a_std = noise / env.spec.action_scale  # the agent's exploration noise, in action units
        count = 0
        while count < per_env:
            if stop():
                return np.array(states), np.array(actions)
            s = env.reset()
            for _ in range(horizon):
                target = env.clip_action(env.t + dt)
                states.append(s)
                actions.append(target)
                s, _, done, _ = env.step(target + rng.normal(0.0, 1.0, size=target.shape) * a_std)
                count += 1
                if done or count >= per_env:
                    break
        if report is not None:
            report(len(states))
    return np.array(states), np.array(actions)


def fit_actor(agent, states, actions, epochs=20, minibatch=256, lr=1e-3, seed=0):
    """Seed the normalizer with ``states`` (all ranks), then regress the actor on rank 0 and share it.

    Returns the final mean squared error in normalised action units (on rank 0; 0 elsewhere).
    """
    if agent.need_normalizer_update():
        agent.record_normalizer_states(states)
        agent.update_normalizers()
    mse = 0.0
    if mpi_util.is_root():
        gen = torch.Generator().manual_seed(seed)
        s = torch.as_tensor(states, dtype=torch.float32)
        target = agent.actor.a_norm.normalize(torch.as_tensor(actions, dtype=torch.float32))
        opt = torch.optim.Adam(agent.actor.parameters(), lr=lr)
        for _ in range(epochs):
            order = torch.randperm(len(s), generator=gen)
            for b in range(0, len(s), minibatch):
                idx = order[b:b + minibatch]
                loss = torch.mean((agent.actor.forward_norm(s[idx]) - target[idx]) ** 2)
                opt.zero_grad()
                loss.backward()
                opt.step()
        with torch.no_grad():
            mse = float(torch.mean((agent.actor.forward_norm(s) - target) ** 2))
    agent.sync_params()
    return mse


def warm_start(agent, envs, num_samples, rng, stop=lambda: False, report=None):
    """Collect ``num_samples`` per rank and fit; returns (global samples used, fit error), or None when
    ``stop()`` said so on any rank (all ranks agree in one reduction before the fit)."""
    states, actions = collect_reference_rollouts(envs, num_samples, agent.exp_params.noise, rng, stop=stop, report=report)
    stopped, total = mpi_util.allreduce_sum(np.array([float(stop()), float(len(states))]))
    if stopped > 0:
        return None
    mse = fit_actor(agent, states, actions, seed=int(rng.integers(2 ** 31)))
    return int(total), mse
