"""Schema of config/vehicle.yaml: the capsule's physical model (simulator truth) and the
deployment envelope its canopies are rated for (judged by tools/verdict.py)."""
from __future__ import annotations

from fsw.schema import ConfigError, ListOf, Num, Struct, Vec

def _n(unit, lo=None, hi=None, doc="", **kw):
    return Num(unit, lo, hi, doc=doc, **kw)

_CHUTE = Struct({
    "diameter_m": _n("m", 0.1, 50, "nominal canopy diameter D0", min_exclusive=False),
    "cd": _n("-", 0.05, 2.0, "drag coefficient referenced to the nominal area pi D0^2 / 4"),
    "inflation_s": _n("s", 0.05, 30, "time from line stretch to full inflation"),
    "attach_offset_m": _n("m", 0, 2, "riser attachment point aft of the centre of mass"),
    "cd_sigma": _n("-", 0, 0.5, "per-run drag dispersion, 1 sigma, fraction of cd: Cd S is scaled by a factor "
                   "drawn once per run (world construction) from N(1, cd_sigma), floored at 0"),
    "inflation_sigma_s": _n("s", 0, 10, "per-run inflation-time dispersion, 1 sigma: inflation_s + N(0, sigma) "
                            "drawn once per run, floored at 0.05 s"),
    "damping_length_m": _n("m", 0, 100, "effective lever of the canopy's swing damping: its own motion "
                         "tilts its drag by (w x L) / V (sim/dynamics.py)"),
    "fail_mach": _n("-", 0.05, 10, "a canopy deployed above this Mach number fails (fabric and area "
                    "oscillation: it gives no drag after line stretch)", min_exclusive=True),
    "fail_q_pa": _n("Pa", 10, 1e6, "a canopy deployed above this dynamic pressure fails (structural)",
                    min_exclusive=True),
})

# Deployment envelope: conditions at the pyro pulse (simulator truth) inside which a canopy
# deployment counts as nominal. Values and their sources: config/vehicle.yaml.
_ENVELOPE = Struct({
    "drogue": Struct({
        "mach_min": _n("-", 0, 10, "lowest flight Mach number at which the drogue may be fired (0: no lower bound)"),
        "mach_max": _n("-", 0, 10, "highest flight Mach number at which the drogue may be fired",
                       min_exclusive=True),
        "q_max_pa": _n("Pa", 0, 1e5, "highest dynamic pressure 0.5 rho V^2 at which the drogue may be fired",
                       min_exclusive=True),
    }, doc="drogue deployment envelope"),
    "main": Struct({
        "alt_min_m": _n("m", 0, 1e5, "lowest geodetic altitude at which the main may be fired"),
        "alt_max_m": _n("m", 0, 1e5, "highest geodetic altitude at which the main may be fired",
                        min_exclusive=True),
        "mach_max": _n("-", 0, 10, "highest flight Mach number at which the main may be fired",
                       min_exclusive=True),
        "q_max_pa": _n("Pa", 0, 1e5, "highest dynamic pressure 0.5 rho V^2 at which the main may be fired",
                       min_exclusive=True),
    }, doc="main deployment envelope"),
}, doc="deployment envelope of each canopy, judged on truth at the pyro pulse (tools/verdict.py)")

VEHICLE = Struct({
    "mass": Struct({
        "entry_kg": _n("kg", 1, 5000, "capsule mass at entry interface (deorbit propellant spent)", min_exclusive=True),
        "deorbit_propellant_kg": _n("kg", 0, 500, "deorbit motor propellant loaded"),
        "rcs_propellant_kg": _n("kg", 0, 50, "RCS cold gas loaded (included in entry_kg)"),
        "inertia_kgm2": Vec(3, "kg m^2", 1e-3, 1e4, doc="principal moments of inertia about body x, y, z"),
        "com_lateral_m": _n("m", -0.5, 0.5, "centre of mass off the symmetry axis toward body +z: the capsule "
                            "trims at an angle of attack and lifts toward +z (sim/dynamics.py)"),
    }),
    "aero": Struct({
        "diameter_m": _n("m", 0.05, 10, "forebody reference diameter"),
        "cone_half_angle_deg": _n("deg", 10, 80, "sphere-cone half angle (documentation of the Cd table)"),
        "nose_radius_m": _n("m", 0.01, 5, "nose radius for stagnation-point heating"),
        "cd_mach": ListOf(_n("-", 0, 100), min_len=2, doc="Mach breakpoints of the drag table, increasing"),
        "cd_value": ListOf(_n("-", 0.05, 3), min_len=2, doc="axial drag coefficient at each breakpoint"),
        "cm_alpha_per_rad": _n("1/rad", -2, 0, "static pitch-moment slope (<= 0: statically stable)"),
        "lift_factor": _n("-", 0, 1.5, "lift coefficient per drag coefficient per sin(a) cos(a) of the total "
                          "angle of attack a (1: a pure axial force, L/D = tan a at small a; below 1 as the "
                          "normal force grows)"),
        "cmq_mach": ListOf(_n("-", 0, 100), min_len=2, doc="Mach breakpoints of the pitch-damping table, increasing"),
        "cmq_value": ListOf(_n("1/rad", -5, 5), min_len=2, doc="pitch-damping sum Cmq + Cm_alphadot at each "
                            "breakpoint, ref. diameter and d / (2V) (negative damps, positive is the dynamic "
                            "instability of blunt capsules)"),
    }),
    "engine": Struct({
        "thrust_n": _n("N", 0, 1e5, "vacuum thrust along body +x"),
        "isp_s": _n("s", 50, 500, "vacuum specific impulse"),
        "ignition_delay_s": _n("s", 0, 10, "ignition command to thrust onset"),
        "thrust_sigma": _n("-", 0, 0.5, "per-run thrust dispersion, 1 sigma, fraction of nominal: thrust (and mass "
                           "flow) scaled by a factor drawn once per run from N(1, thrust_sigma); fault scales multiply it"),
        "ignition_delay_sigma_s": _n("s", 0, 5, "per-run ignition-delay dispersion, 1 sigma: ignition_delay_s + "
                                     "N(0, sigma) drawn once per run, floored at 0"),
    }),
    "rcs": Struct({
        "couple_torque_nm": _n("N m", 0, 100, "torque of one thruster couple"),
        "isp_s": _n("s", 10, 400, "specific impulse"),
        "thruster_force_n": _n("N", 0, 100, "force of one thruster"),
        "min_on_s": _n("s", 0, 1, "minimum impulse bit: a couple, once opened, stays open at least this long "
                       "even if commanded closed earlier; valve states change at commands and at the start of each "
                       "world tick (one 50 Hz flight cycle), so the on-time is rounded up to whole ticks"),
    }),
    "chutes": Struct({"drogue": _CHUTE, "main": _CHUTE}),
    "deployment_envelope": _ENVELOPE,
})

def check_vehicle(cfg: dict) -> dict:
    """Cross-field checks the per-field schema cannot express; raises ConfigError."""
    a = cfg["aero"]
    if len(a["cd_mach"]) != len(a["cd_value"]):
        raise ConfigError("", "aero.cd_value", f"expected {len(a['cd_mach'])} values (one per cd_mach entry), got {len(a['cd_value'])}")
    if any(b <= x for x, b in zip(a["cd_mach"], a["cd_mach"][1:])):
        raise ConfigError("", "aero.cd_mach", "expected strictly increasing Mach numbers")
    if len(a["cmq_mach"]) != len(a["cmq_value"]):
        raise ConfigError("", "aero.cmq_value", f"expected {len(a['cmq_mach'])} values (one per cmq_mach entry), "
                          f"got {len(a['cmq_value'])}")
    if any(b <= x for x, b in zip(a["cmq_mach"], a["cmq_mach"][1:])):
        raise ConfigError("", "aero.cmq_mach", "expected strictly increasing Mach numbers")
    env = cfg["deployment_envelope"]
    for path, lo, hi in (("drogue", "mach_min", "mach_max"), ("main", "alt_min_m", "alt_max_m")):
        e = env[path]
        if e[lo] >= e[hi]:
            raise ConfigError("", f"deployment_envelope.{path}.{hi}",
                              f"expected more than {path}.{lo} ({e[lo]:g}), got {e[hi]:g}")
    return cfg

