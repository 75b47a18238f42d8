"""DeepMimic-style arguments: ``--key v1 v2 ...`` on the command line or in an arg file.

Command-line values override the arg file, as in DeepMimic. Relative paths are found by ``util/paths.py``
(the working directory first, then the project; arg files also under ``args/``).
"""
import os
import shlex

from deepmimic.util.arg_keys import ALIASES, FALSE_WORDS, KEYS, TRUE_WORDS, check_key
from deepmimic.util.errors import DeepMimicError, check_utf8
from deepmimic.util.paths import path_candidates, resolve_path  # noqa: F401 (resolve_path: for callers)


def resolve_arg_file(path):
    """An arg file by ``resolve_path``'s rule and in the project's ``args/``; missing: says where it looked."""
    found = resolve_path(path, arg_file=True)
    if not os.path.isfile(found):
        raise DeepMimicError("arg file not found (looked in: " + ", ".join(path_candidates(path, arg_file=True)) + ")", path)
    return found


class ArgParser:
    def __init__(self):
        self._table = {}
        self._source = {}

    @classmethod
    def from_argv(cls, argv, strict=True):
        """Parse argv; if it names ``--arg_file``, load that file underneath the argv values.

        With ``strict``, unknown keys and values out of range are errors naming their file
        (see ``arg_keys``). ``-h`` / ``--help`` only sets the ``help`` key.
        """
        parser = cls()
        argv = list(argv)
        if "-h" in argv or "--help" in argv:
            parser.set("help", [])
            return parser
        parser._load_tokens(argv, "command line", override=True)
        arg_file = parser.parse_string("arg_file", "")
        if arg_file:
            parser.load_file(resolve_arg_file(arg_file), override=False)
        if strict:
            for key, values in parser._table.items():
                check_key(key, values, parser._source.get(key))
        return parser

    def load_file(self, path, override=True):
        if not os.path.isfile(path):
            raise DeepMimicError("arg file not found", path)
        tokens = []
        try:
            with open(path, encoding="utf-8-sig") as f:  # -sig: a BOM some editors write is not part of the text
                text = f.read()
        except UnicodeDecodeError:
            raise DeepMimicError("not a text arg file (it is not UTF-8)", path)
        except OSError as e:
            raise DeepMimicError(f"cannot read arg file: {e.strerror}", path)
        if "\0" in text:
            raise DeepMimicError("not a text arg file (it holds NUL bytes)", path)
        for number, line in enumerate(text.splitlines(), 1):
            line = line.split("#", 1)[0].strip()
            if line:
                try:
                    tokens += shlex.split(line)
                except ValueError as e:  # e.g. an unclosed quote
                    raise DeepMimicError(f"line {number}: {e}", path)
        # A value written ./x (or .) in an arg file is relative to the file's own folder: a run folder's
        # run_args.txt names its run_agent.txt and itself that way, so the folder travels.
        here = os.path.dirname(os.path.abspath(path))
        tokens = [here if t == "." else os.path.join(here, t[2:]) if t.startswith("./") else t for t in tokens]
        self._load_tokens(tokens, path, override)

    def _load_tokens(self, tokens, source, override):
        key, seen = None, set()
        for tok in tokens:
            check_utf8(tok, f" (after --{key})" if key else "", source)
            if tok.startswith("--") and len(tok) > 2 and not _is_number(tok):
                key = ALIASES.get(tok[2:], tok[2:])
                if key in seen:  # which one was meant? (the other would be silently ignored)
                    raise DeepMimicError(f"--{key} is given twice", source)
                seen.add(key)
                if override or key not in self._table:
                    self._table[key] = []
                    self._source[key] = source
                else:
                    key = "\0skip"
                    self._table.setdefault(key, [])
            elif key is None:
                raise DeepMimicError(f"value '{tok}' does not follow a --key", source)
            else:
                self._table[key].append(tok)
        self._table.pop("\0skip", None)

    def source_of(self, key):
        """Where ``key`` was set: 'command line', an arg file's path, or None."""
        return self._source.get(key)

    def has_key(self, key):
        return key in self._table

    def set(self, key, values, source="code"):
        """Set ``key`` from code; ``source`` is what an error about its value names (a policy file)."""
        self._table[key] = [str(v) for v in (values if isinstance(values, (list, tuple)) else [values])]
        self._source[key] = source

    def _convert(self, key, conv, kind):
        try:
            return [conv(v) for v in self._table.get(key, [])]
        except ValueError:
            raise DeepMimicError(f"--{key} expects {kind} values, got {' '.join(self._table[key])}",
                                 self._source.get(key))

    def get(self, key):
        """``key``'s value, typed by its kind in ``arg_keys.KEYS``, or the table's default when not given."""
        spec = KEYS[key]
        if key not in self._table:
            return list(spec.default) if isinstance(spec.default, tuple) else spec.default
        kind = spec.kind
        if kind == "strs":
            return self.parse_strings(key)
        if kind == "ints":
            return self.parse_ints(key)
        read = {"str": self.parse_string, "int": self.parse_int, "float": self.parse_float,
                "count": self.parse_float, "bool": self.parse_bool}[kind]
        return read(key)

    def parse_strings(self, key, default=None):
        return list(self._table[key]) if key in self._table else list(default or [])

    def parse_string(self, key, default=""):
        vals = self.parse_strings(key)
        return vals[0] if vals else default

    def parse_ints(self, key, default=None):
        return self._convert(key, int, "integer") if key in self._table else list(default or [])

    def parse_int(self, key, default=0):
        vals = self.parse_ints(key)
        return vals[0] if vals else default

    def parse_floats(self, key, default=None):
        return self._convert(key, float, "number") if key in self._table else list(default or [])

    def parse_float(self, key, default=0.0):
        vals = self.parse_floats(key)
        return vals[0] if vals else default

    def parse_bools(self, key, default=None):
        def conv(v):
            if v.lower() in TRUE_WORDS:
                return True
            if v.lower() in FALSE_WORDS:
                return False
            raise ValueError(v)
        return self._convert(key, conv, "true/false") if key in self._table else list(default or [])

    def parse_bool(self, key, default=False):
        vals = self.parse_bools(key)
        return vals[0] if vals else default


def _is_number(tok):
    try:
        float(tok)
        return True
    except ValueError:
        return False
