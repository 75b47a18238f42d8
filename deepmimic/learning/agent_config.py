"""A DeepMimic agent file (``data/agents/*.txt``), parsed and checked once into a typed config.

``AGENT_KEYS`` is the one place that maps the file's keys to fields, with their defaults and allowed
ranges; unknown keys are errors naming the closest known key. DeepMimic keys this PPO does not use
are accepted and listed in ``UNUSED_AGENT_KEYS``.
"""
import dataclasses
import difflib
import math
from dataclasses import dataclass, field
from typing import Optional

from deepmimic.learning.exp_params import ExpParams
from deepmimic.learning.nets import NET_LAYERS
from deepmimic.util.errors import DeepMimicError, load_json_file, shown_number

OPTIMIZERS = ("SGD", "Adam")  # SGD with momentum is DeepMimic's; Adam ignores the *Momentum keys
#: How many actor minibatches an epoch takes: "batch", as many as the critic's (DeepMimic's), cycling over
#: the steps that explored, so at exploration rate r each of them is seen epochs / r times; "explored", as
#: many as those steps fill, so each is seen ``epochs`` times whatever the rate.
ACTOR_MINIBATCHES = ("batch", "explored")
#: DeepMimic agent-file keys this PPO does not use (it has no replay buffer or update period).
UNUSED_AGENT_KEYS = ("AgentType", "UpdatePeriod", "ItersPerUpdate", "ReplayBufferSize", "InitSamples")
#: Exploration keys; InitActionRate, NoiseInternal and Temp are DeepMimic's and unused by its PPO.
EXP_RANGES = {"Rate": (0, 1), "InitActionRate": (0, 1), "Noise": (1e-9, 10), "NoiseInternal": (0, 10), "Temp": (1e-12, 1e6)}


@dataclass(frozen=True)
class AgentConfig:
    actor_net: str = "fc_2layers_1024units"
    actor_stepsize: float = 0.001
    actor_momentum: float = 0.9
    actor_weight_decay: float = 0.0
    actor_init_output_scale: float = 0.01   # the actor's last layer starts at +-this
    critic_net: str = "fc_2layers_1024units"
    critic_stepsize: float = 0.01
    critic_momentum: float = 0.9
    critic_weight_decay: float = 0.0
    optimizer: str = "SGD"
    discount: float = 0.95
    batch_size: int = 1024                  # global samples per PPO iteration
    mini_batch_size: int = 32               # global
    epochs: int = 1
    normalizer_samples: float = math.inf    # the state normalizer learns until this many samples
    ratio_clip: float = 0.2
    norm_adv_clip: float = 5.0
    td_lambda: float = 0.95
    output_iters: int = 100                 # save the model every this many iterations
    int_output_iters: int = 100             # intermediate models and test episodes every this many
    test_episodes: int = 0
    exp_anneal_samples: float = 320000
    #: Step sizes annealed linearly from the *Stepsize keys to these over stepsize_anneal_samples samples
    #: (None: constant, as DeepMimic). A schedule in the agent file runs by itself, resumes included.
    actor_stepsize_end: Optional[float] = None
    critic_stepsize_end: Optional[float] = None
    stepsize_anneal_samples: float = math.inf
    #: The actor's step in the fine phase after the bar (--fine_samples); a third of the recipe's 3e-5 tracked
    #: run's clip 105.7 -> 54.8 mm root-relative in 1M samples (benchmarks/results/README.md, "Closer").
    fine_actor_stepsize: float = 1e-5
    #: The share of steps explored in the fine phase (None: ExpParamsEnd's Rate). Spinkick's residual curve at
    #: rate 0.2 went from 0 falls at the bar to 3-8, whether its actor saw each explored step 10 or 2 times.
    fine_exp_rate: Optional[float] = None
    #: ``ACTOR_MINIBATCHES``: annealed to a rate of 0.2, "batch" passes over each explored step 10 times an
    #: update and PPO's clip fraction rose from 0.54 to 0.84 (spinkick, recipe_v2_exp6).
    actor_minibatches: str = "batch"
    exp_beg: ExpParams = field(default_factory=ExpParams)
    exp_end: ExpParams = field(default_factory=ExpParams)
    path: str = ""
    source: dict = field(default_factory=dict, compare=False)  # the file's JSON, kept with every saved policy

    @property
    def fine_exp(self):
        """The exploration of the fine phase: ExpParamsEnd, its rate replaced by FineExpRate if the file gives one."""
        return self.exp_end if self.fine_exp_rate is None else dataclasses.replace(self.exp_end, rate=self.fine_exp_rate)


# file key -> (field, low, high, integer?) for numbers; (field, allowed values) for choices
AGENT_KEYS = {
    "ActorNet": ("actor_net", NET_LAYERS), "CriticNet": ("critic_net", NET_LAYERS), "Optimizer": ("optimizer", OPTIMIZERS),
    "ActorStepsize": ("actor_stepsize", 1e-12, 10, False), "CriticStepsize": ("critic_stepsize", 1e-12, 10, False),
    "ActorMomentum": ("actor_momentum", 0, 0.999999, False), "CriticMomentum": ("critic_momentum", 0, 0.999999, False),
    "ActorWeightDecay": ("actor_weight_decay", 0, 1, False), "CriticWeightDecay": ("critic_weight_decay", 0, 1, False),
    "ActorInitOutputScale": ("actor_init_output_scale", 0, 10, False), "Discount": ("discount", 1e-6, 0.999999, False),
    "BatchSize": ("batch_size", 1, 10 ** 6, True), "MiniBatchSize": ("mini_batch_size", 1, 10 ** 6, True),
    "Epochs": ("epochs", 1, 1000, True), "NormalizerSamples": ("normalizer_samples", 0, math.inf, False),
    "RatioClip": ("ratio_clip", 1e-6, 10, False), "NormAdvClip": ("norm_adv_clip", 1e-6, math.inf, False),
    "TDLambda": ("td_lambda", 0, 1, False), "OutputIters": ("output_iters", 1, 10 ** 9, True),
    "IntOutputIters": ("int_output_iters", 1, 10 ** 9, True), "TestEpisodes": ("test_episodes", 0, 10 ** 6, True),
    "ExpAnnealSamples": ("exp_anneal_samples", 1, math.inf, False),
    "ActorStepsizeEnd": ("actor_stepsize_end", 1e-12, 10, False), "CriticStepsizeEnd": ("critic_stepsize_end", 1e-12, 10, False),
    "StepsizeAnnealSamples": ("stepsize_anneal_samples", 1, math.inf, False),
    "FineActorStepsize": ("fine_actor_stepsize", 1e-12, 10, False), "FineExpRate": ("fine_exp_rate", 0, 1, False),
    "ActorMinibatches": ("actor_minibatches", ACTOR_MINIBATCHES),
}


def _check_keys(data, known, path, where=""):
    for key in data:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise DeepMimicError(f"unknown key '{where}{key}'{hint}", path)


def _check_number(key, value, low, high, integer, path):
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    ok = number and (math.isfinite(value) or value == math.inf)
    if not ok or not low <= value <= high or (integer and value != int(value)):
        kind = "an integer" if integer else "a number"
        raise DeepMimicError(f"'{key}' must be {kind} from {shown_number(low)} to {shown_number(high)}, got {value!r}", path)
    return int(value) if integer else float(value)


def _exp_params(data, part, path):
    """ExpParamsBeg / ExpParamsEnd: both must state Rate and Noise (a default on one side only would
    silently anneal towards or from a value nobody wrote)."""
    if part not in data:
        raise DeepMimicError(f"missing '{part}' (the exploration Rate and Noise to anneal)", path)
    exp = data[part]
    if not isinstance(exp, dict):
        raise DeepMimicError(f"'{part}' must be an object of exploration parameters", path)
    _check_keys(exp, list(EXP_RANGES), path, where=part + ".")
    missing = [k for k in ("Rate", "Noise") if k not in exp]
    if missing:
        raise DeepMimicError(f"'{part}' lacks {' and '.join(repr(k) for k in missing)}", path)
    for key, value in exp.items():
        _check_number(f"{part}.{key}", value, *EXP_RANGES[key], False, path)
    return ExpParams.from_json(exp)


def load_agent_file(path):
    """The agent file as a checked ``AgentConfig``; unknown keys and bad values are errors naming the file."""
    return agent_config_from_data(load_json_file(path, "agent"), path)


def agent_config_from_data(data, path):
    """An agent file's JSON content (``data``, from ``path``: a file or a policy that carries it), checked."""
    if not isinstance(data, dict):
        raise DeepMimicError("agent file must be a JSON object of hyperparameters", path)
    _check_keys(data, list(AGENT_KEYS) + ["ExpParamsBeg", "ExpParamsEnd", *UNUSED_AGENT_KEYS], path)
    if data.get("AgentType", "PPO") != "PPO":
        raise DeepMimicError(f"unsupported AgentType {data.get('AgentType')!r} (only PPO)", path)
    values = {}
    for key, spec in AGENT_KEYS.items():
        if key not in data:
            continue
        if len(spec) == 2:
            if data[key] not in spec[1]:
                raise DeepMimicError(f"unknown '{key}' {data[key]!r} (known: {', '.join(spec[1])})", path)
            values[spec[0]] = data[key]
        else:
            values[spec[0]] = _check_number(key, data[key], *spec[1:], path)
    cfg = AgentConfig(path=path, source=data, **values)
    if cfg.mini_batch_size > cfg.batch_size:
        raise DeepMimicError(f"'MiniBatchSize' ({cfg.mini_batch_size}) must not exceed 'BatchSize' ({cfg.batch_size})", path)
    ends = [k for k in ("ActorStepsizeEnd", "CriticStepsizeEnd") if k in data]
    if ends and "StepsizeAnnealSamples" not in data:
        raise DeepMimicError(f"'{ends[0]}' needs 'StepsizeAnnealSamples' (over how many samples to anneal)", path)
    beg, end = _exp_params(data, "ExpParamsBeg", path), _exp_params(data, "ExpParamsEnd", path)
    end.noise = beg.noise  # the noise std must not change (DeepMimic)
    return dataclasses.replace(cfg, exp_beg=beg, exp_end=end)
