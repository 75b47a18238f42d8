"""The DeepMimic imitation task on PyBullet: track a motion clip with a PD-driven humanoid.

Semantics follow the upstream pybullet port (our test oracle): 240 Hz physics, 30 Hz control,
stable PD, the 197-d state (phase, root height, per-link positions, rotations and velocities
in the root's heading frame), the 36-d action (axis-angle / angle PD targets) and the
pose/velocity/end-effector/root reward. Unlike upstream, the reference pose is computed only when a
reward is read (once per control step, not before each of the 8 physics substeps), and by forward
kinematics (``kinematics.Skeleton``, equal to a posed PyBullet body to ~1e-15) rather than by posing one.
"""
import math
import os

import numpy as np
import pybullet
import pybullet_data

from deepmimic.env.base_env import EnvSpec, Mode, Terminate  # noqa: F401  (Terminate/Mode re-exported)
from deepmimic.env.bullet_client import BulletClient
from deepmimic.env.character import JOINT_TYPES, build_action_layout, build_residual_action_layout, load_character
from deepmimic.env.kinematics import Skeleton, bullet_quaternion
from deepmimic.env.urdf_writer import write_urdf
from deepmimic.env.motion_set import MotionSet
from deepmimic.env.pd_controller import StablePD, load_pd_gains
from deepmimic.env.root_assist import RootAssist
from deepmimic.env.start_sampler import StartSampler
from deepmimic.env.observation import build_state, ref_pose_features, state_size
from deepmimic.env.reward import JointWeights, TrackingState, heading_frame_offsets, sq_dist, imitation_reward
from deepmimic.env.env_config import EnvConfig  # noqa: F401 (re-exported: the env and its settings)
from deepmimic.env.timer import EpisodeTimer
from deepmimic.env.tracking_error import BodyError, body_pos_error, body_pos_errors
from deepmimic.util.errors import DeepMimicError


class ImitationEnv:
    def __init__(self, config, seed=None, enable_draw=False, show_reference=None, starts=None):
        """``show_reference`` draws the reference character beside the simulated one (default: GUI only);
        ``starts``, a ``StartSampler`` shared by a rank's envs (default: one of its own)."""
        self.cfg = config
        self.char = load_character(config.char_file)
        self.kp, self.kd = load_pd_gains(config.ctrl_file, self.char)
        self.motions = MotionSet(config.motion_file, self.char, config.smooth_ref_vel)
        self.clip = 0  # the lead clip of the episode (motion_set explains several clips)
        self.motion = self.motions.clips[0]
        bad = [b for b in config.fall_contact_bodies if not 0 <= b < self.char.num_joints]
        if bad:
            raise DeepMimicError(f"fall_contact_bodies {bad} are not body ids of {config.char_file} "
                                 f"(0..{self.char.num_joints - 1})")
        self.rng = np.random.default_rng(seed)
        self.starts = starts or StartSampler([c.cycle_time for c in self.motions.clips], config.adaptive_starts,
                                             config.adaptive_starts_at, [c.loop for c in self.motions.clips])
        self.enable_draw = enable_draw
        self.show_reference = enable_draw if show_reference is None else show_reference
        self.timestep = 1.0 / config.sim_freq
        self.substeps = int(round(config.sim_freq / config.ctrl_freq))
        self.timer = EpisodeTimer(config.time_lim, config.time_end_lim, config.anneal_samples)
        self.mode = Mode.TRAIN

        # Constant per-joint bookkeeping, vectorised once.
        ch = self.char
        self.num_links = ch.num_joints
        self.sph = ch.joints_of_type("spherical")
        self.rev = ch.joints_of_type("revolute")
        self.actuated = [int(j) for j in ch.actuated]
        self._act_is_sph = np.array([ch.types[j] == "spherical" for j in self.actuated])
        self.end_effectors = [int(j) for j in np.nonzero(ch.end_effector)[0]]
        self.skeleton = Skeleton(ch, config.world_scale, self.sph, self.rev)
        self.joint_weights = JointWeights(root=ch.diff_weight[0], sph=ch.diff_weight[self.sph], rev=ch.diff_weight[self.rev])
        # One spare slot at the end: contacts on the massless base report link -1, which never fails.
        self.fall_bodies = np.zeros(self.num_links + 1, dtype=bool)
        self.fall_bodies[list(config.fall_contact_bodies)] = True
        self._links = list(range(self.num_links))
        self._rewarded = [int(j) for j in self.sph] + [int(j) for j in self.rev]
        self._index_actions(ch, config.residual_actions)
        self.ref_pose_size = 4 * len(self.sph) + len(self.rev) if config.ref_pose_state else 0
        self.state_size = state_size(self.num_links, config.ref_root_state, self.ref_pose_size)
        self.spec = EnvSpec(self.state_size, self.action_size, self.build_state_offset(), self.build_state_scale(),
                            self.build_state_norm_groups(), self.a_offset, self.a_scale, self.a_bound_min,
                            self.a_bound_max, self.get_reward_min(), self.get_reward_max())

        self._connect()
        # Pose the bodies at the clip's start before any step, as upstream does: Bullet's contact
        # order depends on the broadphase's history, and this keeps our rollouts bit-identical.
        self.reset(start_time=0.0)

    def _index_actions(self, ch, residual):
        """The action's layout (DeepMimic's PD targets, or offsets from the clip's pose) and where each actuated
        joint's entries and reference sit, for turning actions into targets without a per-joint search."""
        # Actuated joint k reads its reference from sph_rot[_ref_index[k]] or rev_angle[...].
        self._ref_index = [int(np.searchsorted(self.sph if s else self.rev, j))
                           for j, s in zip(self.actuated, self._act_is_sph)]
        layout = build_residual_action_layout if residual else build_action_layout
        self.a_offset, self.a_scale, self.a_bound_min, self.a_bound_max = layout(ch)
        # Where each actuated joint's params sit in the action vector.
        sizes = [JOINT_TYPES[ch.types[j]].action_size for j in self.actuated]
        self._act_start = [int(i) for i in np.cumsum([0] + sizes)[:-1]]
        self.action_size = int(sum(sizes))
        # In action order: each spherical joint's axis entries (its angle sits just before them) and each revolute
        # joint's angle, with where the joint's reference sits in the clip's arrays.
        starts, ref_index = np.array(self._act_start), np.array(self._ref_index)
        self._sph_axis_cols = starts[self._act_is_sph][:, None] + np.arange(1, 4)
        self._rev_cols = starts[~self._act_is_sph]
        self._sph_ref, self._rev_ref = ref_index[self._act_is_sph], ref_index[~self._act_is_sph]

    # ----- world -------------------------------------------------------------------------
    def _connect(self):
        mode = pybullet.GUI if self.enable_draw else pybullet.DIRECT
        self.pb = BulletClient(mode)
        pb = self.pb
        if self.enable_draw:
            pb.configureDebugVisualizer(pb.COV_ENABLE_GUI, 0)
            pb.configureDebugVisualizer(pb.COV_ENABLE_Y_AXIS_UP, 1)
        z2y = pb.getQuaternionFromEuler([-np.pi * 0.5, 0, 0])
        self.plane = pb.loadURDF(os.path.join(pybullet_data.getDataPath(), "plane_implicit.urdf"),
                                 [0, 0, 0], z2y, useMaximalCoordinates=True)
        pb.setGravity(0, -9.8, 0)
        pb.setPhysicsEngineParameter(numSolverIterations=10)
        pb.changeDynamics(self.plane, linkIndex=-1, lateralFriction=0.9)

        urdf = write_urdf(self.char, self.cfg.world_scale)
        scaling = 1.0 / self.cfg.world_scale
        try:
            flags = pb.URDF_MAINTAIN_LINK_ORDER | pb.URDF_USE_SELF_COLLISION | pb.URDF_USE_SELF_COLLISION_EXCLUDE_ALL_PARENTS
            self.body = pb.loadURDF(urdf, [0, 0.889540259, 0], globalScaling=scaling, flags=flags)
            # The kinematic reference: posed from the clip for the motion viewer and the GUI, never
            # simulated or collided with (the reward computes its pose, ``kinematics.Skeleton``).
            self.kin_body = pb.loadURDF(urdf, [0, 0.85, 0], globalScaling=scaling, useFixedBase=True,
                                        flags=pb.URDF_MAINTAIN_LINK_ORDER)
            self.show_body = None
            if self.show_reference:
                self.show_body = pb.loadURDF(urdf, [0, 0.85, 1.0], globalScaling=scaling, useFixedBase=True,
                                             flags=pb.URDF_MAINTAIN_LINK_ORDER)
        finally:
            os.remove(urdf)
        for link in range(-1, self.num_links):
            pb.changeDynamics(self.body, link, lateralFriction=0.9)
        pb.changeDynamics(self.body, -1, linearDamping=0, angularDamping=0)
        self.pd = StablePD(pb, self.body, self.char, self.kp, self.kd)
        self.assist = RootAssist(pb, self.body, self.num_links) if self.cfg.assist_gain > 0 else None
        self._make_ghost(self.kin_body, alpha=0.0 if self.show_reference else 0.4)
        if self.show_body is not None:
            self._make_ghost(self.show_body, alpha=0.5)
            for link in range(self.num_links):
                pb.changeVisualShape(self.body, link, rgbaColor=list(self.char.body_color[link]))
        pb.setTimeStep(self.timestep)
        pb.setPhysicsEngineParameter(numSubSteps=1)

    def _make_ghost(self, body, alpha):
        """No collisions, asleep, never woken: a posed body that costs the solver nothing."""
        pb = self.pb
        for link in range(-1, self.num_links):
            pb.setCollisionFilterGroupMask(body, link, collisionFilterGroup=0, collisionFilterMask=0)
            pb.changeDynamics(body, link, activationState=pb.ACTIVATION_STATE_SLEEP
                              + pb.ACTIVATION_STATE_ENABLE_SLEEPING + pb.ACTIVATION_STATE_DISABLE_WAKEUP)
            pb.changeVisualShape(body, link, rgbaColor=[1, 1, 1, alpha])

    def close(self):
        if getattr(self, "pb", None) is not None:
            try:
                self.pb.disconnect()
            except pybullet.error:
                pass
            self.pb = None

    # ----- task interface ----------------------------------------------------------------
    def set_mode(self, mode):
        self.mode = Mode(mode)

    def clip_duration(self):
        return self.motion.cycle_time

    def control_step(self):
        return self.substeps * self.timestep

    def set_sample_count(self, count):
        self.timer.set_sample_count(count)

    def reset(self, start_time=None, clip=None):
        """Reference state initialisation: start at a random time (or ``start_time``) of a clip drawn
        by weight (or ``clip``, an index or file name) of the motion set."""
        self.clip = self.motions.sample(self.rng) if clip is None else self.motions.index(clip)
        self.motion = self.motions.clips[self.clip]
        if start_time is None:
            start_time = self.starts.sample(self.clip, self.rng)
        self.t = self.start_time = float(start_time)
        self.time_limit = self.timer.sample(self.rng, self.mode)
        self.root_drift_sq = 0.0  # squared root distance to the reference, updated by the reward
        self.pose_dev_sq = 0.0    # largest squared body distance to the reference (with --pose_term_dist)
        self.last_reward_terms = None  # the last step's reward terms (calc_reward)
        self._body_pair = None  # the last step's simulated and reference bodies (calc_reward), for body_error
        self._set_body_pose(self.body, self.motion.bullet_reference(self.t), with_velocity=True)
        if self.show_body is not None:
            self._sync_show_body()
        return self.record_state()

    def show_pose(self, t):
        """Pose the character at the clip's time ``t`` without simulating (the motion viewer)."""
        self.t = float(t)
        ref = self.motion.bullet_reference(self.t)
        for body in (self.body, self.kin_body):  # the reward's reference body overlaps, not left behind
            self._set_body_pose(body, ref, with_velocity=False)

    def _per_joint(self, sph, rev):
        """PyBullet's per-actuated-joint lists ([x,y,z,w] / [wx,wy,wz] or [value]) from reference arrays."""
        sph, rev = sph.tolist(), rev.tolist()
        return [sph[i] if s else [rev[i]] for i, s in zip(self._ref_index, self._act_is_sph)]

    def _set_body_pose(self, body, ref, with_velocity, offset=None):
        pb = self.pb
        root = ref.root_pos if offset is None else ref.root_pos + np.asarray(offset)
        pb.resetBasePositionAndOrientation(body, root.tolist(), ref.root_rot.tolist())
        pos = self._per_joint(ref.sph_rot, ref.rev_angle)
        if with_velocity:
            pb.resetBaseVelocity(body, ref.root_vel.tolist(), ref.root_ang_vel.tolist())
            pb.resetJointStatesMultiDof(body, self.actuated, pos, self._per_joint(ref.sph_vel, ref.rev_vel))
        else:  # the reward's reference pose, every control step: no velocity lists to build
            pb.resetJointStatesMultiDof(body, self.actuated, pos)

    def _sync_show_body(self):
        self._set_body_pose(self.show_body, self.motion.bullet_reference(self.t), with_velocity=False, offset=(0.0, 0.0, 1.0))

    def action_to_targets(self, action):
        """PD targets per actuated joint: quaternions from (angle, axis) or plain angles.

        Uses PyBullet's single-precision getQuaternionFromAxisAngle, as upstream does, so the
        same action gives bit-identical targets (about 0.2 us a joint, cheaper than numpy here).
        """
        a = np.asarray(action, dtype=np.float64).tolist()
        to_quat = pybullet.getQuaternionFromAxisAngle
        return [to_quat(a[i + 1:i + 4], a[i]) if sph else [a[i]]
                for i, sph in zip(self._act_start, self._act_is_sph)]

    def reference_action(self, t):
        """The action whose PD targets are the clip's pose at time ``t``: the inverse of
        ``action_to_targets`` (angle in [0, pi] and unit axis per spherical joint, angle per revolute)."""
        ref = self.motion.reference(t)
        return self._targets_action(ref.sph_rot[self._sph_ref], ref.rev_angle[self._rev_ref])

    def _targets_action(self, quats, angles):
        """The plain action (``action_to_targets``' input) for PD targets: ``quats`` (x, y, z, w) of the actuated
        spherical joints in order, ``angles`` of the revolute ones."""
        q = np.asarray(quats, dtype=np.float64)
        q = q / np.linalg.norm(q, axis=1, keepdims=True)
        q *= np.where(q[:, 3:4] < 0, -1.0, 1.0)
        sin_half = np.linalg.norm(q[:, :3], axis=1)
        axis = np.where(sin_half[:, None] > 1e-9, q[:, :3] / np.maximum(sin_half, 1e-9)[:, None], [0.0, 0.0, 1.0])
        action = np.empty(self.action_size)
        action[self._sph_axis_cols[:, 0] - 1] = 2.0 * np.arctan2(sin_half, q[:, 3])
        action[self._sph_axis_cols] = axis
        action[self._rev_cols] = angles
        return action

    def absolute_action(self, action, t):
        """The plain action (PD targets, DeepMimic's meaning) that a ``--residual_actions`` action at ``t`` stands
        for: what an env without residual actions, upstream's among them, must be given to play such a policy."""
        return self._targets_action(*self._residual_parts(action, t))

    def clip_action(self, t):
        """The action that plays the clip's pose at time ``t``: ``reference_action``, or with ``--residual_actions``
        (actions are offsets from that pose) no offset at all."""
        return np.zeros(self.action_size) if self.cfg.residual_actions else self.reference_action(t)

    def residual_targets(self, action, t):
        """PD targets for an action that offsets the clip's pose at ``t`` (``--residual_actions``), per actuated
        joint in PyBullet's lists (``_residual_parts``)."""
        sph, rev = self._residual_parts(action, t)
        it_sph, it_rev = iter(sph), iter(rev)
        return [next(it_sph) if s else [next(it_rev)] for s in self._act_is_sph]

    def _residual_parts(self, action, t):
        """The targets of a residual action at ``t``, by joint type: each spherical joint's reference rotation followed
        by the rotation vector in its axis entries, each revolute joint's reference angle plus its entry. PyBullet's
        C calls per joint, as ``action_to_targets``: 3x faster than numpy on 8 joints."""
        a = np.asarray(action, dtype=np.float64)
        ref = self.motion.reference(t)
        to_quat, compose, zero = pybullet.getQuaternionFromAxisAngle, pybullet.multiplyTransforms, (0.0, 0.0, 0.0)
        sph = []
        for q, r in zip(ref.sph_rot[self._sph_ref].tolist(), a[self._sph_axis_cols].tolist()):
            angle = math.sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2])
            sph.append(compose(zero, q, zero, to_quat(r, angle))[1] if angle > 0.0 else q)
        return sph, (ref.rev_angle[self._rev_ref] + a[self._rev_cols]).tolist()

    def set_action(self, action):
        if len(action) != self.action_size:
            raise ValueError(f"action has size {len(action)}, expected {self.action_size}")
        if self.cfg.residual_actions:  # the pose the targets offset is the one this control step ends at
            self.pd.set_targets(self.residual_targets(action, self.t + self.control_step()))
        else:
            self.pd.set_targets(self.action_to_targets(action))

    def simulate(self):
        """Advance one control step (``substeps`` physics steps with the current PD targets and, early in
        training, the root assist toward the reference root the step's reward reads)."""
        pb = self.pb
        scale = self.assist_scale()
        pushes = self.assist.push(scale, self.motion.reference(self.t + self.control_step())) if scale > 0 else None
        for _ in range(self.substeps):
            self.t += self.timestep
            self.pd.apply()
            if pushes:
                self.assist.apply(pushes)
            pb.stepSimulation()
        if self.show_body is not None:
            self._sync_show_body()

    def step(self, action):
        """Gym-like step: returns (state, reward, done, terminate flag)."""
        self.set_action(action)
        self.simulate()
        state = self.record_state()
        reward = self.calc_reward()
        term = self.check_terminate()
        if term is not None and self.mode == Mode.TRAIN:
            self.starts.record(self.clip, self.start_time, term == Terminate.FAIL, self.t)
        return state, reward, term is not None, term

    def check_terminate(self):
        """Terminate.FAIL on a fall (or, in training, drift beyond ``drift_term_dist``), Terminate.NULL
        at the time limit or at the end of a clip that does not loop (in training, ``clip_end_hold`` past
        it), else None. Drift is read from the last reward computation. Test episodes end only by falls,
        time and the clip's end, so test returns compare across configurations."""
        drifted = self.mode == Mode.TRAIN and (self.root_drift_sq > self.drift_limit() ** 2 > 0
                                               or self.pose_dev_sq > self.cfg.pose_term_dist ** 2 > 0)
        if self.has_fallen() or drifted:
            return Terminate.FAIL
        if self.t - self.start_time >= self.time_limit - 0.5 * self.timestep:  # t accumulates rounding
            return Terminate.NULL
        hold = self.cfg.clip_end_hold if self.mode == Mode.TRAIN else 0.0
        if not self.motion.loop and self.t >= self.motion.cycle_time + hold - 0.5 * self.timestep:
            return Terminate.NULL  # a clip that does not loop (kick, getup) ends its episode, as in DeepMimic
        return None

    def drift_limit(self):
        """The drift termination distance now: ``drift_term_dist``, or on its curriculum from ``drift_term_dist_beg``."""
        beg, end, span = self.cfg.drift_term_dist_beg, self.cfg.drift_term_dist, self.cfg.drift_anneal_samples
        if beg is None or span <= 0:
            return end
        return beg + (end - beg) * self.timer.progress(span)

    def assist_scale(self):
        """The root assist's strength now (``root_assist``): ``assist_gain`` at the first sample, falling linearly to
        0 over ``assist_anneal_samples``; 0 in test episodes."""
        if self.assist is None or self.mode != Mode.TRAIN:
            return 0.0
        return self.cfg.assist_gain * (1.0 - self.timer.progress(self.cfg.assist_anneal_samples))

    def has_fallen(self):
        contacts = self.pb.getContactPoints(bodyA=self.body, bodyB=self.plane)
        return any(self.fall_bodies[c[3]] for c in contacts)

    # ----- observations and reward -------------------------------------------------------
    def phase(self):
        return self.motion.phase(self.t)

    def record_state(self):
        """The state (``observation.build_state``) from the links' PyBullet arrays."""
        pb = self.pb
        base_pos, base_rot = pb.getBasePositionAndOrientation(self.body)
        links = pb.getLinkStates(self.body, self._links, computeLinkVelocity=1, computeForwardKinematics=1)
        ref_root = ref_pose = None
        if self.cfg.ref_root_state:
            ref = self.motion.reference(self.t)
            ref_root = (ref.root_pos, ref.root_rot)
        if self.ref_pose_size:
            nxt = self.motion.reference(self.t + self.control_step())
            ref_pose = ref_pose_features(nxt.sph_rot, nxt.rev_angle)
        return build_state(self.phase(), base_pos, base_rot, [l[0] + l[6] + l[7] + l[1] for l in links], ref_root, ref_pose)

    def calc_reward(self):
        """The step's reward; its terms stay readable as ``last_reward_terms`` (diagnostics)."""
        self.last_reward_terms = self.reward_terms()
        return self.last_reward_terms["reward"]

    def reward_terms(self):
        """DeepMimic's imitation reward and its four terms (``reward.imitation_reward``), comparing
        with the reference pose at the current time. With several clips: the best clip's
        terms, and the drift is measured from that clip's root. The simulated body is read once."""
        sim = self._sim_arrays()
        if len(self.motions) == 1:
            return imitation_reward(self.tracking_state(sim=sim), self.joint_weights, self.cfg.reward)
        best, drift, dev, pair = None, 0.0, 0.0, self._body_pair
        for motion in self.motions.clips:
            terms = imitation_reward(self.tracking_state(motion, sim), self.joint_weights, self.cfg.reward)
            if best is None or terms["reward"] > best["reward"]:
                best, drift, dev, pair = terms, self.root_drift_sq, self.pose_dev_sq, self._body_pair
        self.root_drift_sq, self.pose_dev_sq, self._body_pair = drift, dev, pair
        return best

    @property
    def body_error(self):
        """The last step's tracking error (``BodyError``, m; zero before the first step). Computed when read:
        training never reads it, and it would cost ~1.5% of a step."""
        return BodyError(0.0, 0.0) if self._body_pair is None else body_pos_error(*self._body_pair)

    @property
    def body_errors(self):
        """The last step's distance (m) of each body from the reference's, as it is and root-relative (two arrays
        in the character's body order; ``body_error`` is their means). None before the first step."""
        return None if self._body_pair is None else body_pos_errors(*self._body_pair)

    def _sim_arrays(self):
        """The simulated body's side of the reward: (base position, base velocity, base angular velocity,
        one flat array of root rotation, joint rotations, joint velocities, revolute angle/velocity pairs and
        end-effector positions). Packed into one array first: on vectors this small, the number of numpy
        calls, not their size, is what costs."""
        pb, body = self.pb, self.body
        base_pos, base_rot = pb.getBasePositionAndOrientation(body)
        base_vel, base_ang = pb.getBaseVelocity(body)
        js = pb.getJointStatesMultiDof(body, self._rewarded)
        # Upstream reads cached link transforms here (no forward kinematics): keep that. Every body is read
        # (the tracking error); the end effectors are picked from them.
        links = pb.getLinkStates(body, self._links)
        n_sph = len(self.sph)
        flat = np.array(base_rot + sum((j[0] for j in js[:n_sph]), ()) + sum((j[1] for j in js[:n_sph]), ())
                        + sum((j[0] + j[1] for j in js[n_sph:]), ()) + sum((l[0] for l in links), ()))
        return base_pos, base_vel, base_ang, flat

    def tracking_state(self, motion=None, sim=None):
        """The reward's arrays against ``motion`` (default: the lead clip) at the current time; ``sim``
        (``_sim_arrays``) is read here when not given."""
        base_pos, base_vel, base_ang, flat = sim or self._sim_arrays()
        ref = (motion or self.motion).reference(self.t)
        # The reference body as PyBullet would pose it (upstream poses a kinematic body and reads it back):
        # its root, the root quaternion with Bullet's sign, and its bodies by forward kinematics.
        kin_pos, kin_rot = ref.root_pos, bullet_quaternion(ref.root_rot)
        ref_links = self.skeleton.body_positions(ref)
        if self.enable_draw:  # the GUI shows the reference body where the reward reads it
            self._set_body_pose(self.kin_body, ref, with_velocity=False)
        n_sph, n_rev = len(self.sph), len(self.rev)
        o = 4 + 7 * n_sph
        rev = flat[o:o + 2 * n_rev].reshape(-1, 2)
        sim_links = flat[o + 2 * n_rev:].reshape(-1, 3)
        self.root_drift_sq = sq_dist(base_pos, kin_pos)
        self._body_pair = (sim_links, ref_links)
        if self.cfg.pose_term_dist > 0:  # every body against the reference
            self.pose_dev_sq = float(np.max(np.sum((sim_links - ref_links) ** 2, axis=1)))
        with_ref_vel = self.cfg.ref_joint_vel_reward
        end_eff, ref_end_eff = sim_links[self.end_effectors], ref_links[self.end_effectors]
        if self.cfg.end_eff_root_relative:
            end_eff, ref_end_eff = heading_frame_offsets(end_eff, base_pos, flat[0:4]), heading_frame_offsets(ref_end_eff, kin_pos, kin_rot)
        return TrackingState(
            root_pos=base_pos, root_rot=flat[0:4], root_vel=base_vel, root_ang_vel=base_ang,
            ref_root_pos=kin_pos, ref_root_rot=kin_rot, ref_root_vel=ref.root_vel, ref_root_ang_vel=ref.root_ang_vel,
            joint_rot=flat[4:4 + 4 * n_sph].reshape(n_sph, 4), ref_joint_rot=ref.sph_rot,
            joint_vel=flat[4 + 4 * n_sph:o].reshape(n_sph, 3), rev_angle=rev[:, 0], ref_rev_angle=ref.rev_angle,
            rev_vel=rev[:, 1], end_eff_pos=end_eff, ref_end_eff_pos=ref_end_eff,
            ref_joint_vel=ref.sph_vel if with_ref_vel else None, ref_rev_vel=ref.rev_vel if with_ref_vel else None)

    # ----- normalisation hints for the agent (DeepMimic's BuildStateOffset/Scale etc.) -------
    def build_state_offset(self):
        off = np.zeros(self.state_size)
        off[0] = -0.5
        return off

    def build_state_scale(self):
        scale = np.ones(self.state_size)
        scale[0] = 2.0
        return scale

    def build_state_norm_groups(self):
        groups = np.zeros(self.state_size, dtype=np.int64)
        groups[0] = -1  # the phase is never re-normalised
        return groups

    def get_reward_min(self):
        return 0.0

    def get_reward_max(self):
        return 1.0

    # ----- rendering ---------------------------------------------------------------------
    def render_rgb(self, width=320, height=240, distance=3.0, yaw=0.0, pitch=-15.0):
        """Software-rendered RGB frame from a camera that follows the character's root."""
        pb = self.pb
        root, _ = pb.getBasePositionAndOrientation(self.body)
        view = pb.computeViewMatrixFromYawPitchRoll(cameraTargetPosition=[root[0], 0.9, root[2] + (0.5 if self.show_body is not None else 0.0)],
                                                    distance=distance, yaw=yaw, pitch=pitch, roll=0, upAxisIndex=1)
        proj = pb.computeProjectionMatrixFOV(fov=60, aspect=width / height, nearVal=0.05, farVal=50)
        img = pb.getCameraImage(width, height, view, proj, renderer=pb.ER_TINY_RENDERER)
        rgba = np.reshape(np.asarray(img[2], dtype=np.uint8), (height, width, 4))
        return rgba[:, :, :3].copy()
