"""Actuator and radio models: hybrid motor, RCS, pyro board, parachutes, Iridium modem.

Requirements
1. The station inhibits every pyro and the engine in hardware while the capsule
   is berthed: commands are refused and logged, whatever the flight code does.
2. The pyro board fires a channel only when armed; it logs every firing pulse
   (truth for ``pyro_fires``), so a second pulse on one channel is visible.
3. The motor thrusts after its ignition delay, depletes propellant at
   T / (Isp g0), and burns out when empty; shutdown is immediate. Thrust is
   nominal x the run's dispersion (``vehicle.thrust_dispersion``, drawn once per
   run, see ``VehicleModel.dispersed``) x the fault scale ``thrust_scale``; the
   ignition delay is the run's dispersed ``vehicle.ignition_delay_s``.
4. Chutes: ``drogue`` pyro deploys the drogue; ``main`` deploys the main and cuts
   the drogue away; ``main_release`` cuts the main away; ``float`` inflates the
   flotation bag.
5. Iridium: SBD sessions succeed only with the antenna clear of the sea surface
   spray and at least 2 bars; outcome drawn from the seeded noise source.
6. RCS minimum impulse bit: a couple, once its valves open, stays open for at
   least ``vehicle.rcs_min_on_s`` even if commanded closed sooner. Valve states
   change only when commanded and at the start of each world tick (the world
   computes the RCS torque once per ``advance_to``, i.e. per 50 Hz flight cycle),
   so the on-time is rounded up to whole ticks: at the 50 Hz command rate any
   min_on_s <= 0.02 s changes nothing (a command already lasts one tick), and
   0.02 s < min_on_s <= 0.04 s makes a one-tick pulse last two ticks.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sim.earth import G0_MPS2
from sim.sensors import NoiseSource
from sim.vehicle import VehicleModel

PYRO_CHANNELS = ("drogue", "main", "main_release", "float")


@dataclass
class EngineModel:
    """Hybrid deorbit motor; thrust along body +x."""
    vehicle: VehicleModel
    propellant_kg: float
    armed: bool = False
    ignite_cmd_t_s: float | None = None
    burning: bool = False
    shutdown_t_s: float | None = None
    cutoff_at_s: float | None = None   # timed valve closure commanded by the flight software
    refused: int = 0
    thrust_scale: float = 1.0          # fault scale: 1 nominal; <1 underperforming (faults); multiplies the dispersion
    no_ignition: bool = False

    def ignite(self, t_s: float, inhibited: bool) -> bool:
        """Command ignition; refused while inhibited or not armed."""
        if inhibited or not self.armed or self.ignite_cmd_t_s is not None:
            self.refused += 1
            return False
        self.ignite_cmd_t_s = t_s
        return True

    def shutdown(self, t_s: float, at_s: float | None = None) -> None:
        """Close the oxidiser valve: now, or at ``at_s`` by the valve driver's timer."""
        if at_s is not None and at_s > t_s + 1e-9 and self.burning:
            self.cutoff_at_s = at_s
            return
        if self.burning or self.ignite_cmd_t_s is not None:
            self.burning = False
            self.shutdown_t_s = t_s

    def update(self, t_s: float) -> None:
        """Start thrust once the ignition delay has passed, stop it at a timed cutoff
        (called at step boundaries; the world lands a boundary on both)."""
        if self.burning and self.cutoff_at_s is not None and t_s >= self.cutoff_at_s - 1e-9:
            self.burning = False
            self.shutdown_t_s = self.cutoff_at_s
            return
        if (self.ignite_cmd_t_s is not None and self.shutdown_t_s is None and not self.burning
                and not self.no_ignition and self.propellant_kg > 0.0
                and t_s >= self.ignite_cmd_t_s + self.vehicle.ignition_delay_s - 1e-9):
            self.burning = True

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
                self.burning = False
                self.shutdown_t_s = t_end_s

    def chamber_pressure_pa(self) -> float:
        """Chamber pressure sensor reading: ~2 MPa at full thrust."""
        return 2.0e6 * self.vehicle.thrust_dispersion * self.thrust_scale if self.burning else 0.0


# RCS torque channels: bit i of the mask fires couple i.
RCS_AXES = ((1.0, 0.0, 0.0), (-1.0, 0.0, 0.0), (0.0, 1.0, 0.0),
            (0.0, -1.0, 0.0), (0.0, 0.0, 1.0), (0.0, 0.0, -1.0))


@dataclass
class RcsModel:
    """Six cold-gas couples: +x, -x, +y, -y, +z, -z torque about the body axes.

    ``mask`` is the set of open couples (what the valves do), ``cmd_mask`` the last
    command; they differ while a minimum on-time holds a couple open (requirement 6)."""
    vehicle: VehicleModel
    propellant_kg: float
    mask: int = 0
    failed_off: int = 0          # mask of couples that never fire (faults)
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
        self.mask = mask | self._held()

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
            self.mask = self.cmd_mask | self._held()
        m = self.mask & ~self.failed_off
        if not m or self.propellant_kg <= 0.0:
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
        if not m or self.propellant_kg <= 0.0:
            return 0.0
        n = 2 * bin(m).count("1")
        dm = n * self.vehicle.rcs_thruster_force_n / (self.vehicle.rcs_isp_s * G0_MPS2) * dt_s
        dm = min(dm, self.propellant_kg)
        self.propellant_kg -= dm
        return dm


@dataclass
class PyroBoard:
    """Pyro initiator board: arm relay plus four channels; logs every pulse."""
    armed: bool = False
    log: list = field(default_factory=list)          # (t_s, channel)
    refused: list = field(default_factory=list)      # (t_s, channel, why)
    no_fire: set = field(default_factory=set)        # channels whose initiator is dud (faults)

    def fire(self, t_s: float, channel: str, inhibited: bool) -> bool:
        """Send a firing pulse; True when the pulse was sent."""
        if channel not in PYRO_CHANNELS:
            self.refused.append((t_s, channel, "unknown channel"))
            return False
        if inhibited:
            self.refused.append((t_s, channel, "station inhibit"))
            return False
        if not self.armed:
            self.refused.append((t_s, channel, "not armed"))
            return False
        self.log.append((t_s, channel))
        return True

    def fired(self, channel: str) -> bool:
        """True when the channel's initiator has gone off (a dud never does)."""
        return channel not in self.no_fire and any(c == channel for _, c in self.log)


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
