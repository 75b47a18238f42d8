"""DeepMimic motion clips: keyframes of [duration, root pos, root quat (w,x,y,z), joint params].

Frames are unpacked once into per-joint arrays and per-segment velocities, so evaluating the
reference pose at a time ``t`` is one interpolation per rotation and no per-frame work.
"""
import math
from dataclasses import dataclass

import numpy as np
import pybullet
from numba import njit

from deepmimic.env.character import JOINT_TYPES
from deepmimic.util.errors import DeepMimicError, load_json_file

LOOP_MODES = ("wrap", "none")
DEFAULT_VEL_CUTOFF = 6.0  # Hz: DeepMimic's low-pass on frame velocities when a clip names no VelFilterCutoff


@dataclass
class ReferencePose:
    """Kinematic reference at one time: positions, rotations (xyzw) and velocities."""
    root_pos: np.ndarray
    root_rot: np.ndarray
    sph_rot: np.ndarray      # (num spherical joints, 4), possibly not unit length
    rev_angle: np.ndarray    # (num revolute joints,)
    root_vel: np.ndarray
    root_ang_vel: np.ndarray
    sph_vel: np.ndarray      # (num spherical joints, 3) local angular velocities
    rev_vel: np.ndarray


def _bullet_rotvec(q0, q1, relative):
    """Rotation vectors taking q0 to q1 (world frame, or q0's frame when ``relative``).

    Computed once per clip with PyBullet's own single-precision quaternion utilities, exactly
    as the upstream port does: these velocities seed the simulation at every reset, and
    matching them bit for bit keeps our rollouts on the oracle's trajectory.
    """
    out = np.zeros(q0.shape[:-1] + (3,))
    for idx in np.ndindex(q0.shape[:-1]):
        a, b = q0[idx].tolist(), q1[idx].tolist()
        if relative:
            diff = pybullet.multiplyTransforms([0, 0, 0], [-a[0], -a[1], -a[2], a[3]], [0, 0, 0], b)[1]
        else:
            diff = pybullet.getDifferenceQuaternion(a, b)
        axis, angle = pybullet.getAxisAngleFromQuaternion(diff)
        out[idx] = np.array(axis) * angle
    return out


def _wxyz_to_xyzw(q):
    return np.concatenate([q[..., 1:4], q[..., 0:1]], axis=-1)


#: The shortest frame a clip may have (10 kHz): shorter ones overflow the frame velocities (1e-300 s did).
MIN_FRAME_DURATION = 1e-4
#: How far from the origin a clip's root may go (m): a 10 km walk, where PyBullet still simulates.
MAX_ROOT_DISTANCE = 1e4


def _read_frames(path, char):
    """The clip's checked (frames, loop, velocity filter cutoff in Hz) from a DeepMimic motion file:
    frames of [duration, root pos, root rot, joints]."""
    data = load_json_file(path, "motion")
    if not isinstance(data, dict) or "Frames" not in data:
        raise DeepMimicError("motion file needs a 'Frames' list", path)
    loop = data.get("Loop", "wrap")
    if loop not in LOOP_MODES:
        raise DeepMimicError(f"unknown 'Loop' mode {loop!r} (expected one of {', '.join(LOOP_MODES)})", path)
    frames = data["Frames"]
    if not isinstance(frames, list) or len(frames) < 2:
        raise DeepMimicError("'Frames' must be a list of at least 2 keyframes", path)
    frame_len = 1 + char.pose_size()
    for i, fr in enumerate(frames):
        if not isinstance(fr, list) or len(fr) != frame_len:
            got = len(fr) if isinstance(fr, list) else type(fr).__name__
            raise DeepMimicError(f"frame {i} has length {got}, expected {frame_len} "
                                 f"(duration + pose of character {char.path})", path)
    for i, fr in enumerate(frames):  # "0.5" and true would convert silently
        wrong = [v for v in fr if type(v) not in (int, float)]
        if wrong:
            raise DeepMimicError(f"frame {i} holds {wrong[0]!r}: frames must contain only numbers", path)
    frames = np.array(frames, dtype=np.float64)
    if not np.all(np.isfinite(frames)):
        raise DeepMimicError("frames contain NaN or infinite values", path)
    far = np.nonzero(np.abs(frames[:, 1:4]).max(axis=1) > MAX_ROOT_DISTANCE)[0]
    if len(far):  # PyBullet crawls (the viewer ran for minutes) with bodies this far out
        raise DeepMimicError(f"frame {far[0]} puts the root {np.abs(frames[far[0], 1:4]).max():g} m from the origin; "
                             f"a clip stays within {MAX_ROOT_DISTANCE:g} m", path)
    durations = frames[:-1, 0]  # the last frame's duration is unused
    bad = np.nonzero(~(durations >= MIN_FRAME_DURATION))[0]
    if len(bad):
        raise DeepMimicError(f"frame {bad[0]} must last at least {MIN_FRAME_DURATION:g} s, got {durations[bad[0]]:g}", path)
    cutoff = data.get("VelFilterCutoff", DEFAULT_VEL_CUTOFF)
    if isinstance(cutoff, bool) or not isinstance(cutoff, (int, float)) or not 0 <= cutoff < math.inf:
        raise DeepMimicError(f"'VelFilterCutoff' must be a number of Hz >= 0 (0: no filter), got {cutoff!r}", path)
    return frames, loop == "wrap", float(cutoff)


def butterworth_zero_phase(x, dt, cutoff):
    """``x`` (frames, ...) low-passed along its first axis as DeepMimic filters frame velocities: a
    second-order Butterworth at ``cutoff`` Hz run forward then backward (no lag), each pass starting
    from its first sample held still. Every column at once; the recursion runs over frames."""
    wc = math.tan(math.pi * cutoff * dt)
    k1, k2 = math.sqrt(2.0) * wc, wc * wc
    a = k2 / (1.0 + k1 + k2)
    b, c = 2.0 * a, a
    k3 = b / k2
    d, e = -2.0 * a + k3, 1.0 - 2.0 * a - k3
    out = np.array(x, dtype=np.float64)
    for order in (list(range(len(out))), list(range(len(out) - 1, -1, -1))):
        x1 = x2 = y1 = y2 = out[order[0]].copy()
        for i in order:
            xi = out[i].copy()
            out[i] = a * xi + b * x1 + c * x2 + d * y1 + e * y2
            x2, x1, y2, y1 = x1, xi, y1, out[i]
    return out


def _joint_columns(char):
    """Frame columns of each spherical joint's quaternion and each revolute joint's angle."""
    sph_cols, rev_cols = [], []
    col = 8
    for jtype in char.types[1:]:
        if jtype == "spherical":
            sph_cols.append(np.arange(col, col + 4))
        elif jtype == "revolute":
            rev_cols.append(col)
        col += JOINT_TYPES[jtype].pose_size
    return sph_cols, np.array(rev_cols, dtype=np.int64)


class MotionData:
    def __init__(self, path, char, smooth_vel=False):
        """``smooth_vel``: reference velocities as DeepMimic's (see ``_frame_velocities``); False: the
        upstream port's, the difference of the frame pair around ``t``, constant between two frames."""
        self.path = path
        self.frames, self.loop, self.vel_cutoff = _read_frames(path, char)
        self.smooth_vel = smooth_vel
        f = self.frames
        self.num_frames = len(f)
        durations = f[:-1, 0]
        self.frame_dur = float(durations[0])
        # Uniform clips (all shipped ones) use upstream's arithmetic exactly; others use frame start times.
        self.uniform = bool(np.all(durations == durations[0]))
        self.frame_times = np.concatenate([[0.0], np.cumsum(durations)])  # each frame's start, s
        self.cycle_time = self.frame_dur * (self.num_frames - 1) if self.uniform else float(self.frame_times[-1])

        self.root_pos = f[:, 1:4]
        self.root_rot = _wxyz_to_xyzw(f[:, 4:8])
        sph_cols, rev_cols = _joint_columns(char)
        self.sph_rot = _wxyz_to_xyzw(f[:, np.array(sph_cols)]) if sph_cols else np.zeros((len(f), 0, 4))
        self.rev_angle = f[:, rev_cols]
        for name, q in (("root", self.root_rot[:, None]), ("joint", self.sph_rot)):
            if np.any(np.linalg.norm(q, axis=-1) < 1e-8):
                raise DeepMimicError(f"a {name} quaternion has zero length", path)
        self.cycle_offset = self.root_pos[-1] - self.root_pos[0]

        # Per-segment velocities (segment i goes from frame i to i+1; the last one is zero).
        nxt = np.minimum(np.arange(self.num_frames) + 1, self.num_frames - 1)
        dt = np.append(durations, 1.0)[:, None]  # per segment (the zero last segment divides by 1)
        self.root_vel = (self.root_pos[nxt] - self.root_pos) / dt
        self.root_ang_vel = _bullet_rotvec(self.root_rot, self.root_rot[nxt], relative=False) / dt
        self.sph_vel = _bullet_rotvec(self.sph_rot, self.sph_rot[nxt], relative=True) / dt[:, :, None]
        self.rev_vel = (self.rev_angle[nxt] - self.rev_angle) / dt
        if smooth_vel:
            self._frame_velocities()
        self._rots = np.ascontiguousarray(np.concatenate([self.root_rot[:, None], self.sph_rot], axis=1))
        self._last_time, self._last_pose = None, None

    def _frame_velocities(self):
        """DeepMimic's reference velocities: each frame's difference to the next (the last frame repeats the
        one before), low-passed over the clip at its ``VelFilterCutoff`` (``butterworth_zero_phase``), and
        blended between the two frames around ``t`` by ``_interpolate``. Upstream's unfiltered pair difference
        holds until the next frame, so a start just before a landing frame gets the fall's full speed at
        the bottom of the crouch (backflip: 3.1 m/s down at phase 0.71, DeepMimic's 0.7)."""
        for name in ("root_vel", "root_ang_vel", "sph_vel", "rev_vel"):
            v = getattr(self, name)
            v[-1] = v[-2]
            if 0 < self.vel_cutoff < 0.5 / self.frame_dur:  # at or past the frames' Nyquist rate: nothing to remove
                v = butterworth_zero_phase(v, self.frame_dur, self.vel_cutoff)
            setattr(self, name, v)

    def locate(self, t):
        """(cycle count, frame index, next frame index, fraction) at time ``t``, as DeepMimic."""
        if self.loop:
            count = math.floor(t / self.cycle_time)
            frame_time = t - count * self.cycle_time
            if frame_time < 0:
                frame_time += self.cycle_time
        else:
            count = 0
            frame_time = min(max(t, 0.0), self.cycle_time)
        if self.uniform:
            frame = min(int(frame_time / self.frame_dur), self.num_frames - 1)
            start, dur = frame * self.frame_dur, self.frame_dur
        else:
            frame = min(int(np.searchsorted(self.frame_times, frame_time, side="right")) - 1, self.num_frames - 1)
            start, dur = self.frame_times[frame], self.frame_times[min(frame + 1, self.num_frames - 1)] - self.frame_times[frame]
            dur = dur if dur > 0 else 1.0
        nxt = frame + 1 if frame + 1 < self.num_frames else frame
        frac = (frame_time - start) / dur
        return count, frame, nxt, frac

    def phase(self, t):
        if not self.loop:
            return min(max(t / self.cycle_time, 0.0), 1.0)
        phase = math.fmod(t / self.cycle_time, 1.0)
        return phase + 1.0 if phase < 0 else phase

    def reference(self, t):
        """The pose at time ``t``, for the state and the reward (within ~3e-7 of PyBullet's single-precision
        slerp, see ``_blend``). The state and the reward of one control step ask for the same time: the last
        pose is kept and returned again (callers read it, never write into it)."""
        if t == self._last_time:
            return self._last_pose
        self._last_time, self._last_pose = t, self._interpolate(t)
        return self._last_pose

    def bullet_reference(self, t):
        """The pose at time ``t`` with PyBullet's own single-precision slerp, as upstream poses its bodies:
        for posing a body (resets, the viewer). The reset state then matches the oracle bit for bit (a 1e-8
        difference grows past 1e-5 within 30 steps of contact-rich motion)."""
        return self._interpolate(t, bullet_slerp=True)

    def _interpolate(self, t, bullet_slerp=False):
        count, i, j, frac = self.locate(t)
        root_pos, rots, rev = _blend(self.root_pos, self._rots, self.rev_angle, i, j, frac, count, self.cycle_offset)
        if bullet_slerp:
            # Not normalised: the clip's quaternions are not all unit length, and posing a body with the
            # raw slerp (as upstream) keeps the start state bit-identical; PyBullet normalises.
            slerp = pybullet.getQuaternionSlerp
            rots = np.array([slerp(a, b, frac) for a, b in zip(self._rots[i].tolist(), self._rots[j].tolist())])
        vel = (self.root_vel, self.root_ang_vel, self.sph_vel, self.rev_vel)
        if self.smooth_vel:
            vel = [v[i] + frac * (v[j] - v[i]) for v in vel]
        else:
            vel = [v[i] for v in vel]
        return ReferencePose(root_pos=root_pos, root_rot=rots[0], sph_rot=rots[1:], rev_angle=rev,
                             root_vel=vel[0], root_ang_vel=vel[1], sph_vel=vel[2], rev_vel=vel[3])


@njit(cache=True)
def _blend(root_pos, rots, rev_angle, i, j, frac, count, cycle_offset):
    """Frames ``i`` and ``j`` blended at ``frac``: (root position, root and joint rotations, revolute angles).

    The rotations follow PyBullet's getQuaternionSlerp (Bullet3's b3Quaternion::slerp: no normalisation,
    the shorter arc, the first quaternion returned when |cos| rounds to 1) in double precision, with that
    last test made in single precision as PyBullet makes it: within ~3e-7 of PyBullet's results on every
    shipped clip, at ~1 us instead of ~10 us (one compiled loop instead of a C call per rotation)."""
    root = root_pos[i] + frac * (root_pos[j] - root_pos[i]) + count * cycle_offset
    rev = rev_angle[i] + frac * (rev_angle[j] - rev_angle[i])
    a, b = rots[i], rots[j]
    out = np.empty_like(a)
    for k in range(a.shape[0]):
        a2 = a[k, 0] * a[k, 0] + a[k, 1] * a[k, 1] + a[k, 2] * a[k, 2] + a[k, 3] * a[k, 3]
        b2 = b[k, 0] * b[k, 0] + b[k, 1] * b[k, 1] + b[k, 2] * b[k, 2] + b[k, 3] * b[k, 3]
        cos = (a[k, 0] * b[k, 0] + a[k, 1] * b[k, 1] + a[k, 2] * b[k, 2] + a[k, 3] * b[k, 3]) / math.sqrt(a2 * b2)
        f, g = a[k].astype(np.float32), b[k].astype(np.float32)
        cos32 = (f[0] * g[0] + f[1] * g[1] + f[2] * g[2] + f[3] * g[3]) / np.sqrt(
            (f[0] * f[0] + f[1] * f[1] + f[2] * f[2] + f[3] * f[3]) * (g[0] * g[0] + g[1] * g[1] + g[2] * g[2] + g[3] * g[3]))
        if abs(cos32) >= np.float32(1.0) or abs(cos) >= 1.0:
            out[k] = a[k]
            continue
        sign = -1.0 if cos < 0 else 1.0
        theta = math.acos(sign * cos)
        inv_sin = 1.0 / math.sin(theta)
        s0, s1 = math.sin((1.0 - frac) * theta) * inv_sin, math.sin(sign * frac * theta) * inv_sin
        for c in range(4):
            out[k, c] = a[k, c] * s0 + b[k, c] * s1
    return root, out, rev
