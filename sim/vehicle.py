"""Capsule physical model: mass properties, aerodynamics, parachutes, propulsion.

Built once from the validated ``vehicle.yaml`` mapping (see sim/vehicle_schema.py)
into plain floats, because the integrator reads these every derivative call.
"""
from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, replace

#: Floor of a dispersed inflation time, s (the schema's lower limit).
MIN_INFLATION_S = 0.05


@dataclass(frozen=True, slots=True)
class ChuteModel:
    """One canopy: full drag area Cd*S (m^2), inflation time (s), riser arm (m), the
    1-sigma per-run dispersions of Cd (fraction) and inflation time (s), the canopy's
    distance behind the attachment (m), and the Mach number and dynamic pressure (Pa)
    above which a deployment fails."""
    name: str
    cd_area_m2: float
    inflation_s: float
    attach_offset_m: float
    cd_sigma: float = 0.0
    inflation_sigma_s: float = 0.0
    damping_length_m: float = 0.0
    fail_mach: float = math.inf
    fail_q_pa: float = math.inf

    def dispersed(self, normal) -> ChuteModel:
        """This canopy with Cd and inflation time drawn once (two ``normal()`` draws,
        always, in that order)."""
        k = max(0.0, 1.0 + self.cd_sigma * normal())
        t = max(MIN_INFLATION_S, self.inflation_s + self.inflation_sigma_s * normal())
        return replace(self, cd_area_m2=self.cd_area_m2 * k, inflation_s=t)

    def cd_area_at(self, since_deploy_s: float) -> float:
        """Drag area during inflation: grows with the square of time (a common
        approximation for an unreefed canopy's projected area), then constant."""
        if since_deploy_s <= 0.0:
            return 0.0
        if since_deploy_s >= self.inflation_s:
            return self.cd_area_m2
        f = since_deploy_s / self.inflation_s
        return self.cd_area_m2 * f * f


@dataclass(frozen=True, slots=True)
class VehicleModel:
    entry_mass_kg: float
    deorbit_propellant_kg: float
    rcs_propellant_kg: float
    inertia_kgm2: tuple[float, float, float]
    diameter_m: float
    ref_area_m2: float
    nose_radius_m: float
    cd_mach: tuple[float, ...]
    cd_value: tuple[float, ...]
    cm_alpha_per_rad: float
    cmq_mach: tuple[float, ...]
    cmq_value: tuple[float, ...]
    thrust_n: float
    isp_s: float
    ignition_delay_s: float
    rcs_couple_torque_nm: float
    rcs_isp_s: float
    rcs_thruster_force_n: float
    drogue: ChuteModel
    main: ChuteModel
    thrust_sigma: float = 0.0            # per-run thrust dispersion, 1 sigma, fraction
    ignition_delay_sigma_s: float = 0.0  # per-run ignition-delay dispersion, 1 sigma, s
    rcs_min_on_s: float = 0.0            # RCS minimum on-time (minimum impulse bit), s
    com_lateral_m: float = 0.0           # CoM off the axis toward body +z, m
    lift_factor: float = 0.0             # C_L / (C_D sin a cos a)
    thrust_dispersion: float = 1.0       # this run's thrust scale (1: nominal; set by dispersed())

    def dispersed(self, noise) -> VehicleModel:
        """This vehicle with its per-run dispersions drawn from ``noise`` (a NoiseSource).

        Six N(0, 1) draws, always, in this order: thrust scale, ignition delay,
        drogue Cd, drogue inflation time, main Cd, main inflation time. A sigma of 0
        leaves its value nominal but still draws, so the stream does not shift.
        Meant for the undispersed config vehicle (``World`` calls it once per run);
        dispersing a dispersed vehicle again would compound Cd S and the delays."""
        n = noise.normal
        thrust = max(0.0, 1.0 + self.thrust_sigma * n())
        delay = max(0.0, self.ignition_delay_s + self.ignition_delay_sigma_s * n())
        drogue = self.drogue.dispersed(n)
        main = self.main.dispersed(n)
        return replace(self, thrust_dispersion=thrust, ignition_delay_s=delay, drogue=drogue, main=main)

    @property
    def initial_mass_kg(self) -> float:
        """Mass at separation: entry mass plus deorbit propellant, kg.

        The RCS gas is counted in the entry mass (its use, ~0.1 kg, is neglected
        in the mass state)."""
        return self.entry_mass_kg + self.deorbit_propellant_kg

    def cd(self, mach: float) -> float:
        """Axial drag coefficient at a Mach number (linear in the table, clamped)."""
        return _interp(self.cd_mach, self.cd_value, mach)

    def cmq(self, mach: float) -> float:
        """Pitch-damping sum Cmq + Cm_alphadot at a Mach number, 1/rad (linear, clamped)."""
        return _interp(self.cmq_mach, self.cmq_value, mach)

    def ballistic_coefficient_kg_m2(self, mach: float = 20.0) -> float:
        """m / (Cd A) at entry mass, kg/m^2."""
        return self.entry_mass_kg / (self.cd(mach) * self.ref_area_m2)


def _interp(xs, ys, x: float) -> float:
    if x <= xs[0]:
        return ys[0]
    if x >= xs[-1]:
        return ys[-1]
    i = bisect.bisect_right(xs, x)
    x0, x1 = xs[i - 1], xs[i]
    return ys[i - 1] + (ys[i] - ys[i - 1]) * (x - x0) / (x1 - x0)


def _chute(name: str, c: dict) -> ChuteModel:
    area = math.pi * c["diameter_m"] ** 2 / 4.0
    return ChuteModel(name, c["cd"] * area, c["inflation_s"], c["attach_offset_m"],
                      c["cd_sigma"], c["inflation_sigma_s"], c["damping_length_m"], c["fail_mach"], c["fail_q_pa"])


def vehicle_from_config(cfg: dict) -> VehicleModel:
    """Build the model from a validated vehicle mapping."""
    m, a, e, r, c = cfg["mass"], cfg["aero"], cfg["engine"], cfg["rcs"], cfg["chutes"]
    return VehicleModel(
        entry_mass_kg=m["entry_kg"],
        deorbit_propellant_kg=m["deorbit_propellant_kg"],
        rcs_propellant_kg=m["rcs_propellant_kg"],
        inertia_kgm2=tuple(m["inertia_kgm2"]),
        diameter_m=a["diameter_m"],
        ref_area_m2=math.pi * a["diameter_m"] ** 2 / 4.0,
        nose_radius_m=a["nose_radius_m"],
        cd_mach=tuple(a["cd_mach"]),
        cd_value=tuple(a["cd_value"]),
        cm_alpha_per_rad=a["cm_alpha_per_rad"],
        cmq_mach=tuple(a["cmq_mach"]),
        cmq_value=tuple(a["cmq_value"]),
        thrust_n=e["thrust_n"],
        isp_s=e["isp_s"],
        ignition_delay_s=e["ignition_delay_s"],
        rcs_couple_torque_nm=r["couple_torque_nm"],
        rcs_isp_s=r["isp_s"],
        rcs_thruster_force_n=r["thruster_force_n"],
        drogue=_chute("drogue", c["drogue"]),
        main=_chute("main", c["main"]),
        thrust_sigma=e["thrust_sigma"],
        ignition_delay_sigma_s=e["ignition_delay_sigma_s"],
        rcs_min_on_s=r["min_on_s"],
        com_lateral_m=m["com_lateral_m"],
        lift_factor=a["lift_factor"],
    )
