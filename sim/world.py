"""The simulated world: capsule state, environment, devices, time stepping.

Requirements
1. ``advance_to(t)`` integrates from the current time to t exactly with a fixed
   step chosen from the flight regime at the start of the interval (0.02 s in
   vacuum, 0.01 s in the atmosphere or under a canopy, 0.005 s while a canopy
   inflates): deterministic, and the same for every run of a scenario and seed.
2. Splashdown ends the flight dynamics: the capsule then floats at a fixed
   point of the rotating Earth; nothing is integrated any more.
3. Truth for the run outputs comes from here (``truth()``), never from the
   flight software.
4. The station inhibits pyros and the engine while the capsule is attached.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from sim import earth
from sim.actuators import EngineModel, HardwareArm, IridiumModel, PyroBoard, RcsModel
from sim.power import Battery
from sim.atmosphere import density_sound_speed
from sim.dynamics import Dynamics, quat_from_axes_x
from sim.star_tracker import DEFAULT_EPOCH_UTC, StarTrackerModel, sun_unit_sim_eci
from sim.faults import FaultSchedule
from sim.sensors import BaroModel, GpsModel, ImuModel, NoiseSource, WaterSwitchModel
from sim.vehicle import VehicleModel

#: Integrator step selection (``World.step_size_s``). The stiffest motion is the
#: attitude oscillation driven by the aerodynamic and riser restoring moments,
#: angular frequency w = sqrt(k / I) with k the restoring stiffness (N m/rad);
#: the step keeps w h at STEP_OMEGA_H: RK4 phase error (w h)^5 / 120 = 9e-5 rad and
#: amplitude error (w h)^6 / 144 = 3e-5 per step (the mode is also damped physically).
STEP_OMEGA_H = 0.4
#: Step bounds, s: the largest (vacuum coast, orbit period 5500 s), the smallest.
STEP_MAX_S = 0.5
#: Step times the canopies' swing-damping rate (a real pole; RK4's limit is 2.78).
STEP_DAMP_H = 1.0
STEP_MIN_S = 0.002
#: Step while the motor burns (thrust onset and cutoff resolved to 20 ms), s.
STEP_BURN_S = 0.02
#: Step while a canopy inflates (force rises over 0.6 s), s.
STEP_INFLATION_S = 0.005
#: Dynamic pressure below which a step holds the aerodynamic force and torque from
#: its first stage (sim/dynamics.py requirement 4), Pa. 0.05 Pa is met above
#: ~140 km at orbital speed; the drag there is below 1e-3 m/s^2 on this vehicle
#: (q CdA / m), and it changes by well under 1 % over a 20 ms step. Never held
#: while the motor thrusts or a canopy is out. Limits: 0 (never hold) .. 1 Pa.
AERO_HOLD_Q_PA = 0.05
#: Station separation push, m/s (radially outward, typical spring ejection).
SEPARATION_DV_MPS = 0.1
#: Sutton-Graves constant for Earth, SI (REFERENCES.md: 1.7415e-4).
SUTTON_GRAVES_K = 1.7415e-4


class Truth(NamedTuple):
    """Truth at one instant, SI units. Immutable; a NamedTuple rather than a frozen
    dataclass because it is built every tick (0.7 against 3.5 us)."""
    t_s: float
    lat_deg: float
    lon_deg: float
    alt_m: float
    speed_mps: float        # relative to the rotating Earth (the still, co-rotating atmosphere)
    fpa_deg: float          # flight-path angle of that velocity above the geodetic horizon
    mach: float
    q_pa: float
    load_g: float           # sensed non-gravitational acceleration, g0
    heat_flux_w_m2: float   # stagnation-point convective (Sutton-Graves)
    specific_force_body: tuple[float, float, float]
    rates_body: tuple[float, float, float]
    mass_kg: float
    aoa_deg: float = 0.0    # total angle of attack: body +x (heat shield) from the air-relative velocity


def make_atmosphere(env: dict):
    """f(alt_m) -> (density kg/m^3, speed of sound m/s) for the scenario environment.

    Monte Carlo hook: ``env["density_factor"]``, if present and not None, is a
    callable alt_m -> factor on the density (sim/dispersions.py, requirement 4)."""
    factor = env.get("density_factor")
    if factor is not None:
        base = make_atmosphere({**env, "density_factor": None})

        def dispersed(alt_m: float) -> tuple[float, float]:
            rho, a = base(alt_m)
            return rho * factor(alt_m), a
        return dispersed
    if env["atmosphere"] == "us76":
        return density_sound_speed
    rho0, h = env["rho0_kg_m3"], env["scale_height_m"]

    def exponential(alt_m: float) -> tuple[float, float]:
        return rho0 * math.exp(-alt_m / h), density_sound_speed(alt_m)[1]
    return exponential


class World:
    """Capsule plus environment plus device models, advanced in lockstep."""

    def __init__(self, vehicle: VehicleModel, hardware: dict, env: dict, start: dict,
                 station_orbit: dict, seed: int, faults: list | None = None):
        self.vehicle = vehicle
        self.env = env
        self.omega = earth.OMEGA_EARTH_RADPS if env["earth_rotation"] else 0.0
        self.noise = NoiseSource(np.random.Generator(np.random.PCG64(seed)))
        # Per-run dispersions (engine thrust and ignition delay, chute Cd and inflation
        # time): the first six draws of the run, whatever the sigmas (sim/vehicle.py).
        vehicle = self.vehicle = vehicle.dispersed(self.noise)
        self.dyn = Dynamics(vehicle, earth.gravity_fn(env["gravity"]), make_atmosphere(env), self.omega,
                            wind=env.get("wind"))
        self.t = 0.0
        self.attached = start["kind"] == "attached"
        self.s = self._initial_state(start, station_orbit)
        prop = 0.0 if start["kind"] == "entry_interface" else vehicle.deorbit_propellant_kg
        self.engine = EngineModel(vehicle, prop, deadman_s=hardware["pyro_board"]["valve_deadman_s"])
        self.rcs = RcsModel(vehicle, vehicle.rcs_propellant_kg)
        # Pyro/valve board: its hardware arm needs the separation switch open plus its
        # separation timer; a capsule that starts released was released long ago.
        released_t_s = None if self.attached else -math.inf
        self.pyro = PyroBoard(HardwareArm(hardware["pyro_board"]["sep_timer_s"], released_t_s))
        self.imu = ImuModel(hardware["imu"], self.noise)
        bcfg = hardware["baro"]
        self.baros = [BaroModel(bcfg, self.noise, b) for b in bcfg["bias_pa"]]
        self.gps = GpsModel(hardware["gps"], self.noise)
        if start["kind"] == "entry_interface":
            self.gps.had_fix = True     # tracked in orbit before entry interface: reacquisition, not cold start
        st = hardware.get("star_tracker")
        # The tracker draws from its own stream (a jump of the run's generator), so a
        # profile with or without one gives the other devices the same noise.
        self.star_tracker = None if st is None else StarTrackerModel(
            st, NoiseSource(np.random.Generator(np.random.PCG64(seed).jumped(1))),
            sun_unit_sim_eci(env.get("epoch_utc", DEFAULT_EPOCH_UTC)))
        self.water = WaterSwitchModel(hardware["water"])
        self.iridium = IridiumModel(hardware["iridium"], self.noise)
        self.battery = Battery(hardware["power"])
        self.float_inflated = False
        #: canopy -> why it failed at deployment (opened above its fail_mach or fail_q_pa)
        self.canopy_failed: dict[str, str] = {}
        self.splash: dict | None = None
        self._float_ecef: tuple | None = None
        self._truth: Truth | None = None
        self.flight_computer = hardware["flight_computer"]   # boot time, watchdog timeout
        self.steps = 0
        self.burn_dv_mps = 0.0       # integral of thrust / mass: the delta-v the motor delivered
        self.faults = FaultSchedule.from_specs(faults or [])
        self._q_pa = 0.0
        self._rho_v = 0.0
        self._update_q()

    # ---- initial conditions -------------------------------------------------
    def _initial_state(self, start: dict, orbit: dict) -> list[float]:
        v = self.vehicle
        if start["kind"] in ("attached", "separation"):
            r, vel = earth.circular_orbit_state(orbit["alt_m"], orbit["inc_deg"], orbit["raan_deg"],
                                                orbit["arg_lat_deg"], self.env["gravity"])
            if start["kind"] == "separation":
                rn = math.sqrt(sum(c * c for c in r))
                vel = tuple(a + SEPARATION_DV_MPS * b / rn for a, b in zip(vel, r))
            q = quat_from_axes_x(vel, hint_z=tuple(-c for c in r))
            rates = tuple(math.radians(d) for d in start.get("rates_dps", (0.0, 0.0, 0.0)))
            return [*r, *vel, *q, *rates, v.initial_mass_kg]
        # Entry interface: speed and angles relative to the rotating Earth.
        r = earth.geodetic_to_ecef(start["lat_deg"], start["lon_deg"], start["alt_m"])
        e, n, u = earth.enu_axes(start["lat_deg"], start["lon_deg"])
        g, h = math.radians(start["fpa_deg"]), math.radians(start["heading_deg"])
        sp = start["speed_mps"]
        ve, vn, vu = sp * math.cos(g) * math.sin(h), sp * math.cos(g) * math.cos(h), sp * math.sin(g)
        vrel = tuple(ve * a + vn * b + vu * c for a, b, c in zip(e, n, u))
        w = self.omega
        vel = (vrel[0] - w * r[1], vrel[1] + w * r[0], vrel[2])
        a = math.radians(start.get("aoa_deg", 0.0))
        x_dir = vrel
        if a:
            # Tilt body +x from the air-relative velocity toward local up, in the pitch plane.
            vn_ = math.sqrt(sum(c * c for c in vrel))
            vh = tuple(c / vn_ for c in vrel)
            k = sum(p * q_ for p, q_ in zip(u, vh))
            perp = tuple(p - k * q_ for p, q_ in zip(u, vh))
            pn = math.sqrt(sum(c * c for c in perp))
            x_dir = tuple(math.cos(a) * q_ + math.sin(a) * p / pn for p, q_ in zip(perp, vh))
        q = quat_from_axes_x(x_dir, hint_z=tuple(-c for c in u))
        rates = tuple(math.radians(d) for d in start.get("rates_dps", (0.0, 0.0, 0.0)))
        return [*r, *vel, *q, *rates, v.entry_mass_kg]

    # ---- stepping ---------------------------------------------------------------
    def _inflating(self) -> bool:
        d = self.dyn
        for chute, t0 in ((self.vehicle.drogue, d.drogue_deploy_t_s), (self.vehicle.main, d.main_deploy_t_s)):
            if t0 is not None and self.t - t0 < chute.inflation_s:
                return True
        return False

    def step_size_s(self) -> float:
        """Integrator step from the flight regime (see STEP_OMEGA_H)."""
        if self._inflating():
            return STEP_INFLATION_S
        e = self.engine
        if e.burning:
            if e.cutoff_at_s is not None and e.cutoff_at_s - self.t > 1e-9:
                return min(STEP_BURN_S, e.cutoff_at_s - self.t)     # land on the timed cutoff
            return STEP_BURN_S
        if e.ignite_cmd_t_s is not None and e.shutdown_t_s is None:
            to_onset = e.ignite_cmd_t_s + self.vehicle.ignition_delay_s - self.t
            if to_onset > 1e-9:
                return min(STEP_BURN_S, to_onset)      # land a step boundary on thrust onset
        v, d = self.vehicle, self.dyn
        k = -v.cm_alpha_per_rad * v.ref_area_m2 * v.diameter_m
        if d.drogue_deploy_t_s is not None:
            k += v.drogue.cd_area_m2 * v.drogue.attach_offset_m
        if d.main_deploy_t_s is not None:
            k += v.main.cd_area_m2 * v.main.attach_offset_m
        w2 = self._q_pa * k / min(v.inertia_kgm2)
        # Swing damping of a trailing canopy, rate 0.5 rho V (Cd S) l L / I (sim/dynamics.py):
        # RK4 is stable for h rate < 2.78 on a real pole; STEP_DAMP_H keeps it well inside.
        c = 0.0
        if d.drogue_deploy_t_s is not None:
            c += v.drogue.cd_area_m2 * v.drogue.attach_offset_m * v.drogue.damping_length_m
        if d.main_deploy_t_s is not None:
            c += v.main.cd_area_m2 * v.main.attach_offset_m * v.main.damping_length_m
        h = STEP_MAX_S
        if c > 0.0:
            h = min(h, STEP_DAMP_H / max(1e-9, 0.5 * self._rho_v * c / min(v.inertia_kgm2)))
        if w2 > (STEP_OMEGA_H / h) ** 2:
            h = STEP_OMEGA_H / math.sqrt(w2)
        return max(STEP_MIN_S, h)

    def _update_q(self) -> float:
        """Dynamic pressure of the current state (for the step choice), Pa; returns altitude m."""
        s = self.s
        x, y, z = s[0], s[1], s[2]
        lat, alt = earth.geodetic_lat_alt(x, y, z)
        rho = self.dyn.atmosphere(alt)[0]
        ux, uy, uz = earth.relative_velocity(x, y, z, s[3], s[4], s[5], self.omega)
        wind = self.dyn.wind
        if wind is not None:
            wx, wy, wz = wind.eci(x, y, lat, alt)
            ux, uy, uz = ux - wx, uy - wy, uz - wz
        v2 = ux * ux + uy * uy + uz * uz
        self._q_pa = 0.5 * rho * v2
        self._rho_v = rho * math.sqrt(v2)         # q / V x 2: the canopies' swing damping goes with it
        return alt

    def advance_to(self, t_next: float) -> None:
        """Integrate to t_next (s) exactly."""
        span = t_next - self.t
        if span <= 1e-12:
            return
        if self.splash is not None:
            self.t = t_next
            self._place_floating()
            return
        self._truth = None
        dyn, eng, rcs = self.dyn, self.engine, self.rcs
        # Motor and RCS bookkeeping only while either can act (RCS commands change per tick).
        actuated = rcs.mask != 0 or (eng.ignite_cmd_t_s is not None and eng.shutdown_t_s is None)
        dyn.rcs_torque_nm = rcs.torque_nm()
        if not actuated:
            dyn.thrust_n = dyn.mdot_kgps = 0.0
        while True:
            t = self.t
            if actuated:
                eng.update(t)
            h = self.step_size_s()
            remaining = t_next - t
            last = remaining <= h * (1.0 + 1e-9)
            if last:
                h = remaining
            elif remaining < 2.0 * h:
                h = 0.5 * remaining        # two equal steps rather than one tiny one
            if actuated:
                dyn.thrust_n = eng.thrust_n()
                dyn.mdot_kgps = eng.mdot_kgps()
                if dyn.thrust_n:
                    self.burn_dv_mps += dyn.thrust_n / self.s[13] * h
            hold = (self._q_pa < AERO_HOLD_Q_PA and not dyn.thrust_n
                    and dyn.drogue_deploy_t_s is None and dyn.main_deploy_t_s is None)
            self.s = dyn.step(t, self.s, h, hold)
            self.steps += 1
            if actuated:
                eng.consume(h, t + h)
                rcs.consume(h)
            self.t = t_next if last else t + h
            if self._update_q() <= 0.0:
                self._splashdown()
                self.t = t_next
                self._place_floating()
                return
            if last:
                return

    def _splashdown(self) -> None:
        tr = self.truth()
        self.splash = {"t_s": self.t, "lat_deg": tr.lat_deg, "lon_deg": tr.lon_deg,
                       "speed_mps": tr.speed_mps,
                       "vertical_speed_mps": -tr.speed_mps * math.sin(math.radians(tr.fpa_deg))}
        s = self.s
        self._float_ecef = earth.eci_to_ecef(s[0], s[1], s[2], self.omega * self.t)
        self.engine.shutdown(self.t)
        self.rcs.command(0)

    def _place_floating(self) -> None:
        x, y, z = earth.ecef_to_eci(*self._float_ecef, self.omega * self.t)
        w = self.omega
        self.s[0:6] = [x, y, z, -w * y, w * x, 0.0]
        self.s[10:13] = [0.0, 0.0, 0.0]
        self._truth = None

    # ---- truth ----------------------------------------------------------------------
    def truth(self) -> Truth:
        """Truth at the current time (computed once per time)."""
        if self._truth is not None:
            return self._truth
        s = self.s
        x, y, z = s[0], s[1], s[2]
        f = self.dyn.forces(self.t, s)
        alt, rho, vrel, mach, q = f[6], f[7], f[8], f[9], f[10]
        bx, by, bz = f[11], f[12], f[13]
        m = s[13]
        if self.splash is not None:
            # Floating: buoyancy holds the capsule up; the accelerometer reads +1 g along local up.
            gx, gy, gz = self.dyn.gravity(x, y, z)
            r = self._rot_eci_to_body()
            bx, by, bz = (-(r[i][0] * gx + r[i][1] * gy + r[i][2] * gz) * m for i in range(3))
        # Latitude from the force model's geodetic conversion (it does not depend on the
        # Earth's rotation angle); longitude is the inertial one less that angle.
        lat = math.degrees(f[14])
        lon = math.degrees(math.remainder(math.atan2(y, x) - self.omega * self.t, math.tau))
        # Speed and flight-path angle relative to the rotating Earth (ARCHITECTURE.md:
        # trajectory speed is relative to the rotating atmosphere; a wind moves the air,
        # so Mach, q and heating use the air-relative speed vrel from the force model).
        ux, uy, uz = earth.relative_velocity(x, y, z, s[3], s[4], s[5], self.omega)
        speed = math.sqrt(ux * ux + uy * uy + uz * uz)
        la, lo = f[14], math.atan2(y, x)
        upx, upy, upz = math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la)
        fpa = math.degrees(math.asin(max(-1.0, min(1.0, (ux * upx + uy * upy + uz * upz) / speed)))) if speed > 1e-6 else 0.0
        heat = SUTTON_GRAVES_K * math.sqrt(rho / self.vehicle.nose_radius_m) * vrel ** 3
        load = math.sqrt(bx * bx + by * by + bz * bz) / m / earth.G0_MPS2
        self._truth = Truth(self.t, lat, lon, alt, speed, fpa, mach, q, load, heat,
                            (bx / m, by / m, bz / m), (s[10], s[11], s[12]), m, math.degrees(math.acos(f[15])))
        return self._truth

    def _rot_eci_to_body(self):
        qw, qx, qy, qz = self.s[6:10]
        return ((1 - 2 * (qy * qy + qz * qz), 2 * (qx * qy + qw * qz), 2 * (qx * qz - qw * qy)),
                (2 * (qx * qy - qw * qz), 1 - 2 * (qx * qx + qz * qz), 2 * (qy * qz + qw * qx)),
                (2 * (qx * qz + qw * qy), 2 * (qy * qz - qw * qx), 1 - 2 * (qx * qx + qy * qy)))

    def ecef_state(self):
        """Position (m) and velocity relative to the Earth (m/s), ECEF components."""
        s = self.s
        a = self.omega * self.t
        r = earth.eci_to_ecef(s[0], s[1], s[2], a)
        vr = earth.relative_velocity(s[0], s[1], s[2], s[3], s[4], s[5], self.omega)
        return r, earth.eci_to_ecef(*vr, a)

    # ---- device effects ---------------------------------------------------------------
    def apply_actuator_faults(self) -> None:
        """Set actuator and chute fault states from the faults active now."""
        t, fs = self.t, self.faults
        eng = self.engine
        eng.no_ignition = False
        eng.thrust_scale = 1.0
        stuck = False
        for f in fs.active(t, "engine"):
            kind = f.spec["kind"]
            if kind == "no_ignition":
                eng.no_ignition = True
            elif kind == "stuck_open":
                stuck = True
            else:
                eng.thrust_scale = f.spec["value"]
        eng.set_stuck_open(stuck, t)
        closed = opened = 0
        for f in fs.active(t, "rcs."):
            bit = 1 << int(f.spec["target"].split(".")[1])
            if f.spec["kind"] == "stuck_open":
                opened |= bit
            else:
                closed |= bit
        self.rcs.failed_off = closed
        self.rcs.set_stuck_open(opened)
        self.pyro.no_fire = {f.spec["target"].split(".")[1] for f in fs.active(t, "pyro.")}
        self.dyn.drogue_cd_scale = 0.0 if "drogue" in self.canopy_failed or any(fs.active(t, "chute.drogue")) else 1.0
        self.dyn.main_cd_scale = 0.0 if "main" in self.canopy_failed or any(fs.active(t, "chute.main")) else 1.0

    def fire_pyro(self, channel: str) -> bool:
        """Firing pulse on a pyro channel and its physical effect."""
        if not self.pyro.fire(self.t, channel, self.attached):
            return False
        if not self.pyro.fired(channel):
            return True                    # a dud: the pulse went out, nothing happened
        d = self.dyn
        if channel == "drogue" and d.drogue_deploy_t_s is None and d.main_deploy_t_s is None:
            self._canopy_rating(self.vehicle.drogue)
            d.drogue_deploy_t_s = self.t
        elif channel == "main" and d.main_deploy_t_s is None:
            self._canopy_rating(self.vehicle.main)
            d.main_deploy_t_s = self.t
            d.drogue_deploy_t_s = None
        elif channel == "main_release":
            d.main_deploy_t_s = None
            d.drogue_deploy_t_s = None
        elif channel == "float":
            self.float_inflated = True
        self._truth = None
        return True

    def riser_loads_n(self) -> tuple[float, float]:
        """Drag each canopy transmits through its riser now, N (drogue, main; 0 when stowed,
        released or failed): q times its drag area as inflated."""
        d, q = self.dyn, self.truth().q_pa
        out = []
        for chute, t0, scale in ((self.vehicle.drogue, d.drogue_deploy_t_s, d.drogue_cd_scale),
                                 (self.vehicle.main, d.main_deploy_t_s, d.main_cd_scale)):
            out.append(0.0 if t0 is None else q * chute.cd_area_at(self.t - t0) * scale)
        return out[0], out[1]

    def _canopy_rating(self, chute) -> None:
        """A canopy opened above its rating fails: no drag from it (torn at line stretch)."""
        tr = self.truth()
        why = None
        if tr.mach > chute.fail_mach:
            why = f"opened at Mach {tr.mach:.2f}, above its {chute.fail_mach:g} rating"
        elif tr.q_pa > chute.fail_q_pa:
            why = f"opened at {tr.q_pa:.0f} Pa, above its {chute.fail_q_pa:g} Pa rating"
        if why is not None:
            self.canopy_failed[chute.name] = why
            if chute.name == "drogue":
                self.dyn.drogue_cd_scale = 0.0
            else:
                self.dyn.main_cd_scale = 0.0

    def release(self) -> None:
        """The berthing latch opens: the capsule drifts away with the separation push."""
        if self.attached:
            self.attached = False
            self.pyro.hw_arm.release_t_s = self.t      # the board's separation timer starts
            s = self.s
            rn = math.sqrt(s[0] ** 2 + s[1] ** 2 + s[2] ** 2)
            for i in range(3):
                s[3 + i] += SEPARATION_DV_MPS * s[i] / rn
            self._truth = None

    def hw_armed(self) -> bool:
        """The pyro/valve board's hardware arm now (separation switch open and timer run out)."""
        return self.pyro.hw_arm.enabled(self.t, self.attached)

    def processor_reset_outputs(self) -> None:
        """The boards' hardware defaults when the flight computer goes down: engine main
        valve closed now (a pending timed cutoff is moot), engine arm relay open (the
        isolation valve closes too), RCS command 0, pyro software arm relay open. The
        RCS latch valve keeps its state; the hardware arm and its timer are the board's."""
        t, e = self.t, self.engine
        e.shutdown(t, why="processor reset: valve closed")
        e.arm(False, t)
        self.rcs.command(0)
        self.pyro.armed = False
