"""The simulated character, built from a DeepMimic char file (``Skeleton`` joints + ``BodyDefs``).

The char file is the single source of truth: we write a URDF from it at load time (scaled by
``world_scale`` and loaded back with ``globalScaling = 1/world_scale``, like the upstream port's
dumped humanoid.urdf), so editing a mass, size, attach point or limit changes the simulated body.
"""
from dataclasses import dataclass

import numpy as np

from deepmimic.util.errors import DeepMimicError, load_json_file

SHAPES = ("sphere", "capsule", "box")


@dataclass(frozen=True)
class JointType:
    """What a char-file joint type means for motion frames, actions and the URDF."""
    pose_size: int      # motion-frame entries: root position + quaternion, a quaternion, an angle
    action_size: int    # PD-target parameters: (angle, axis x, y, z) or one angle; 0: not actuated
    urdf: str           # URDF joint type


JOINT_TYPES = {
    "none": JointType(pose_size=7, action_size=0, urdf="fixed"),       # the root: free, not actuated
    "spherical": JointType(pose_size=4, action_size=4, urdf="spherical"),
    "revolute": JointType(pose_size=1, action_size=1, urdf="revolute"),
    "fixed": JointType(pose_size=0, action_size=0, urdf="fixed"),
}


@dataclass
class Character:
    path: str
    names: list
    types: list
    parents: np.ndarray          # (J,) parent joint index, -1 for the root
    attach_pos: np.ndarray       # (J, 3) joint origin in the parent's frame (char units)
    lim_low: np.ndarray          # (J, 3)
    lim_high: np.ndarray         # (J, 3)
    torque_lim: np.ndarray       # (J,)
    end_effector: np.ndarray     # (J,) bool
    diff_weight: np.ndarray      # (J,) pose/velocity error weights
    body_shape: list
    body_mass: np.ndarray        # (J,)
    body_pos: np.ndarray         # (J, 3) body (centre of mass) offset in the joint frame
    body_param: np.ndarray       # (J, 3)
    body_color: np.ndarray       # (J, 4)

    @property
    def num_joints(self):
        return len(self.names)

    def joints_of_type(self, jtype):
        return np.array([i for i, t in enumerate(self.types) if t == jtype], dtype=np.int64)

    @property
    def actuated(self):
        """Joints driven by the PD controller, in joint order (spherical and revolute)."""
        return np.array([i for i, t in enumerate(self.types) if JOINT_TYPES[t].action_size], dtype=np.int64)

    def pose_size(self):
        return sum(JOINT_TYPES[t].pose_size for t in self.types)


class _CharFileReader:
    """Checked reads of one char file's entries; every error names the file and the entry."""

    def __init__(self, path):
        self.path = path

    def fail(self, problem):
        raise DeepMimicError(problem, self.path)

    def num(self, entry, key, where, default=None):
        if key not in entry:
            if default is not None:
                return default
            self.fail(f"{where} is missing '{key}'")
        try:
            value = float(entry[key])
        except (TypeError, ValueError):
            self.fail(f"{where} has a non-numeric '{key}': {entry[key]!r}")
        if not np.isfinite(value):
            self.fail(f"{where} has a non-finite '{key}': {entry[key]!r}")
        return value

    def entry(self, kind, i, e, key, allowed):
        """Check that entry i is an object with a known ``key`` value; return (where, value)."""
        where = f"{kind} {i} ({e.get('Name', '?') if isinstance(e, dict) else '?'})"
        if not isinstance(e, dict):
            self.fail(f"{where} must be a JSON object")
        if e.get(key) not in allowed:
            noun = "joint type" if kind == "joint" else key.lower()
            self.fail(f"{where} has unknown {noun} {e.get(key)!r} (expected one of {', '.join(allowed)})")
        return where, e[key]

    def no_rotation(self, e, where, what):
        if any(abs(self.num(e, f"AttachTheta{a}", where, default=0.0)) > 0 for a in "XYZ"):
            self.fail(f"{where}: rotated {what} (AttachTheta) are not supported")

    def joint(self, i, j):
        where, jtype = self.entry("joint", i, j, "Type", JOINT_TYPES)
        num = self.num
        parent = int(num(j, "Parent", where))
        if i == 0 and (jtype != "none" or parent != -1):
            self.fail("joint 0 must be the root: Type 'none' and Parent -1")
        if i > 0 and not (0 <= parent < i):
            self.fail(f"{where} has Parent {parent}; parents must come before their children")
        if i > 0 and jtype == "none":
            self.fail(f"{where}: only the root joint may have type 'none'")
        if int(num(j, "ID", where, default=i)) != i:
            self.fail(f"{where} has ID {j.get('ID')}, expected {i}")
        self.no_rotation(j, where, "joint frames")
        lo = [num(j, f"LimLow{k}", where, default=0.0) for k in range(3)]
        hi = [num(j, f"LimHigh{k}", where, default=0.0) for k in range(3)]
        if any(l > h for l, h in zip(lo, hi)):
            self.fail(f"{where} has a joint limit LimLow > LimHigh ({lo} > {hi})")
        # The action maps a joint's range onto the policy's output: a range of zero would divide by zero.
        used = slice(0, 3) if jtype == "spherical" else slice(0, 1)
        if JOINT_TYPES[jtype].action_size and max(hi[used]) - min(lo[used]) <= 0:
            self.fail(f"{where} has no range (LimLow = LimHigh = {min(lo[used]):g}): an actuated joint needs one; "
                      "a joint that must not move is Type 'fixed'")
        torque = num(j, "TorqueLim", where, default=0.0)
        if torque < 0:
            self.fail(f"{where} has a negative TorqueLim {torque:g}")
        return dict(name=str(j.get("Name", f"joint{i}")), type=jtype, parent=parent,
                    attach=[num(j, f"Attach{a}", where) for a in "XYZ"], lo=lo, hi=hi, torque=torque,
                    ee=bool(num(j, "IsEndEffector", where, default=0.0)), dw=num(j, "DiffWeight", where, default=1.0))

    def body(self, i, b):
        where, shape = self.entry("body", i, b, "Shape", SHAPES)
        mass = self.num(b, "Mass", where)
        if not mass > 0:
            self.fail(f"{where} must have a positive Mass, got {mass}")
        self.no_rotation(b, where, "bodies")
        params = [self.num(b, f"Param{k}", where, default=0.0) for k in range(3)]
        needed = {"sphere": 1, "capsule": 2, "box": 3}[shape]
        if not all(p > 0 for p in params[:needed]):
            self.fail(f"{where}: a {shape} needs {needed} positive size parameter(s) Param0..")
        return dict(shape=shape, mass=mass, pos=[self.num(b, f"Attach{a}", where) for a in "XYZ"], param=params,
                    color=[self.num(b, f"Color{c}", where, default=d) for c, d in zip("RGBA", (0.6, 0.6, 0.6, 1.0))])


def load_character(path):
    data = load_json_file(path, "character")
    try:
        joints = data["Skeleton"]["Joints"]
        bodies = data["BodyDefs"]
    except (KeyError, TypeError):
        raise DeepMimicError("character file needs 'Skeleton': {'Joints': [...]} and 'BodyDefs': [...]", path)
    if not isinstance(joints, list) or not joints:
        raise DeepMimicError("'Skeleton.Joints' must be a non-empty list", path)
    if not isinstance(bodies, list) or len(bodies) != len(joints):
        raise DeepMimicError(f"'BodyDefs' must have one entry per joint ({len(joints)}), found "
                             f"{len(bodies) if isinstance(bodies, list) else 'none'}", path)
    reader = _CharFileReader(path)
    js = [reader.joint(i, j) for i, j in enumerate(joints)]
    names = [j["name"] for j in js]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:  # PyBullet would refuse the URDF ("Cannot load URDF file") without saying why
        raise DeepMimicError(f"joint name {twice[0]!r} is used by joints {[i for i, n in enumerate(names) if n == twice[0]]}: "
                             "each joint needs a name of its own", path)
    bs = [reader.body(i, b) for i, b in enumerate(bodies)]

    def col(rows, key, dtype=None):
        return np.array([r[key] for r in rows], dtype=dtype)
    return Character(path=path, names=[j["name"] for j in js], types=[j["type"] for j in js],
                     parents=col(js, "parent", np.int64), attach_pos=col(js, "attach"), lim_low=col(js, "lo"),
                     lim_high=col(js, "hi"), torque_lim=col(js, "torque"), end_effector=col(js, "ee"),
                     diff_weight=col(js, "dw"), body_shape=[b["shape"] for b in bs], body_mass=col(bs, "mass"),
                     body_pos=col(bs, "pos"), body_param=col(bs, "param"), body_color=col(bs, "color"))


def _actuated_ranges(char):
    """(is spherical, range centre, range width) per actuated joint, a spherical joint's over all its axes."""
    for j in char.actuated:
        sph = char.types[j] == "spherical"
        low = char.lim_low[j].min() if sph else char.lim_low[j, 0]
        high = char.lim_high[j].max() if sph else char.lim_high[j, 0]
        yield sph, 0.5 * (high + low), high - low


def build_action_layout(char):
    """Action offset/scale/bounds for PD targets, following DeepMimic's cCtCtrlUtil.

    Spherical joints take (angle, axis x, y, z); revolute joints one angle. Bounds are
    twice the joint range around its centre; the axis' z gets offset -0.2 as in DeepMimic.
    """
    offset, scale, lo, hi = [], [], [], []
    for sph, mean, delta in _actuated_ranges(char):
        if sph:
            offset += [0.0, 0.0, 0.0, -0.2]
            scale += [1.0 / (2.0 * delta), 1.0, 1.0, 1.0]
            lo += [mean - 2.0 * delta, -1.0, -1.0, -1.0]
            hi += [mean + 2.0 * delta, 1.0, 1.0, 1.0]
        else:
            offset.append(-mean)
            scale.append(1.0 / (2.0 * delta))
            lo.append(mean - 2.0 * delta)
            hi.append(mean + 2.0 * delta)
    return np.array(offset), np.array(scale), np.array(lo), np.array(hi)


def build_residual_action_layout(char):
    """Action offset/scale/bounds when actions are offsets from the clip's pose (``--residual_actions``).

    A zero action then means "the clip's pose", so a fresh actor already plays the clip open-loop. A spherical
    joint's offset is a rotation vector (its three axis entries, in radians, composed after the clip's rotation),
    because an (angle, axis) offset of angle 0 can only explore about its mean axis and the signs of angle and axis
    cancel; its angle entry is unused. The noise keeps DeepMimic's size: a revolute joint's is its angle's, a
    spherical joint's rotation vector gets the same root-mean-square angle spread over its three entries.
    """
    offset, scale, lo, hi = [], [], [], []
    for sph, _, delta in _actuated_ranges(char):
        if sph:
            offset += [0.0, 0.0, 0.0, 0.0]
            scale += [1.0] + [3.0 ** 0.5 / (2.0 * delta)] * 3
            lo += [-1.0] + [-2.0 * delta] * 3
            hi += [1.0] + [2.0 * delta] * 3
        else:
            offset.append(0.0)
            scale.append(1.0 / (2.0 * delta))
            lo.append(-2.0 * delta)
            hi.append(2.0 * delta)
    return np.array(offset), np.array(scale), np.array(lo), np.array(hi)
