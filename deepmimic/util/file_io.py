"""Atomic writes: a crash mid-save never leaves a truncated model or log behind."""
import os
import shutil
import tempfile

from deepmimic.util.errors import DeepMimicError


def atomic_write(path, write_fn, mode="wb"):
    """Call ``write_fn(fileobj)`` on a temp file in the target folder, then rename it over ``path``."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp_" + os.path.basename(path), dir=folder)
    try:
        with os.fdopen(fd, mode) as f:
            write_fn(f)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600 files; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def atomic_copy(src, dst):
    """Copy ``src`` over ``dst`` atomically: a Ctrl-C mid-copy leaves the old ``dst`` (a shipped policy, a
    committed checkpoint) whole instead of truncated."""
    atomic_copy_all([(src, dst)])


def atomic_copy_all(pairs):
    """Copy each ``(src, dst)`` so that every ``dst`` is replaced or none is (an actor and its critic): all are
    copied to temp files beside their targets first, then renamed with Ctrl-C and SIGTERM held back, so a stop,
    a full disk or a missing source leaves the old files as they were."""
    import signal
    temps = []
    try:
        for src, dst in pairs:
            folder = os.path.dirname(os.path.abspath(dst))
            os.makedirs(folder, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp_" + os.path.basename(dst), dir=folder)
            temps.append(tmp)
            with open(src, "rb") as f, os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(f, out)
                out.flush()
                os.fsync(out.fileno())
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        held = {signal.SIGINT, signal.SIGTERM}
        old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
        try:
            for tmp, (_, dst) in zip(temps, pairs):
                os.replace(tmp, dst)
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
