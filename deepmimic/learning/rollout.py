"""The one rollout loop: every env advances one control step per batched policy call (``step_envs``).
Training collection, test episodes and the learning curve (``run_episodes``), GUI playback and the
throughput benchmark all step envs through it."""
import time
from dataclasses import dataclass

import numpy as np

from deepmimic.env.base_env import Mode, Terminate


@dataclass
class Step:
    """One env's control step."""
    state: np.ndarray
    action: np.ndarray
    logp: float
    explored: bool
    next_state: np.ndarray
    reward: float
    done: bool
    term: object  # Terminate, or None while the episode goes on


def step_envs(policy, envs, states, active=None, timer=None):
    """Advance every env (or the ``active`` ones) one control step with one batched call of
    ``policy(states) -> (actions, logps, explore flags)``; returns one ``Step`` per env (None if inactive).
    A ``PhaseTimer`` gets the policy's and the envs' time as phases ``policy`` and ``env``."""
    t0 = time.perf_counter()
    actions, logps, flags = policy(states)
    t1 = time.perf_counter()
    steps = []
    for i, env in enumerate(envs):
        if active is not None and not active[i]:
            steps.append(None)
            continue
        s, r, done, term = env.step(actions[i])
        steps.append(Step(states[i], actions[i], None if logps is None else logps[i],
                          False if flags is None else bool(flags[i]), s, r, done, term))
    if timer is not None:
        timer.add("policy", t1 - t0)
        timer.add("env", time.perf_counter() - t1)
    return steps


def run_episodes(agent, envs, num_episodes, max_steps=None, on_step=None, start_times=None):
    """Deterministic test episodes spread over ``envs``; returns a list of (return, length, fell).

    ``start_times`` (one per episode) fixes where in the clip each episode starts; by default
    the envs draw random start times.
    """
    if start_times is not None:
        num_episodes = len(start_times)
    starts = iter([None] * num_episodes if start_times is None else list(start_times))
    for env in envs:
        env.set_mode(Mode.TEST)
    results = []
    active = np.zeros(len(envs), dtype=bool)
    active[:min(num_episodes, len(envs))] = True
    states = np.array([env.reset(start_time=next(starts)) if on else env.reset()
                       for env, on in zip(envs, active)])  # rows are replaced, never kept
    rets, lens = np.zeros(len(envs)), np.zeros(len(envs), dtype=int)
    started = int(active.sum())
    while active.any():
        for i, step in enumerate(step_envs(lambda x: agent.act(x, explore=False), envs, states, active)):
            if step is None:
                continue
            env, s, r, done, term = envs[i], step.next_state, step.reward, step.done, step.term
            rets[i] += r
            lens[i] += 1
            if on_step is not None:
                on_step(i, env)
            if max_steps is not None and lens[i] >= max_steps:
                done = True
            if done:
                results.append((float(rets[i]), int(lens[i]), term == Terminate.FAIL))
                rets[i], lens[i] = 0.0, 0
                if started < num_episodes:
                    started += 1
                    s = env.reset(start_time=next(starts))
                else:
                    active[i] = False
            states[i] = s
    for env in envs:
        env.set_mode(Mode.TRAIN)
    return results
