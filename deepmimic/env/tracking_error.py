"""Tracking error: how far, in metres, the simulated bodies are from the same bodies of the reference pose.

The reward says how well a clip is tracked only through exponentials of weighted sums, so two policies with the
same return can sit centimetres or decimetres from their clip. This is the number trackers report instead:
per control step, the mean over the character's bodies of the distance between each simulated body and the
same body of the reference pose at that time — ``global`` as it is (PHC's G-MPJPE, MimicKit's
``body_pos_err``), and ``root-relative`` with each pose's own root body subtracted first (PHC's MPJPE), so a
character that tracks its limbs well but has drifted off the clip's path is told apart from one that does not.
"""
from typing import NamedTuple

import numpy as np


class BodyError(NamedTuple):
    """One control step's tracking error (m): the mean body distance, as it is and with the roots subtracted."""
    global_m: float
    root_rel_m: float


def body_pos_errors(sim_pos, ref_pos):
    """Each body's distance (m) from the same reference body, as it is and root-relative: two (bodies,) arrays.
    ``sim_pos`` and ``ref_pos`` are (bodies, 3), the same body order, the root body first. Which bodies carry the
    error says what limits a policy's tracking (its hands, its feet, its height)."""
    sim_pos, ref_pos = np.asarray(sim_pos, dtype=np.float64), np.asarray(ref_pos, dtype=np.float64)
    diff = sim_pos - ref_pos
    rel = diff - diff[0]  # (sim - sim_root) - (ref - ref_root)
    return np.linalg.norm(diff, axis=1), np.linalg.norm(rel, axis=1)


def body_pos_error(sim_pos, ref_pos):
    """``BodyError`` of simulated body positions ``sim_pos`` against the reference's ``ref_pos``: the means over
    the bodies of ``body_pos_errors``."""
    dist, rel = body_pos_errors(sim_pos, ref_pos)
    return BodyError(float(np.mean(dist)), float(np.mean(rel)))
