"""Typed records the flight tasks exchange over the bus: one kind per producer.

Requirements
REC-001  Every record is a frozen dataclass stamped with the clock time it was
         produced (``t_s``, s) and a validity flag (``valid``); a reader can tell
         a stale record from a fresh one (``RecordBus.fresh``).
REC-002  One writer per kind (``WRITERS``); the bus refuses a second.
REC-003  SI units in field names; ``None`` means "not (yet) known".
REC-004  Each kind has an ``INITIAL`` value (``valid = False``, ``t_s = -inf``),
         published at wiring time, so a reader always finds a record.
"""
from __future__ import annotations

import math

from dataclasses import dataclass

from hal.devices import GpsFix

_NEVER = float("-inf")
Vec3 = tuple[float, float, float]


@dataclass(frozen=True, slots=True)
class ImuRecord:
    """IMU sample as accepted by nav: rates rad/s, bias-corrected specific force m/s^2 (body)."""
    t_s: float
    valid: bool
    gyro_radps: Vec3 = (0.0, 0.0, 0.0)
    accel_body_mps2: Vec3 = (0.0, 0.0, 0.0)
    #: magnitude of the specific force, m/s^2 (sign- and mounting-proof: Genesis 2004)
    sensed_accel_mps2: float = 0.0
    #: the sample's own validity (finite, in range), whatever the monitors decided
    raw_ok: bool = False
    #: the raw specific force as read, m/s^2 (saturation checks)
    raw_accel_mps2: Vec3 = (0.0, 0.0, 0.0)


@dataclass(frozen=True, slots=True)
class NavRecord:
    """Navigated state: ECI position m, velocity m/s, body->ECI quaternion."""
    t_s: float
    valid: bool
    r_eci_m: Vec3 = (0.0, 0.0, 0.0)
    v_eci_mps: Vec3 = (0.0, 0.0, 0.0)
    q_body_eci: tuple[float, float, float, float] = (1.0, 0.0, 0.0, 0.0)
    #: the filter's RSS 1-sigma of position m, velocity m/s and attitude deg (inf: invalid)
    sigma_r_m: float = math.inf
    sigma_v_mps: float = math.inf
    sigma_att_deg: float = math.inf
    #: 1-sigma of the air-relative speed, m/s (the velocity covariance along it: the Mach number's)
    sigma_speed_mps: float = math.inf
    #: clock time of the last star-tracker solution the filter accepted, s (-inf: none yet)
    star_t_s: float = -math.inf


@dataclass(frozen=True, slots=True)
class GpsRecord:
    """Latest GPS fix that passed plausibility (``fix`` None before the first)."""
    t_s: float
    valid: bool
    fix: GpsFix | None = None


@dataclass(frozen=True, slots=True)
class AttitudeRecord:
    """Attitude control: mode, pointing error deg (None when not pointing), RCS mask."""
    t_s: float
    valid: bool
    mode: str = "off"
    att_error_deg: float | None = None
    rcs_mask: int = 0


@dataclass(frozen=True, slots=True)
class AirDataRecord:
    """Fused barometric altitude m (None if no barometer usable) and how many were used."""
    t_s: float
    valid: bool
    baro_alt_m: float | None = None
    n_used: int = 0
    #: each barometer's accepted pressure altitude this sample, m (None: not usable)
    per_sensor_m: tuple = ()
    #: static pressure of the fused altitude, Pa (None: no barometer usable)
    static_pa: float | None = None
    #: a usable unit read at its low-pressure clamp this sample: "above ~30 km" (fsw/tasks/baro.py)
    above_range: bool = False


@dataclass(frozen=True, slots=True)
class FlowRecord:
    """Flight air data (fsw/tasks/airdata.py), two dissimilar solutions, each None when unusable.

    ``nav_*``: from the navigated state and the onboard atmosphere: altitude m, Mach, dynamic
    pressure Pa, and the 1-sigma of the Mach number. ``drag_*``: from sensed drag and the
    barometers' static pressure (no velocity, no atmosphere model): Mach, dynamic pressure Pa,
    1-sigma of the Mach number."""
    t_s: float
    valid: bool
    nav_alt_m: float | None = None
    nav_mach: float | None = None
    nav_q_pa: float | None = None
    nav_sigma_mach: float | None = None
    drag_mach: float | None = None
    drag_q_pa: float | None = None
    drag_sigma_mach: float | None = None


@dataclass(frozen=True, slots=True)
class BurnRecord:
    """Deorbit burn: go, plan, ignition and cutoff times s, sensed axial dv m/s, result;
    the planned dv (m/s) and burn yaw (deg, fsw/gnc/predictor.py burn_direction), and the
    time the go was given (s; the guidance solutions it accepts are computed for it)."""
    t_s: float
    valid: bool
    go: bool = False
    plan_t_s: float | None = None
    ignition_t_s: float | None = None
    cutoff_t_s: float | None = None
    dv_sensed_mps: float = 0.0
    result: str | None = None
    dv_target_mps: float | None = None
    yaw_deg: float = 0.0
    go_t_s: float | None = None
    ground_plan_t_s: float | None = None      # the go's ignition time (the ground's plan)
    #: the accelerometer's thrust-axis reading over the true thrust, once the burn found it
    #: wrong (-1: inverted; None: not found wrong); nav divides body x by it
    accel_x_scale: float | None = None


@dataclass(frozen=True, slots=True)
class EdlRecord:
    """Entry and chutes: onset, g-arm, load-fall, baro-in-range and deploy times s, the trigger of each deploy."""
    t_s: float
    valid: bool
    onset_t_s: float | None = None
    g_arm_t_s: float | None = None
    drogue_t_s: float | None = None
    drogue_trigger: str | None = None
    main_t_s: float | None = None
    main_trigger: str | None = None
    #: the drogue timer's two clocks (fsw/tasks/chutes.py requirement 3): the load's fall after the
    #: g-arm and the barometers' first in-range reading after reading above range
    fall_t_s: float | None = None
    baro_in_t_s: float | None = None


@dataclass(frozen=True, slots=True)
class LandingRecord:
    """Splashdown time s and the detector that saw it."""
    t_s: float
    valid: bool
    splash_t_s: float | None = None
    trigger: str | None = None


@dataclass(frozen=True, slots=True)
class HealthRecord:
    """Fault protection: devices declared failed, and the monitors tripped now."""
    t_s: float
    valid: bool
    degraded: frozenset = frozenset()
    tripped: tuple = ()


@dataclass(frozen=True, slots=True)
class GuidanceRecord:
    """Deorbit guidance (fsw/tasks/guidance.py): a targeted burn (``kind`` "plan") computed
    from the navigated state of ``nav_t_s`` for the go given at ``go_t_s``, or after
    cutoff the recovery forecast (``kind`` "forecast"). ``ok``: the go/no-go checks
    passed; ``why``: the first that failed."""
    t_s: float
    valid: bool
    kind: str = ""
    go_t_s: float | None = None
    nav_t_s: float | None = None
    ignition_t_s: float | None = None
    dv_mps: float | None = None
    yaw_deg: float = 0.0
    splash_lat_deg: float | None = None
    splash_lon_deg: float | None = None
    miss_km: float | None = None
    perigee_alt_m: float | None = None
    entry_fpa_deg: float | None = None
    ok: bool = False
    why: str = ""


@dataclass(frozen=True, slots=True)
class BankRecord:
    """Entry guidance (fsw/tasks/entry_guidance.py): the commanded bank angle deg (positive:
    lift to the right of the air-relative velocity), the predicted downrange and
    cross-range errors km of the splash point it was solved from (positive: long, right),
    the drag ratio used (sensed over modelled deceleration) and the reversals so far."""
    t_s: float
    valid: bool
    bank_cmd_deg: float = 0.0
    downrange_err_km: float | None = None
    crossrange_err_km: float | None = None
    drag_ratio: float = 1.0
    reversals: int = 0


#: Record kind -> the one task that writes it (REC-002).
WRITERS = {
    ImuRecord: "nav", NavRecord: "nav", GpsRecord: "nav", AttitudeRecord: "attitude",
    AirDataRecord: "baro", FlowRecord: "airdata", BurnRecord: "deorbit", EdlRecord: "chutes", LandingRecord: "landing",
    HealthRecord: "monitors", GuidanceRecord: "guidance", BankRecord: "entry_guidance",
}
INITIAL = {kind: kind(_NEVER, False) for kind in WRITERS}
