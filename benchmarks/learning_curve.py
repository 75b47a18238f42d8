"""Learning curves of named training configurations: test return on full 20 s episodes vs samples.

    python benchmarks/learning_curve.py --skill run --config recipe --samples 15000000 --procs 2
    python benchmarks/learning_curve.py --list

Trains with DeepMimic_Optimizer under ``mpiexec -n PROCS`` with ``--curve_every`` so that every K
samples the policy plays ``--episodes`` deterministic 20 s episodes from the same seeded start phases.
The run lives in ``--out`` (default ``output/curves/<skill>_<config>``); calling the same command again
resumes it from its last model and the curve continues. ``--resume_from PREFIX`` starts the run folder from a
committed checkpoint (a run continued on another machine; where the folder already holds that run, it resumes
there); ``--fork_from CONFIG`` from another configuration's committed checkpoint and curve, to measure a lever
from that point on:

    python benchmarks/learning_curve.py --skill backflip --config recipe_drift2 --fork_from recipe --samples 19000000

Skills in a row, each to its bar (``--stop_at_bar``) or its samples, the model kept for the next session:

    for s in kick punch roll; do python benchmarks/learning_curve.py --skill $s --config recipe_v2 \
        --samples 15000000 --stop_at_bar --keep_checkpoint || break; done

Ctrl-C (or SIGTERM) stops the training the way
a Ctrl-C to the trainer does: every rank saves, then the curve is published. The curve is copied to
``benchmarks/results/<skill>_<config>.csv`` (columns samples,wall_hours,test_return_mean,test_falls,
test_episodes) with a PNG beside it.
"""
import json
import os
import subprocess
import sys

from deepmimic.tools import skill_bars
from deepmimic.util import mpi_util
from deepmimic.util.arg_keys import KEYS, MAX_INT
from deepmimic.util.errors import DeepMimicError, ToolArgumentParser, check_ranges, run_cli
from deepmimic.util.file_io import atomic_copy, check_writable_dir

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "benchmarks", "results")

# name -> (arg-file overrides, agent-file overrides, what it tests). "deepmimic" is the faithful
# configuration (train_humanoid3d_<skill>_deepmimic_args.txt); "recipe_v2_residual" is the train_ arg files' default
# (train_humanoid3d_<skill>_args.txt as it is: residual actions on "recipe_v2", the drift curriculum on "recipe_b2"'s
# half batch); every configuration without --residual_actions plays plain PD targets (PLAIN_ACTIONS) as its curve
# was measured; "recipe" is the
# first version (a 4,096-sample batch); every earlier one is pinned (PRE_V2) so its curves stay reproducible; the
# "fast*" names are earlier variants.
RECIPE_AGENT = "data/agents/ct_agent_humanoid_ppo_fast.txt"  # the agent file the train_ arg files name
V1 = {"BatchSize": 4096}  # the recipe's first version; the variants measured against it keep it
#: DeepMimic's exploration at the end of its anneal (ct_agent_humanoid_ppo_fast.txt's ExpParamsEnd), held
FINE_EXP = {"Rate": 0.2, "InitActionRate": 0.01, "Noise": 0.05, "NoiseInternal": 0, "Temp": 0.001}
#: the agent file's ExpParamsBeg (the exploration it anneals from)
BEG_EXP = {"Rate": 1, "InitActionRate": 1, "Noise": 0.05, "NoiseInternal": 0, "Temp": 0.1}
B2 = {"BatchSize": 2048}  # the recipe's second version (the agent file's own value, pinned as V1 pins the first)
HELD_FINE_EXP = {"ExpParamsBeg": FINE_EXP, "ExpParamsEnd": FINE_EXP}  # no anneal: FINE_EXP from the first sample
#: the drift limit held at 1 m (2 m) from the first sample, as the train_ files set it before the curriculum joined
#: them (recipe_v2): every configuration measured before then pins it, so its curve stays reproducible
PRE_V2 = ["--agent_files", RECIPE_AGENT, "--drift_term_dist_beg", "1.0"]
PRE_V2_DRIFT2 = ["--agent_files", RECIPE_AGENT, "--drift_term_dist", "2.0", "--drift_term_dist_beg", "2.0"]
#: actions as offsets from the clip's pose: the train_ files' default since recipe_v2_residual
RESIDUAL = ["--agent_files", RECIPE_AGENT, "--residual_actions", "true"]
FIXED_20S = ["--time_lim_min", "20", "--time_lim_max", "20", "--time_lim_exp", "0"]
CONFIGS = {
    "deepmimic": (["--agent_files", "data/agents/ct_agent_humanoid_ppo_deepmimic.txt",
                   "--time_lim_min", "0.5", "--time_lim_max", "0.5", "--time_lim_exp", "0.2",
                   "--anneal_samples", "32000000", "--drift_term_dist", "0"], {},
                  "DeepMimic's agent file and episode-length annealing (0.5 s -> 20 s over 32M samples)"),
    "fixed20": (["--agent_files", "data/agents/ct_agent_humanoid_ppo_deepmimic.txt", *FIXED_20S,
                 "--drift_term_dist", "0"], {}, "DeepMimic's agent, 20 s episodes from the start"),
    "drift": (["--agent_files", "data/agents/ct_agent_humanoid_ppo_deepmimic.txt", *FIXED_20S,
               "--drift_term_dist", "1.0"], {}, "20 s episodes, end as a failure when the root drifts > 1 m"),
    "drift_adam": (["--agent_files", "data/agents/ct_agent_humanoid_ppo_deepmimic.txt", *FIXED_20S,
                    "--drift_term_dist", "1.0"],
                   {"Optimizer": "Adam", "ActorStepsize": 2e-5, "CriticStepsize": 1e-4, "Epochs": 2},
                   "drift + Adam (actor 2e-5, critic 1e-4), 2 epochs per batch"),
    "recipe": (PRE_V2, V1,
               "the recipe's first version: args/train_humanoid3d_<skill>_args.txt with a 4,096-sample batch (actor step 3e-5 from the start)"),
    "recipe_pose05": ([*PRE_V2, "--pose_term_dist", "0.5"], V1, "the recipe + pose termination: a training episode fails once any body is 0.5 m from the reference"),
    "recipe_tar": ([*PRE_V2, "--ref_pose_state", "true"], V1, "the recipe + the reference pose one control step ahead in the state (MimicKit's target observation)"),
    "recipe_g99": (PRE_V2, {**V1, "Discount": 0.99}, "the recipe with discount 0.99 (MimicKit's) instead of 0.95: a failure 60 steps ahead weighs 0.55, not 0.05"),
    "recipe_drift2": (PRE_V2_DRIFT2, V1, "the recipe with drift termination at 2 m instead of 1 m (a backflip lands 1.06 m back per flip)"),
    "recipe_smoothvel": ([*PRE_V2, "--smooth_ref_vel", "true"], V1, "the recipe with DeepMimic's reference velocities (low-passed, blended between frames) for start states and reward, instead of upstream's held frame-pair difference"),
    "recipe_b2": (PRE_V2, B2,
                  "the recipe's second version (the train_ files' default before recipe_v2): half the batch per PPO iteration (2048 "
                  "samples, not 4096): PPO clips ~0.6 of the "
                  "samples, so each iteration's step is bounded by the clip, and twice the iterations per sample take "
                  "twice the bounded steps at the same update cost per sample"),
    "recipe_b2_qfix": (PRE_V2, B2,
                       "recipe_b2 (the train_ files before the drift curriculum) after the reward's parity fix (97d4dc8): a joint whose "
                       "simulated and reference quaternions differ in sign no longer zeroes the pose term"),
    "recipe_b1_qfix": (PRE_V2, {"BatchSize": 1024},
                       "recipe_b2_qfix with a quarter of the first version's batch (1024 samples per PPO iteration, not "
                       "2048): the half batch lifted sooner at the same update cost per sample; does halving it again?"),
    "recipe_b2_qfix_noise10": (PRE_V2,
                               {**B2, "ExpParamsBeg": {**BEG_EXP, "Noise": 0.1}, "ExpParamsEnd": {**FINE_EXP, "Noise": 0.1}},
                               "recipe_b2_qfix with twice the exploration noise (0.1, not 0.05, in normalised action "
                               "space): PPO's clip bounds each iteration's step of the mean to ~0.2 of the noise, so twice "
                               "the noise allows twice the step, and explores twice as far"),
    "recipe_b2_qfix_e1": (PRE_V2, {**B2, "Epochs": 1},
                          "recipe_b2_qfix with one pass over each batch (Epochs 1, not 2): half the update's work per "
                          "sample; does the time saved outweigh any samples lost (judged in wall hours)?"),
    "recipe_b2_qfix_t10": ([*PRE_V2, "--time_lim_min", "10", "--time_lim_max", "10"], B2,
                           "recipe_b2_qfix with MimicKit's 10 s training episodes instead of 20 s (test episodes stay 20 s): "
                           "twice the reference-state starts per sample once episodes stop falling"),
    "recipe_v2": (["--agent_files", RECIPE_AGENT], B2,
                  "the 'closer and sooner' issue's second recipe (the train_ files before residual actions): recipe_b2_qfix with "
                  "the drift limit as a curriculum (3 m at the first sample to 1 m at 4M), recipe_b2_qfix_driftcur"),
    "recipe_v2_eerel": (["--agent_files", RECIPE_AGENT, "--end_eff_root_relative", "true"], B2,
                       "recipe_v2 with DeepMimic's end-effector term (each hand and foot relative to its own root, in "
                       "the heading frame) for the port's world positions: a drifted character earns none of the "
                       "world-position term, so during the creep the term gives no signal; judge it by falls and "
                       "tracking error (its returns score the root-relative term, ~5% higher on the same motion)"),
    "recipe_v2_anneal6": (["--agent_files", RECIPE_AGENT, "--drift_anneal_samples", "6000000"], B2,
                          "recipe_v2 with its drift curriculum closed over 6M samples instead of 4M (3 m to 1 m): "
                          "recipe_v2's curves lose 1-1.5M samples where its limit reaches 1 m at 4M, just before "
                          "their bar"),
    "recipe_v2_sched6": (["--agent_files", RECIPE_AGENT], {**B2, "ActorStepsizeEnd": 1e-5, "StepsizeAnnealSamples": 6000000,
                                                           "ExpAnnealSamples": 6000000},
                         "recipe_v2 with the actor step annealed from 3e-5 to 1e-5 and the exploration from ExpParamsBeg "
                         "to ExpParamsEnd (noise on 1.0 -> 0.2 of the steps) over the first 6M samples, from scratch: "
                         "recipe_v2's curves swing between their first bar-level point and two in a row, at a step "
                         "and a noise rate the fine phase shows are large near the optimum"),
    "recipe_v2_step6": (["--agent_files", RECIPE_AGENT], {**B2, "ActorStepsizeEnd": 1e-5, "StepsizeAnnealSamples": 6000000},
                        "recipe_v2_sched6 with the exploration left as recipe_v2 has it (noise on every step): only the "
                        "actor step is annealed, 3e-5 to 1e-5 over the first 6M samples; the actor learns only from the "
                        "steps that explore, so sched6's falling noise rate also shrank each batch's actor update, "
                        "which may be spinkick's stall"),
    "recipe_v2_exp6": (["--agent_files", RECIPE_AGENT], {**B2, "ExpAnnealSamples": 6000000},
                       "recipe_v2_sched6 with the actor step held at 3e-5: only the exploration is annealed, the noise "
                       "rate 1.0 -> 0.2 over the first 6M samples (measured on spinkick: lifts before recipe_v2, "
                       "sched6 and step6, single points at the bar at 3.80M and 4.55M, then 15 falls at 6.31M once the "
                       "rate reached 0.2)"),
    "recipe_v2_exp6_explored": (["--agent_files", RECIPE_AGENT], {**B2, "ExpAnnealSamples": 6000000,
                                                                  "ActorMinibatches": "explored"},
                                "recipe_v2_exp6 with the actor's minibatches as many as the explored steps fill: "
                                "DeepMimic's actor takes as many as the whole batch, so at the rate's 0.2 it passes over "
                                "each explored step 10 times an update and exp6's clip fraction rose from 0.54 to 0.84 "
                                "before it fell back to 15 falls. Measured: clip fraction 0.52-0.64 at every rate and no "
                                "collapse, lifts at 3.04M as exp6, but no bar by 7.0M (best 350.1, 2 falls, at 5.30M)"),
    "recipe_v2_failstarts": (["--agent_files", RECIPE_AGENT, "--adaptive_starts", "0.5", "--adaptive_starts_at",
                              "fail"], B2,
                             "recipe_v2 with half the training episodes started where the rank's recent episodes "
                             "failed, counted where they ended (--adaptive_starts_at fail): forked from backflip's "
                             "creep at 8.58M, 9 of its 16 test falls at phases 0.17-0.23; level with recipe_v2 "
                             "continued from the same point to 10.3M (37.9 against 41.0, both 16 falls), not adopted"),
    "recipe_v2_assist": (["--agent_files", RECIPE_AGENT, "--assist_gain", "1", "--assist_anneal_samples", "2500000"],
                         B2, "recipe_v2 with the root assist (training episodes only: a PD push toward the reference "
                         "root, spread over the body by mass, at full strength at the first sample and faded to 0 by "
                         "2.5M): held up, early episodes run through the clip while balance is unlearnt, where every "
                         "test episode of recipe_v2 falls for ~3M samples (run) to 8M+ (backflip); on run from scratch: "
                         "27.1 with 16 falls at 3.30M where recipe_v2 had 112-121 (16), behind at every point, the "
                         "policy leaning on the hand; stopped, not adopted"),
    "recipe_v2_residual": (RESIDUAL, B2,
                           "recipe_v2 with actions as offsets from the clip's pose (--residual_actions; DReCon, UHC): "
                           "the warm start only approximates the clip's PD targets and PPO's clipped steps move that "
                           "fit with every correction, where a zero offset plays the clip exactly from the first "
                           "sample and the actor learns only the corrections; exploration of DeepMimic's size"),
    "recipe_v2_residual_explored": (RESIDUAL,
                                    {**B2, "ActorMinibatches": "explored"},
                                    "recipe_v2_residual with the actor's minibatches as many as the explored steps "
                                    "fill, for its fine phase (--fine_samples): there the noise is on 0.2 of the "
                                    "steps, and spinkick's residual curve, whose actor passed over each explored step "
                                    "10 times an update, went from 0 falls at its bar to 3-8 (clip fraction ~0.3 -> "
                                    "~0.57); before the bar the rate is 0.96-1.0, so the two barely differ there; "
                                    "forked at spinkick's bar: clip fraction 0.08-0.19, 3-5 falls all the same, not "
                                    "adopted"),
    "recipe_v2_residual_finenoise": (RESIDUAL,
                                     {**B2, "FineExpRate": 1.0},
                                     "recipe_v2_residual with the fine phase's noise on every step (FineExpRate 1) "
                                     "instead of on 0.2 of them: spinkick's fine phase fell from 3-8 starts at rate "
                                     "0.2 with the actor passing over each explored step 10 times (recipe_v2_residual) "
                                     "or twice (recipe_v2_residual_explored, clip fraction 0.08-0.19): the policy "
                                     "trained on 80% noiseless steps sees fewer of the states it must recover from; "
                                     "forked at the bars: spinkick 0 falls at 4.55M (shipped), run no closer (73 mm "
                                     "against 48), not the default"),
    "recipe_v2_residual_fine05": (RESIDUAL,
                                  {**B2, "FineExpRate": 0.5},
                                  "recipe_v2_residual with the fine phase's noise on half the steps: at 0.2 (the "
                                  "recipe) run came from 74 to 48 mm root-relative and spinkick fell from 3-8 starts; "
                                  "at 1 (recipe_v2_residual_finenoise) spinkick stood and neither came closer; "
                                  "between the two on both (run 58 mm, spinkick 1 fall), not adopted"),
    "recipe_v2_pose05": (["--agent_files", RECIPE_AGENT, "--pose_term_dist", "0.5"], B2,
                         "recipe_v2 + pose termination (a training episode fails once any body is 0.5 m from the "
                         "reference): forked from punch, whose trunk and punching arm stay 0.4-0.6 m behind the "
                         "reference's in the clip's opening lunge (its feet within 0.2 m) until it sinks backwards "
                         "~0.5 s later, where only the 1 m drift limit ends the episode"),
    "recipe_v2_g99": (["--agent_files", RECIPE_AGENT], {**B2, "Discount": 0.99},
                      "recipe_v2 with discount 0.99 instead of 0.95: forked from punch, whose fall comes ~1 s after "
                      "the lunge that causes it; at 0.95 a failure 30 steps ahead weighs 0.21, at 0.99 0.74"),
    "recipe_v2_net512": (["--agent_files", RECIPE_AGENT], {**B2, "ActorNet": "fc_2layers_512units",
                                                           "CriticNet": "fc_2layers_512units"},
                         "recipe_v2 with both nets at 512-256 units instead of DeepMimic's 1024-512, judged in wall hours "
                         "to the bar (measured on run: 1.33x the samples/s, lifts ~2M samples later, not at the bar by "
                         "7.0M)"),
    "recipe_b2_qfix_kneeless": ([*PRE_V2, "--fall_contact_bodies", *"0 1 2 3 6 7 8 9 12 13 14".split()], B2,
                                "recipe_b2_qfix with the shins (right_knee, left_knee) no longer fall bodies, forked from "
                                "spin: 10 of its 16 test falls are the right shin touching the ground where the reference "
                                "shin passes within 24 mm of it, so training episodes rarely see the clip past that phase "
                                "(measured 0.75M samples: its falls stay at those phases, on the neck, a wrist or a hip, "
                                "so it was stopped before the shins were to rejoin)"),
    "recipe_b2_qfix_driftcur": (["--agent_files", RECIPE_AGENT, "--drift_term_dist_beg", "3.0",
                                 "--drift_anneal_samples", "4000000"], B2,
                                "recipe_b2_qfix with the drift limit as a curriculum, 3 m at the first sample to 1 m at "
                                "4M: creeping run policies end most training episodes by drift ~2 s in and fall in "
                                "tests just past it, in states a 1 m limit never lets training see"),
    "recipe_b2_qfix_drift2": (PRE_V2_DRIFT2, B2,
                              "recipe_b2_qfix with drift termination at 2 m instead of 1 m: forked from punch, whose "
                              "falls come 1.4 m from the reference root, states a 1 m threshold never lets training see"),
    "recipe_b2_qfix_hold1": ([*PRE_V2, "--clip_end_hold", "1.0"], B2,
                             "recipe_b2_qfix with training episodes of a clip that does not loop played 1 s past its end "
                             "(last frame held): forked from punch, which topples in the clip's last frames, where a "
                             "fall cost almost nothing"),
    "recipe_b2_qfix_adapt": ([*PRE_V2, "--adaptive_starts", "0.5"], B2,
                             "recipe_b2_qfix with half the training episodes started where the rank's recent episodes "
                             "failed most (--adaptive_starts 0.5): forked from punch, whose falls all start in the "
                             "clip's first 15%"),
    "recipe_b2_qfix_failstarts": ([*PRE_V2, "--adaptive_starts", "0.5", "--adaptive_starts_at", "fail"], B2,
                                  "recipe_b2_qfix with half the training episodes started where the rank's recent "
                                  "episodes failed, counted where they ended (BeyondMimic's rule, --adaptive_starts_at "
                                  "fail), smoothed over the two bins before: forked from spin, which fails from every "
                                  "start, 12 of 16 test falls at phases 0.47-0.63, so counting by start stays "
                                  "uniform. Measured 25M -> 28M: 25.8-32.1 with 16 falls at every point, no lift; its "
                                  "falls spread to phases 0.22-0.36 (7 of 16)"),
    "recipe_b2_qfix_exp02": (PRE_V2, {**B2, **HELD_FINE_EXP},
                             "recipe_b2_qfix with DeepMimic's final exploration held from the start (noise on 0.2 of "
                             "the steps, not ~0.9), the actor step kept at 3e-5: forked from a creeping clip whose "
                             "noisy training return is a quarter of its test return"),
    "recipe_b2_fine": (PRE_V2, {**B2, "ActorStepsize": 1e-5, **HELD_FINE_EXP},
                       "recipe_b2 in a fine phase, forked past the bar: the actor step at 1e-5 (a third) and DeepMimic's "
                       "final exploration (noise on 0.2 of the steps, not ~0.9): closer tracking once the skill is learnt?"),
    "recipe_b2_fine_s3": (PRE_V2, {**B2, "ActorStepsize": 3e-6, **HELD_FINE_EXP},
                          "recipe_b2_fine with its step cut again, to 3e-6 (a tenth of the recipe's): forked from a fine "
                          "phase whose tracking error has levelled, a second step down of an annealed schedule; "
                          "does the error fall again?"),
    "recipe_b2_fine_ee3": ([*PRE_V2, "--reward_end_eff_w", "0.45"],
                           {**B2, "ActorStepsize": 1e-5, **HELD_FINE_EXP},
                           "recipe_b2_fine with the end-effector term weighted 0.45 instead of 0.15 (its share of the "
                           "reward 37%, not 17%): hands and feet are the bodies farthest from the reference in every "
                           "shipped policy; forked past the bar, does it bring them closer?"),
    "recipe_fine": (PRE_V2, {**V1, "ActorStepsize": 1e-5},
                    "the recipe with the actor step at 1e-5 (a third): forked from a skill's recipe run past its bar, to "
                    "measure whether smaller steps track the clip closer (tracking error) once the skill is learnt"),
    "recipe_anneal": (PRE_V2, {**V1, "ActorStepsizeEnd": 1e-5, "StepsizeAnnealSamples": 15000000},
                      "the recipe with the actor step annealed from 3e-5 to 1e-5 over 15M samples (smaller steps near the optimum)"),
    "fast": (PRE_V2, {**V1, "ActorStepsize": 1e-5},
             "the first recipe: actor step 1e-5"),
    "fast_lr3": (PRE_V2, {**V1, "ActorStepsize": 3e-5},
                 "the fast recipe with a 3x actor step (3e-5)"),
    "warm_adam": (["--agent_files", "data/agents/ct_agent_humanoid_ppo_deepmimic.txt", *FIXED_20S,
                   "--drift_term_dist", "1.0", "--warm_start_samples", "16000"],
                  {"Optimizer": "Adam", "ActorStepsize": 2e-5, "CriticStepsize": 1e-4, "Epochs": 2},
                  "drift_adam + warm start (actor fitted to the clip's PD targets, 16k samples per rank)"),
    "warm_adam_g99": (["--agent_files", "data/agents/ct_agent_humanoid_ppo_deepmimic.txt", *FIXED_20S,
                       "--drift_term_dist", "1.0", "--warm_start_samples", "16000"],
                      {"Optimizer": "Adam", "ActorStepsize": 2e-5, "CriticStepsize": 1e-4, "Epochs": 2,
                       "Discount": 0.99},
                      "warm_adam with discount 0.99 (MimicKit's) instead of 0.95"),
}


def write_agent_file(base, overrides, path):
    with open(os.path.join(ROOT, base)) as f:
        cfg = json.load(f)
    cfg.update(overrides)
    with open(path, "w") as f:
        json.dump(cfg, f, indent=1)
    return path


def recipe_or_deepmimic(config):
    """The arg file a configuration starts from: the recipe's (``train_..._args.txt``) or DeepMimic's."""
    return "" if config.startswith(("recipe", "fast")) else "_deepmimic"


#: Residual actions joined the train_ files after every other configuration was measured with plain PD targets: those
#: pin them, so each command still trains what its committed curve trained.
PLAIN_ACTIONS = ["--residual_actions", "false"]


def config_args(config):
    """A configuration's arg-file overrides, with plain actions pinned unless it names --residual_actions."""
    extra = list(CONFIGS[config][0])
    return extra if "--residual_actions" in extra else [*extra, *PLAIN_ACTIONS]


def train_command(a, out):
    _, agent_over, _ = CONFIGS[a.config]
    extra = config_args(a.config)
    if agent_over:
        i = extra.index("--agent_files")
        extra[i + 1] = write_agent_file(extra[i + 1], agent_over, os.path.join(out, "agent.txt"))
    mpiexec = mpi_util.find_mpiexec()
    cmd = [mpiexec, "-n", str(a.procs), sys.executable, os.path.join(ROOT, "deepmimic", "DeepMimic_Optimizer.py"),
           "--arg_file", arg_file(a.skill, a.config),
           *extra,
           "--output_path", out, "--int_output_path", os.path.join(out, "intermediate"),
           "--max_samples", str(int(a.samples)), "--rand_seed", str(a.seed),
           "--curve_every", str(int(a.every)), "--curve_episodes", str(a.episodes)]
    if a.stop_at_bar:  # the skill's bar (deepmimic.tools.skill_bars), judged by the optimizer on the curve
        bar = skill_bars.skill_bar(a.skill)
        cmd += ["--stop_at_return", repr(float(bar.ret)), "--stop_max_falls", str(bar.max_falls),
                "--fine_samples", str(int(a.fine_samples))]
    model = os.path.join(out, "agent0_model_anet.pth")
    if os.path.isfile(model):
        cmd += ["--model_files", model]  # resume: the run and its curve continue
    return cmd


def run_training(cmd, log_path):
    """Run the training ``cmd`` (mpiexec) with its output appended to ``log_path``; its exit code, and whether
    it was stopped. Ctrl-C or SIGTERM to this script reaches mpiexec as exactly one Ctrl-C, so every rank
    saves before it ends (a second Ctrl-C to mpiexec would abort the ranks unsaved). mpiexec runs in its own
    session so that a terminal's Ctrl-C reaches it only through here."""
    stop = {"asked": False}

    def stopping():
        stop["asked"] = True
        print("stopping: the training saves its model, then its curve is published", flush=True)
    with open(log_path, "a") as log:
        rc = mpi_util.run_child(cmd, once=True, on_stop=stopping, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    return rc, stop["asked"]


def run_name(skill, config, seed=1):
    """A run's name in benchmarks/results: ``<skill>_<config>``, with ``_seed<N>`` for a seed other than 1 (the
    default): another seed of a configuration is a curve of its own, never a continuation of the first one's."""
    return f"{skill}_{config}" + (f"_seed{seed}" if seed != 1 else "")


def seed_source(a):
    """The committed checkpoint prefix and curve a new run folder starts from, and the option that named them:
    --resume_from continues this configuration's curve; --fork_from continues another configuration's model and
    curve under this configuration, to measure a change from that point on."""
    if a.fork_from:
        name = f"{a.skill}_{a.fork_from}"
        return os.path.join(RESULTS, "checkpoints", name), os.path.join(RESULTS, name + ".csv"), "--fork_from"
    return a.resume_from, os.path.join(RESULTS, run_name(a.skill, a.config, a.seed) + ".csv"), "--resume_from"


def seed_run(out, prefix, curve, option):
    """Copy a committed checkpoint and its curve into an empty run folder, so the run resumes there. A folder that
    already holds this run, at or past the checkpoint (its curve continues the committed one), is resumed as it
    is, so the resume command written for a fresh machine also works where the run was trained."""
    if os.path.isfile(os.path.join(out, "agent0_model_anet.pth")):
        from deepmimic.learning.learning_curve import read_curve
        local = os.path.join(out, "learning_curve.csv")
        if os.path.isfile(local) and continues(read_curve(local), read_curve(curve)):
            print(f"{out} already holds this run, at or past {option}'s checkpoint: resuming it there", flush=True)
            return
        raise DeepMimicError(f"already holds a model of another run: resume it without {option}, or give another --out",
                             out)
    for part in ("anet", "cnet"):
        atomic_copy(f"{prefix}_{part}.pth", os.path.join(out, f"agent0_model_{part}.pth"))
    atomic_copy(curve, os.path.join(out, "learning_curve.csv"))


def continues(new_rows, old_rows):
    """Whether a curve's rows begin with every point of ``old_rows`` (same samples, return and falls)."""
    def key(r):
        return r["samples"], round(r["test_return_mean"], 3), r["test_falls"]
    return len(new_rows) >= len(old_rows) and all(key(n) == key(o) for n, o in zip(new_rows, old_rows))


def publish(curve, skill, config, seed=1):
    """Copy a run's curve to benchmarks/results with its plot, and redraw the skill's comparison plot. A committed
    curve is replaced only by one that continues it: a short test run into another folder never overwrites it."""
    import glob
    from deepmimic.learning.learning_curve import read_curve
    from deepmimic.plot_log import plot_curves
    name = run_name(skill, config, seed)
    os.makedirs(RESULTS, exist_ok=True)
    target = os.path.join(RESULTS, name + ".csv")
    if os.path.isfile(target):
        old, new = read_curve(target), read_curve(curve)
        if not continues(new, old):
            raise DeepMimicError(f"not published: the run's curve ({len(new)} points, to {new[-1]['samples'] if new else 0:,} "
                                 f"samples, in {curve}) does not continue the committed one ({len(old)} points); keep it "
                                 "under another --config or move the committed one first", target)
    atomic_copy(curve, target)
    seed_note = f" (seed {seed})" if seed != 1 else ""
    plot_curves([curve], os.path.join(RESULTS, name + ".png"), f"{skill}{seed_note}: {CONFIGS[config][2]}")
    every = sorted(glob.glob(os.path.join(RESULTS, f"{skill}_*.csv")))
    plot_curves(every, os.path.join(RESULTS, f"{skill}_all_configs.png"), f"{skill}: every configuration measured")


def keep_checkpoint(out, name):
    """The run's latest model (with Adam's state), where ``--resume_from`` continues it next session."""
    os.makedirs(os.path.join(RESULTS, "checkpoints"), exist_ok=True)
    for part in ("anet", "cnet"):
        src = os.path.join(out, f"agent0_model_{part}.pth")
        if os.path.isfile(src):
            atomic_copy(src, os.path.join(RESULTS, "checkpoints", f"{name}_{part}.pth"))


def arg_file(skill, config):
    return os.path.join(ROOT, "args", f"train_humanoid3d_{skill}{recipe_or_deepmimic(config)}_args.txt")


def check_args(p, a):
    """Every value checked before a folder is made or a process started (argparse's error: exit code 2)."""
    path = arg_file(a.skill, a.config)
    if not os.path.isfile(path):
        p.error(f"--skill {a.skill}: there is no {os.path.relpath(path, ROOT)}")
    check_ranges(p, a, {"samples": (1, MAX_INT), "procs": KEYS["num_workers"].bounds, "seed": KEYS["rand_seed"].bounds,
                        "every": (1, MAX_INT), "episodes": KEYS["curve_episodes"].bounds, "fine_samples": (0, MAX_INT)})
    if a.fine_samples > 0 and not a.stop_at_bar:
        p.error("--fine_samples is a phase after the bar: give --stop_at_bar too")
    if a.resume_from and a.fork_from:
        p.error("--resume_from and --fork_from: give one (continue this configuration's run, or fork another's)")
    if a.fork_from == a.config:
        p.error(f"--fork_from {a.fork_from}: that is --config itself; continue its run with --resume_from")
    if a.resume_from or a.fork_from:
        prefix, curve, option = seed_source(a)
        needed = [f"{prefix}_{part}.pth" for part in ("anet", "cnet")] + [curve]
        missing = [path for path in needed if not os.path.isfile(path)]
        if missing:
            shown = os.path.relpath(missing[0], ROOT) if missing[0].startswith(ROOT + os.sep) else missing[0]
            p.error(f"{option} {a.resume_from or a.fork_from}: {shown} not found")
        check_model_matches_curve(p, f"{option} {a.resume_from or a.fork_from}", f"{prefix}_anet.pth", curve, a.every)


def check_model_matches_curve(p, what, anet, curve, every):
    """A committed model continues its curve only if it is that curve's run at its end: at or past the last
    point and within one point's spacing of it. A curve published after the model was committed (or a
    model of another run) would otherwise be continued from the wrong weights, silently."""
    from deepmimic.learning.learning_curve import read_curve
    from deepmimic.learning.model_io import load_checkpoint
    from deepmimic.util.errors import DeepMimicError
    try:
        model, rows = load_checkpoint(anet, "actor").get("samples", 0), read_curve(curve)
    except DeepMimicError as e:
        p.error(f"{what}: {e}")
    last = rows[-1]["samples"] if rows else 0
    if not last <= model <= last + every:
        p.error(f"{what}: the model is at {model:,} samples, its curve {os.path.basename(curve)} ends at {last:,}; "
                f"commit the run's model and curve together")


def main():
    p = ToolArgumentParser(prog="learning_curve", description=__doc__.splitlines()[0])
    p.add_argument("--skill", default="walk")
    p.add_argument("--config", default="recipe", choices=sorted(CONFIGS))
    p.add_argument("--samples", type=float, default=1e6)
    p.add_argument("--procs", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--every", type=float, default=250000, help="samples between curve points")
    p.add_argument("--episodes", type=int, default=KEYS["curve_episodes"].default, help="test episodes per curve point")
    p.add_argument("--out", help="run folder (default output/curves/<skill>_<config>, with _seed<N> for --seed N "
                                 "other than 1)")
    p.add_argument("--list", action="store_true", help="list the configurations and exit")
    p.add_argument("--resume_from", metavar="PREFIX",
                   help="start a new --out from a committed checkpoint PREFIX_anet.pth/_cnet.pth and its curve "
                        "benchmarks/results/<skill>_<config>.csv (a run continued on another machine)")
    p.add_argument("--fork_from", metavar="CONFIG", choices=sorted(CONFIGS),
                   help="start a new --out of --config from CONFIG's committed checkpoint "
                        "(benchmarks/results/checkpoints/<skill>_<CONFIG>_anet.pth/_cnet.pth) and its curve: a lever "
                        "measured from that point on, against CONFIG's own run continued")
    p.add_argument("--stop_at_bar", action="store_true",
                   help="end the run once two curve points in a row pass the skill's bar (walk 450 with <= 1 fall of 16, "
                        "the others 360 with <= 2, a clip that does not loop 0.6 a step; deepmimic.tools.skill_bars)")
    p.add_argument("--fine_samples", type=float, default=0,
                   help="with --stop_at_bar: train this many samples past the bar in the fine phase (the recipe: 1M), "
                        "then stop (default 0: stop at the bar, to measure samples to the bar)")
    p.add_argument("--keep_checkpoint", action="store_true",
                   help="after training, copy the run's model to benchmarks/results/checkpoints/"
                        "<skill>_<config>[_seed<N>]_*.pth, where --resume_from continues it on another machine")
    p.add_argument("--publish", action="store_true",
                   help="do not train: copy the run's curve to benchmarks/results and redraw the plots")
    a = p.parse_args()
    if a.list:
        for name, (_, _, what) in CONFIGS.items():
            print(f"{name:12s} {what}")
        return
    check_args(p, a)
    name = run_name(a.skill, a.config, a.seed)
    out = os.path.abspath(a.out or os.path.join(ROOT, "output", "curves", name))
    if a.publish and not os.path.isfile(os.path.join(out, "learning_curve.csv")):
        raise DeepMimicError("--publish: no learning curve here to publish; train the run first", out)
    check_writable_dir(out, "out")
    if a.resume_from or a.fork_from:
        seed_run(out, *seed_source(a))
    rc, stopped = 0, False
    if not a.publish:
        cmd = train_command(a, out)
        print(" ".join(cmd), flush=True)
        rc, stopped = run_training(cmd, os.path.join(out, "train_stdout.txt"))
    curve = os.path.join(out, "learning_curve.csv")
    if a.keep_checkpoint and not a.publish:
        keep_checkpoint(out, name)
    if os.path.isfile(curve):
        publish(curve, a.skill, a.config, a.seed)
        print(open(curve).read().splitlines()[-1])
    if stopped:
        print(f"stopped (training exit code {rc}); the same command resumes the run in {out}")
        return 130
    if rc != 0:
        raise DeepMimicError(f"training exited with code {rc}; see {out}/train_stdout.txt")
    return 0


if __name__ == "__main__":
    sys.exit(run_cli(main))
