"""The one rollout loop: every env advances one control step per batched policy call (``step_envs``).
Training collection, test episodes and the learning curve (``run_episodes``), GUI playback and the
throughput benchmark all step envs through it."""
import time
from dataclasses import dataclass
from typing import NamedTuple

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


class EpisodeResult(NamedTuple):
    """One test episode: its return, control steps, whether it fell, and its tracking error (mm), the mean
    over its steps of ``env.body_error`` (``deepmimic.env.tracking_error``), as it is and root-relative."""
    ret: float
    length: int
    fell: bool
    body_err_mm: float = float("nan")
    body_err_rel_mm: float = float("nan")

    @classmethod
    def from_sums(cls, ret, length, fell, err_sum):
        """The episode from its sums over ``length`` steps: ``err_sum`` the summed ``env.body_error`` (m)."""
        mm = 1000.0 * np.asarray(err_sum, dtype=np.float64) / max(int(length), 1)
        return cls(float(ret), int(length), bool(fell), float(mm[0]), float(mm[1]))


def summarize(results):
    """Mean return, falls and the tracking error (mm, over every control step of ``results``) of test episodes."""
    steps = sum(r.length for r in results)
    def per_step(field):
        return sum(getattr(r, field) * r.length for r in results) / steps if steps else float("nan")
    return {"return": float(np.mean([r.ret for r in results])) if results else float("nan"),
            "falls": sum(bool(r.fell) for r in results), "episodes": len(results),
            "body_err_mm": per_step("body_err_mm"), "body_err_rel_mm": per_step("body_err_rel_mm")}


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


def reset_at(env, start):
    """Reset ``env`` at ``start``: None (a random start), a time, or a (clip, time) pair."""
    if isinstance(start, tuple):
        return env.reset(start_time=start[1], clip=start[0])
    return env.reset(start_time=start)


def deterministic_policy(agent):
    """``step_envs``'s policy call in test episodes: a trainer's agent (``act(states, explore)``) acts without
    exploration; a function of states to actions (a loaded ``deepmimic.policy.Policy``) is called as it is."""
    if callable(agent):
        return lambda states: (agent(states), None, None)
    return lambda states: agent.act(states, explore=False)


def run_episodes(agent, envs, num_episodes, max_steps=None, on_step=None, start_times=None, stop=None):
    """Deterministic test episodes spread over ``envs``; returns an ``EpisodeResult`` per episode. ``agent``: a
    trainer's agent or any batched states -> actions function (``deterministic_policy``).

    ``start_times`` (one per episode) fixes where in the clip each episode starts, a time or a (clip, time) pair
    (``learning_curve.curve_starts``: a motion set's lead clip too); by default the envs draw random starts.
    ``stop()`` true (a Ctrl-C, ``StopRequest``) ends the loop at the next control step: the episodes finished by
    then are returned.
    """
    if start_times is not None:
        num_episodes = len(start_times)
    starts = iter([None] * num_episodes if start_times is None else list(start_times))
    for env in envs:
        env.set_mode(Mode.TEST)
    results = []
    active = np.zeros(len(envs), dtype=bool)
    active[:min(num_episodes, len(envs))] = True
    states = np.array([reset_at(env, next(starts)) if on else env.reset()
                       for env, on in zip(envs, active)])  # rows are replaced, never kept
    rets, lens = np.zeros(len(envs)), np.zeros(len(envs), dtype=int)
    errs = np.zeros((len(envs), 2))  # summed tracking error (global, root-relative), m
    started, policy = int(active.sum()), deterministic_policy(agent)
    while active.any() and not (stop is not None and stop()):
        for i, step in enumerate(step_envs(policy, envs, states, active)):
            if step is None:
                continue
            env, s, r, done, term = envs[i], step.next_state, step.reward, step.done, step.term
            rets[i] += r
            lens[i] += 1
            errs[i] += env.body_error
            if on_step is not None:
                on_step(i, env)
            if max_steps is not None and lens[i] >= max_steps:
                done = True
            if done:
                results.append(EpisodeResult.from_sums(rets[i], lens[i], term == Terminate.FAIL, errs[i]))
                rets[i], lens[i], errs[i] = 0.0, 0, 0.0
                if started < num_episodes:
                    started += 1
                    s = reset_at(env, next(starts))
                else:
                    active[i] = False
            states[i] = s
    for env in envs:
        env.set_mode(Mode.TRAIN)
    return results
