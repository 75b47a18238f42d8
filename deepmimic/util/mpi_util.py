"""Thin MPI layer: works under ``mpiexec -n N`` and as a plain single process.

Only rank 0 writes files. Any uncaught exception on any rank aborts the whole job
(``MPI.Abort``) so a crash on one rank never leaves the others blocked in a collective.
"""
import sys
import traceback

import numpy as np

try:
    from mpi4py import MPI
    COMM = MPI.COMM_WORLD
except ImportError:  # pragma: no cover - mpi4py is a dependency, but keep single-process use possible
    MPI, COMM = None, None


def num_procs():
    return COMM.Get_size() if COMM is not None else 1


def rank():
    return COMM.Get_rank() if COMM is not None else 0


def is_root():
    return rank() == 0


def _allreduce(x, op):
    if num_procs() == 1:
        return x
    arr = np.asarray(x, dtype=np.float64)
    out = np.empty_like(arr)
    COMM.Allreduce(arr, out, op=op)
    return out if np.ndim(x) else float(out)


def allreduce_sum(x):
    """Sum of ``x`` (scalar or array) over all ranks."""
    return _allreduce(x, MPI.SUM if MPI else None)


def allreduce_mean(x):
    return allreduce_sum(x) / num_procs()


def average_inplace(arr):
    """Average a float32/float64 numpy buffer over ranks, in place (used for gradients)."""
    if num_procs() == 1:
        return arr
    COMM.Allreduce(MPI.IN_PLACE, arr, op=MPI.SUM)
    arr /= num_procs()
    return arr


def bcast_inplace(arr, root=0):
    if num_procs() > 1:
        COMM.Bcast(arr, root=root)
    return arr


def bcast_object(obj, root=0):
    return COMM.bcast(obj, root=root) if num_procs() > 1 else obj


def gather_list(items):
    """Every rank's ``items`` concatenated in rank order, on every rank."""
    return [x for part in COMM.allgather(list(items)) for x in part] if num_procs() > 1 else list(items)


def barrier():
    if num_procs() > 1:
        COMM.Barrier()


def abort_on_exception(fn):
    """Run ``fn``; if it raises under MPI with several ranks, print the error and abort every rank."""
    try:
        return fn()
    except SystemExit:
        if num_procs() > 1:
            sys.stdout.flush()
            sys.stderr.flush()
            COMM.Abort(2)
        raise
    except BaseException:
        if num_procs() > 1:
            traceback.print_exc()
            sys.stderr.write(f"rank {rank()}: aborting all {num_procs()} ranks\n")
            sys.stderr.flush()
            COMM.Abort(1)
        raise
