"""One exception type for bad user input, so entry points can print one clear line and exit non-zero."""
import argparse
import contextlib
import json
import math
import os
import signal
import sys
import textwrap
import threading


class DeepMimicError(Exception):
    """A user-facing error: names the offending file (if any) and what is wrong with it."""

    def __init__(self, problem, path=None):
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}" if path else problem)


def brief(exc, width=160):
    """The first line of an exception's text, shortened at a word boundary (never cut mid-word)."""
    lines = str(exc).strip().splitlines() or [type(exc).__name__]
    return textwrap.shorten(lines[0], width=width, placeholder=" ...")


def shown_number(x):
    """A bound or value as a user would type it: whole numbers in full (2147483647 and 1000000, not
    2.14748e+09 and 1e+06), others in their shortest form."""
    return str(int(x)) if math.isfinite(x) and float(x).is_integer() else f"{x:g}"


def range_text(low, high=math.inf):
    """How every range check words its bounds: '>= 1', or 'from 1 to 256'."""
    return f">= {shown_number(low)}" if high == math.inf else f"from {shown_number(low)} to {shown_number(high)}"


def check_ranges(parser, args, ranges):
    """Check parsed options against ``{option: (low, high)}`` before any work starts: the first value out of
    its range (nan included; None means not given) is ``parser.error`` -- one line naming the option, exit 2."""
    for key, (low, high) in ranges.items():
        value = getattr(args, key)
        if value is not None and not low <= value <= high:
            parser.error(f"--{key} must be {range_text(low, high)}, got {shown_number(value)}")


def load_json_file(path, what):
    """Read a JSON file, turning a missing file or bad JSON into a DeepMimicError naming it."""
    if not os.path.isfile(path):
        raise DeepMimicError(f"{what} file not found", path)
    try:
        with open(path) as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise DeepMimicError(f"malformed {what} file: invalid JSON at line {e.lineno}, column {e.colno}: {e.msg}", path)
    except (OSError, UnicodeDecodeError) as e:
        raise DeepMimicError(f"cannot read {what} file: {e}", path)


class Terminated(KeyboardInterrupt):
    """SIGTERM as an exception, in commands with no stop handling of their own (the tools, start-up): it unwinds
    as a Ctrl-C does, so a file being written is removed as a temp, not left beside its target."""


def _raise_terminated(signum, frame):
    raise Terminated


@contextlib.contextmanager
def sigterm_as_interrupt():
    """Within: SIGTERM raises ``Terminated``, unless the process was started ignoring it or has its own handler
    (a command's ``StopRequest`` installs its own inside, and puts this one back)."""
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGTERM) if main_thread else None
    if previous == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        if previous == signal.SIG_DFL:
            signal.signal(signal.SIGTERM, previous)


def interrupt_exit(e):
    """(exit code, line) for a stop that ended a command as an exception: 143 for SIGTERM, 130 for Ctrl-C."""
    return (143, interrupted_line("SIGTERM")) if isinstance(e, Terminated) else (130, interrupted_line())


def run_cli(main):
    """Run ``main()``; a DeepMimicError becomes one line on stderr and exit code 2 (no traceback), and a Ctrl-C
    or SIGTERM that reaches it (during start-up, or in a command with no stop handling of its own) one line
    and 130 or 143."""
    try:
        with sigterm_as_interrupt():
            return main()
    except DeepMimicError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    except OSError as e:
        if not disk_full(e):
            raise
        print(f"error: {disk_full(e)}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt as e:
        code, line = interrupt_exit(e)
        print(line, file=sys.stderr)
        sys.exit(code)


def disk_full(e):
    """For an OSError that says the disk (or the user's quota) is full, the line that says so, naming the file
    being written; else "". Whatever was being written is left as it was (writes are atomic)."""
    import errno
    if getattr(e, "errno", None) not in (errno.ENOSPC, errno.EDQUOT):
        return ""
    return f"{e.filename or 'output'}: {e.strerror}: free some space; files being written were left as they were"


def interrupted_line(what="Ctrl-C"):
    """What a stop that ends a command as an exception says: during start-up or mid-work (what it kept), or a
    second Ctrl-C after a stop."""
    from deepmimic.util.file_io import files_written
    from deepmimic.util.stop_signal import stop_seen
    if stop_seen["any"]:
        return (f"stopped at once by a second {what}; a file being saved was left as it was before "
                "(every save is written whole, then put in place)")
    n = files_written["count"]
    if n == 0:
        return f"stopped by {what} before any output was written"
    return (f"stopped by {what} after {n} file{'s' if n > 1 else ''} written (kept); a file being written was dropped, "
            "the one it would replace left as it was")


def check_utf8(token, after="", source=None):
    """A command-line value with bytes that are not UTF-8 (a file name in another encoding; argv holds them as
    lone surrogates) is refused at once: every later print or save of it would fail mid-work."""
    try:
        token.encode("utf-8")
    except UnicodeEncodeError:
        shown = token.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        raise DeepMimicError(f"'{shown}'{after} holds bytes that are not UTF-8; rename the file or folder to a UTF-8 name",
                             source) from None


class ToolArgumentParser(argparse.ArgumentParser):
    """argparse for the tools (bvh2motion, convert-tf, plot): a bad option is one line and exit 2, like
    every other bad input, and options are never abbreviated (``--sta`` is not ``--start``)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def parse_known_args(self, args=None, namespace=None):
        for token in sys.argv[1:] if args is None else args:
            check_utf8(token, "", self.prog)
        return super().parse_known_args(args, namespace)

    def error(self, message):
        raise DeepMimicError(f"{self.prog}: {message}")
