"""Thin MPI layer: works under ``mpiexec -n N`` and as a plain single process.

Only rank 0 writes files. Any uncaught exception on any rank aborts the whole job
(``MPI.Abort``) so a crash on one rank never leaves the others blocked in a collective.
"""
import os
import shutil
import signal
import subprocess
import sys
import time
import traceback

import numpy as np

try:
    from mpi4py import MPI
    COMM = MPI.COMM_WORLD
    # Errors agree on this copy of the communicator, so their barrier never meets training's collectives.
    EXIT_COMM = COMM.Dup() if COMM.Get_size() > 1 else None
except ImportError:  # pragma: no cover - mpi4py is a dependency, but keep single-process use possible
    MPI, COMM, EXIT_COMM = None, None, None

AGREE_SECONDS = 3.0  # how long a failing rank waits to learn whether every rank failed the same way


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


def _abort_crash():
    """Under MPI: the exception being handled, then every rank aborted (none left blocked in a collective)."""
    if num_procs() > 1:
        # One write, then a moment before the abort: mpiexec forwards a rank's stderr on its own time and
        # stops forwarding when it kills the job, so a second write could be lost (seen in CI).
        sys.stderr.write(traceback.format_exc() + f"rank {rank()}: aborting all {num_procs()} ranks\n")
        sys.stderr.flush()
        time.sleep(0.5)
        COMM.Abort(1)


def run_cli_all_ranks(main):
    """``errors.run_cli`` for every rank of an MPI job. Bad input (a ``DeepMimicError``) or a Ctrl-C during
    start-up usually reaches every rank at the same point: then rank 0 alone says it, in the one line a
    single process would, and every rank exits with its code (2; 130 or 143 for Ctrl-C or SIGTERM), no
    ``MPI_Abort``. When the other ranks are elsewhere (the error is one rank's), that rank says it and aborts
    the job, MPI's own abort notice kept out of the output. Anything else is a crash: its traceback, and the job aborted."""
    from deepmimic.util.errors import DeepMimicError, disk_full, interrupt_exit, run_cli, sigterm_as_interrupt
    if num_procs() == 1:
        return run_cli(main)
    try:
        with sigterm_as_interrupt():
            return main()
    except DeepMimicError as e:
        _end_all(2, f"error: {e}")
    except KeyboardInterrupt as e:
        _end_all(*interrupt_exit(e))
    except OSError as e:
        if not disk_full(e):
            _abort_crash()
            raise
        _end_all(2, f"error: {disk_full(e)}")
    except SystemExit:
        raise
    except BaseException:
        _abort_crash()
        raise


def _end_all(code, line):
    request = EXIT_COMM.Ibarrier()
    deadline = time.time() + AGREE_SECONDS
    while not request.Test() and time.time() < deadline:
        time.sleep(0.01)
    together = request.Test()
    if together and rank() != 0:
        sys.exit(code)
    sys.stderr.write(line + "\n")
    sys.stderr.flush()
    if together:
        sys.exit(code)
    sys.stdout.flush()
    time.sleep(0.5)  # mpiexec forwards stderr on its own time; the abort would cut it
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)  # MPI's "Abort(2) on node ..." would be a second line
    COMM.Abort(code)


def find_mpiexec():
    """The mpiexec beside this Python (the mpich wheel's), else one on the PATH."""
    beside = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    return beside if os.access(beside, os.X_OK) else shutil.which("mpiexec")


def launch_workers(workers, script, argv):
    """DeepMimic's ``mpi_run.py --num_workers N``: run ``script argv`` as N MPI processes.

    Returns None when this process is already one of the N (or N is 1: run in-process), else starts
    ``mpiexec -n N`` on the same script and arguments, forwards Ctrl-C/SIGTERM to it and returns its exit
    code. Inside an MPI launch of another size it is an error (which one was meant?).
    """
    from deepmimic.util.errors import DeepMimicError
    size = num_procs()
    if workers == size:
        return None
    if size > 1:
        raise DeepMimicError(f"--num_workers {workers}, but this MPI launch has {size} processes: give one or the other")
    mpiexec = find_mpiexec()
    if mpiexec is None:
        raise DeepMimicError(f"--num_workers {workers} needs mpiexec (pip install mpich), which is not installed")
    # The launcher's own variables, if this process was started by one (mpiexec -n 1), must not leak.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PMI_", "HYDRA_", "MPI_LOCALNRANKS", "MPI_LOCALRANKID"))}
    return run_child([mpiexec, "-n", str(workers), sys.executable, script, *argv], env)


def _stop_with_parent():
    """In the child, before it starts (Linux): a Ctrl-C when this process dies, even by SIGKILL (a time-out's
    kill), so a training in a session of its own ends with it instead of running on orphaned."""
    if sys.platform.startswith("linux"):
        import ctypes
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGINT)


def run_child(cmd, env=None, once=False, on_stop=None, **popen):
    """Run ``cmd`` to its end in a session of its own, passing Ctrl-C / SIGTERM on to it; its exit code. With
    ``once``, only the first stop is passed on, as a Ctrl-C (a second would abort a saving run unsaved);
    ``on_stop()`` is called when it is; ``popen``: more ``subprocess.Popen`` arguments (stdout, cwd).
    A terminal's Ctrl-C is SIGINT to the whole foreground group: reaching mpiexec's ranks directly as well,
    it arrived twice (the second one "stops at once"), or hit MPI's process manager mid-start (exit 255, no
    model saved); and a child in our group would be killed by Python's own handling of the interrupt."""
    child, early, sent = None, [], []

    def forward(signum, frame):
        if child is None:
            early.append(signum)
        elif not (once and sent):
            sent.append(signum)
            if on_stop is not None:
                on_stop()
            child.send_signal(signal.SIGINT if once else signum)
    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        if early:  # stopped before anything started
            raise KeyboardInterrupt
        child = subprocess.Popen(cmd, env=env, start_new_session=True, preexec_fn=_stop_with_parent, **popen)
        if early:  # ... or while it was starting
            forward(early[0], None)
        return child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
