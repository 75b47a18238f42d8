"""Unit tests of the learning pieces, against the upstream implementations where they exist."""
import math

import numpy as np
import pytest
import torch
from upstream_env import import_upstream_env

from deepmimic.learning.normalizer import Normalizer
from deepmimic.learning.ppo_agent import bound_loss
from deepmimic.learning.returns import td_lambda_returns
from deepmimic.util.errors import DeepMimicError


def _upstream(module):
    import_upstream_env()
    import importlib
    return importlib.import_module(f"pybullet_envs.deep_mimic.learning.{module}")


def test_td_lambda_matches_upstream():
    rl_util = _upstream("rl_util")
    rng = np.random.default_rng(0)
    lengths = [5, 1, 12, 7]
    rewards, next_vals, ends, expected = [], [], [], []
    for n in lengths:
        r = rng.random(n)
        v = rng.random(n + 1) * 20  # V(s_0..s_n)
        expected.append(rl_util.compute_return(r, 0.95, 0.9, v))
        rewards.append(r)
        next_vals.append(v[1:])
        e = np.zeros(n, dtype=bool)
        e[-1] = True
        ends.append(e)
    got = td_lambda_returns(np.concatenate(rewards), np.concatenate(next_vals), np.concatenate(ends), 0.95, 0.9)
    assert np.allclose(got, np.concatenate(expected))


def test_td_lambda_special_cases():
    r, v = np.array([1.0, 1.0, 1.0]), np.array([5.0, 5.0, 0.0])
    ends = np.array([False, False, True])
    # lambda = 0: one-step TD targets
    assert np.allclose(td_lambda_returns(r, v, ends, 0.5, 0.0), [1 + 0.5 * 5, 1 + 0.5 * 5, 1.0])
    # lambda = 1: Monte-Carlo discounted return bootstrapped with the end value
    assert np.allclose(td_lambda_returns(r, v, ends, 0.5, 1.0), [1 + 0.5 + 0.25, 1 + 0.5, 1.0])


def test_normalizer_matches_upstream_with_groups():
    up_norm = _upstream("normalizer")
    groups = np.array([-1, 0, 0, 3, 3, 0])
    mean0, std0 = np.array([0.5, 0, 0, 0, 0, 0]), np.array([0.5, 1, 1, 1, 1, 1])
    ours = Normalizer(6, groups, mean=mean0, std=std0)
    theirs = up_norm.Normalizer(6, groups)
    theirs.set_mean_std(mean0.copy(), std0.copy())
    rng = np.random.default_rng(1)
    for _ in range(3):
        x = rng.normal(2.0, 3.0, size=(50, 6))
        ours.record(x)
        theirs.record(x)
        ours.update()
        theirs.update()
        assert np.allclose(ours.mean.numpy(), theirs.mean, atol=1e-5)
        assert np.allclose(ours.std.numpy(), theirs.std, atol=1e-5)
    assert ours.mean[0] == 0.5 and ours.std[0] == 0.5  # group -1 is never re-normalised
    assert ours.mean[3] == ours.mean[4]  # group 3 shares one mean


def test_normalizer_state_dict_roundtrip():
    n = Normalizer(3)
    n.record(np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]]))
    n.update()
    m = Normalizer(3)
    m.load_state_dict(n.state_dict())
    x = torch.tensor([[0.5, 1.0, 1.5]])
    assert torch.allclose(m.normalize(x), n.normalize(x))
    m.record(np.ones((2, 3)))
    m.update()  # the numpy statistics were restored too: the count weights old and new samples
    assert np.isclose(float(m.count), 4.0) and np.isclose(float(m.mean[0]), (1 + 3 + 1 + 1) / 4)


def test_bound_loss():
    x = torch.tensor([[0.0, 2.0], [-3.0, 0.5]])
    lo, hi = torch.tensor([-1.0, -1.0]), torch.tensor([1.0, 1.0])
    # violations: row0: (2-1)^2 = 1; row1: (-3+1)^2 = 4 -> 0.5 * mean(1, 4)
    assert math.isclose(bound_loss(x, lo, hi).item(), 1.25)


def _tiny_agent(cfg_overrides=None):
    from conftest import make_env
    from deepmimic.learning.agent_config import AgentConfig
    from deepmimic.learning.ppo_agent import PPOAgent
    from deepmimic.learning.exp_params import ExpParams
    cfg = AgentConfig(actor_net="fc_2layers_256units", critic_net="fc_2layers_256units", actor_init_output_scale=0.01,
                      exp_beg=ExpParams(rate=1.0, noise=0.05), exp_end=ExpParams(rate=0.2, noise=0.05),
                      **(cfg_overrides or {}))
    env = make_env("walk")
    return PPOAgent(cfg, env.spec, seed=3), env


def test_actor_loss_ratio_clipping_and_logp():
    agent, env = _tiny_agent()
    s = torch.as_tensor(np.stack([env.reset(start_time=t) for t in (0.1, 0.4, 0.7)]), dtype=torch.float32)
    actions, logp, flags = agent.act(s.numpy(), explore=True)
    assert flags.all()  # rate 1 at the start
    a = torch.as_tensor(actions, dtype=torch.float32)
    old = torch.as_tensor(logp, dtype=torch.float32)
    adv = torch.tensor([1.0, -1.0, 0.5])
    loss, clip_frac = agent.actor_loss(s, a, old, adv)
    # unchanged policy: ratio 1, surrogate = -mean(adv), no clipping; plus tiny weight decay
    wd = agent.cfg.actor_weight_decay
    assert clip_frac.item() == 0.0
    assert math.isclose(loss.item(), -adv.mean().item(), abs_tol=1e-4 + wd * 1e6)
    # old log-probs much lower -> ratio >> 1 -> positive advantages are clipped at 1 + eps
    loss_hi, clip_hi = agent.actor_loss(s, a, old - 5.0, torch.ones(3))
    assert clip_hi.item() == 1.0
    assert math.isclose(loss_hi.item(), -(1 + agent.cfg.ratio_clip), rel_tol=1e-3)


def test_critic_loss_uses_normalised_values():
    agent, env = _tiny_agent()
    s = torch.as_tensor(env.reset(start_time=0.2)[None], dtype=torch.float32)
    v = agent.critic(s).detach()
    tar = v + 10.0  # val_norm std is 10 for rewards in [0, 1] and discount 0.95
    assert math.isclose(agent.critic_loss(s, tar).item(), 0.5, rel_tol=1e-4)


def test_gaussian_logp_numpy_and_torch_agree_with_closed_form():
    from deepmimic.learning.ppo_agent import gaussian_logp
    delta = np.array([[0.1, -0.2, 0.05]])
    expected = np.sum(-0.5 * (delta / 0.05) ** 2 - np.log(0.05) - 0.5 * np.log(2 * np.pi), axis=-1)
    assert np.allclose(gaussian_logp(delta, 0.05), expected)
    assert np.allclose(gaussian_logp(torch.as_tensor(delta), 0.05).numpy(), expected)


def test_learner_depends_on_the_env_contract_only():
    """deepmimic.learning sees envs through deepmimic.env.base_env: no PyBullet, no concrete env."""
    import pkgutil
    import subprocess
    import sys
    import deepmimic.learning
    mods = [f"deepmimic.learning.{m.name}" for m in pkgutil.iter_modules(deepmimic.learning.__path__)]
    code = (f"import sys\nfor m in {mods!r}: __import__(m)\n"
            "print(sorted(m for m in sys.modules if m in ('pybullet', 'deepmimic.env.imitation_env')))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "[]", r.stdout + r.stderr
    assert len(mods) >= 10


def test_no_function_in_the_package_is_longer_than_60_lines():
    import ast
    import pathlib
    root = pathlib.Path(__file__).resolve().parent.parent / "deepmimic"
    long = [f"{p.relative_to(root)}:{n.name} ({n.end_lineno - n.lineno + 1} lines)"
            for p in root.rglob("*.py") if "resources" not in p.parts
            for n in ast.walk(ast.parse(p.read_text()))
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.end_lineno - n.lineno + 1 > 60]
    assert not long, long


def test_cyclic_minibatches_wrap_and_reshuffle():
    """Fixed-size minibatches walk the shuffled order and wrap; the actor's order reshuffles at a wrap."""
    from deepmimic.learning.minibatches import CyclicMinibatches
    rows = CyclicMinibatches(5, 3, np.random.default_rng(0))
    rows.new_epoch()
    first = rows.order.copy()
    a, b = rows.next(), rows.next()
    assert list(a) == list(first[:3]) and list(b) == [first[3], first[4], first[0]]  # wrapped, same order
    actor = CyclicMinibatches(5, 3, np.random.default_rng(0), reshuffle_on_wrap=True)
    actor.new_epoch()
    actor.next()
    before = actor.order.copy()
    wrapped = actor.next()
    assert list(wrapped) == [before[3], before[4], before[0]] and sorted(actor.order) == list(range(5))
    assert list(actor.order) != list(before)  # reshuffled after the wrap (seed 0 gives another order)


def test_flat_grads_backward_fills_one_buffer_and_survives_other_optimizers():
    from deepmimic.learning.ppo_agent import flat_grads
    torch.manual_seed(0)
    nets = [torch.nn.Linear(4, 3), torch.nn.Linear(4, 1)]
    params = [p for n in nets for p in n.parameters()]
    x = torch.randn(5, 4)
    loss = lambda: nets[0](x).pow(2).sum() + nets[1](x).sum()  # noqa: E731
    loss().backward()
    expected = torch.cat([p.grad.reshape(-1) for p in params]).clone()
    torch.optim.Adam(nets[0].parameters()).zero_grad()  # set_to_none: the warm start's optimizer does this
    assert nets[0].weight.grad is None
    buf = flat_grads(None, params)
    assert buf.numel() == expected.numel() and not buf.any()
    loss().backward()
    assert torch.equal(buf, expected)  # backward wrote into the buffer, nowhere else
    assert flat_grads(buf, params) is buf  # reused, views kept
    buf.zero_()
    assert all(not p.grad.any() for p in params)


def test_weight_decay_gradient_added_in_place_equals_autograd_of_the_full_objective():
    """The update adds wd * W to the gradient instead of differentiating wd * 0.5 * |W|^2: same gradient."""
    from deepmimic.learning.nets import weight_decay_loss
    from deepmimic.learning.ppo_agent import flat_grads
    agent = _agent_without_env("SGD", 0, critic_weight_decay=0.05, actor_weight_decay=0.1)
    params = list(agent.critic.parameters()) + list(agent.actor.parameters())
    g = torch.Generator().manual_seed(1)
    s, a, old, adv, tar = (torch.randn(n, generator=g) for n in ((8, 6), (8, 3), (8,), (8,), (8,)))
    losses = lambda: (agent.critic_loss(s, tar), agent.actor_loss(s, a, old - 5.0, adv)[0])  # noqa: E731
    agent._grads = flat_grads(None, params)
    agent._backward(*losses())
    got = agent._grads.clone()
    for p in params:
        p.grad = None
    critic_loss, actor_loss = losses()
    (critic_loss + actor_loss).backward(retain_graph=True)
    plain = torch.cat([p.grad.reshape(-1) for p in params])
    for p in params:
        p.grad = None
    (critic_loss + 0.05 * weight_decay_loss(agent.critic) + actor_loss + 0.1 * weight_decay_loss(agent.actor)).backward()
    want = torch.cat([p.grad.reshape(-1) for p in params])
    assert torch.allclose(got, want, rtol=1e-5, atol=1e-7)
    assert not torch.allclose(got, plain, rtol=1e-3, atol=1e-4)  # the decay is large enough to be seen
    logged = agent.decay_losses()
    assert math.isclose(float(logged[0]), 0.05 * weight_decay_loss(agent.critic).item(), rel_tol=1e-6)
    assert math.isclose(float(logged[1]), 0.1 * weight_decay_loss(agent.actor).item(), rel_tol=1e-6)


def _agent_without_env(optimizer, seed, **cfg_changes):
    import dataclasses
    from deepmimic.env.base_env import EnvSpec
    from deepmimic.learning.agent_config import load_agent_file
    from deepmimic.learning.ppo_agent import PPOAgent
    from conftest import ROOT
    cfg = load_agent_file(f"{ROOT}/tests/data/agent_small.txt")
    cfg = dataclasses.replace(cfg, optimizer=optimizer, mini_batch_size=16, **cfg_changes)
    s, a = 6, 3
    spec = EnvSpec(s, a, np.zeros(s), np.ones(s), np.zeros(s, dtype=np.int64), np.zeros(a), np.ones(a),
                   -np.ones(a), np.ones(a), 0.0, 1.0)
    return PPOAgent(cfg, spec, seed=seed)


def _random_batch(seed, explored=1.0):
    """60 steps in 3 paths; the first ``explored`` share of each path's steps explored."""
    from deepmimic.env.base_env import Terminate
    from deepmimic.learning.path_buffer import Batch, Path
    rng, b = np.random.default_rng(seed), Batch()
    for _ in range(3):
        b.add(Path(states=rng.normal(size=(21, 6)), actions=rng.normal(size=(20, 3)), logps=rng.normal(size=20) - 5,
                   rewards=rng.random(20), exp_flags=np.arange(20) < 20 * explored, terminate=Terminate.FAIL))
    return b


def test_actor_minibatches_explored_sees_each_explored_step_epochs_times():
    """DeepMimic's actor takes as many minibatches as the critic, cycling over the steps that explored;
    ``ActorMinibatches: explored`` takes as many as those steps fill, and the critic alone steps on. With
    every step explored both take the same steps."""
    def trained(mode, explored_share):
        agent = _agent_without_env("Adam", seed=0, epochs=2, actor_minibatches=mode)
        agent.train(_random_batch(1, explored_share))  # 60 steps: 4 minibatches of 16 cover them
        steps = lambda opt: {int(st["step"]) for st in opt.state.values()}  # noqa: E731
        return agent, steps(agent.actor_opt), steps(agent.critic_opt)
    assert trained("batch", 0.25)[1:] == ({8}, {8})
    assert trained("explored", 0.25)[1:] == ({2}, {8})  # 15 explored steps fill 1 minibatch, in each epoch
    params = lambda agent: torch.cat([p.detach().reshape(-1) for p in agent.parameters()])  # noqa: E731
    every = [trained(mode, 1.0)[0] for mode in ("batch", "explored")]
    for net in ("actor", "critic"):
        assert torch.equal(params(getattr(every[0], net)), params(getattr(every[1], net))), net


def test_fine_phase_explores_at_fine_exp_rate_if_given_else_at_exp_params_end():
    """Past the bar the exploration is ExpParamsEnd's (rate 0.2 here) unless FineExpRate says another share of the
    steps; the noise is ExpParamsEnd's either way, and an impossible rate is an error naming the key."""
    import json
    from deepmimic.learning.agent_config import agent_config_from_data
    default = _agent_without_env("Adam", seed=0)
    chosen = _agent_without_env("Adam", seed=0, fine_exp_rate=0.7)
    for agent in (default, chosen):
        assert agent.exp_params.rate > 0.99  # early in the anneal to 0.2 over 64M samples
        agent.enter_fine_phase()
        agent.set_total_samples(10 ** 6)  # held through later sample counts
    assert (default.exp_params.rate, default.exp_params.noise) == (pytest.approx(0.2), pytest.approx(0.05))
    assert (chosen.exp_params.rate, chosen.exp_params.noise) == (pytest.approx(0.7), pytest.approx(0.05))
    flags = [chosen.act(np.zeros((4000, 6)), explore=True)[2].mean() for _ in range(2)]
    assert all(0.66 < f < 0.74 for f in flags), flags
    from conftest import ROOT
    data = json.load(open(f"{ROOT}/tests/data/agent_small.txt"))
    data["FineExpRate"] = 1.5
    with pytest.raises(DeepMimicError, match="'FineExpRate' must be a number from 0 to 1, got 1.5"):
        agent_config_from_data(data, "agent.txt")


def test_resume_continues_the_optimizer_state(tmp_path):
    """The run's model carries Adam's moments (or SGD's momentum) in its cnet: a resumed agent takes the
    same next step as the one that kept running; a model saved without them restarts them."""
    for optimizer in ("Adam", "SGD"):
        running = _agent_without_env(optimizer, seed=0)
        running.train(_random_batch(1))
        running.save(str(tmp_path / f"{optimizer}_run"), with_optimizers=True)
        running.save(str(tmp_path / f"{optimizer}_snapshot"))
        resumed, fresh = _agent_without_env(optimizer, seed=0), _agent_without_env(optimizer, seed=0)
        resumed.load(str(tmp_path / f"{optimizer}_run_anet.pth"))
        fresh.load(str(tmp_path / f"{optimizer}_snapshot_anet.pth"))
        assert resumed.optimizers_restored and not fresh.optimizers_restored
        for agent in (running, resumed, fresh):
            agent.rng = np.random.default_rng(7)  # the same minibatch draw for all three
            agent.train(_random_batch(2))
        params = lambda agent: torch.cat([p.detach().reshape(-1) for p in agent.actor.parameters()])  # noqa: E731
        assert torch.equal(params(resumed), params(running)), optimizer
        assert not torch.equal(params(fresh), params(running)), optimizer


def test_progress_eta_counts_whole_hours():
    """The progress line's ETA: 58 minutes left is 0h58m (it once printed 1h58m, rounding the hours)."""
    from deepmimic.learning.trainer import hours_minutes
    assert hours_minutes(58 * 60) == "0h58m"
    assert hours_minutes(3900) == "1h05m"
    assert hours_minutes(3599.9) == "1h00m"  # 59.998 minutes round to the hour, never '0h60m'
    assert hours_minutes(0) == "0h00m"
    assert hours_minutes(2 * 3600 + 59 * 60 + 29) == "2h59m"


def test_every_process_that_builds_nets_flushes_subnormal_weights_to_zero():
    """A trained actor holds ~25k subnormal weights; unflushed, each product with one is a microcode assist
    on Intel CPUs (a forward 30x slower). Importing the nets' module turns flushing on, in a fresh process."""
    import subprocess
    import sys
    product = "import torch; print(float((torch.full((8,), 1e-39) * 1.0).sum()))"
    plain = float(subprocess.run([sys.executable, "-c", product], capture_output=True, text=True, check=True).stdout)
    if plain == 0.0:
        import pytest
        pytest.skip("this platform flushes subnormals by default")
    flushed = subprocess.run([sys.executable, "-c", "import deepmimic.learning.nets; " + product],
                             capture_output=True, text=True, check=True).stdout
    assert plain > 0.0 and float(flushed) == 0.0
