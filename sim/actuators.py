"""Actuator and radio models: hybrid motor, RCS, pyro/valve board, parachutes, Iridium modem.

Requirements
1. The station inhibits every pyro and the engine in hardware while the capsule
   is berthed: commands are refused and logged, whatever the flight code does.
2. Hardware arm of the pyro/valve board (``HardwareArm``): enabled only with the
   separation switch open (not attached) AND the board's separation timer
   (``pyro_board.sep_timer_s``, sim/hardware_schema.py) run out since release;
   a capsule that starts released (``separation``, ``entry_interface``) was
   released long ago. The flight software can neither set nor shorten it.
3. The pyro board fires a channel only when hw-armed AND its software arm relay
   is closed; every refusal is logged with its reason (``refused``), every
   pulse sent is logged (truth for ``pyro_fires``), so a second pulse on one
   channel is visible. Readback per channel: continuity (intact initiator) and
   the fire-sense latch (a pulse went out on it).
4. The motor's oxidiser path is a series isolation valve (open while the engine
   is armed and the board hw-armed) and the main oxidiser valve (opened by an
   ignition command, closed by shutdown or the valve driver's timer). Ignition
   is refused unless hw-armed and armed. Thrust starts the run's ignition delay
   after each accepted ignition (``vehicle.ignition_delay_s``, dispersed once
   per run): the motor restarts after a shutdown while propellant remains. It
   depletes propellant at T / (Isp g0) and burns out when empty; a shutdown is
   immediate. Thrust is nominal x the run's dispersion x the fault scale
   ``thrust_scale``; the chamber pressure follows the thrust. Every ignition,
   thrust onset and shutdown is in the truth log ``EngineModel.log``.
5. ``stuck_open`` main valve (fault): a shutdown (commanded or timed) leaves it
   open and the motor burns on to depletion; disarming closes the isolation
   valve and stops the flow -- the flight software's response. Disarming while
   the valve driver's timed closure is pending takes effect at that closure
   (the driver finishes its timed sequence first), so cutoff-then-disarm keeps
   the predicted cutoff instant.
6. Chutes: ``drogue`` pyro deploys the drogue; ``main`` deploys the main and cuts
   the drogue away; ``main_release`` cuts the main away; ``float`` inflates the
   flotation bag.
7. Iridium: SBD sessions succeed only with the antenna clear of the sea surface
   spray and at least 2 bars; outcome drawn from the seeded noise source.
8. RCS minimum impulse bit: a couple, once its valves open, stays open for at
   least ``vehicle.rcs_min_on_s`` even if commanded closed sooner. Valve states
   change only when commanded and at the start of each world tick (the world
   computes the RCS torque once per ``advance_to``, i.e. per 50 Hz flight cycle),
   so the on-time is rounded up to whole ticks: at the 50 Hz command rate any
   min_on_s <= 0.02 s changes nothing (a command already lasts one tick), and
   0.02 s < min_on_s <= 0.04 s makes a one-tick pulse last two ticks.
9. RCS latch valve upstream of all couples: open at power-on, latching (keeps
   its state across a processor reset); closed, no couple produces torque or
   uses gas. A ``stuck_open`` couple (fault) stays open whatever is commanded.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sim.earth import G0_MPS2
from sim.sensors import NoiseSource
from sim.vehicle import VehicleModel

PYRO_CHANNELS = ("drogue", "main", "main_release", "float")
#: Chamber pressure at nominal thrust, Pa (the sensor reads it in proportion to the thrust).
CHAMBER_PA_AT_NOMINAL = 2.0e6
#: Time tolerance of the boards' timers, s (tick times are k * 0.02 with rounding).
_TOL_S = 1e-9


@dataclass
class HardwareArm:
    """The pyro/valve board's hardware arm (requirement 2)."""
    sep_timer_s: float                 # hardware separation timer, s (pyro_board.sep_timer_s)
    release_t_s: float | None          # separation switch opened at, s; None while berthed; -inf: long ago

    def enabled(self, t_s: float, attached: bool) -> bool:
        r = self.release_t_s
        return not attached and r is not None and t_s >= r + self.sep_timer_s - _TOL_S

    def why_off(self, t_s: float, attached: bool) -> str:
        if attached or self.release_t_s is None:
            return "hardware arm off: separation switch closed"
        return (f"hardware arm off: separation timer {self.release_t_s + self.sep_timer_s - t_s:.2f} s "
                f"to run")


@dataclass
class EngineModel:
    """Hybrid deorbit motor behind the pyro/valve board; thrust along body +x (requirements 4, 5).

    An ignition is *active* from its accepted command until its flow stops
    (``shutdown_t_s`` set): ignition delay running, or thrusting."""
    vehicle: VehicleModel
    propellant_kg: float
    armed: bool = False                # software arm relay: powers the series isolation valve
    ignite_cmd_t_s: float | None = None   # the latest accepted ignition command
    burning: bool = False
    shutdown_t_s: float | None = None  # end of the latest ignition's flow (None while active)
    cutoff_at_s: float | None = None   # timed valve closure commanded by the flight software
    thrust_scale: float = 1.0          # fault scale: 1 nominal; <1 underperforming (faults); multiplies the dispersion
    no_ignition: bool = False
    stuck_open: bool = False           # main valve fault: it does not close (faults)
    main_valve_open: bool = False      # physical state of the main oxidiser valve
    main_valve_cmd_open: bool = False  # its commanded state
    iso_valve_open: bool = False       # physical state of the series isolation valve (relay side)
    refused: list = field(default_factory=list)   # (t_s, why) of every refused command
    log: list = field(default_factory=list)       # truth: (t_s, "ignition" | "onset" | "shutdown" | "stuck", detail)
    #: Arm-relay dead-man of the valve board, s (None: none): the relay drops (isolation valve
    #: closes) unless the flight computer refreshes it within this time - a stalled processor
    #: cannot leave the motor burning (hardware profile pyro_board.valve_deadman_s).
    deadman_s: float | None = None
    refreshed_t_s: float = 0.0

    @property
    def active(self) -> bool:
        return self.ignite_cmd_t_s is not None and self.shutdown_t_s is None

    def arm(self, on: bool, t_s: float, attached: bool = False) -> bool:
        """Close (on) or open the arm relay; opening it closes the isolation valve."""
        if on and attached:
            self.refused.append((t_s, "arm: station inhibit"))
            self.armed = False
            return False
        self.armed = on
        if on:
            self.refreshed_t_s = t_s
            self.iso_valve_open = True
        elif self.cutoff_at_s is None or not self.active:
            self.iso_valve_open = False
            if self.active:
                self._end(t_s, "disarmed: isolation valve closed")
        return True

    def ignite(self, t_s: float, inhibited: bool, hw_armed: bool = True) -> bool:
        """Command ignition: opens the main valve and fires the igniter. Refused while
        inhibited, without the hardware arm (the world passes the board's; a bare motor
        on a test stand has it), not armed, or with an ignition still active."""
        why = ("station inhibit" if inhibited else "hardware arm off" if not hw_armed
               else "not armed" if not self.armed else "ignition in progress" if self.active else None)
        if why is not None:
            self.refused.append((t_s, "ignite: " + why))
            return False
        self.ignite_cmd_t_s, self.shutdown_t_s, self.cutoff_at_s, self.burning = t_s, None, None, False
        self.refreshed_t_s = t_s
        self.main_valve_open = self.main_valve_cmd_open = self.iso_valve_open = True
        self.log.append((t_s, "ignition", f"propellant {self.propellant_kg:.4f} kg"))
        return True

    def shutdown(self, t_s: float, at_s: float | None = None, why: str = "valve closed") -> None:
        """Close the main oxidiser valve: now, or at ``at_s`` by the valve driver's timer."""
        if at_s is not None and at_s > t_s + _TOL_S and self.burning:
            self.cutoff_at_s = at_s
            return
        self.cutoff_at_s = None
        self._close_main(t_s, why)

    def _close_main(self, t_s: float, why: str) -> None:
        self.main_valve_cmd_open = False
        if self.stuck_open and self.main_valve_open:
            if self.active:
                self.log.append((t_s, "stuck", "main valve commanded closed: stuck open"))
            return
        self.main_valve_open = False
        if self.active:
            self._end(t_s, why)

    def _end(self, t_s: float, why: str) -> None:
        self.burning = False
        self.shutdown_t_s = t_s
        self.log.append((t_s, "shutdown", why))

    def set_stuck_open(self, stuck: bool, t_s: float) -> None:
        """Fault state of the main valve; a freed valve that was commanded closed closes."""
        if stuck == self.stuck_open:
            return
        self.stuck_open = stuck
        if not stuck and self.main_valve_open and not self.main_valve_cmd_open:
            self._close_main(t_s, "stuck valve freed: closed")

    def refresh(self, t_s: float) -> None:
        """The flight computer's keep-alive of the arm relay (dead-man)."""
        self.refreshed_t_s = t_s

    def update(self, t_s: float) -> None:
        """Start thrust once the ignition delay has passed, apply a timed cutoff, drop the
        arm relay when its dead-man runs out (called at step boundaries; the world lands a
        boundary on the first two)."""
        if self.armed and self.deadman_s is not None and t_s - self.refreshed_t_s > self.deadman_s + _TOL_S:
            self.log.append((t_s, "deadman", "arm relay not refreshed: dropped"))
            self.cutoff_at_s = None
            self.arm(False, t_s)
            return
        at = self.cutoff_at_s
        if at is not None and t_s >= at - _TOL_S:
            self.cutoff_at_s = None
            self._close_main(at, "timed cutoff")
            if not self.armed:
                self.iso_valve_open = False
                if self.active:
                    self._end(at, "timed cutoff: disarmed, isolation valve closed")
            return
        if self.active and not self.burning and not self.no_ignition:
            onset = self.ignite_cmd_t_s + self.vehicle.ignition_delay_s
            if t_s >= onset - _TOL_S:
                if self.propellant_kg > 0.0:
                    self.burning = True
                    self.log.append((t_s, "onset", "thrust"))
                else:
                    self._end(t_s, "no propellant")

    def valve_open(self, hw_armed: bool) -> bool:
        """Readback: the oxidiser path is open (main and isolation valves, board hw-armed)."""
        return self.main_valve_open and self.iso_valve_open and hw_armed

    def thrust_n(self) -> float:
        v = self.vehicle
        return v.thrust_n * v.thrust_dispersion * self.thrust_scale if self.burning else 0.0

    def mdot_kgps(self) -> float:
        return self.thrust_n() / (self.vehicle.isp_s * G0_MPS2)

    def consume(self, dt_s: float, t_end_s: float) -> None:
        """Account propellant over a step; burn out when empty."""
        if self.burning:
            self.propellant_kg -= self.mdot_kgps() * dt_s
            if self.propellant_kg <= 0.0:
                self.propellant_kg = 0.0
                self._end(t_end_s, "propellant depleted")

    def chamber_pressure_pa(self) -> float:
        """Chamber pressure sensor reading: follows the actual thrust (~2 MPa at nominal)."""
        return CHAMBER_PA_AT_NOMINAL * self.vehicle.thrust_dispersion * self.thrust_scale if self.burning else 0.0


# RCS torque channels: bit i of the mask fires couple i.
RCS_AXES = ((1.0, 0.0, 0.0), (-1.0, 0.0, 0.0), (0.0, 1.0, 0.0),
            (0.0, -1.0, 0.0), (0.0, 0.0, 1.0), (0.0, 0.0, -1.0))


@dataclass
class RcsModel:
    """Six cold-gas couples: +x, -x, +y, -y, +z, -z torque about the body axes, fed
    through one latch valve (requirements 8, 9).

    ``mask`` is the set of open couples (what the valves do), ``cmd_mask`` the last
    command; they differ while a minimum on-time holds a couple open or a couple
    is stuck open."""
    vehicle: VehicleModel
    propellant_kg: float
    mask: int = 0
    failed_off: int = 0          # mask of couples that never fire (faults)
    stuck_open: int = 0          # mask of couples that stay open whatever is commanded (faults)
    latch_open: bool = True      # latch valve: open at power-on, keeps its state across a processor reset
    pulses: int = 0
    cmd_mask: int = 0
    _on_s: list = field(default_factory=lambda: [0.0] * 6)   # time each couple has been open, s

    def command(self, mask: int) -> None:
        mask &= 0x3F
        if mask != self.cmd_mask and mask:
            self.pulses += 1
        self.cmd_mask = mask
        opening = mask & ~self.mask
        for i in range(6):
            if opening >> i & 1:
                self._on_s[i] = 0.0
        self.mask = mask | self._held() | self.stuck_open

    def latch(self, open_: bool) -> None:
        """Open or close the latch valve upstream of every couple."""
        self.latch_open = bool(open_)

    def set_stuck_open(self, mask: int) -> None:
        """Fault state: couples in ``mask`` are stuck open (takes effect at once)."""
        if mask != self.stuck_open:
            self.stuck_open = mask
            self.mask = self.cmd_mask | self._held() | mask

    def _held(self) -> int:
        """Open couples still inside their minimum on-time."""
        m = self.mask
        if not m:
            return 0
        t_min = self.vehicle.rcs_min_on_s - 1e-9
        held = 0
        for i in range(6):
            if m >> i & 1 and self._on_s[i] < t_min:
                held |= 1 << i
        return held

    def torque_nm(self) -> tuple[float, float, float]:
        """Torque of the open couples; called at the start of each world tick, which is
        also when couples held open by the minimum on-time close."""
        if self.mask != self.cmd_mask:
            self.mask = self.cmd_mask | self._held() | self.stuck_open
        m = self.mask & ~self.failed_off
        if not m or not self.latch_open or self.propellant_kg <= 0.0:
            return 0.0, 0.0, 0.0
        k = self.vehicle.rcs_couple_torque_nm
        tx = ty = tz = 0.0
        for i, (ax, ay, az) in enumerate(RCS_AXES):
            if m >> i & 1:
                tx += k * ax; ty += k * ay; tz += k * az
        return tx, ty, tz

    def consume(self, dt_s: float) -> float:
        """Propellant used over a step (two thrusters per couple), kg; advances the
        open couples' on-times."""
        if self.mask:
            for i in range(6):
                if self.mask >> i & 1:
                    self._on_s[i] += dt_s
        m = self.mask & ~self.failed_off
        if not m or not self.latch_open or self.propellant_kg <= 0.0:
            return 0.0
        n = 2 * bin(m).count("1")
        dm = n * self.vehicle.rcs_thruster_force_n / (self.vehicle.rcs_isp_s * G0_MPS2) * dt_s
        dm = min(dm, self.propellant_kg)
        self.propellant_kg -= dm
        return dm


@dataclass
class PyroBoard:
    """Pyro side of the pyro/valve board: hardware arm, software arm relay, four
    channels with continuity and fire-sense readback (requirements 2, 3)."""
    hw_arm: HardwareArm
    armed: bool = False                              # software arm relay
    log: list = field(default_factory=list)          # (t_s, channel) of every pulse sent
    refused: list = field(default_factory=list)      # (t_s, channel, why)
    no_fire: set = field(default_factory=set)        # channels whose initiator is open, a dud (faults)
    _pulsed: set = field(default_factory=set)        # channels a pulse went out on (fire-sense latch)
    _went_off: set = field(default_factory=set)      # channels whose initiator went off

    def fire(self, t_s: float, channel: str, attached: bool) -> bool:
        """Send a firing pulse; True when the pulse was sent."""
        why = None
        if channel not in PYRO_CHANNELS:
            why = "unknown channel"
        elif attached:
            why = "station inhibit"
        elif not self.hw_arm.enabled(t_s, attached):
            why = self.hw_arm.why_off(t_s, attached)
        elif not self.armed:
            why = "not armed"
        if why is not None:
            self.refused.append((t_s, channel, why))
            return False
        self.log.append((t_s, channel))
        self._pulsed.add(channel)
        if channel not in self.no_fire:
            self._went_off.add(channel)
        return True

    def fired(self, channel: str) -> bool:
        """Truth: the channel's initiator has gone off (a dud's never does)."""
        return channel in self._went_off

    def continuity(self) -> tuple[bool, ...]:
        """Readback per channel (PYRO_CHANNELS order): the bridgewire is intact --
        not fired, and not an open (dud) initiator."""
        return tuple(c not in self.no_fire and c not in self._went_off for c in PYRO_CHANNELS)

    def pulsed(self) -> tuple[bool, ...]:
        """Readback per channel: the fire-sense latch, a firing pulse went out on it."""
        return tuple(c in self._pulsed for c in PYRO_CHANNELS)


@dataclass
class IridiumModel:
    """Iridium 9603 SBD modem: signal bars and mobile-originated sessions."""
    cfg: dict
    noise: NoiseSource
    momsn: int = 0
    delivered: list = field(default_factory=list)    # (t_s, payload bytes)
    attempts: int = 0

    def bars(self, antenna_clear: bool) -> int:
        """Signal strength 0-5."""
        if not antenna_clear:
            return 0
        return max(0, min(5, int(round(self.cfg["mean_bars"] + self.noise.normal()))))

    def session(self, t_s: float, payload: bytes, antenna_clear: bool) -> tuple[int, int]:
        """One SBDIX session: (MO status, MOMSN). 0 = sent; 32 = no network."""
        self.attempts += 1
        if not antenna_clear or self.bars(antenna_clear) < 2:
            return 32, self.momsn
        if self.noise.uniform() > self.cfg["session_success_prob"]:
            return 13, self.momsn         # gateway reported the session did not complete
        self.momsn = (self.momsn + 1) & 0xFFFF
        self.delivered.append((t_s, bytes(payload)))
        return 0, self.momsn
