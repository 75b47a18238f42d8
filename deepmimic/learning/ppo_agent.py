"""PPO actor-critic as in DeepMimic: fixed Gaussian exploration noise in normalised action space,
TD(lambda) value targets, normalised and clipped advantages, ratio clipping, an action-bound
penalty, weight decay and SGD with momentum, with gradients averaged over MPI ranks.

All hyperparameters come from the agent file (e.g. ``data/agents/ct_agent_humanoid_ppo.txt``).
"""
import copy
import math
import os

import numpy as np
import torch

from deepmimic.env.base_env import Terminate
from deepmimic.learning.minibatches import CyclicMinibatches
from deepmimic.learning.model_io import check_sizes, load_checkpoint, load_net_state, model_paths, save_actor_critic
from deepmimic.learning.nets import Actor, Critic, decayed_weights, weight_decay_loss
from deepmimic.learning.normalizer import Normalizer
from deepmimic.learning.returns import td_lambda_returns
from deepmimic.util import mpi_util
from deepmimic.util.math_util import lerp
from deepmimic.util.errors import DeepMimicError, brief

class NonFiniteError(RuntimeError):
    """A loss, gradient or parameter became NaN/inf during an update."""


class PPOAgent:
    def __init__(self, cfg, spec, seed=0):
        """``spec``: the env's ``EnvSpec`` (sizes, normalisation hints, action bounds, reward range)."""
        self.cfg = cfg
        self.state_size, self.action_size = spec.state_size, spec.action_size
        self.discount, self.td_lambda = cfg.discount, cfg.td_lambda
        self.rng = np.random.default_rng(seed)
        torch.manual_seed(seed)
        r_min, r_max = spec.reward_min, spec.reward_max
        self.val_min, self.val_max = r_min / (1 - self.discount), r_max / (1 - self.discount)
        self.val_fail, self.val_succ = self.val_min, self.val_max  # reward on fail/succ = min/max

        s_norm = Normalizer(self.state_size, spec.state_norm_groups, mean=-spec.state_offset, std=1.0 / spec.state_scale)
        a_norm = Normalizer(self.action_size, mean=-spec.action_offset, std=1.0 / spec.action_scale)
        val_norm = Normalizer(1, mean=[0.5 * (self.val_max + self.val_min)], std=[0.5 * (self.val_max - self.val_min)])
        self.actor = Actor(cfg.actor_net, s_norm, a_norm, cfg.actor_init_output_scale)
        self.critic = Critic(cfg.critic_net, copy.deepcopy(s_norm), val_norm)
        self.norm_a_bound_min = torch.as_tensor((spec.action_bound_min + spec.action_offset) * spec.action_scale,
                                                dtype=torch.float32)
        self.norm_a_bound_max = torch.as_tensor((spec.action_bound_max + spec.action_offset) * spec.action_scale,
                                                dtype=torch.float32)
        self.actor_opt = make_optimizer(cfg, self.actor, "actor")
        self.critic_opt = make_optimizer(cfg, self.critic, "critic")
        self.weight_decay = ((self.critic, cfg.critic_weight_decay), (self.actor, cfg.actor_weight_decay))
        self._grads = None  # the nets' gradients, one flat buffer (``flat_grads``)
        self.optimizers_restored = False  # set by ``load`` when the model carried the optimizers' state
        self.sync_params()

        self.total_samples = 0
        self.iter = 0
        self.nan_skips = 0  # updates rolled back for NaN/inf
        self.provenance = {}  # what the saved files say about the run (env settings, agent file); see factory
        self.normalizer_samples = cfg.normalizer_samples
        self.fine = False  # in the fine phase after the bar (``enter_fine_phase``)
        self._update_exp_params()

    # ----- acting ------------------------------------------------------------------------------
    @property
    def s_norm(self):
        return self.actor.s_norm

    def act(self, states, explore):
        """Actions for a batch of states in one forward pass.

        With ``explore``, each row gets N(0, noise^2) noise in normalised action space with
        probability ``rate``. Returns (actions, log-probs, exploration flags).
        """
        s = torch.as_tensor(np.asarray(states), dtype=torch.float32)
        with torch.no_grad():
            mean = self.actor(s).double().numpy()
        n = mean.shape[0]
        sigma = self.exp_params.noise
        flags = (self.rng.random(n) < self.exp_params.rate) if explore else np.zeros(n, dtype=bool)
        norm_noise = self.rng.normal(0.0, sigma, size=mean.shape) * flags[:, None]
        actions = mean + norm_noise * self.actor.a_norm.std.double().numpy()
        return actions, gaussian_logp(norm_noise, sigma), flags

    def value(self, states):
        with torch.no_grad():
            return self.critic(torch.as_tensor(np.asarray(states), dtype=torch.float32)).double().numpy()

    # ----- bookkeeping -------------------------------------------------------------------------
    def _update_exp_params(self):
        """Exploration and step sizes for the current sample count (both annealed by the agent file)."""
        t = min(max(self.total_samples / self.cfg.exp_anneal_samples, 0.0), 1.0)
        self.exp_params = self.cfg.exp_beg.lerp(self.cfg.exp_end, t)
        t = min(max(self.total_samples / self.cfg.stepsize_anneal_samples, 0.0), 1.0)
        for opt, beg, end in ((self.actor_opt, self.cfg.actor_stepsize, self.cfg.actor_stepsize_end),
                              (self.critic_opt, self.cfg.critic_stepsize, self.cfg.critic_stepsize_end)):
            for group in opt.param_groups:
                group["lr"] = beg if end is None else lerp(beg, end, t)
        if self.fine:  # past the bar: the small step and the fine exploration (ExpParamsEnd's unless set), held
            self.exp_params = self.cfg.fine_exp
            for group in self.actor_opt.param_groups:
                group["lr"] = self.cfg.fine_actor_stepsize

    def enter_fine_phase(self):
        """From now on: the actor step at FineActorStepsize and the exploration at ExpParamsEnd, its rate
        FineExpRate if given (``--fine_samples``)."""
        self.fine = True
        self._update_exp_params()

    def set_total_samples(self, count):
        self.total_samples = int(count)
        self._update_exp_params()

    def need_normalizer_update(self):
        return self.total_samples < self.normalizer_samples

    def record_normalizer_states(self, states):
        self.actor.s_norm.record(states)

    def update_normalizers(self):
        """Merge recorded states over ranks into the state normalizer shared by actor and critic."""
        self.actor.s_norm.update()
        self.critic.s_norm.load_state_dict(self.actor.s_norm.state_dict())

    # ----- training ----------------------------------------------------------------------------
    def sync_params(self):
        for net in (self.actor, self.critic):
            flat = torch.nn.utils.parameters_to_vector(net.parameters()).detach().numpy().copy()
            mpi_util.bcast_inplace(flat)
            torch.nn.utils.vector_to_parameters(torch.from_numpy(flat), net.parameters())

    def _average_grads(self):
        """Average the gradients of both nets over ranks in one reduction, in place in the flat buffer
        that backward filled (no copy in or out)."""
        flat = self._grads.numpy()
        mpi_util.average_inplace(flat)
        if not np.isfinite(flat.sum()):  # a NaN/inf anywhere; identical on every rank after the average
            raise NonFiniteError("non-finite gradient in the critic or actor")

    def compute_targets(self, batch):
        """Value targets (TD(lambda)) and normalised, clipped advantages for a batch of paths."""
        d = batch.concat()
        vals = self.value(d["all_states"])
        v_t = vals[d["state_idx"]]
        v_next = vals[d["next_state_idx"]].copy()
        ends = d["path_ends"]
        v_next[ends & (d["end_terminate"] == Terminate.FAIL)] = self.val_fail
        v_next[ends & (d["end_terminate"] == Terminate.SUCC)] = self.val_succ
        ret = td_lambda_returns(d["rewards"], v_next, ends, self.discount, self.td_lambda)
        exp_idx = np.nonzero(d["exp_flags"])[0]
        adv = ret[exp_idx] - v_t[exp_idx]
        adv_mean, adv_std = (float(np.mean(adv)), float(np.std(adv))) if len(adv) else (0.0, 0.0)
        adv = np.clip((adv - adv_mean) / (adv_std + 1e-5), -self.cfg.norm_adv_clip, self.cfg.norm_adv_clip)
        d.update(tar_vals=np.clip(ret, self.val_min, self.val_max), exp_idx=exp_idx, adv=adv,
                 adv_mean=adv_mean, adv_std=adv_std)
        return d

    def critic_loss(self, s, tar_vals):
        """Value regression in normalised units. Weight decay is not part of it: ``_backward`` adds its
        gradient, and ``decay_losses`` its value for the log."""
        norm_tar = self.critic.val_norm.normalize(tar_vals)
        return 0.5 * torch.mean((norm_tar - self.critic.forward_norm(s)) ** 2)

    def decay_losses(self):
        """The weight-decay terms of the critic's and the actor's objectives (``wd * 0.5 * |W|^2``),
        values only: their gradients are added in place by ``_backward``."""
        with torch.no_grad():
            return tuple(wd * weight_decay_loss(net) if wd else torch.zeros(()) for net, wd in self.weight_decay)

    def actor_loss(self, s, a, old_logp, adv):
        """Clipped surrogate + action-bound penalty (weight decay: see ``critic_loss``).
        Returns (loss, clip fraction)."""
        sigma = self.exp_params.noise
        norm_mean = self.actor.forward_norm(s)
        logp = gaussian_logp(self.actor.a_norm.normalize(a) - norm_mean, sigma)
        ratio = torch.exp(logp - old_logp)
        clip = self.cfg.ratio_clip
        surrogate = torch.minimum(adv * ratio, adv * torch.clamp(ratio, 1 - clip, 1 + clip))
        loss = -torch.mean(surrogate) + bound_loss(norm_mean, self.norm_a_bound_min, self.norm_a_bound_max)
        clip_frac = torch.mean((torch.abs(ratio - 1.0) > clip).float())
        return loss, clip_frac

    def snapshot(self):
        return (copy.deepcopy(self.actor.state_dict()), copy.deepcopy(self.critic.state_dict()),
                copy.deepcopy(self.actor_opt.state_dict()), copy.deepcopy(self.critic_opt.state_dict()))

    def restore(self, snap):
        self.actor.load_state_dict(snap[0])
        self.critic.load_state_dict(snap[1])
        self.actor_opt.load_state_dict(snap[2])
        self.critic_opt.load_state_dict(snap[3])

    def train(self, batch):
        """One PPO iteration over the batch. On a NaN/inf anywhere, roll back and raise NonFiniteError."""
        snap = self.snapshot()
        try:
            stats = self._train(batch)
            bad = 0.0 if self.params_finite() else 1.0
            if mpi_util.allreduce_sum(bad) > 0:
                raise NonFiniteError("non-finite network parameters after the update")
        except NonFiniteError:
            self.restore(snap)
            self.iter += 1  # the iteration happened; its update was rolled back
            self.nan_skips += 1
            raise
        self.iter += 1
        return stats

    def params_finite(self):
        return all(torch.isfinite(p).all() for net in (self.actor, self.critic) for p in net.parameters())

    def _train(self, batch):
        """Epochs -> minibatches -> one step of critic and actor (``_step``), as DeepMimic: every rank
        takes ``MiniBatchSize / ranks`` rows per minibatch, as many minibatches as cover the global batch."""
        d = self.compute_targets(batch)
        states = torch.as_tensor(d["all_states"], dtype=torch.float32)
        actions = torch.as_tensor(d["actions"], dtype=torch.float32)
        logps = torch.as_tensor(d["logps"], dtype=torch.float32)
        tar_vals = torch.as_tensor(d["tar_vals"], dtype=torch.float32)
        adv = torch.as_tensor(d["adv"], dtype=torch.float32)
        state_idx, exp_idx = d["state_idx"], d["exp_idx"]
        self._grads = flat_grads(self._grads, list(self.critic.parameters()) + list(self.actor.parameters()))
        procs = mpi_util.num_procs()
        local_mb = max(int(math.ceil(self.cfg.mini_batch_size / procs)), 1)
        mini_batches = self._global_minibatches(len(state_idx), local_mb)
        actor_batches = mini_batches if self.cfg.actor_minibatches == "batch" else \
            min(self._global_minibatches(len(exp_idx), local_mb), mini_batches)
        critic_rows = CyclicMinibatches(len(state_idx), local_mb, self.rng)  # every step trains the critic
        actor_rows = CyclicMinibatches(len(exp_idx), local_mb, self.rng, reshuffle_on_wrap=True)  # explored steps
        sums = torch.zeros(3, dtype=torch.float64)  # critic loss, |actor loss|, clip fraction: read after the loop
        for _ in range(self.cfg.epochs):
            critic_rows.new_epoch()
            actor_rows.new_epoch()
            for k in range(mini_batches):
                c = critic_rows.next()
                critic_loss = self.critic_loss(states[state_idx[c]], tar_vals[c])
                critic_decay, actor_decay = self.decay_losses()  # the objectives as logged include the decay
                if k >= actor_batches:  # past the explored steps' share of this epoch: the critic alone
                    self._step(critic_loss, None)
                    sums[0] += float(critic_loss.detach() + critic_decay)
                    continue
                a = actor_rows.next()
                steps = exp_idx[a]
                actor_loss, clip_frac = self.actor_loss(states[state_idx[steps]], actions[steps], logps[steps], adv[a])
                self._step(critic_loss, actor_loss)
                sums += torch.stack([critic_loss.detach() + critic_decay, (actor_loss.detach() + actor_decay).abs(),
                                     clip_frac]).double()
        steps_taken = torch.tensor([mini_batches, actor_batches, actor_batches], dtype=torch.float64) * self.cfg.epochs
        c_loss, a_loss, clip_frac = mpi_util.allreduce_mean((sums / steps_taken.clamp(min=1)).numpy())
        return {"Critic_Loss": c_loss, "Critic_Stepsize": self.critic_opt.param_groups[0]["lr"],
                "Actor_Loss": a_loss, "Actor_Stepsize": self.actor_opt.param_groups[0]["lr"],
                "Clip_Frac": clip_frac, "Adv_Mean": d["adv_mean"], "Adv_Std": d["adv_std"]}

    @staticmethod
    def _global_minibatches(local_rows, local_mb):
        """How many minibatches of ``local_mb`` rows a rank takes to cover the rows of every rank (the same
        number on each, so that their gradient reductions pair up)."""
        return int(math.ceil(mpi_util.allreduce_sum(float(local_rows)) / (local_mb * mpi_util.num_procs())))

    def _step(self, critic_loss, actor_loss):
        """One step of both nets (of the critic alone when ``actor_loss`` is None). The actor's loss does not
        depend on the critic, so both gradients are taken first and averaged over ranks in one reduction. A
        non-finite loss gives a non-finite gradient, which ``_average_grads`` reports on every rank alike
        (they roll back together)."""
        self._backward(critic_loss, actor_loss)
        self._average_grads()
        self.critic_opt.step()
        if actor_loss is not None:  # a zero gradient would still move Adam's and momentum's weights
            self.actor_opt.step()

    def _backward(self, critic_loss, actor_loss):
        """This rank's gradient of both objectives, weight decay included, in the flat buffer. The decay's
        gradient (``wd * W``) is added in place, one pass per weight: differentiating ``0.5 * |W|^2``
        through autograd cost ~6% of the recipe's update (two products and a sum per weight, every minibatch)."""
        self._grads.zero_()
        critic_loss.backward()
        if actor_loss is not None:
            actor_loss.backward()
        with torch.no_grad():
            for net, wd in self.weight_decay:
                if net is self.actor and actor_loss is None:
                    continue
                for w in decayed_weights(net) if wd else ():
                    w.grad.add_(w, alpha=wd)

    # ----- saving and loading --------------------------------------------------------------
    def save(self, prefix_or_anet, with_optimizers=False):
        """The model pair; ``with_optimizers`` adds the optimizers' state to the cnet (the run's own model,
        which a resume reads; snapshots and shipped policies stay small)."""
        if not self.params_finite():
            raise NonFiniteError("refusing to save a model with non-finite parameters")
        optimizers = ({"type": self.cfg.optimizer, "actor": self.actor_opt.state_dict(),
                       "critic": self.critic_opt.state_dict()} if with_optimizers else None)
        save_actor_critic(prefix_or_anet, self.actor, self.critic, self.state_size, self.action_size,
                          self.exp_params.noise, self.discount, optimizers=optimizers, samples=int(self.total_samples),
                          iter=int(self.iter), **self.provenance)

    def _load_optimizers(self, saved, path):
        """Continue the optimizers saved with a model, when they are the agent file's kind; returns whether
        they were restored (a model saved without them, or by another optimizer, starts them afresh)."""
        if not saved or saved.get("type") != self.cfg.optimizer:
            return False
        try:
            for opt, part in ((self.actor_opt, "actor"), (self.critic_opt, "critic")):
                # the saved moments, with the agent file's step sizes and momentum (the current groups)
                opt.load_state_dict({"state": saved[part]["state"], "param_groups": opt.state_dict()["param_groups"]})
        except (KeyError, ValueError, RuntimeError) as e:
            raise DeepMimicError(f"optimizer state does not fit the networks: {brief(e)}", path)
        return True

    def load(self, model_file, need_critic=True):
        """Load an anet (and its cnet). Training needs the matching critic: a missing cnet or one from
        another save is an error rather than a silently fresh critic. Playing needs only the actor."""
        anet, cnet = model_paths(model_file)
        a = load_checkpoint(anet, "actor")
        check_sizes(a, anet, self.state_size, self.action_size)
        if a.get("net") != self.actor.net_name:
            raise DeepMimicError(f"model uses net {a.get('net')!r} but the agent file asks for {self.actor.net_name!r}", anet)
        load_net_state(self.actor, a, anet)
        if os.path.isfile(cnet):
            c = load_checkpoint(cnet, "critic")
            check_sizes(c, cnet, self.state_size, None)
            if (c.get("samples"), c.get("iter")) != (a.get("samples"), a.get("iter")):
                raise DeepMimicError(f"critic was saved at {c.get('samples')} samples, its actor {anet} at "
                                     f"{a.get('samples')}: the pair comes from different saves", cnet)
            load_net_state(self.critic, c, cnet)
            if need_critic:
                self.optimizers_restored = self._load_optimizers(c.get("optimizers"), cnet)
        elif need_critic:
            raise DeepMimicError("critic model file not found: resuming training needs the cnet saved with the anet", cnet)
        else:
            self.critic.s_norm.load_state_dict(self.actor.s_norm.state_dict())
        self.set_total_samples(a.get("samples", 0))
        self.iter = int(a.get("iter", 0))
        self.sync_params()


def make_optimizer(cfg, net, prefix):
    """The agent file's optimizer for ``net`` with the ``<prefix>_stepsize`` (and momentum, for SGD).
    Fused: one kernel over all parameters instead of several passes (about half the step's time)."""
    lr = getattr(cfg, f"{prefix}_stepsize")
    if cfg.optimizer == "Adam":
        return torch.optim.Adam(net.parameters(), lr=lr, fused=True)
    return torch.optim.SGD(net.parameters(), lr=lr, momentum=getattr(cfg, f"{prefix}_momentum"), fused=True)


def flat_grads(buffer, params):
    """Make each parameter's ``.grad`` a view into one flat buffer (``buffer`` reused when it fits), so
    backward accumulates into it in place and the gradients of all nets are reduced as one array.
    Called once per update: anything that reset a ``.grad`` meanwhile (another optimizer's
    ``zero_grad``) is undone."""
    size = sum(p.numel() for p in params)
    if buffer is None or buffer.numel() != size:
        buffer = torch.zeros(size)
    offset = 0
    for p in params:
        if p.grad is None or p.grad.data_ptr() != buffer[offset:].data_ptr():
            p.grad = buffer[offset:offset + p.numel()].view_as(p)
        offset += p.numel()
    return buffer


def gaussian_logp(delta, sigma):
    """log N(delta; 0, sigma^2 I) over the last axis, for numpy arrays and torch tensors alike."""
    d = delta.shape[-1]
    return -0.5 * ((delta / sigma) ** 2).sum(-1) - d * math.log(sigma) - 0.5 * d * math.log(2 * math.pi)


def bound_loss(x, bound_min, bound_max):
    """0.5 * mean over the batch of squared bound violations (DeepMimic's calc_bound_loss)."""
    vmin = torch.clamp(x - bound_min, max=0.0)
    vmax = torch.clamp(x - bound_max, min=0.0)
    return 0.5 * torch.mean(torch.sum(vmin ** 2, dim=-1) + torch.sum(vmax ** 2, dim=-1))
