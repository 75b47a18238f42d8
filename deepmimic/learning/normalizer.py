"""Running mean/std normalizers (DeepMimic's Normalizer), as torch modules so they save with the net.

Statistics are accumulated in numpy from recorded samples and merged across MPI ranks on
``update()``. Norm groups: -1 keeps the initial mean/std (e.g. the phase), 0 normalises each
dimension on its own, any other id shares one mean/std across the group.
"""
import numpy as np
import torch
from torch import nn

from deepmimic.util import mpi_util

GROUP_NONE = -1
GROUP_SINGLE = 0


class Normalizer(nn.Module):
    def __init__(self, size, groups=None, eps=0.02, mean=None, std=None):
        super().__init__()
        self.size, self.eps = size, eps
        self.groups = np.zeros(size, dtype=np.int64) if groups is None else np.asarray(groups, dtype=np.int64)
        mean = np.zeros(size) if mean is None else np.asarray(mean, dtype=np.float64)
        std = np.ones(size) if std is None else np.asarray(std, dtype=np.float64)
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32))
        self.register_buffer("count", torch.zeros((), dtype=torch.float64))
        self._mean = mean.copy()
        self._mean_sq = std ** 2 + mean ** 2
        self._new_count = 0
        self._new_sum = np.zeros(size)
        self._new_sum_sq = np.zeros(size)

    def record(self, x):
        x = np.reshape(np.asarray(x, dtype=np.float64), (-1, self.size))
        self._new_count += x.shape[0]
        self._new_sum += x.sum(axis=0)
        self._new_sum_sq += np.square(x).sum(axis=0)

    def update(self):
        """Merge samples recorded since the last update, over all MPI ranks."""
        new_count = mpi_util.allreduce_sum(float(self._new_count))
        if new_count <= 0:
            return
        new_sum = mpi_util.allreduce_sum(self._new_sum)
        new_sum_sq = mpi_util.allreduce_sum(self._new_sum_sq)
        count = float(self.count)
        total = count + new_count
        new_mean = self._group(new_sum / new_count, self._mean)
        new_mean_sq = self._group(new_sum_sq / new_count, self._mean_sq)
        self._mean = (count / total) * self._mean + (new_count / total) * new_mean
        self._mean_sq = (count / total) * self._mean_sq + (new_count / total) * new_mean_sq
        self.count.fill_(total)
        std = np.maximum(np.sqrt(np.maximum(self._mean_sq - self._mean ** 2, 0.0)), self.eps)
        self.mean.copy_(torch.as_tensor(self._mean))
        self.std.copy_(torch.as_tensor(std))
        self._new_count = 0
        self._new_sum[:] = 0
        self._new_sum_sq[:] = 0

    def _group(self, new, old):
        out = new.copy()
        for gid in np.unique(self.groups):
            idx = self.groups == gid
            if gid == GROUP_NONE:
                out[idx] = old[idx]
            elif gid != GROUP_SINGLE:
                out[idx] = new[idx].mean()
        return out

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
        self._sync_numpy()

    def _sync_numpy(self):
        self._mean = self.mean.double().numpy().copy()
        self._mean_sq = self.std.double().numpy() ** 2 + self._mean ** 2

    def normalize(self, x):
        z = (x - self.mean) / self.std
        return z

    def unnormalize(self, z):
        return z * self.std + self.mean

