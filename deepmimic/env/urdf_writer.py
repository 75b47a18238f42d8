"""The character's URDF: PyBullet loads bodies from URDF files, so the char file is written as one
(scaled by the world scale) each time an env is built; editing the char file edits the simulation."""
import os
import tempfile

import numpy as np

from deepmimic.env.character import JOINT_TYPES


def _f(x):
    return f"{x:.6f}"


def _xyz(v, scale):
    return " ".join(_f(scale * c) for c in v)


def as_loaded(values, scale):
    """Lengths as PyBullet ends up with them: written here at 6 decimals in world-scaled units, then
    loaded back with ``globalScaling = 1 / scale``."""
    return np.array([[float(_f(scale * c)) for c in row] for row in np.atleast_2d(values)]) * (1.0 / scale)


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
        urdf_type = JOINT_TYPES[jtype].urdf
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
