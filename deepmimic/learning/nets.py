"""Actor and critic MLPs (DeepMimic's ``fc_2layers_1024units``), each carrying its normalizers.

The actor outputs the mean action in normalised action space (then unnormalised), with its last
layer initialised uniformly in +-ActorInitOutputScale; the critic outputs a normalised value.
"""
import torch
from torch import nn

# Weight decay drives the weights of the actor's dead units into the subnormal range (a trained actor holds
# ~25k of them); on Intel CPUs every product with one takes a microcode assist, and a 128-row forward of the
# recipe's actor took 55 ms instead of 2 ms. Flushing them to zero (FTZ/DAZ, on this thread and the threads it
# starts) changes no value above 1.2e-38; every process that builds or runs a net imports this module.
torch.set_flush_denormal(True)

NET_LAYERS = {
    "fc_2layers_1024units": (1024, 512),
    "fc_2layers_512units": (512, 256),
    "fc_2layers_256units": (256, 128),
}


def build_body(name, in_size):
    if name not in NET_LAYERS:
        raise ValueError(f"unknown net {name!r} (known: {', '.join(NET_LAYERS)})")
    layers, size = [], in_size
    for units in NET_LAYERS[name]:
        lin = nn.Linear(size, units)
        nn.init.xavier_uniform_(lin.weight)  # TF's glorot/xavier initialiser, as DeepMimic
        nn.init.zeros_(lin.bias)
        layers += [lin, nn.ReLU()]
        size = units
    return nn.Sequential(*layers), size


class Actor(nn.Module):
    def __init__(self, net_name, s_norm, a_norm, init_output_scale=0.01):
        super().__init__()
        self.net_name = net_name
        self.s_norm, self.a_norm = s_norm, a_norm
        self.body, hidden = build_body(net_name, s_norm.size)
        self.out = nn.Linear(hidden, a_norm.size)
        nn.init.uniform_(self.out.weight, -init_output_scale, init_output_scale)
        nn.init.zeros_(self.out.bias)

    def forward_norm(self, s):
        """Mean action in normalised action space."""
        return self.out(self.body(self.s_norm.normalize(s)))

    def forward(self, s):
        return self.a_norm.unnormalize(self.forward_norm(s))


class Critic(nn.Module):
    def __init__(self, net_name, s_norm, val_norm):
        super().__init__()
        self.net_name = net_name
        self.s_norm, self.val_norm = s_norm, val_norm
        self.body, hidden = build_body(net_name, s_norm.size)
        self.out = nn.Linear(hidden, 1)
        nn.init.xavier_uniform_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward_norm(self, s):
        return self.out(self.body(self.s_norm.normalize(s))).squeeze(-1)

    def forward(self, s):
        return self.val_norm.unnormalize(self.forward_norm(s))


def decayed_weights(module):
    """The parameters weight decay applies to: the layers' weights (biases and normalizers excluded)."""
    return [p for n, p in module.named_parameters() if n.endswith("weight")]


def weight_decay_loss(module):
    """0.5 * sum of squared weights, like tf.nn.l2_loss (its gradient w.r.t. each weight is the weight)."""
    return sum(0.5 * torch.sum(p * p) for p in decayed_weights(module))
