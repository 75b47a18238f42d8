"""The simulated character, built from a DeepMimic char file (``Skeleton`` joints + ``BodyDefs``).

The char file is the single source of truth: we write a URDF from it at load time (scaled by
``world_scale`` and loaded back with ``globalScaling = 1/world_scale``, like the upstream port's
dumped humanoid.urdf), so editing a mass, size, attach point or limit changes the simulated body.
"""
import os
import tempfile
from dataclasses import dataclass

import numpy as np

from deepmimic.util.errors import DeepMimicError, load_json_file

JOINT_TYPES = ("none", "spherical", "revolute", "fixed")
SHAPES = ("sphere", "capsule", "box")
#: Pose parameters per joint type in motion frames and PD targets (quaternion or angle).
POSE_SIZE = {"none": 7, "spherical": 4, "revolute": 1, "fixed": 0}
#: Velocity degrees of freedom per joint type.


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
        return np.array([i for i, t in enumerate(self.types) if t in ("spherical", "revolute")], dtype=np.int64)

    def pose_size(self):
        return sum(POSE_SIZE[t] for t in self.types)


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

    def num(entry, key, where, default=None):
        if key not in entry:
            if default is not None:
                return default
            raise DeepMimicError(f"{where} is missing '{key}'", path)
        try:
            value = float(entry[key])
        except (TypeError, ValueError):
            raise DeepMimicError(f"{where} has a non-numeric '{key}': {entry[key]!r}", path)
        if not np.isfinite(value):
            raise DeepMimicError(f"{where} has a non-finite '{key}': {entry[key]!r}", path)
        return value

    names, types, parents = [], [], []
    attach, lo, hi, tq, ee, dw = [], [], [], [], [], []
    def entry(kind, i, e, key, allowed):
        """Check that entry i is an object with a known ``key`` value; return (where, value)."""
        where = f"{kind} {i} ({e.get('Name', '?') if isinstance(e, dict) else '?'})"
        if not isinstance(e, dict):
            raise DeepMimicError(f"{where} must be a JSON object", path)
        if e.get(key) not in allowed:
            noun = "joint type" if kind == "joint" else key.lower()
            raise DeepMimicError(f"{where} has unknown {noun} {e.get(key)!r} (expected one of {', '.join(allowed)})", path)
        return where, e[key]

    for i, j in enumerate(joints):
        where, jtype = entry("joint", i, j, "Type", JOINT_TYPES)
        parent = int(num(j, "Parent", where))
        if i == 0 and (jtype != "none" or parent != -1):
            raise DeepMimicError("joint 0 must be the root: Type 'none' and Parent -1", path)
        if i > 0 and not (0 <= parent < i):
            raise DeepMimicError(f"{where} has Parent {parent}; parents must come before their children", path)
        if i > 0 and jtype == "none":
            raise DeepMimicError(f"{where}: only the root joint may have type 'none'", path)
        if int(num(j, "ID", where, default=i)) != i:
            raise DeepMimicError(f"{where} has ID {j.get('ID')}, expected {i}", path)
        if any(abs(num(j, f"AttachTheta{a}", where, default=0.0)) > 0 for a in "XYZ"):
            raise DeepMimicError(f"{where}: rotated joint frames (AttachTheta) are not supported", path)
        names.append(str(j.get("Name", f"joint{i}")))
        types.append(jtype)
        parents.append(parent)
        attach.append([num(j, f"Attach{a}", where) for a in "XYZ"])
        lo.append([num(j, f"LimLow{k}", where, default=0.0) for k in range(3)])
        hi.append([num(j, f"LimHigh{k}", where, default=0.0) for k in range(3)])
        if any(l > h for l, h in zip(lo[-1], hi[-1])):
            raise DeepMimicError(f"{where} has a joint limit LimLow > LimHigh ({lo[-1]} > {hi[-1]})", path)
        tq.append(num(j, "TorqueLim", where, default=0.0))
        if tq[-1] < 0:
            raise DeepMimicError(f"{where} has a negative TorqueLim {tq[-1]:g}", path)
        ee.append(bool(num(j, "IsEndEffector", where, default=0.0)))
        dw.append(num(j, "DiffWeight", where, default=1.0))

    shapes, mass, bpos, bparam, color = [], [], [], [], []
    for i, b in enumerate(bodies):
        where, shape = entry("body", i, b, "Shape", SHAPES)
        m = num(b, "Mass", where)
        if not m > 0:
            raise DeepMimicError(f"{where} must have a positive Mass, got {m}", path)
        if any(abs(num(b, f"AttachTheta{a}", where, default=0.0)) > 0 for a in "XYZ"):
            raise DeepMimicError(f"{where}: rotated bodies (AttachTheta) are not supported", path)
        params = [num(b, f"Param{k}", where, default=0.0) for k in range(3)]
        needed = {"sphere": 1, "capsule": 2, "box": 3}[shape]
        if not all(p > 0 for p in params[:needed]):
            raise DeepMimicError(f"{where}: a {shape} needs {needed} positive size parameter(s) Param0..", path)
        shapes.append(shape)
        mass.append(m)
        bpos.append([num(b, f"Attach{a}", where) for a in "XYZ"])
        bparam.append(params)
        color.append([num(b, f"Color{c}", where, default=d) for c, d in zip("RGBA", (0.6, 0.6, 0.6, 1.0))])

    parents = np.array(parents, dtype=np.int64)
    return Character(path=path, names=names, types=types, parents=parents,
                     attach_pos=np.array(attach), lim_low=np.array(lo), lim_high=np.array(hi),
                     torque_lim=np.array(tq), end_effector=np.array(ee), diff_weight=np.array(dw),
                     body_shape=shapes, body_mass=np.array(mass), body_pos=np.array(bpos),
                     body_param=np.array(bparam), body_color=np.array(color))


def _f(x):
    return f"{x:.6f}"


def _xyz(v, scale):
    return " ".join(_f(scale * c) for c in v)


def character_to_urdf(char, world_scale=1.0):
    """URDF text for ``char``: a massless base link, the root fixed to it, one link per joint.

    Joint index j in PyBullet is joint j of the char file, so body ids in arg files
    (``fall_contact_bodies``) are link indices.
    """
    s = world_scale
    out = ['<robot name="deepmimic_character">',
           '  <link name="base"><inertial><origin rpy="0 0 0" xyz="0 0 0"/><mass value="0.0001"/>'
           '<inertia ixx="0.0001" ixy="0" ixz="0" iyy="0.0001" iyz="0" izz="0.0001"/></inertial></link>']
    for j, name in enumerate(char.names):
        shape, (p0, p1, p2) = char.body_shape[j], char.body_param[j]
        rpy = "0 0 0"
        if shape == "sphere":
            geom = f'<sphere radius="{_f(0.5 * p0 * s)}"/>'
        elif shape == "capsule":  # DeepMimic capsules run along the body's y axis
            geom = f'<capsule length="{_f(p1 * s)}" radius="{_f(0.5 * p0 * s)}"/>'
            rpy = f"{_f(-np.pi / 2)} 0 0"
        else:
            geom = f'<box size="{_f(p0 * s)} {_f(p1 * s)} {_f(p2 * s)}"/>'
        xyz = _xyz(char.body_pos[j], s)
        out.append(f'  <link name="{name}">'
                   f'<inertial><origin rpy="0 0 0" xyz="{xyz}"/><mass value="{_f(char.body_mass[j])}"/>'
                   # placeholder inertia: PyBullet derives it from the collision shape and mass (no
                   # URDF_USE_INERTIA_FROM_FILE), as for upstream's humanoid.urdf
                   f'<inertia ixx="0.1" ixy="0" ixz="0" iyy="0.1" iyz="0" izz="0.1"/></inertial>'
                   f'<collision><origin rpy="{rpy}" xyz="{xyz}"/><geometry>{geom}</geometry></collision></link>')
        jtype = char.types[j]
        parent = "base" if j == 0 else char.names[char.parents[j]]
        urdf_type = {"none": "fixed", "fixed": "fixed", "spherical": "spherical", "revolute": "revolute"}[jtype]
        # PyBullet ignores a spherical joint's axis but warns when it is missing (16 lines per body
        # loaded); (1, 0, 0) is the default it falls back to, so stating it changes nothing.
        extra = '<axis xyz="1 0 0"/>' if jtype == "spherical" else ""
        if jtype == "revolute":
            extra = (f'<limit effort="1000.0" lower="{_f(char.lim_low[j, 0])}" upper="{_f(char.lim_high[j, 0])}" velocity="0.5"/>'
                     '<axis xyz="0 0 1"/>')
        out.append(f'  <joint name="{name}" type="{urdf_type}"><parent link="{parent}"/><child link="{name}"/>'
                   f'<origin rpy="0 0 0" xyz="{_xyz(char.attach_pos[j], s)}"/>{extra}</joint>')
    out.append("</robot>")
    return "\n".join(out) + "\n"


def write_urdf(char, world_scale=1.0, folder=None):
    """Write the URDF to a temp file (PyBullet loads URDFs from disk) and return its path."""
    fd, path = tempfile.mkstemp(prefix="deepmimic_char_", suffix=".urdf", dir=folder)
    with os.fdopen(fd, "w") as f:
        f.write(character_to_urdf(char, world_scale))
    return path


def build_action_layout(char):
    """Action offset/scale/bounds for PD targets, following DeepMimic's cCtCtrlUtil.

    Spherical joints take (angle, axis x, y, z); revolute joints one angle. Bounds are
    twice the joint range around its centre; the axis' z gets offset -0.2 as in DeepMimic.
    """
    offset, scale, lo, hi = [], [], [], []
    for j in char.actuated:
        low = char.lim_low[j].min() if char.types[j] == "spherical" else char.lim_low[j, 0]
        high = char.lim_high[j].max() if char.types[j] == "spherical" else char.lim_high[j, 0]
        mean, delta = 0.5 * (high + low), high - low
        if char.types[j] == "spherical":
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
