"""TD(lambda) returns over the concatenated paths of a batch."""
import numpy as np


def td_lambda_returns(rewards, values, path_ends, gamma, lam):
    """lambda-returns for every step of every path in one backward pass.

    ``rewards``: (N,) per step; ``values``: (N,) value of the state *after* each step
    (for the last step of a path: the value of its end state, 0 after a fall);
    ``path_ends``: (N,) True where a path's last step is. Returns (N,) targets
    R_t = r_t + gamma * ((1 - lam) * V(s_t+1) + lam * R_t+1), with R at a path end = r + gamma V(end).
    """
    rewards = np.asarray(rewards, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    ret = np.empty_like(rewards)
    for i in range(len(rewards) - 1, -1, -1):
        if path_ends[i]:
            ret[i] = rewards[i] + gamma * values[i]
        else:
            ret[i] = rewards[i] + gamma * ((1.0 - lam) * values[i] + lam * ret[i + 1])
    return ret
