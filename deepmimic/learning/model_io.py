"""Saving and loading ``agent0_model_anet.pth`` / ``agent0_model_cnet.pth``.

Each file is self-contained (weights, normalizers, net name, sizes, training progress) and is
written atomically, so a crash mid-save leaves the previous model intact.
"""
import io

import torch

from deepmimic.util.errors import DeepMimicError, brief
from deepmimic.util.file_io import atomic_write_all
from deepmimic.util.policy_file import FORMAT_VERSION
from deepmimic.util.policy_file import read_policy_file as load_checkpoint  # a model file's checked contents


def model_paths(path):
    """Actor and critic paths for ``--model_files`` given as either file or their common prefix."""
    if path.endswith("_anet.pth"):
        return path, path[:-len("_anet.pth")] + "_cnet.pth"
    if path.endswith("_cnet.pth"):
        return path[:-len("_cnet.pth")] + "_anet.pth", path
    base = path[:-4] if path.endswith(".pth") else path
    return base + "_anet.pth", base + "_cnet.pth"


def _torch_writer(payload):
    def write(f):
        buf = io.BytesIO()
        torch.save(payload, buf)
        f.write(buf.getvalue())
    return write


def save_checkpoints(items):
    """Write each ``(path, payload)``, all or none (``atomic_write_all``): a full disk or a stop between the
    two files never leaves a new actor beside an old critic. A write that fails is one error naming the file."""
    try:
        atomic_write_all([(path, _torch_writer(payload)) for path, payload in items])
    except OSError as e:
        err = DeepMimicError(f"cannot save the model: {e.strerror or e}; the files there are as they were", items[0][0])
        err.errno = e.errno  # ENOENT: the folder went away mid-write (the trainer's "output folder deleted")
        raise err from None


def save_actor_critic(prefix_or_anet, actor, critic, state_size, action_size, exp_noise, discount, optimizers=None,
                      **info):
    """Write the ``_anet.pth`` / ``_cnet.pth`` pair, both or neither; ``info`` (samples, iter, ...) goes into
    both. The cnet, the half only training reads, also carries ``optimizers`` when given (their state, so a
    resume continues Adam's moments instead of restarting them)."""
    anet, cnet = model_paths(prefix_or_anet)
    common = dict({"format_version": FORMAT_VERSION, "state_size": int(state_size), "action_size": int(action_size),
                   "samples": 0, "iter": 0}, **info)
    save_checkpoints([(anet, dict(common, kind="actor", net=actor.net_name, exp_noise=exp_noise,
                                  state_dict=actor.state_dict())),
                      (cnet, dict(common, kind="critic", net=critic.net_name, discount=discount,
                                  state_dict=critic.state_dict(), **({"optimizers": optimizers} if optimizers else {})))])
    return anet, cnet


def check_sizes(data, path, state_size, action_size):
    if data.get("state_size") != state_size or (action_size is not None and data.get("action_size") != action_size):
        raise DeepMimicError(
            f"model sizes do not fit the env: model has state size {data.get('state_size')}"
            + (f" and action size {data.get('action_size')}" if action_size is not None else "")
            + f", env has state size {state_size}" + (f" and action size {action_size}" if action_size is not None else ""),
            path)


def load_net_state(net, data, path):
    """A checkpoint's weights into ``net``; weights of another shape are one error naming the file."""
    try:
        net.load_state_dict(data["state_dict"])
    except RuntimeError as e:  # torch's first line only names the class; the next one names the weight
        lines = [line.strip() for line in str(e).splitlines() if line.strip()]
        raise DeepMimicError(f"weights do not fit the network: {brief(lines[1] if len(lines) > 1 else e)}", path)


def actor_from_checkpoint(data, path):
    """The actor of an anet file's checked contents ``data`` (weights and normalizers), sized by the file: a
    policy to run outside an agent (``deepmimic.policy.Policy``)."""
    from deepmimic.learning.nets import Actor
    from deepmimic.learning.normalizer import Normalizer
    actor = Actor(data.get("net", "fc_2layers_1024units"), Normalizer(int(data["state_size"])),
                  Normalizer(int(data["action_size"])))
    load_net_state(actor, data, path)
    return actor
