"""A helping hand in early training: a PD push toward the reference root, spread over the body, faded away.

Why: from scratch every test episode falls for millions of samples (the creep) while the policy learns balance and
the motion at once. Held up at the root, training episodes run on through the whole clip, so the joints learn the
motion first; the hand then fades and balance is learnt on a policy that already moves right. This is the
assistive-force curriculum of Yu, Turk and Liu (2018, "Learning symmetric and low-energy locomotion") and, kept on,
residual force control (Yuan and Kitani 2020). Training episodes only: test episodes are never assisted, so the
learning curve measures the policy alone.
"""
import numpy as np
import pybullet

_ZERO = (0.0, 0.0, 0.0)

#: Natural frequency (rad/s) and damping ratio of the full-strength hand: a 0.1 m error pulls with ~1 body weight,
#: a 0.5 rad tilt turns back in ~0.2 s. ``--assist_gain`` scales both.
OMEGA, ZETA = 10.0, 1.0
KP, KD = OMEGA ** 2, 2.0 * ZETA * OMEGA


def _rotation_vector(q_to, q_from):
    """Axis times angle (rad, in [-pi, pi]) of the world-frame turn from ``q_from`` to ``q_to`` (x, y, z, w), by
    PyBullet's quaternion routines (one C call each; numpy costs ~8x more on a single quaternion)."""
    turn = pybullet.multiplyTransforms(_ZERO, q_to, _ZERO, pybullet.invertTransform(_ZERO, q_from)[1])[1]
    axis, angle = pybullet.getAxisAngleFromQuaternion(turn)
    if angle > np.pi:  # the short way round
        angle -= 2.0 * np.pi
    return np.asarray(axis) * angle


def root_accelerations(scale, pos, rot, vel, ang_vel, ref_pos, ref_rot, ref_vel, ref_ang_vel):
    """The linear (m/s^2) and angular (rad/s^2) world-frame accelerations the hand asks of a root at ``pos``, ``rot``
    moving at ``vel``, ``ang_vel``, toward its reference, at strength ``scale`` (1: full)."""
    rot_err = _rotation_vector(list(ref_rot), list(rot))
    lin = scale * (KP * (np.asarray(ref_pos) - pos) + KD * (np.asarray(ref_vel) - vel))
    ang = scale * (KP * rot_err + KD * (np.asarray(ref_ang_vel) - ang_vel))
    return lin, ang


class RootAssist:
    """The hand on one PyBullet body, a 30 Hz controller like the policy: ``push`` reads the root once per control
    step and returns the forces, ``apply`` exerts them before each physics step (PyBullet clears external forces
    after every step). The error is read at the base, which the reference root describes; the push is spread over
    every link by its mass, as if the body were rigid (each link ``m (a + alpha x r)``): a push on the root alone
    spins the light pelvis against its PD-held neighbours and blows up."""

    def __init__(self, pb, body, num_links):
        self.pb, self.body = pb, body
        masses = [pb.getDynamicsInfo(body, link)[0] for link in range(num_links)]
        self.links = [link for link, mass in enumerate(masses) if mass > 0]
        self.mass = np.array([masses[link] for link in self.links])[:, None]

    def forces(self, lin, ang, root_pos, link_pos):
        """Per-link world forces (N) that give every link the root's accelerations ``lin`` and ``ang``."""
        r = np.asarray(link_pos) - root_pos
        ang_x_r = np.stack([ang[1] * r[:, 2] - ang[2] * r[:, 1], ang[2] * r[:, 0] - ang[0] * r[:, 2],
                            ang[0] * r[:, 1] - ang[1] * r[:, 0]], axis=1)
        return self.mass * (lin + ang_x_r)

    def push(self, scale, ref):
        """The forces toward ``ref`` (root_pos, root_rot, root_vel, root_ang_vel) at strength ``scale``, from the body's
        state now: a list of (link, force, point), all in world coordinates."""
        pb = self.pb
        pos, rot = pb.getBasePositionAndOrientation(self.body)
        vel, ang_vel = pb.getBaseVelocity(self.body)
        pos = np.asarray(pos)
        lin, ang = root_accelerations(scale, pos, np.asarray(rot), np.asarray(vel), np.asarray(ang_vel),
                                      ref.root_pos, ref.root_rot, ref.root_vel, ref.root_ang_vel)
        link_pos = [s[0] for s in pb.getLinkStates(self.body, self.links)]
        return list(zip(self.links, self.forces(lin, ang, pos, link_pos).tolist(), link_pos))

    def apply(self, pushes):
        """Exert ``push``'s forces for one physics step."""
        apply_force, body, frame = self.pb.applyExternalForce, self.body, self.pb.WORLD_FRAME
        for link, force, at in pushes:
            apply_force(body, link, force, at, frame)
