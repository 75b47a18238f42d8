"""Rollout storage: one growing path per env, and the batch of finished paths PPO trains on."""
from dataclasses import dataclass

import numpy as np

from deepmimic.env.base_env import Terminate


@dataclass
class Path:
    states: np.ndarray     # (n+1, S): the last entry is the state the episode ended in
    actions: np.ndarray    # (n, A)
    logps: np.ndarray      # (n,)
    rewards: np.ndarray    # (n,)
    exp_flags: np.ndarray  # (n,) bool: action had exploration noise (only these train the actor)
    terminate: Terminate

    def __len__(self):
        return len(self.rewards)

    def calc_return(self):
        return float(np.sum(self.rewards))


class PathRecorder:
    """Accumulates the steps of one env's current episode."""

    def __init__(self):
        self.clear()

    def clear(self):
        self.states, self.actions, self.logps, self.rewards, self.exp_flags = [], [], [], [], []

    def add_step(self, state, action, logp, exp_flag):
        self.states.append(state)
        self.actions.append(action)
        self.logps.append(logp)
        self.exp_flags.append(exp_flag)

    def add_reward(self, reward):
        self.rewards.append(reward)

    def finish(self, end_state, terminate):
        path = Path(states=np.array(self.states + [end_state]), actions=np.array(self.actions),
                    logps=np.array(self.logps), rewards=np.array(self.rewards),
                    exp_flags=np.array(self.exp_flags, dtype=bool), terminate=Terminate(terminate))
        self.clear()
        return path


class Batch:
    """Finished paths of one training iteration, concatenated for the update."""

    def __init__(self):
        self.clear()

    def add(self, path):
        if len(path) == 0:
            return
        self.paths.append(path)
        self.num_samples += len(path) + 1
        self.num_exp += int(path.exp_flags.sum())

    def clear(self):
        self.paths = []
        self.num_samples = 0  # DeepMimic counts every stored state, end states included
        self.num_exp = 0      # steps with exploration noise

    def concat(self):
        """Flat arrays over all steps, plus per-path (start, length) and end-state indices."""
        p = self.paths
        all_states = np.concatenate([x.states for x in p])
        lengths = np.array([len(x) for x in p])
        state_starts = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]])
        step_state_idx = np.concatenate([s + np.arange(n) for s, n in zip(state_starts, lengths)])
        path_ends = np.zeros(lengths.sum(), dtype=bool)
        path_ends[np.cumsum(lengths) - 1] = True
        return {
            "all_states": all_states,
            "state_idx": step_state_idx,            # index of s_t in all_states
            "next_state_idx": step_state_idx + 1,   # index of s_t+1
            "actions": np.concatenate([x.actions for x in p]),
            "logps": np.concatenate([x.logps for x in p]),
            "rewards": np.concatenate([x.rewards for x in p]),
            "exp_flags": np.concatenate([x.exp_flags for x in p]),
            "path_ends": path_ends,
            "end_terminate": np.repeat([int(x.terminate) for x in p], lengths),
        }
