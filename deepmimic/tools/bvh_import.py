"""BVH mocap -> DeepMimic motion file for a char file (``deepmimic-bvh2motion``).

    deepmimic-bvh2motion walk.bvh data/motions/my_walk.txt [--map MAP.json] [--scale S] [--fps 30] [--loop wrap]

The BVH is parsed by pybvh; the retargeting is ours and works on rotations, not bone directions,
so a limb's twist survives:
  1. every joint's Euler channels (in its own order) become quaternions, composed down the hierarchy
     into global rotations;
  2. the BVH world (y up) is turned so that the skeleton faces the character's forward (+x), reading
     the facing from its hips;
  3. rest poses differ (a T-pose BVH, a character with its arms down), so each mapped joint with a
     child gets a constant offset: the smallest rotation taking the character's rest bone onto the
     BVH's. The character's global rotation is the BVH joint's times that offset; joint rotations are
     taken relative to the parent's;
  4. revolute joints (knees, elbows) keep the rotation about their axis (z); spherical joints keep it all;
  5. the root path is scaled by the ratio of leg lengths (or ``--scale``); the clip is turned about the
     vertical so that it starts facing +x (as DeepMimic's clips) and starts at the origin; it is
     resampled to ``--fps`` (``--start``/``--end`` cut it, in seconds); the root is raised or lowered so
     that the lowest foot point over the clip touches the ground.
Joint maps for CMU and SFU/Mixamo-style names are built in; ``--map`` takes a JSON file
``{"<char joint name>": "<BVH joint name>", ...}`` that overrides them.
"""
import json
import os
import sys

import numpy as np

from deepmimic.env.character import load_character
from deepmimic.env.motion_data import _joint_columns
from deepmimic.util import quaternion as quat
from deepmimic.util.arg_parser import resolve_path
from deepmimic.util.errors import DeepMimicError, ToolArgumentParser, brief, load_json_file, run_cli
from deepmimic.util.file_io import atomic_write, check_new_file

DEFAULT_CHAR = "data/characters/humanoid3d.txt"
UP = np.array([0.0, 1.0, 0.0])
REVOLUTE_AXIS = np.array([0.0, 0.0, 1.0])

#: Candidate BVH names per humanoid3d joint, first match wins. Names are compared without case and
#: without a namespace prefix ("mixamorig:Hips" -> "hips"). The chest takes the top of the spine and
#: the neck the head, whose rotations place the shoulders and the head; "RightShoulder" in CMU and
#: Mixamo skeletons is the clavicle, so the upper arm is "RightArm".
_LIMBS = {  # {side}: right/left, {s}: r/l
    "hip": ["{side}upleg", "{side}thigh", "{side}upperleg", "{s}thigh", "{s}_thigh"],
    "knee": ["{side}leg", "{side}shin", "{side}lowerleg", "{s}shin", "{s}_shin", "{side}knee"],
    "ankle": ["{side}foot", "{s}foot", "{s}_foot", "{side}ankle"],
    "shoulder": ["{side}arm", "{side}upperarm", "{s}shldr", "{s}humerus", "{s}_upperarm"],
    "elbow": ["{side}forearm", "{side}lowerarm", "{s}forearm", "{s}elbow", "{s}_forearm", "{side}elbow"],
    "wrist": ["{side}hand", "{side}wrist", "{s}hand", "{s}_hand"],
}
BUILTIN_MAP = {
    "root": ["hips", "hip", "pelvis"],
    "chest": ["spine2", "chest", "spine1", "upperchest", "spine"],
    "neck": ["head", "neck1", "neck"],
    **{f"{side}_{limb}": [c.format(side=side, s=side[0]) for c in cands]
       for side in ("right", "left") for limb, cands in _LIMBS.items()},
}


def _plain(name):
    return name.split(":")[-1].split("|")[-1].lower()


MAX_ABS_ANGLE = 1000.0  # radians (~57,000 degrees): unwrapped angles of real mocap stay far below
MAX_ABS_LENGTH = 1e7    # BVH units (10 km in cm)


class Skeleton:
    """A BVH clip as arrays: joint names, parents, rest offsets, per-frame local rotations (xyzw)."""

    def __init__(self, path):
        import pybvh
        import warnings
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                bvh = pybvh.read_bvh_file(path, world_up="+y")
        except (ValueError, IndexError, OSError, UnicodeDecodeError) as e:
            raise DeepMimicError(f"not a readable BVH file: {brief(e)}", path)
        joints = [n for n in bvh.nodes if not n.is_end_site()]
        if bvh.frame_count < 2:
            raise DeepMimicError(f"the BVH has {bvh.frame_count} frames; a clip needs at least 2", path)
        index = {id(n): i for i, n in enumerate(joints)}
        self.path = path
        self.names = [n.name for n in joints]
        self.parents = [index[id(n.parent)] if n.parent is not None else -1 for n in joints]
        self.offsets = np.array([n.offset for n in joints], dtype=np.float64)
        self.frame_time = float(bvh.frame_time)
        self.root_pos = np.array(bvh.root_pos, dtype=np.float64)
        angles = np.array(bvh.joint_angles, dtype=np.float64)  # (F, J, 3) radians, each joint's own order
        if not (np.all(np.isfinite(angles)) and np.all(np.isfinite(self.root_pos)) and np.all(np.isfinite(self.offsets))):
            raise DeepMimicError("the BVH motion holds NaN or infinite values", path)
        # Beyond these a value is no measurement (1e300 would turn every rotation into noise): refuse it.
        if np.abs(angles).max() > MAX_ABS_ANGLE or max(np.abs(self.root_pos).max(), np.abs(self.offsets).max()) > MAX_ABS_LENGTH:
            raise DeepMimicError(f"the BVH holds absurd values (an angle beyond {np.degrees(MAX_ABS_ANGLE):.0f} degrees "
                                 f"or a length beyond {MAX_ABS_LENGTH:.0e} units)", path)
        if not (np.isfinite(self.frame_time) and self.frame_time > 0):
            raise DeepMimicError(f"the BVH's Frame Time must be a positive number of seconds, got {self.frame_time}", path)
        self.local = np.empty(angles.shape[:2] + (4,))
        for j, node in enumerate(joints):
            q = np.broadcast_to(quat.IDENTITY, angles.shape[:1] + (4,))
            for k, ax in enumerate(node.rot_channels):  # BVH: R = R_c0 R_c1 R_c2 (intrinsic)
                q = quat.mul(q, quat.from_axis_angle(np.eye(3)["XYZ".index(ax)], angles[:, j, k]))
            self.local[:, j] = q

    def cut(self, start=0.0, end=None):
        """Keep the frames from ``start`` to ``end`` seconds (at least 2)."""
        n = len(self.local)
        first = int(round(start / self.frame_time))
        last = n - 1 if end is None else min(int(round(end / self.frame_time)), n - 1)
        if last - first < 1:
            raise DeepMimicError(f"--start {start:g} / --end {end} leave fewer than 2 of the clip's {n} frames "
                                 f"({(n - 1) * self.frame_time:.2f} s)", self.path)
        self.local, self.root_pos = self.local[first:last + 1], self.root_pos[first:last + 1]

    def global_rotations(self):
        g = np.empty_like(self.local)
        for j, p in enumerate(self.parents):  # parents come first in a BVH
            g[:, j] = self.local[:, j] if p < 0 else quat.mul(g[:, p], self.local[:, j])
        return g

    def rest_positions(self):
        pos = np.zeros_like(self.offsets)
        for j, p in enumerate(self.parents):
            pos[j] = self.offsets[j] + (pos[p] if p >= 0 else 0.0)
        return pos

    def find(self, candidates):
        plain = [_plain(n) for n in self.names]
        for c in candidates:
            if _plain(c) in plain:
                return plain.index(_plain(c))
        return None


def resolve_map(skel, char, custom=None):
    """BVH joint index per char joint (None where absent); errors name the joints the map needs."""
    custom = custom or {}
    unknown = sorted(set(custom) - set(char.names))
    if unknown:
        raise DeepMimicError(f"joint map names joints the character lacks: {', '.join(unknown)}")
    found, missing = {}, []
    for name, jtype in zip(char.names, char.types):
        cands = [custom[name]] if name in custom else BUILTIN_MAP.get(name, [name])
        found[name] = skel.find(cands)
        if found[name] is None and jtype != "fixed":
            missing.append(f"{name} (tried {', '.join(cands)})")
    if missing:
        raise DeepMimicError(f"the BVH lacks joints the map needs: {'; '.join(missing)}", skel.path)
    return found


def facing_alignment(rest, right_hip, left_hip):
    """Rotation turning the BVH world so that its skeleton faces +x with its right side on +z."""
    right = rest[right_hip] - rest[left_hip]
    right -= (right @ UP) * UP
    if np.linalg.norm(right) < 1e-9:
        raise DeepMimicError("cannot tell the BVH's facing: its hip joints sit on one vertical line")
    right /= np.linalg.norm(right)
    forward = np.cross(UP, right)
    return quat.from_matrix(np.stack([forward, UP, right]))  # rows: the BVH axes onto x, y, z


def char_rest_positions(char):
    pos = np.zeros((char.num_joints, 3))
    for j in range(char.num_joints):
        p = char.parents[j]
        pos[j] = char.attach_pos[j] + (pos[p] if p >= 0 else 0.0)
    return pos


def rest_offsets(char, ours, mapping, bvh_rest):
    """Per char joint, the constant rotation taking its rest bone (``ours``: the char's rest positions)
    onto the BVH's rest bone (see step 3). End joints (ankles, neck) keep identity; a joint whose BVH
    child is missing takes its parent's."""
    offsets = {}
    for j, name in enumerate(char.names):
        children = [c for c in range(char.num_joints) if char.parents[c] == j]
        if not children:
            offsets[name] = quat.IDENTITY
            continue
        child = min(children, key=lambda c: abs(char.attach_pos[c][2]))  # the one on the body's midline
        b = mapping[char.names[child]]
        if b is None or mapping[name] is None:
            offsets[name] = offsets.get(char.names[char.parents[j]], quat.IDENTITY)
            continue
        bone_bvh = bvh_rest[b] - bvh_rest[mapping[name]]
        bone_char = ours[child] - ours[j]
        if np.linalg.norm(bone_bvh) < 1e-9:
            offsets[name] = quat.IDENTITY
        else:
            offsets[name] = quat.from_two_vectors(bone_char, bone_bvh)
    return offsets


def leg_length(points, hip, knee, ankle):
    return float(np.linalg.norm(points[knee] - points[hip]) + np.linalg.norm(points[ankle] - points[knee]))


def retarget(skel, char, mapping, scale=None):
    """(root positions (F,3), global char rotations {joint: (F,4)}, scale) at the BVH's frame times."""
    rest = skel.rest_positions()
    align = facing_alignment(rest, mapping["right_hip"], mapping["left_hip"])
    rest = quat.rotate(align, rest)
    globals_ = quat.mul(quat.mul(align, skel.global_rotations()), quat.conj(align))
    ours = char_rest_positions(char)
    offsets = rest_offsets(char, ours, mapping, rest)
    if scale is None:
        idx = {n: i for i, n in enumerate(char.names)}
        theirs = leg_length(rest, mapping["right_hip"], mapping["right_knee"], mapping["right_ankle"])
        if theirs < 1e-9:
            raise DeepMimicError("the BVH's legs have zero length: give --scale", skel.path)
        scale = leg_length(ours, idx["right_hip"], idx["right_knee"], idx["right_ankle"]) / theirs
    rots = {name: quat.mul(globals_[:, mapping[name]], offsets[name])
            for name, t in zip(char.names, char.types) if t != "fixed"}
    forward = quat.rotate(rots["root"], np.array([1.0, 0.0, 0.0]))
    heading = np.arctan2(-forward[:, 2], forward[:, 0])
    mean = np.arctan2(np.sin(heading).mean(), np.cos(heading).mean())  # the pelvis sways; its mean does not
    turn = quat.from_axis_angle(UP, -mean)
    rots = {name: quat.mul(turn, q) for name, q in rots.items()}
    root = scale * quat.rotate(quat.mul(turn, align), skel.root_pos)
    root[:, [0, 2]] -= root[0, [0, 2]]
    return root, rots, scale


def to_pose(char, root, rots):
    """DeepMimic pose columns: root pos, root quat (w,x,y,z), then per joint a quaternion or an angle."""
    cols = [root, rots["root"][:, [3, 0, 1, 2]]]
    for j in range(1, char.num_joints):
        name, jtype = char.names[j], char.types[j]
        if jtype == "fixed":
            continue
        local = quat.mul(quat.conj(rots[char.names[char.parents[j]]]), rots[name])
        if jtype == "revolute":
            cols.append(quat.twist_angle(local, REVOLUTE_AXIS)[:, None])
        else:
            cols.append(quat.continuous(local)[:, [3, 0, 1, 2]])
    return np.concatenate(cols, axis=1)


def resample(frames, char, fps):
    """Motion frames at 1/fps steps over the clip: positions and angles linearly, quaternions (the
    root's and the spherical joints', at ``_joint_columns``) by slerp."""
    n, frame_time = len(frames), frames[0, 0]
    duration = (n - 1) * frame_time
    times = np.arange(int(np.floor(duration * fps + 1e-6)) + 1) / fps
    x = times / frame_time
    i = np.minimum(x.astype(int), n - 2)
    f = x - i
    out = frames[i] + f[:, None] * (frames[i + 1] - frames[i])
    out[:, 0] = 1.0 / fps
    sph_cols, _ = _joint_columns(char)
    for cols in [np.arange(4, 8)] + sph_cols:
        wxyz_to_xyzw = cols[[1, 2, 3, 0]]
        out[:, cols] = quat.slerp(frames[i][:, wxyz_to_xyzw], frames[i + 1][:, wxyz_to_xyzw], f)[:, [3, 0, 1, 2]]
    return out


def foot_heights(char, frames, world_scale=4.0):
    """Lowest point of the ankle bodies (feet) per motion frame, posing the character in PyBullet."""
    import pybullet
    from deepmimic.env.urdf_writer import write_urdf
    feet = [j for j, n in enumerate(char.names) if n.endswith("ankle")]
    if not feet:
        return np.zeros(len(frames))
    cid = pybullet.connect(pybullet.DIRECT)
    try:
        urdf = write_urdf(char, world_scale)
        try:
            body = pybullet.loadURDF(urdf, globalScaling=1.0 / world_scale, useFixedBase=True,
                                     flags=pybullet.URDF_MAINTAIN_LINK_ORDER, physicsClientId=cid)
        finally:
            os.remove(urdf)
        sph_cols, rev_cols = _joint_columns(char)
        movable = [j for j in range(1, char.num_joints) if char.types[j] != "fixed"]
        sph = {j: c for j, c in zip([j for j in movable if char.types[j] == "spherical"], sph_cols)}
        rev = {j: c for j, c in zip([j for j in movable if char.types[j] == "revolute"], rev_cols)}
        half = [char.body_param[j] / 2 for j in feet]
        corners = [np.array([[sx * a, sy * b, sz * c] for a in (-1, 1) for b in (-1, 1) for c in (-1, 1)])
                   + char.body_pos[j] for j, (sx, sy, sz) in zip(feet, half)]
        lows = np.empty(len(frames))
        for k, row in enumerate(frames):
            pybullet.resetBasePositionAndOrientation(body, row[1:4].tolist(), row[[5, 6, 7, 4]].tolist(), physicsClientId=cid)
            targets = [row[sph[j]][[1, 2, 3, 0]].tolist() if j in sph else [row[rev[j]]] for j in movable]
            pybullet.resetJointStatesMultiDof(body, movable, targets, physicsClientId=cid)
            low = np.inf
            for j, c in zip(feet, corners):
                pos, rot = pybullet.getLinkState(body, j, computeForwardKinematics=1, physicsClientId=cid)[4:6]
                low = min(low, float(np.min(quat.rotate(np.array(rot), c)[:, 1])) + pos[1])
            lows[k] = low
        return lows
    finally:
        pybullet.disconnect(cid)


def convert(bvh_path, char_file=DEFAULT_CHAR, map_file=None, scale=None, fps=30.0, loop="wrap", start=0.0, end=None):
    """The motion dict and a report of the conversion."""
    char = load_character(char_file)
    custom = None
    if map_file:
        custom = load_json_file(map_file, "joint map")
        if not isinstance(custom, dict) or not all(isinstance(v, str) for v in custom.values()):
            raise DeepMimicError("joint map must be a JSON object {\"char joint\": \"BVH joint\"}", map_file)
    skel = Skeleton(bvh_path)
    skel.cut(start, end)
    mapping = resolve_map(skel, char, custom)
    root, rots, scale = retarget(skel, char, mapping, scale)
    pose = to_pose(char, root, rots)
    frames = resample(np.concatenate([np.full((len(pose), 1), skel.frame_time), pose], axis=1), char, fps)
    lows = foot_heights(char, frames)
    frames[:, 2] -= lows.min()
    lows -= lows.min()
    report = {"frames": len(frames), "fps": fps, "scale": scale, "foot_low": (float(lows.min()), float(lows.max())),
              "root_height": (float(frames[:, 2].min()), float(frames[:, 2].max())),
              "travel": float(np.linalg.norm(frames[-1, [1, 3]] - frames[0, [1, 3]])),
              "duration": (len(frames) - 1) / fps}
    return {"Loop": loop, "Frames": frames.tolist()}, report


def main(argv=None):
    p = ToolArgumentParser(prog="deepmimic-bvh2motion", description=__doc__.splitlines()[0])
    p.add_argument("bvh", help="input BVH file (y up)")
    p.add_argument("out", help="output DeepMimic motion file")
    p.add_argument("--map", help="JSON joint map {\"<char joint>\": \"<BVH joint>\"} over the built-in names")
    p.add_argument("--scale", type=float, help="BVH units to metres (default: char leg length / BVH leg length)")
    p.add_argument("--fps", type=float, default=30.0, help="frames per second of the clip written (default 30)")
    p.add_argument("--loop", choices=["wrap", "none"], default="wrap", help="the clip's Loop mode (default wrap)")
    p.add_argument("--start", type=float, default=0.0, help="seconds of the BVH to skip (e.g. a calibration pose)")
    p.add_argument("--end", type=float, help="last second of the BVH to keep (default: its end)")
    p.add_argument("--char_file", default=DEFAULT_CHAR, help=f"character to retarget to (default {DEFAULT_CHAR})")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    a = p.parse_args(sys.argv[1:] if argv is None else argv)
    if a.scale is not None and not (np.isfinite(a.scale) and a.scale > 0):
        raise DeepMimicError(f"--scale must be a positive number, got {a.scale:g}")
    if not (np.isfinite(a.fps) and 1 <= a.fps <= 1000):
        raise DeepMimicError(f"--fps must be from 1 to 1000, got {a.fps:g}")
    if not (np.isfinite(a.start) and a.start >= 0) or (a.end is not None and not a.end > a.start):
        raise DeepMimicError(f"--start must be >= 0 and --end after it, got {a.start:g} and {a.end}")
    if not os.path.isfile(a.bvh):
        raise DeepMimicError("BVH file not found", a.bvh)
    check_new_file(a.out, "out", a.overwrite, inputs=(a.bvh, a.map, resolve_path(a.char_file)), how="--overwrite")
    motion, r = convert(a.bvh, resolve_path(a.char_file), a.map, a.scale, a.fps, a.loop, a.start, a.end)
    atomic_write(a.out, lambda f: json.dump(motion, f), mode="w")
    print(f"{a.out}: {r['frames']} frames at {r['fps']:g} Hz ({r['duration']:.2f} s), scale {r['scale']:.4g} m per BVH unit, "
          f"root travels {r['travel']:.2f} m at height {r['root_height'][0]:.2f} to {r['root_height'][1]:.2f} m, "
          f"lowest foot point per frame {r['foot_low'][0]:.3f} to {r['foot_low'][1]:.3f} m above the ground")
    return 0


def cli():
    return run_cli(main)


if __name__ == "__main__":
    sys.exit(cli())
