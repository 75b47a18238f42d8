"""Reading a saved ``_anet.pth`` / ``_cnet.pth``: the one place a policy file's contents are checked.

A policy file travels (it is shipped, mailed, edited by scripts), so everything in it is input: its kind, its
format number, its sizes, its saved settings (``env_args``, each value checked as if typed on the command
line, the file named as its source) and its weights (finite). Both the learner (``learning.model_io``) and
the env side (the gymnasium env) read through here, so neither can play a file the other would refuse."""
import os

from deepmimic.util.arg_keys import KEYS, check_key
from deepmimic.util.errors import DeepMimicError, brief

#: 2: the files also carry ``env_args`` (the env settings of training) and ``agent`` (its agent file);
#: version 1 files (the shipped converted policies) load as before and need their settings given.
FORMAT_VERSION = 2


def read_policy_file(path, kind):
    """The checked contents (a dict) of a model file of ``kind`` ('actor' or 'critic')."""
    import torch
    if not os.path.isfile(path):
        raise DeepMimicError(f"{kind} model file not found", path)
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types for corrupt or foreign files
        raise DeepMimicError(f"not a readable deepmimic {kind} model ({type(e).__name__}: {_torch_text(e)})", path)
    if not isinstance(data, dict) or "state_dict" not in data or data.get("kind") not in ("actor", "critic"):
        raise DeepMimicError(f"not a deepmimic {kind} model (expected a .pth written by this package)", path)
    if data["kind"] != kind:
        raise DeepMimicError(f"this is the {data['kind']} of a model, not its {kind} (the actor is the _anet.pth, "
                             "the critic the _cnet.pth)", path)
    version = data.get("format_version", 0)
    if not _whole(version, 0):
        raise DeepMimicError(f"malformed model file: format_version is {version!r}, not a whole number", path)
    if version > FORMAT_VERSION:
        raise DeepMimicError(f"model format {version} is newer than this package supports", path)
    for key in ("state_size", "action_size"):
        if key in data and not _whole(data[key], 1):
            raise DeepMimicError(f"malformed model file: {key} is {data[key]!r}, not a positive whole number", path)
    check_saved_settings(data.get("env_args", {}), path)
    if "agent" in data and not isinstance(data["agent"], dict):
        raise DeepMimicError("malformed model file: its agent settings are not a JSON object", path)
    _check_weights(data["state_dict"], path)
    return data


def check_saved_settings(saved, path):
    """A file's ``env_args``: a mapping of known keys to lists of strings, each value allowed for its key."""
    if not isinstance(saved, dict) or not all(isinstance(k, str) for k in saved):
        raise DeepMimicError("malformed model file: its saved settings (env_args) are not a key -> values mapping", path)
    for key, values in saved.items():
        if not isinstance(values, (list, tuple)) or not all(isinstance(v, str) for v in values):
            raise DeepMimicError(f"malformed model file: saved setting --{key} is {values!r}, not a list of strings", path)
        if key in KEYS:
            check_key(key, list(values), f"{path} (saved setting)")


def _check_weights(state_dict, path):
    import torch
    if not isinstance(state_dict, dict):
        raise DeepMimicError("malformed model file: its weights are not a state dict", path)
    for name, value in state_dict.items():
        if torch.is_tensor(value) and value.is_floating_point() and not bool(torch.isfinite(value).all()):
            raise DeepMimicError(f"the weights hold NaN or infinite values ({name}): a diverged training's model", path)


def _whole(x, low):
    return isinstance(x, int) and not isinstance(x, bool) and x >= low


def _torch_text(e):
    """torch's reason in one line, without its advice to load with ``weights_only=False`` (that would run
    code from the file: a model of this package never needs it)."""
    if "Weights only load failed" in str(e):
        return "it holds Python objects beyond tensors and plain values, which are not loaded"
    return brief(e)
