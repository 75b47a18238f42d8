"""Where and how a policy fails: the learning curve's 16 test episodes, one row each.

    python benchmarks/where_it_falls.py --policy output/curves/jump_recipe/agent0_model_anet.pth --skill jump
    python benchmarks/where_it_falls.py --policy backflip_upstream --skill backflip   # a shipped policy by name
    python benchmarks/where_it_falls.py --policy punch --skill punch --start_times 0 0.05 0.1 0.15 0.2   # the opening
    python benchmarks/where_it_falls.py --policy <model> --skill spin --fall_contact_bodies 0 1 2 3 4 6 7 8 9 10 12 13 14

For each episode (the curve's seeded start times, 20 s, ended by a fall or by the end of a clip that does not
loop): the return; when it fell (seconds after the start, and the clip's phase at the start and at the fall: a
fall at a phase before the start's came after a completed cycle); which bodies touched the ground; how far
the root was from the reference root, and where the reference root was in the character's heading frame
(ahead, to the side); the highest root height against the reference's; and the mean of each reward term. A summary line follows, then how
training-mode episodes end under the run's own termination (fall, drift or pose distance, time). Meant for
the question a stuck learning curve raises: does the policy fall at one place in the clip, and how (drift,
height, contact)? A last line says where its tracking error sits (the bodies farthest from the reference, the
error by tenth of the clip), for a policy that stands but tracks loosely.
"""
import contextlib
import io
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from deepmimic.learning.rollout import reset_at
from deepmimic.policy import Policy
from deepmimic.env.reward import heading_frame_offsets
from deepmimic.util.arg_keys import KEYS
from deepmimic.util.errors import ToolArgumentParser, check_ranges, run_cli

TERMS = ("pose_reward", "vel_reward", "end_eff_reward", "root_reward")


def episode(env, act, start, max_steps):
    """One test episode: a dict of what the row shows."""
    s, ret, terms, height, ref_height = reset_at(env, start), 0.0, [], 0.0, 0.0
    start_phase, body_rel, phases = env.phase(), [], []
    for _ in range(max_steps):
        s, r, done, _ = env.step(act(s))
        ret += r
        terms.append([env.last_reward_terms[k] for k in TERMS])  # the step's reward, term by term
        body_rel.append(env.body_errors[1])  # each body's root-relative distance from the reference's
        phases.append(env.phase())
        height = max(height, env.pb.getBasePositionAndOrientation(env.body)[0][1])
        ref_height = max(ref_height, float(env.motion.reference(env.t).root_pos[1]))
        if done:  # a fall, the time limit, the end of a clip that does not loop: as the learning curve ends it
            break
    fell = env.has_fallen()
    base_pos, base_rot = env.pb.getBasePositionAndOrientation(env.body)
    ahead = heading_frame_offsets([env.motion.reference(env.t).root_pos], base_pos, base_rot)[0]
    touching = sorted({c[3] for c in env.pb.getContactPoints(bodyA=env.body, bodyB=env.plane)} - {-1}) if fell else []
    return dict(ret=ret, fell=fell, time=env.t - env.start_time, start_phase=start_phase, phase=env.phase(), bodies=[env.char.names[b] for b in touching],
                drift=env.root_drift_sq ** 0.5, fwd=ahead[0], lat=ahead[2], height=height, ref_height=ref_height, terms=np.mean(terms, axis=0),
                body_rel=np.array(body_rel), phases=np.array(phases))


def where_tracking_errs(env, rows, top=5):
    """Where the root-relative tracking error sits over every step of ``rows``: the bodies farthest from the
    reference on average, and the error by tenth of the clip's phase (what limits a policy that does not fall)."""
    rel, phases = np.concatenate([r["body_rel"] for r in rows]), np.concatenate([r["phases"] for r in rows])
    by_body = rel.mean(axis=0)
    worst = np.argsort(by_body)[::-1][:top]
    tenth = np.minimum((phases * 10).astype(int), 9)
    by_phase = [rel[tenth == k].mean() * 1000 if np.any(tenth == k) else float("nan") for k in range(10)]
    return (f"tracking error root-relative {rel.mean() * 1000:.0f} mm; the farthest bodies: "
            + ", ".join(f"{env.char.names[b]} {by_body[b] * 1000:.0f}" for b in worst)
            + " mm; by tenth of the clip's phase: " + " ".join(f"{x:.0f}" for x in by_phase) + " mm")


def training_ends(env, act, episodes, seed=0):
    """How training episodes end under the run's own termination (falls, and drift or pose distance when its
    settings set them), with the policy's mean action from random starts: {cause: [lengths in steps]}."""
    from deepmimic.env.imitation_env import Mode, Terminate
    env.set_mode(Mode.TRAIN)
    rng, ends = np.random.default_rng(seed), {"fall": [], "drift or pose distance": [], "time": []}
    for _ in range(episodes):
        s, steps, term = env.reset(start_time=rng.uniform(0.0, env.motion.cycle_time)), 0, None
        while term is None:
            s, _, _, term = env.step(act(s))
            steps += 1
        cause = "time" if term == Terminate.NULL else "fall" if env.has_fallen() else "drift or pose distance"
        ends[cause].append(steps)
    env.set_mode(Mode.TEST)
    return ends


def main():
    p = ToolArgumentParser(prog="where_it_falls", description=__doc__.splitlines()[0])
    p.add_argument("--policy", required=True, help="a shipped policy's name or an anet .pth file")
    p.add_argument("--skill", required=True, help="the clip it plays (humanoid3d_<skill>.txt)")
    p.add_argument("--episodes", type=int, default=16)
    p.add_argument("--max_steps", type=int, default=600)
    p.add_argument("--start_times", type=float, nargs="+", metavar="T",
                   help="play from these times of the clip (s) instead of the curve's starts: a stretch of the clip "
                        "(its opening, where a picture from the clip's start falls) judged on its own")
    p.add_argument("--fall_contact_bodies", type=int, nargs="+", metavar="ID",
                   help="judge falls by these bodies (ids of the character file) instead of the policy's own: a model "
                        "trained with fewer fall bodies (a termination curriculum) judged by its clip's")
    p.add_argument("--train_episodes", type=int, default=32,
                   help="training-mode episodes (the run's termination, random starts) to count how they end; 0: none")
    a = p.parse_args()
    check_ranges(p, a, {"episodes": KEYS["curve_episodes"].bounds, "max_steps": KEYS["max_steps"].bounds,
                        "train_episodes": (0, KEYS["curve_episodes"].bounds[1])})
    from deepmimic.env.imitation_env import Mode
    from deepmimic.learning.learning_curve import curve_starts
    from deepmimic.tools.skill_bars import check_skill
    check_skill(a.skill)  # a misspelt clip names the flag, not the motion file it would have read
    act = Policy.load(a.policy)
    with contextlib.redirect_stderr(io.StringIO()):
        env = act.make_env(a.skill, **({"fall_contact_bodies": a.fall_contact_bodies} if a.fall_contact_bodies else {}))
    env.set_mode(Mode.TEST)
    if a.start_times:
        if len(env.motions) > 1:
            p.error(f"--start_times: --skill {a.skill} is a set of {len(env.motions)} clips; give one clip")
        duration = env.motion.cycle_time
        bad = [t for t in a.start_times if not 0.0 <= t < duration]  # also nan
        if bad:
            p.error(f"--start_times: {bad[0]:g} is not a time of the {a.skill} clip (0 to {duration:.2f} s)")
    starts = a.start_times or curve_starts(env.motions, a.episodes)  # the given times, or the curve's
    rows = [episode(env, act, start, a.max_steps) for start in starts]
    print(f"{'return':>7s} {'fell':>4s} {'after s':>7s} {'phase from -> at':>16s} {'drift m':>7s} {'ref fwd / side':>14s} {'root top / ref':>14s}  "
          f"{'pose vel end root (mean terms)':30s}  bodies touching")
    for r in rows:
        print(f"{r['ret']:7.1f} {'yes' if r['fell'] else 'no':>4s} {r['time']:7.2f} {r['start_phase']:8.2f} -> {r['phase']:4.2f} "
              f"{r['drift']:7.2f} {r['fwd']:6.2f} / {r['lat']:5.2f} "
              f"{r['height']:6.2f} / {r['ref_height']:5.2f}  {' '.join(f'{x:.2f}' for x in r['terms']):30s}  "
              f"{' '.join(r['bodies'])}")
    falls = [r for r in rows if r["fell"]]
    summary = f"{len(falls)}/{len(rows)} falls, mean return {np.mean([r['ret'] for r in rows]):.1f}"
    if falls:
        summary += (f"; a fall comes after {np.median([r['time'] for r in falls]):.2f} s (median), at phases "
                    f"{', '.join(format(r['phase'], '.2f') for r in sorted(falls, key=lambda r: r['phase']))}; "
                    f"{np.median([r['drift'] for r in falls]):.2f} m from the reference root (median; the reference "
                    f"{np.median([r['fwd'] for r in falls]):+.2f} m ahead, {np.median([r['lat'] for r in falls]):+.2f} m "
                    f"to the side, in the character's heading frame)")
    print(summary)
    print(where_tracking_errs(env, rows))
    if a.train_episodes:
        ends = training_ends(env, act, a.train_episodes)
        print(f"training episodes (drift termination {env.drift_limit():g} m, pose {env.cfg.pose_term_dist:g} m; "
              f"mean action, random starts) end by: " + ", ".join(
                  f"{k} {len(v)}/{a.train_episodes}" + (f" (median {np.median(v):.0f} steps)" if v else "")
                  for k, v in ends.items()))


if __name__ == "__main__":
    sys.exit(run_cli(main))
