"""Atomic writes: a crash mid-save never leaves a truncated model or log behind."""
import os
import shutil
import tempfile
import time

from deepmimic.util.errors import DeepMimicError


#: Files put in place by this process, so a stop can say whether it came before any output or after some.
files_written = {"count": 0}


class AtomicFile:
    """A file written under a temp name beside ``path`` and put in its place only by ``commit``: readers
    never see half a file, and a write that fails or is abandoned (``discard``) leaves ``path`` as it was.
    What a long recording streams into."""

    def __init__(self, path, mode="wb"):
        self.path = path
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        fd, self.tmp = tempfile.mkstemp(prefix=".tmp_" + os.path.basename(path), dir=folder)
        self.file = os.fdopen(fd, mode)

    def finish(self):
        """Sync and close the temp file, with the usual permissions (mkstemp makes 0600 files); its name. A
        failure (a full disk at the sync) discards it."""
        try:
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(self.tmp, 0o666 & ~umask)
        except BaseException:
            self.discard()
            raise
        return self.tmp

    def commit(self):
        try:
            os.replace(self.finish(), self.path)
        except BaseException:
            self.discard()
            raise
        files_written["count"] += 1

    def discard(self):
        self.file.close()
        if os.path.exists(self.tmp):
            os.remove(self.tmp)


def _written(path, write_fn, mode="wb"):
    """An ``AtomicFile`` for ``path`` that ``write_fn(fileobj)`` has filled, not yet committed; its temp file is
    removed again if writing fails."""
    out = AtomicFile(path, mode)
    try:
        write_fn(out.file)
    except BaseException:
        out.discard()
        raise
    return out


def atomic_write(path, write_fn, mode="wb"):
    """Call ``write_fn(fileobj)`` on a temp file in the target folder, then rename it over ``path``."""
    _written(path, write_fn, mode).commit()


def atomic_copy(src, dst):
    """Copy ``src`` over ``dst`` atomically: a Ctrl-C mid-copy leaves the old ``dst`` (a shipped policy, a
    committed checkpoint) whole instead of truncated."""
    atomic_copy_all([(src, dst)])


def atomic_copy_all(pairs):
    """Copy each ``(src, dst)`` so that every ``dst`` is replaced or none is (an actor and its critic)
    (``atomic_write_all``); a missing source leaves the old files as they were."""
    def copier(src):
        def copy(out):
            with open(src, "rb") as f:
                shutil.copyfileobj(f, out)
        return copy
    atomic_write_all([(dst, copier(src)) for src, dst in pairs])


def atomic_write_all(items):
    """Write each ``(path, write_fn)`` so that every file is replaced or none is (an actor and its critic):
    all are written to temp files beside their targets first, then renamed with Ctrl-C and SIGTERM held back,
    so a stop, a full disk or a failing writer leaves the old files as they were."""
    import signal
    temps = []
    try:
        for path, write_fn in items:
            temps.append(_written(path, write_fn).finish())
        held = {signal.SIGINT, signal.SIGTERM}
        old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
        try:
            for tmp, (path, _) in zip(temps, items):
                os.replace(tmp, path)
            files_written["count"] += len(items)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)
    except BaseException:
        for tmp in temps:
            if os.path.exists(tmp):
                os.remove(tmp)
        raise


def _make_folder(folder, key, named, what):
    """Create ``folder`` if needed and check that it can be written; errors name ``named`` (the path the
    user typed) and call the folder ``what`` ("--key" itself, or "--key's folder")."""
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise DeepMimicError(f"{what} is an existing file, not a folder", named)
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as e:
        raise DeepMimicError(f"--{key} cannot be created: {e.strerror}", named)
    try:  # a real write: os.access says yes to root everywhere, also on read-only or virtual file systems
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as e:
        raise DeepMimicError(f"{what} is not writable ({e.strerror})", named)


def check_writable_dir(path, key):
    """Create ``path`` if needed; a file in the way or a folder we cannot write is an error naming ``key``."""
    _make_folder(path, key, path, f"--{key}")


def check_writable_file(path, key):
    """The folder of ``path`` can be created and written, and ``path`` is not a folder."""
    if os.path.isdir(path):
        raise DeepMimicError(f"--{key} names a folder, not a file", path)
    _make_folder(os.path.dirname(os.path.abspath(path)), key, path, f"--{key}'s folder")


def check_new_file(path, key, overwrite=False, inputs=(), how="--overwrite true"):
    """An output about to be written, checked before any work: its folder is writable, it is none of the
    command's ``inputs``, and an existing file is replaced only when the user said so (``overwrite``)."""
    check_writable_file(path, key)
    if not os.path.exists(path):
        return
    if any(src and os.path.exists(src) and os.path.samefile(src, path) for src in inputs):
        raise DeepMimicError(f"--{key} is also an input of this command: write to another file", path)
    if not overwrite:
        raise DeepMimicError(f"--{key} already exists: choose another name, or pass {how} to replace it", path)


def check_new_dir(path, key, overwrite=False):
    """A folder this command fills with its own files: created if needed, and empty unless ``overwrite``."""
    check_writable_dir(path, key)
    if os.listdir(path) and not overwrite:
        raise DeepMimicError(f"--{key} is a folder that is not empty: choose a new or empty one, or pass "
                             "--overwrite true to write into it", path)


def free_name(path):
    """``path``, or ``stem_1.ext``, ``stem_2.ext``, ... if taken: a default output never replaces a file."""
    stem, ext = os.path.splitext(path)
    n = 0
    while os.path.exists(path):
        n += 1
        path = f"{stem}_{n}{ext}"
    return path


#: What a training's temp files start with (``AtomicFile``: ``.tmp_`` + the target's name).
RUN_TEMP_PREFIXES = tuple(".tmp_" + name for name in ("agent0_", "learning_curve", "run_args", "run_agent"))


class FolderLock:
    """A training's claim on its output folder: ``.deepmimic_lock`` holding the owner's host and pid, made with
    O_EXCL so that of two runs started at once only one gets it. A lock whose process is gone (a killed run) is
    taken over; one held by a live process, or by another machine, stops the second run before any work."""
    NAME = ".deepmimic_lock"

    def __init__(self, folder):
        self.path = os.path.join(folder, self.NAME)
        self.held = False

    def acquire(self):
        import socket
        me = f"{socket.gethostname()} {os.getpid()}"
        for _ in range(2):  # a stale lock is removed once, then taken like a free one
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                owner = self._owner()
                if owner is None:
                    os.remove(self.path)
                    continue
                raise DeepMimicError(f"is being trained into by another run ({owner}); wait for it to end, or choose "
                                     f"another --output_path (a lock left by a run on another machine: delete {self.path})",
                                     os.path.dirname(self.path))
            with os.fdopen(fd, "w") as f:
                f.write(me + "\n")
            self.held = True
            self._remove_stale_temps()
            return self
        raise DeepMimicError("could not take the folder's lock", self.path)

    def _remove_stale_temps(self):
        """The temp files of a run killed mid-save (SIGKILL, the OOM killer, a preempted node): the folder is
        ours now, so no live run is writing them. Only a run's own files (models, log, curve, run files);
        another command's temp beside them is left alone."""
        folder = os.path.dirname(self.path)
        for name in os.listdir(folder):
            if name.startswith(RUN_TEMP_PREFIXES):
                try:
                    os.remove(os.path.join(folder, name))
                except OSError:
                    pass

    def _owner(self):
        """'host pid' of a live owner, or None when the lock is stale (its process on this machine is gone)."""
        import socket
        try:
            host, pid = open(self.path).read().split()
            pid = int(pid)
        except (OSError, ValueError):  # being written this instant by a run starting, or left half-written
            try:
                young = time.time() - os.path.getmtime(self.path) < 10.0
            except OSError:
                return None
            return "a run starting now" if young else None
        if host != socket.gethostname():
            return f"host {host}, pid {pid}"
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass  # alive, another user's
        return f"pid {pid}"

    def release(self):
        if self.held and os.path.exists(self.path):
            os.remove(self.path)
        self.held = False
