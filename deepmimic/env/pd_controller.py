"""PD gains from a DeepMimic controller file, and PyBullet stable-PD commands built from them."""
import numpy as np

from deepmimic.util.errors import DeepMimicError, load_json_file


def load_pd_gains(path, char):
    """Return (kp, kd) arrays, one entry per character joint, from ``PDControllers``."""
    data = load_json_file(path, "controller")
    ctrls = data.get("PDControllers") if isinstance(data, dict) else None
    if not isinstance(ctrls, list):
        raise DeepMimicError("controller file needs a 'PDControllers' list", path)
    if len(ctrls) != char.num_joints:
        raise DeepMimicError(f"'PDControllers' has {len(ctrls)} entries but the character has "
                             f"{char.num_joints} joints", path)
    kp, kd = np.zeros(char.num_joints), np.zeros(char.num_joints)
    for i, c in enumerate(ctrls):
        try:
            kp[i], kd[i] = float(c["Kp"]), float(c["Kd"])
        except (KeyError, TypeError, ValueError):
            raise DeepMimicError(f"controller {i} needs numeric 'Kp' and 'Kd'", path)
        if not (np.isfinite(kp[i]) and np.isfinite(kd[i])) or kp[i] < 0 or kd[i] < 0:
            raise DeepMimicError(f"controller {i} needs finite, non-negative gains, got Kp {kp[i]:g} and Kd {kd[i]:g}", path)
    return kp, kd


class StablePD:
    """Drives the actuated joints with PyBullet's STABLE_PD_CONTROL towards target poses."""

    def __init__(self, pb, body, char, kp, kd):
        self._pb, self._body = pb, body
        self.joints = [int(j) for j in char.actuated]
        self._is_sph = [char.types[j] == "spherical" for j in self.joints]
        self._kp = [float(kp[j]) for j in self.joints]
        self._kd = [float(kd[j]) for j in self.joints]
        self._forces = [[float(char.torque_lim[j])] * (3 if s else 1) for j, s in zip(self.joints, self._is_sph)]
        self._zero_vel = [[0.0] * (3 if s else 1) for s in self._is_sph]
        self._targets = None
        self.disable_default_motors()

    def disable_default_motors(self):
        """PyBullet gives joints velocity motors by default; zero them so only our PD acts."""
        pb, b = self._pb, self._body
        for j in self.joints:
            pb.setJointMotorControl2(b, j, pb.POSITION_CONTROL, targetPosition=0, positionGain=0,
                                     targetVelocity=0, force=0)
            pb.setJointMotorControlMultiDof(b, j, pb.POSITION_CONTROL, targetPosition=[0, 0, 0, 1],
                                            targetVelocity=[0, 0, 0], positionGain=0, velocityGain=1,
                                            force=[0, 0, 0])

    def set_targets(self, targets):
        """``targets``: one list per actuated joint (xyzw quaternion or [angle])."""
        self._targets = targets

    def apply(self):
        """Send the command; PyBullet clears it after each step, so call once per substep."""
        self._pb.setJointMotorControlMultiDofArray(
            self._body, self.joints, self._pb.STABLE_PD_CONTROL, targetPositions=self._targets,
            targetVelocities=self._zero_vel, forces=self._forces, positionGains=self._kp,
            velocityGains=self._kd)
