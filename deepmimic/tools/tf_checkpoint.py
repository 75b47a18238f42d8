"""Convert DeepMimic TF1 checkpoints (e.g. the pretrained policies in the pybullet wheel) to our
.pth format without TensorFlow:

    deepmimic-convert-tf PATH/humanoid3d_backflip.ckpt data/policies/humanoid3d/humanoid3d_backflip

A TF checkpoint is a tensor bundle: ``.index`` is a LevelDB-style table whose keys are tensor
names and whose values are small protobuf ``BundleEntryProto`` records (dtype, shape, offset,
size); ``.data-00000-of-00001`` holds the raw little-endian tensor bytes.
"""
import os
import struct
import sys

import numpy as np

from deepmimic.util.errors import DeepMimicError, ToolArgumentParser, run_cli
from deepmimic.util.file_io import check_new_file

_TABLE_MAGIC = 0xDB4775248B80FB57
_DTYPES = {1: np.float32, 2: np.float64, 3: np.int32, 9: np.int64}


def _varint(buf, pos):
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ValueError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _block_entries(data, offset, size):
    """Yield (key, value) of one table block (prefix-compressed keys, restart array at the end)."""
    block = data[offset:offset + size]
    if data[offset + size] != 0:
        raise ValueError("compressed table blocks are not supported")
    num_restarts = struct.unpack_from("<I", block, len(block) - 4)[0]
    end = len(block) - 4 - 4 * num_restarts
    pos, key = 0, b""
    while pos < end:
        shared, pos = _varint(block, pos)
        non_shared, pos = _varint(block, pos)
        vlen, pos = _varint(block, pos)
        key = key[:shared] + bytes(block[pos:pos + non_shared])
        pos += non_shared
        yield key, bytes(block[pos:pos + vlen])
        pos += vlen


def _parse_entry(value):
    """BundleEntryProto: dtype(1), shape(2: repeated dim(2){size(1)}), shard(3), offset(4), size(5)."""
    entry = {"dtype": 0, "shape": [], "shard": 0, "offset": 0, "size": 0}
    pos = 0
    while pos < len(value):
        tag, pos = _varint(value, pos)
        field, wire = tag >> 3, tag & 7
        if wire == 0:
            v, pos = _varint(value, pos)
            key = {1: "dtype", 3: "shard", 4: "offset", 5: "size"}.get(field)
            if key:
                entry[key] = v
        elif wire == 2:
            n, pos = _varint(value, pos)
            sub = value[pos:pos + n]
            pos += n
            if field == 2:
                entry["shape"] = _parse_shape(sub)
        elif wire == 5:
            pos += 4
        elif wire == 1:
            pos += 8
        else:
            raise ValueError(f"unexpected protobuf wire type {wire}")
    return entry


def _parse_shape(buf):
    dims, pos = [], 0
    while pos < len(buf):
        tag, pos = _varint(buf, pos)
        n, pos = _varint(buf, pos)
        dim = buf[pos:pos + n]
        pos += n
        if tag >> 3 == 2:
            size, p = 0, 0
            while p < len(dim):
                t, p = _varint(dim, p)
                if t >> 3 == 1 and t & 7 == 0:
                    size, p = _varint(dim, p)
                elif t & 7 == 2:
                    m, p = _varint(dim, p)
                    p += m
                else:
                    _, p = _varint(dim, p)
            dims.append(size)
    return dims


def read_tf_checkpoint(prefix):
    """{tensor name: numpy array} from a TF1 checkpoint ``prefix`` (without .index/.data suffix)."""
    index_path = prefix + ".index"
    data_path = prefix + ".data-00000-of-00001"
    for path in (index_path, data_path):
        if not os.path.isfile(path):
            raise DeepMimicError("TF checkpoint file not found", path)
    with open(index_path, "rb") as f:
        index = f.read()
    try:
        if len(index) < 48 or struct.unpack_from("<Q", index, len(index) - 8)[0] != _TABLE_MAGIC:
            raise ValueError("bad table magic number")
        footer = index[len(index) - 48:]
        _, p = _varint(footer, 0)
        _, p = _varint(footer, p)
        idx_off, p = _varint(footer, p)
        idx_size, p = _varint(footer, p)
        entries = {}
        for _, handle in _block_entries(index, idx_off, idx_size):
            off, q = _varint(handle, 0)
            size, _ = _varint(handle, q)
            for key, value in _block_entries(index, off, size):
                if key:  # the empty key holds the bundle header
                    entries[key.decode()] = _parse_entry(value)
    except (ValueError, IndexError, struct.error, UnicodeDecodeError) as e:
        raise DeepMimicError(f"not a readable TF checkpoint index: {e}", index_path)
    tensors = {}
    with open(data_path, "rb") as f:
        data = f.read()
    for name, e in entries.items():
        dtype = _DTYPES.get(e["dtype"])
        if dtype is None or e["shard"] != 0:
            continue
        raw = data[e["offset"]:e["offset"] + e["size"]]
        count = int(np.prod(e["shape"])) if e["shape"] else 1
        if len(raw) != count * np.dtype(dtype).itemsize:
            raise DeepMimicError(f"tensor {name} has {len(raw)} bytes, expected {count * np.dtype(dtype).itemsize}", data_path)
        tensors[name] = np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<")).reshape(e["shape"]).copy()
    return tensors


def _dense_layers(tensors, scope):
    """Kernels/biases of ``scope``'s hidden layers 0, 1, ... followed by its output layer."""
    layers, i = [], 0
    while f"{scope}/{i}/dense/kernel" in tensors:
        layers.append((tensors[f"{scope}/{i}/dense/kernel"], tensors[f"{scope}/{i}/dense/bias"]))
        i += 1
    if f"{scope}/dense/kernel" not in tensors:
        raise KeyError(f"{scope}/dense/kernel")
    layers.append((tensors[f"{scope}/dense/kernel"], tensors[f"{scope}/dense/bias"]))
    return layers


DEFAULT_AGENT_FILE = "data/agents/ct_agent_humanoid_ppo.txt"  # the agent file the shipped checkpoints used


def convert(prefix, out_prefix, agent_file=None):
    """Write ``out_prefix``_anet.pth / _cnet.pth from a DeepMimic TF checkpoint; returns both paths.

    The exploration noise and discount recorded with the models come from the agent file the
    checkpoint was trained with (TF checkpoints do not store them)."""
    import torch

    from deepmimic.learning.model_io import save_actor_critic
    from deepmimic.learning.nets import NET_LAYERS, Actor, Critic
    from deepmimic.learning.normalizer import Normalizer

    t = read_tf_checkpoint(prefix)
    try:
        actor_layers = _dense_layers(t, "agent/main/actor")
        critic_layers = _dense_layers(t, "agent/main/critic")
        norms = {n: (t[f"agent/resource/{n}/mean"], t[f"agent/resource/{n}/std"]) for n in ("s_norm", "a_norm", "val_norm")}
    except KeyError as e:
        raise DeepMimicError(f"not a DeepMimic agent checkpoint: missing tensor {e.args[0]}", prefix + ".index")
    hidden = tuple(k.shape[1] for k, _ in actor_layers[:-1])
    net = next((name for name, units in NET_LAYERS.items() if units == hidden), None)
    if net is None:
        raise DeepMimicError(f"hidden layer sizes {hidden} match no known net", prefix + ".index")
    s_size, a_size = actor_layers[0][0].shape[0], actor_layers[-1][0].shape[1]

    def normalizer(name):
        mean, std = norms[name]
        return Normalizer(len(mean), mean=mean.astype(np.float64), std=std.astype(np.float64))

    actor = Actor(net, normalizer("s_norm"), normalizer("a_norm"))
    critic = Critic(net, normalizer("s_norm"), normalizer("val_norm"))
    for module, layers in ((actor, actor_layers), (critic, critic_layers)):
        linears = [m for m in module.body if isinstance(m, torch.nn.Linear)] + [module.out]
        with torch.no_grad():
            for lin, (kernel, bias) in zip(linears, layers):
                lin.weight.copy_(torch.from_numpy(kernel.T.copy()))
                lin.bias.copy_(torch.from_numpy(bias))
    count = int(t.get("agent/resource/s_norm/count", np.zeros(1))[0])
    from deepmimic.learning.agent_config import load_agent_file
    from deepmimic.util.arg_parser import resolve_path
    cfg = load_agent_file(resolve_path(agent_file or DEFAULT_AGENT_FILE))
    return save_actor_critic(out_prefix, actor, critic, s_size, a_size, exp_noise=cfg.exp_beg.noise, discount=cfg.discount,
                             source=os.path.basename(prefix), normalizer_count=count)


def main(argv=None):
    p = ToolArgumentParser(prog="deepmimic-convert-tf", description="Convert a DeepMimic TF checkpoint to deepmimic .pth files")
    p.add_argument("checkpoint", help="checkpoint prefix, e.g. .../humanoid3d_backflip.ckpt")
    p.add_argument("out_prefix", help="writes OUT_PREFIX_anet.pth and OUT_PREFIX_cnet.pth")
    p.add_argument("--agent_file", default=DEFAULT_AGENT_FILE,
                   help="agent file the checkpoint was trained with (its Noise and Discount are recorded)")
    p.add_argument("--overwrite", action="store_true", help="replace existing OUT_PREFIX_anet.pth / _cnet.pth")
    a = p.parse_args(argv)
    for part in ("anet", "cnet"):
        check_new_file(f"{a.out_prefix}_{part}.pth", "out_prefix", a.overwrite, how="--overwrite")
    for path in convert(a.checkpoint, a.out_prefix, a.agent_file):
        print(path)
    return 0


def cli():
    return run_cli(main)


if __name__ == "__main__":
    sys.exit(cli())
