"""Onboard trajectory predictor: navigated state -> deorbit burn -> coast -> entry -> splash point.

Requirements
1. Sans-IO, plain floats, flight-side models only: J2 gravity (fsw/flightmath.py),
   the onboard US76 table (fsw/gnc/atmosphere.py), the vehicle's ballistic data
   (``VehicleData``, from the flight parameter table). The same code runs onboard
   and in ``elsrs plan``.
2. Burn: constant thrust along the burn direction the attitude task tracks
   (``burn_direction``: the instantaneous inertial retrograde yawed by
   ``yaw_deg`` toward the orbit normal, for cross-range steering), mass flow
   thrust / (Isp g0), cut off when the integrated thrust acceleration reaches
   the commanded delta-v - the quantity the flight cutoff senses.
3. Coast and entry: classical RK4 in ECI with the step chosen by altitude
   (``_step_s``), drag on the air-relative velocity (co-rotating atmosphere),
   Cd interpolated in Mach.
4. Under the canopies the descent is taken vertical in the Earth-fixed frame:
   the splash point is the ground point where the capsule first flies at or
   below ``VehicleData.drogue_mach`` below ``DESCENT_MAX_ALT_M`` (where the
   drogue opens: fsw/tasks/chutes.py), moved by the descent's wind drift
   (``drift_east_m``, ``drift_north_m``): the ground's figure from its wind
   forecast (``elsrs plan``), uploaded as ``guidance.drift_*``.
5. Reports the splash point and time, the entry-interface (120 km) speed and
   flight-path angle, the post-burn vacuum perigee altitude and the peak sensed
   deceleration (``Prediction``). A trajectory that never slows to the drogue
   Mach number within ``max_time_s`` reports ``splash_lat_deg = None`` and why.
6. Work is bounded: about 730 RK4 steps for a deorbit from 410 km (20-30 ms of
   CPU on the development machine), and it can be sliced: ``predict_iter`` yields
   every ``SLICE_STEPS`` steps, so a cooperative task spreads it over its cycles.
7. Lift (``VehicleData.lift_to_drag``, an offset-CoM capsule): drag x L/D
   normal to the air-relative velocity, at a bank angle from the local
   vertical (positive: lift to the right of the velocity). With ``bank_deg``
   None - the deorbit plan - only the vertical part at ``plan_bank_deg`` is
   flown (entry guidance reverses the bank, so the lateral part averages out);
   with a bank angle, its vertical part and (``lateral``) its lateral part,
   held (entry guidance: fsw/tasks/entry_guidance.py).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from fsw.flightmath import G0, MU_M3PS2, OMEGA_E_RADPS, RE_M, cross, dot, eci_to_latlonalt, gravity, norm
from fsw.gnc.atmosphere import density_sound_speed

#: Entry interface altitude, m (ARCHITECTURE.md).
ENTRY_INTERFACE_M = 120_000.0
#: Integration steps by altitude band, s: vacuum coast (RK4 position error below
#: 1 m per orbit at 20 s), upper atmosphere, sensible atmosphere (drag time scale
#: v / a > 40 s down to the drogue altitude, so 1 s is under 3 % of it).
STEP_VACUUM_S, STEP_UPPER_S, STEP_DENSE_S = 20.0, 5.0, 1.0
#: Burn integration step, s (a nominal burn takes ~18 s).
STEP_BURN_S = 0.25
#: The drogue Mach is looked for only below this altitude, m (the Mach number is also low
#: in the near vacuum above the sensible atmosphere, where nothing opens).
DESCENT_MAX_ALT_M = 60_000.0
#: Integration steps between yields of ``predict_iter`` (~2 ms of CPU per slice).
SLICE_STEPS = 100


@dataclass(frozen=True, slots=True)
class VehicleData:
    """Ballistic data of the capsule the predictor flies (SI)."""
    mass_kg: float                    # at ignition (entry mass + deorbit propellant)
    thrust_n: float                   # deorbit motor, vacuum
    isp_s: float                      # deorbit motor, vacuum
    ref_area_m2: float                # aerodynamic reference area
    cd_mach: tuple[float, ...]        # Mach breakpoints of the drag coefficient, ascending
    cd_value: tuple[float, ...]       # axial drag coefficient at each breakpoint
    drogue_mach: float                # at or below this Mach the descent is taken vertical (requirement 4)
    ignition_delay_s: float = 0.0     # ignition command to thrust onset
    lift_to_drag: float = 0.0         # trim lift-to-drag ratio (offset centre of mass); 0: ballistic
    plan_bank_deg: float = 90.0       # bank the entry is planned at (requirement 7)
    drift_east_m: float = 0.0         # the descent's wind drift, drogue to splash (requirement 4)
    drift_north_m: float = 0.0

    def cd(self, mach: float) -> float:
        """Drag coefficient at Mach, linear between breakpoints, held outside."""
        xs, ys = self.cd_mach, self.cd_value
        if mach <= xs[0]:
            return ys[0]
        for i in range(1, len(xs)):
            if mach <= xs[i]:
                f = (mach - xs[i - 1]) / (xs[i] - xs[i - 1])
                return ys[i - 1] + f * (ys[i] - ys[i - 1])
        return ys[-1]


def vehicle_data(params: dict, mass_kg: float | None = None) -> VehicleData:
    """The predictor's vehicle from the flat flight parameter table (``guidance.*``,
    ``chutes.drogue_mach``); ``mass_kg`` overrides the ignition mass (after a burn)."""
    p = params
    return VehicleData(mass_kg if mass_kg is not None else p["guidance.mass_kg"], p["guidance.thrust_n"],
                       p["guidance.isp_s"], p["guidance.ref_area_m2"], tuple(p["guidance.cd_mach"]),
                       tuple(p["guidance.cd_value"]), p["chutes.drogue_mach"], p["guidance.ignition_delay_s"],
                       p["guidance.lift_to_drag"], p["guidance.plan_bank_deg"], p["guidance.drift_east_m"],
                       p["guidance.drift_north_m"])


@dataclass(frozen=True, slots=True)
class Burn:
    """A planned deorbit burn."""
    ignition_t_s: float               # mission elapsed time of the ignition command (onset: + the delay)
    dv_mps: float                     # sensed (thrust/mass integral) delta-v at cutoff
    yaw_deg: float = 0.0              # burn direction: retrograde yawed toward +orbit normal


@dataclass(frozen=True, slots=True)
class Prediction:
    """Predicted outcome of a burn from a navigated state."""
    splash_lat_deg: float | None
    splash_lon_deg: float | None
    splash_t_s: float | None          # arrival at the drogue altitude (the descent time is not added)
    cutoff_t_s: float
    burn_s: float
    perigee_alt_m: float              # vacuum perigee after cutoff, above the equatorial radius
    entry_t_s: float | None
    entry_speed_mps: float | None     # inertial speed at entry interface
    entry_fpa_deg: float | None       # inertial flight-path angle at entry interface (negative: descending)
    peak_decel_mps2: float
    steps: int
    why: str = ""                     # why no splash point
    drogue_alt_m: float | None = None  # geodetic altitude where the drogue Mach is reached


def burn_direction(r, v, yaw_deg: float):
    """Unit thrust direction (ECI): -v_hat yawed by yaw_deg toward the orbit normal r x v."""
    vn = norm(v)
    t = (-v[0] / vn, -v[1] / vn, -v[2] / vn)
    h = cross(r, v)
    hn = norm(h)
    n = (h[0] / hn, h[1] / hn, h[2] / hn)
    c, s = math.cos(math.radians(yaw_deg)), math.sin(math.radians(yaw_deg))
    return (c * t[0] + s * n[0], c * t[1] + s * n[1], c * t[2] + s * n[2])


def perigee_alt_m(r, v) -> float:
    """Osculating two-body perigee radius minus the equatorial radius, m."""
    rn, v2 = norm(r), dot(v, v)
    energy = 0.5 * v2 - MU_M3PS2 / rn
    h = norm(cross(r, v))
    if energy >= 0.0:
        return math.inf
    a = -MU_M3PS2 / (2.0 * energy)
    e = math.sqrt(max(0.0, 1.0 - h * h / (MU_M3PS2 * a)))
    return a * (1.0 - e) - RE_M


def _rk4(f, t, y, h):
    k1 = f(t, y)
    k2 = f(t + 0.5 * h, [a + 0.5 * h * b for a, b in zip(y, k1)])
    k3 = f(t + 0.5 * h, [a + 0.5 * h * b for a, b in zip(y, k2)])
    k4 = f(t + h, [a + h * b for a, b in zip(y, k3)])
    return [a + h / 6.0 * (b + 2.0 * (c + d) + e) for a, b, c, d, e in zip(y, k1, k2, k3, k4)]


def _step_s(alt_m: float) -> float:
    if alt_m > 150_000.0:
        return STEP_VACUUM_S
    if alt_m > 100_000.0:
        return STEP_UPPER_S
    return STEP_DENSE_S


class _Model:
    """Equations of motion of the predictor (requirements 2 and 3)."""

    def __init__(self, veh: VehicleData, density_scale: float, bank_deg: float | None = None,
                 lateral: bool = True):
        self.veh, self.k_rho = veh, density_scale
        # Lift per unit drag along the local vertical and to the right of the air-relative velocity
        # (requirement 7).
        if bank_deg is None:
            self.lift_up, self.lift_right = veh.lift_to_drag * math.cos(math.radians(veh.plan_bank_deg)), 0.0
        else:
            self.lift_up = veh.lift_to_drag * math.cos(math.radians(bank_deg))
            self.lift_right = veh.lift_to_drag * math.sin(math.radians(bank_deg)) if lateral else 0.0
        self.yaw_deg = 0.0              # burn direction (requirement 2)
        self.mdot = veh.thrust_n / (veh.isp_s * G0)
        self.decel = 0.0                # sensed drag deceleration at the last evaluation, m/s^2
        self.mach = math.inf            # Mach number at the last evaluation below 150 km

    def coast(self, t, y):
        """y = (r, v, m): drag and gravity."""
        r, v, m = y[0:3], y[3:6], y[6]
        g = gravity(r)
        _, _, alt = eci_to_latlonalt(r, 0.0)        # altitude does not depend on the rotation angle
        ax = ay = az = 0.0
        if alt < 150_000.0:
            rho, a_snd = density_sound_speed(alt, self.k_rho)
            ux, uy, uz = v[0] + OMEGA_E_RADPS * r[1], v[1] - OMEGA_E_RADPS * r[0], v[2]
            u = math.sqrt(ux * ux + uy * uy + uz * uz)
            k = 0.5 * rho * u * self.veh.cd(u / a_snd) * self.veh.ref_area_m2 / m
            ax, ay, az = -k * ux, -k * uy, -k * uz
            if self.lift_up or self.lift_right:
                # Up: r without its component along u; right: u x up (both unit). Lift = drag x L/D.
                ru = (r[0] * ux + r[1] * uy + r[2] * uz) / (u * u)
                px, py, pz = r[0] - ru * ux, r[1] - ru * uy, r[2] - ru * uz
                kp = k * u / math.sqrt(px * px + py * py + pz * pz)
                px, py, pz = px * kp, py * kp, pz * kp            # |drag accel| along up
                qx, qy, qz = (uy * pz - uz * py) / u, (uz * px - ux * pz) / u, (ux * py - uy * px) / u
                lu, lr = self.lift_up, self.lift_right
                ax += lu * px + lr * qx; ay += lu * py + lr * qy; az += lu * pz + lr * qz
            self.decel = k * u * math.sqrt(1.0 + self.lift_up ** 2 + self.lift_right ** 2)
            self.mach = u / a_snd
        return [v[0], v[1], v[2], g[0] + ax, g[1] + ay, g[2] + az, 0.0]

    def burn(self, t, y):
        """y = (r, v, m, dv): thrust along the burn direction, gravity; dv = integral of T/m."""
        r, v, m = y[0:3], y[3:6], y[6]
        g = gravity(r)
        a = self.veh.thrust_n / m
        d = burn_direction(r, v, self.yaw_deg)
        return [v[0], v[1], v[2], g[0] + a * d[0], g[1] + a * d[1], g[2] + a * d[2], -self.mdot, a]


def modelled_decel_mps2(r, v, veh: VehicleData, density_scale: float = 1.0) -> float:
    """Aerodynamic deceleration (drag with its lift), m/s^2, the onboard models give at (r, v) ECI:
    what the accelerometer should sense there (entry guidance's drag ratio)."""
    model = _Model(veh, density_scale, 0.0)
    _, _, alt = eci_to_latlonalt(r, 0.0)
    if alt >= 150_000.0:
        return 0.0
    model.coast(0.0, [*r, *v, veh.mass_kg])
    return model.decel


def predict(t_s: float, r, v, veh: VehicleData, burn: Burn | None, *, density_scale: float = 1.0,
            max_time_s: float = 20_000.0, bank_deg: float | None = None, lateral: bool = True) -> Prediction:
    """Propagate the navigated state (t_s, r ECI m, v ECI m/s) through ``burn`` to the splash point.

    With ``burn`` None the state is propagated as it is (after cutoff: the recovery
    forecast). The burn must not start before t_s."""
    return run_to_end(predict_iter(t_s, r, v, veh, burn, density_scale=density_scale, max_time_s=max_time_s,
                                   bank_deg=bank_deg, lateral=lateral))


def run_to_end(gen):
    """Drive a sliced computation (``*_iter``) to its result."""
    try:
        while True:
            next(gen)
    except StopIteration as done:
        return done.value


def predict_iter(t_s: float, r, v, veh: VehicleData, burn: Burn | None, *, density_scale: float = 1.0,
                 max_time_s: float = 20_000.0, slice_steps: int = SLICE_STEPS, bank_deg: float | None = None,
                 lateral: bool = True):
    """``predict`` as a generator that yields after every ``slice_steps`` integration steps
    (requirement 6: a cooperative task spreads one prediction over its cycles); its
    return value (StopIteration.value) is the Prediction."""
    model = _Model(veh, density_scale, bank_deg, lateral)
    y = [*r, *v, veh.mass_kg]
    t = t_s
    steps = 0
    cutoff_t = t_s
    burn_s = 0.0
    if burn is not None:
        if burn.ignition_t_s < t_s - 1e-9:
            raise ValueError(f"ignition at {burn.ignition_t_s:.1f} s is before the state time {t_s:.1f} s")
        # Coast to thrust onset (vacuum: drag is negligible above 150 km; the coast model applies it anyway).
        onset = burn.ignition_t_s + veh.ignition_delay_s
        while t < onset - 1e-9:
            h = min(STEP_VACUUM_S, onset - t)
            y = _rk4(model.coast, t, y, h)
            t += h
            steps += 1
            if steps % slice_steps == 0:
                yield steps
        model.yaw_deg = burn.yaw_deg
        yb = y + [0.0]
        a0 = veh.thrust_n / yb[6]
        while yb[7] < burn.dv_mps - 1e-9:
            # Last step lands on the cutoff: dv remaining over the current acceleration.
            h = min(STEP_BURN_S, (burn.dv_mps - yb[7]) / (veh.thrust_n / yb[6]))
            h = max(h, 1e-6)
            yb = _rk4(model.burn, t, yb, h)
            t += h
            steps += 1
            if steps % slice_steps == 0:
                yield steps
            if t - onset > 10.0 * burn.dv_mps / a0:
                break
        y = yb[:7]
        cutoff_t, burn_s = t, t - onset
    perigee = perigee_alt_m(y[0:3], y[3:6])
    entry_t = entry_v = entry_fpa = None
    peak = 0.0
    t_end = t + max_time_s
    _, _, alt = eci_to_latlonalt(y[0:3], t)
    y_prev, t_prev, alt_prev = y, t, alt
    mach = mach_prev = math.inf
    while not (mach <= veh.drogue_mach and alt < DESCENT_MAX_ALT_M):
        if t > t_end:
            return Prediction(None, None, None, cutoff_t, burn_s, perigee, entry_t, entry_v, entry_fpa, peak, steps,
                              why=f"no descent to Mach {veh.drogue_mach:.2f} within {max_time_s:.0f} s "
                                  f"(perigee {perigee / 1000:.0f} km)")
        h = _step_s(alt)
        y_prev, t_prev, alt_prev, mach_prev = y, t, alt, mach
        y = _rk4(model.coast, t, y, h)
        t += h
        steps += 1
        if steps % slice_steps == 0:
            yield steps
        peak = max(peak, model.decel)
        _, _, alt = eci_to_latlonalt(y[0:3], t)
        model.coast(t, y)                           # the Mach number at the new state
        mach = model.mach if alt < 150_000.0 else math.inf
        if entry_t is None and alt <= ENTRY_INTERFACE_M:
            f = (alt_prev - ENTRY_INTERFACE_M) / (alt_prev - alt)
            ye = [a + f * (b - a) for a, b in zip(y_prev, y)]
            entry_t = t_prev + f * h
            rv, vv = ye[0:3], ye[3:6]
            entry_v = norm(vv)
            entry_fpa = math.degrees(math.asin(dot(rv, vv) / (norm(rv) * entry_v)))
    # Interpolate the crossing of the drogue Mach within the last step.
    f = (mach_prev - veh.drogue_mach) / (mach_prev - mach) if math.isfinite(mach_prev) and mach_prev > mach else 1.0
    ys = [a + f * (b - a) for a, b in zip(y_prev, y)]
    ts = t_prev + f * (t - t_prev)
    lat, lon, alt_d = eci_to_latlonalt(ys[0:3], ts)
    if veh.drift_east_m or veh.drift_north_m:
        lat2 = lat + math.degrees(veh.drift_north_m / RE_M)
        lon = lon + math.degrees(veh.drift_east_m / (RE_M * max(1e-6, math.cos(math.radians(lat)))))
        lat, lon = lat2, (lon + 180.0) % 360.0 - 180.0
    return Prediction(lat, lon, ts, cutoff_t, burn_s, perigee, entry_t, entry_v, entry_fpa, peak, steps,
                      drogue_alt_m=alt_d)
