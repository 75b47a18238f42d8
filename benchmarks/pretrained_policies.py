"""Play shipped policies in our env and in the upstream env, same starts, same policy.

    python benchmarks/pretrained_policies.py [--episodes 20] [--max_steps 600] [--skills backflip_upstream jump_upstream]
    python benchmarks/pretrained_policies.py --skills walk walk_upstream walk_upstream_com --episodes 16 --envs ours

A policy name is the file prefix in data/policies/humanoid3d/ (``walk_upstream`` is the converted
upstream checkpoint); its clip is the name's first word. A name ending in .pth is any anet file (a
training checkpoint), played on the clip ``--clip``. Episodes start at the
learning curve's seeded start times (the same for every policy and env) and end at a fall or after
``max_steps`` control steps (20 s). Each line gives the mean return, falls, reward per control step and the
tracking error (mm, every body's distance to the reference pose over every step; root-relative: both roots
subtracted, ``deepmimic.env.tracking_error``). The upstream env (``tests/upstream_env.py``) runs the same network
weights (TF is not needed: the converted .pth reproduces the TF graph), so any difference between envs comes from
the envs.
"""
import contextlib
import io
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from deepmimic.env.observation import REF_ROOT_SIZE
from deepmimic.policy import Policy
from deepmimic.learning.rollout import run_episodes, summarize
from deepmimic.util.arg_keys import KEYS
from deepmimic.util.errors import ToolArgumentParser, check_ranges, run_cli
from deepmimic.util.paths import load_script

#: the upstream port's env beside ours, the tests' oracle
oracle = load_script(os.path.join(ROOT, "tests", "upstream_env.py"))


def main():
    p = ToolArgumentParser(prog="pretrained_policies", description=__doc__.splitlines()[0])
    p.add_argument("--episodes", type=int, default=20)
    p.add_argument("--max_steps", type=int, default=600)
    p.add_argument("--skills", nargs="+", default=["backflip_upstream", "jump_upstream"], help="policy names (file prefixes)")
    p.add_argument("--envs", nargs="+", default=["ours", "upstream"], choices=["ours", "upstream"])
    p.add_argument("--clip", default="walk", help="skill whose clip .pth files play (default walk)")
    p.add_argument("--smooth_ref_vel", choices=["true", "false"],
                   help="our env's reference velocities for every policy (default: each policy's own setting)")
    a = p.parse_args()
    check_ranges(p, a, {"episodes": KEYS["curve_episodes"].bounds, "max_steps": KEYS["max_steps"].bounds})
    from deepmimic.learning.learning_curve import curve_starts
    for name in a.skills:
        act, skill = Policy.load(name), a.clip if name.endswith(".pth") else name.split("_upstream")[0]
        with contextlib.redirect_stderr(io.StringIO()):
            # --smooth_ref_vel: DeepMimic's start states (true) or upstream's (false), whatever the policy trained on
            ours = act.make_env(skill, **({"smooth_ref_vel": a.smooth_ref_vel == "true"} if a.smooth_ref_vel else {}))
            fall = list(ours.cfg.fall_contact_bodies)  # the policy's own: cartwheel's hands may touch, a getup anything
            one_clip = len(ours.motions) == 1  # upstream's multiclip env always leads with its first clip
            playable = act.state_size in oracle.UPSTREAM_STATE_SIZES and one_clip
            up = oracle.make_upstream_env(skill, fall) if "upstream" in a.envs and playable else None
        if "upstream" in a.envs and up is None:
            why = (f"its state has {act.state_size} entries; the upstream env gives {oracle.UPSTREAM_STATE_SIZES[0]} "
                   f"(+{REF_ROOT_SIZE} with the reference root)" if one_clip else
                   f"upstream's multiclip env always leads with its first clip, ours with each of the {len(ours.motions)}")
            print(f"{os.path.basename(name):18s} upstream  skipped: {why}")
        starts = curve_starts(ours.motions, a.episodes)  # the learning curve's (clip, time) of each episode
        res = {}
        if "ours" in a.envs:
            res["ours"] = run_episodes(act, [ours], len(starts), a.max_steps, start_times=starts)
        if up is not None:
            end = None if ours.motion.loop else ours.motion.cycle_time  # kick, punch, the getups end with the clip
            up_act = oracle.upstream_actor(act, ours, up)
            res["upstream"] = [oracle.run_upstream(up, up_act, t, a.max_steps, end) for _, t in starts]
        for env_name, rows in res.items():
            rets, point = np.array([r.ret for r in rows]), summarize(rows)
            print(f"{os.path.basename(name):18s} {env_name:9s} mean return {rets.mean():7.2f}  std {rets.std():6.2f}  "
                  f"mean length {np.mean([r.length for r in rows]):6.1f}  falls {point['falls']}/{len(rows)}  "
                  f"reward/step {rets.sum() / sum(r.length for r in rows):.3f}  "
                  f"tracking error {point['body_err_mm']:6.1f} mm  root-relative {point['body_err_rel_mm']:5.1f} mm")
        if len(res) == 2:
            m_ours, m_up = (np.mean([r.ret for r in res[k]]) for k in ("ours", "upstream"))
            print(f"{name:18s} ours / upstream mean return: {m_ours / m_up:.3f}")


if __name__ == "__main__":
    sys.exit(run_cli(main))
