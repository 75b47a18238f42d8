"""Atomic writes: a crash mid-save never leaves a truncated model or log behind."""
import os
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


def check_writable_dir(path, key):
    """Create ``path`` if needed; a file in the way or a folder we cannot write is an error naming ``key``."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise DeepMimicError(f"--{key} is an existing file, not a folder", path)
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as e:
        raise DeepMimicError(f"--{key} cannot be created: {e.strerror}", path)
    if not os.access(path, os.W_OK | os.X_OK):
        raise DeepMimicError(f"--{key} is not writable", path)


def check_writable_file(path, key):
    """The folder of ``path`` can be created and written, and ``path`` is not a folder."""
    if os.path.isdir(path):
        raise DeepMimicError(f"--{key} names a folder, not a file", path)
    check_writable_dir(os.path.dirname(os.path.abspath(path)), key)
