"""The evaluation rollout: deterministic episodes spread over several envs, one batched policy call
per control step. Used by the trainer's tests and learning curve and by testrl's playback."""
import numpy as np

from deepmimic.env.base_env import Mode, Terminate


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
        actions, _, _ = agent.act(states, explore=False)
        for i, env in enumerate(envs):
            if not active[i]:
                continue
            s, r, done, term = env.step(actions[i])
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
