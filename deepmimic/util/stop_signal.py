"""Ctrl-C and SIGTERM as a request to stop at the next safe point, not an exception mid-update.

The training loop polls ``requested`` once per step (all MPI ranks agree through one reduction),
saves the model and exits with 130. A second signal falls back to the default behaviour.
"""
import signal

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
#: Whether a stop was already requested in this process: a KeyboardInterrupt after it is the second Ctrl-C.
stop_seen = {"any": False}


def at_once(sig, handler):
    """What a second signal does: the handler before the first, unless the process was started ignoring the
    signal (``nohup cmd &`` from a script ignores SIGINT), where it would do nothing: then the default stop."""
    if handler != signal.SIG_IGN:
        return handler
    return signal.default_int_handler if sig == signal.SIGINT else signal.SIG_DFL


class StopRequest:
    def __init__(self):
        self.signum = None
        self._previous = {}

    def _handle(self, signum, frame):
        self.signum = signum
        stop_seen["any"] = True
        for sig, handler in self._previous.items():  # a second Ctrl-C stops at once
            signal.signal(sig, at_once(sig, handler))

    def __enter__(self):
        for sig in STOP_SIGNALS:
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        return False

    @property
    def requested(self):
        return self.signum is not None
