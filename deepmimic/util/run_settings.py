"""What a run folder and a policy file say about themselves.

A run folder gets ``run_args.txt`` (every key the run was given, one per line, as an arg file: ``--arg_file
<output_path>/run_args.txt`` trains the same run again) and ``run_agent.txt`` (the agent file it used). A
policy file carries the env settings it was trained with (``env_args``) and its agent file, so
``testrl.py --model_files X.pth`` plays it with no arg file, and an arg file that contradicts a setting
that shapes the state is one clear error instead of a size mismatch.
"""
import json
import os

from deepmimic.util.arg_keys import KEYS, TRUE_WORDS
from deepmimic.util.arg_parser import resolve_path
from deepmimic.util.errors import DeepMimicError
from deepmimic.util.file_io import atomic_write

#: Settings that decide what the policy observes or what its actions mean: playing with other values cannot work.
STATE_KEYS = ("ref_root_state", "ref_pose_state", "residual_actions", "character_files")
#: Keys that describe one invocation, not the run: never written into run_args.txt.
NOT_RUN_KEYS = ("arg_file", "help", "model_files", "overwrite")


def env_args(args):
    """The env settings ``args`` sets (key -> values as given), for the policy file."""
    return {key: args.parse_strings(key) for key, spec in KEYS.items() if spec.group == "env" and args.has_key(key)}


def _same(key, a, b):
    if KEYS[key].kind == "bool":
        return [v.lower() in TRUE_WORDS for v in a] == [v.lower() in TRUE_WORDS for v in b]
    if key == "character_files":
        return [os.path.realpath(resolve_path(v)) for v in a] == [os.path.realpath(resolve_path(v)) for v in b]
    return a == b


def apply_policy_settings(args, saved, model_path):
    """Fill the env settings ``args`` does not give from the policy file's ``saved`` ones; a given
    setting that shapes the state and differs from the saved one is an error naming both values.
    Files written before format 2 (the converted upstream policies) carry none: nothing to check."""
    if not saved:
        return
    for key, values in saved.items():
        if key not in KEYS:
            continue
        if not args.has_key(key):
            args.set(key, values, source=f"{model_path} (saved setting)")
        elif key in STATE_KEYS and not _same(key, args.parse_strings(key), values):
            raise DeepMimicError(f"--{key} {' '.join(args.parse_strings(key))} (from {args.source_of(key)}) contradicts "
                                 f"the model, trained with --{key} {' '.join(values)}", model_path)
    # A bool the model was trained without is false for it; a state key given true would not fit either.
    for key in STATE_KEYS:
        if key not in saved and KEYS[key].kind == "bool" and args.parse_bool(key, False):
            raise DeepMimicError(f"--{key} true (from {args.source_of(key)}) contradicts the model, trained without it",
                                 model_path)


def write_run_folder(output_path, args, agent_data, used=None, inputs=()):
    """``run_args.txt`` and ``run_agent.txt`` (``agent_data``, the agent file's JSON) in ``output_path``
    (rank 0, at the start of training); ``used`` holds values resolved from several keys (key -> value).
    A file that is one of the command's ``inputs`` (``--arg_file X/run_args.txt`` resuming X) is never
    replaced: kept when the run's text is the same, an error before training when it differs (a user's edit)."""
    used = used or {}
    agent_copy = os.path.join(output_path, "run_agent.txt")
    agent_text = json.dumps(agent_data, indent=1)
    lines = ["# The settings this run was trained with, every key as used (command line over arg file); paths",
             "# inside this folder are written ./ (relative to it), so the folder can be moved or copied.",
             "# Train it again: python deepmimic/DeepMimic_Optimizer.py --arg_file <this folder>/run_args.txt"
             " --output_path <a new folder>"]
    for key in KEYS:
        if key == "agent_files":  # always the copy: the run keeps its agent even if the original changes
            values = [agent_copy]
        elif key in used:
            values = [str(used[key])]
        elif key not in NOT_RUN_KEYS and args.has_key(key):
            values = args.parse_strings(key)
        else:
            continue
        lines.append(" ".join([f"--{key}"] + [_quote(_in_folder(v, output_path)) for v in values]))
    texts = {agent_copy: agent_text, os.path.join(output_path, "run_args.txt"): "\n".join(lines) + "\n"}
    kept = [path for path in texts if os.path.isfile(path) and any(os.path.isfile(f) and os.path.samefile(f, path)
                                                                  for f in inputs)]
    for path in kept:  # both checked before either is written
        with open(path) as f:
            if f.read() != texts[path]:
                raise DeepMimicError("is an input of this command and this run's settings differ from it; the run "
                                     "would replace it: train into another --output_path", path)
    for path, text in texts.items():
        if path not in kept:
            atomic_write(path, lambda f, text=text: f.write(text), mode="w")


def _in_folder(value, folder):
    """``value`` as ``./<path>`` when it names something in ``folder`` (``.`` for the folder itself), else as it is."""
    full, root = os.path.abspath(value), os.path.abspath(folder)
    if full == root:
        return "."
    return "./" + os.path.relpath(full, root) if full.startswith(root + os.sep) else value


def _quote(value):
    return json.dumps(value) if (not value or any(c in value for c in " \t#'\"")) else value


def saved_env_args(policy_file):
    """The env settings a policy file (format 2) was trained with; {} for older files."""
    from deepmimic.util.policy_file import read_policy_file
    return read_policy_file(policy_file, "actor").get("env_args", {})
