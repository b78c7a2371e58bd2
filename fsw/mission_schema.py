"""Schema of config/mission.yaml: the mission plan and the flight parameter table.

Every flight tunable is defined here with its unit, limits and meaning (cFS
style). ``params`` is the table that ``SET_PARAM name=<section>.<key>`` changes
at run time, validated by the same limits.
"""
from __future__ import annotations

from fsw.schema import Num, Str, Struct, Vec


def _n(unit, lo=None, hi=None, doc="", **kw):
    return Num(unit, lo, hi, doc=doc, **kw)


STATION_ORBIT = Struct({
    "alt_m": _n("m", 150e3, 2000e3, "station circular-orbit altitude above the WGS84 equator radius"),
    "inc_deg": _n("deg", 0, 180, "orbit inclination"),
    "raan_deg": _n("deg", -360, 360, "right ascension of the ascending node at mission time 0 (ECI x = Greenwich at t=0)"),
    "arg_lat_deg": _n("deg", -360, 360, "argument of latitude of the station at mission time 0"),
}, doc="station orbit at mission time 0 (release point of separation scenarios)")

TARGET = Struct({
    "lat_deg": _n("deg", -90, 90, "target splash latitude (geodetic)"),
    "lon_deg": _n("deg", -180, 180, "target splash longitude"),
    "name": Str(doc="recovery area name", default=""),
}, doc="planned splash point; miss distance is measured from it")

DEORBIT = Struct({
    "ignition_t_s": _n("s", 0, 1e6, "planned ignition, mission elapsed time; DEORBIT_GO may override"),
    "dv_mps": _n("m/s", 10, 200, "the corridor's retrograde delta-v: the burn cuts off on integrated sensed "
                 "acceleration at dv_mps / cos(yaw) (fsw/gnc/targeting.py)"),
    "max_burn_s": _n("s", 1, 120, "burn-time limit: cutoff backup if the sensed delta-v never reaches target"),
    "prep_lead_s": _n("s", 30, 3600, "DEORBIT_PREP (slew, engine arm) starts this long before ignition"),
    "attitude_tol_deg": _n("deg", 0.5, 20, "pointing error below which ignition is allowed"),
    "ignition_window_s": _n("s", 1, 600, "ignition may slip this long past the plan waiting for attitude; then abort"),
    "abort_attitude_deg": _n("deg", 1, 45, "pointing error during the burn that aborts it"),
    "thrust_check_s": _n("s", 0.5, 10, "time after ignition command by which thrust must be sensed"),
    "min_accel_mps2": _n("m/s^2", 0.1, 50, "sensed axial acceleration below which thrust is declared absent"),
    "max_att_sigma_deg": _n("deg", 0.01, 90, "no ignition while the navigation filter's attitude uncertainty "
                            "(RSS 1 sigma) is above this: a pointing error within tolerance means nothing then",
                            default=3.0),
    "xcheck_min_dv_mps": _n("m/s", 1, 100, "the burn's three delta-v sources (accelerometer, chamber pressure, GPS) "
                            "are voted on once the GPS has measured this much (fsw/gnc/burn_dv.py)", default=10.0),
    "xcheck_tol_frac": _n("-", 0.005, 0.5, "two delta-v sources agree within this fraction of the GPS's (plus the "
                          "GPS's own 3-sigma noise)", default=0.05),
    "pc_nominal_pa": _n("Pa", 1e5, 2e7, "chamber pressure at nominal thrust (thrust is proportional to it)"),
})

#: Breakpoints of the guidance drag table (guidance.cd_mach / cd_value).
CD_POINTS = 12

GUIDANCE = Struct({
    "target_lat_deg": _n("deg", -90, 90, "guidance target latitude; set from the mission's target: at load "
                         "(SET_PARAM re-targets in flight)", default=None),
    "target_lon_deg": _n("deg", -180, 180, "guidance target longitude; set from target: at load", default=None),
    "mass_kg": _n("kg", 1, 1000, "capsule mass at ignition (entry mass + deorbit propellant)"),
    "thrust_n": _n("N", 1, 10000, "deorbit motor vacuum thrust"),
    "isp_s": _n("s", 50, 500, "deorbit motor vacuum specific impulse"),
    "ignition_delay_s": _n("s", 0, 5, "deorbit motor ignition command to thrust onset (the plan's ignition "
                           "time is the command's)"),
    "ref_area_m2": _n("m^2", 0.01, 20, "aerodynamic reference area of the drag table"),
    "cd_mach": Vec(CD_POINTS, "-", 0, 100),
    "cd_value": Vec(CD_POINTS, "-", 0.1, 3),
    "max_yaw_deg": _n("deg", 0, 45, "burn yaw limit (cross-range steering): dv = deorbit.dv_mps / cos(yaw)"),
    "max_dv_mps": _n("m/s", 10, 300, "no-go above this planned dv (propellant: 2.2 kg at Isp 245 s gives 129 m/s "
                     "from 42.2 kg)"),
    "max_miss_km": _n("km", 0.1, 1000, "no-go when the predicted splash misses the target by more"),
    "max_perigee_alt_m": _n("m", 0, 200e3, "no-go when the predicted post-burn perigee is higher (shallow, "
                            "skipping or long entry)"),
    "max_plan_shift_s": _n("s", 1, 6000, "no-go when the onboard ignition time is further than this from the "
                           "ground's plan (the go's ignition time): the dissimilar cross-check"),
    "retarget_s": _n("s", 1, 3600, "a new solution from fresh navigation this long after the last, until "
                     "DEORBIT_PREP freezes the plan"),
    "lift_to_drag": _n("-", 0, 0.5, "trim lift-to-drag ratio of the capsule (aerodynamic database); 0: a ballistic "
                       "capsule, no bank steering (fsw/tasks/entry_guidance.py)"),
    "drift_east_m": _n("m", -300e3, 300e3, "wind drift of the descent under the canopies, drogue Mach point to "
                       "splash, east: the ground's forecast (elsrs plan); every splash prediction is moved by it"),
    "drift_north_m": _n("m", -300e3, 300e3, "the same, north"),
    "plan_bank_deg": _n("deg", 0, 180, "bank the deorbit plan assumes for the entry (its vertical lift only): "
                        "entry guidance's authority is cos(bank) from -1 to 1 about cos(plan_bank_deg)"),
}, doc="deorbit guidance (fsw/tasks/guidance.py, fsw/gnc/)")

GNC = Struct({
    "accel_threshold_mps2": _n("m/s^2", 0, 5, "sensed specific force above which nav integrates the accelerometer"),
    "bias_cal_s": _n("s", 0, 3600, "accelerometer bias averaging time in quiet free flight before the burn"),
    "point_gain_per_s": _n("1/s", 0.01, 5, "commanded rate per radian of pointing error"),
    "star_search_s": _n("s", 10, 3600, "star acquisition (SEPARATED): no star solution accepted for this long "
                        "moves the tracker's boresight to the next sky direction (fsw/tasks/attitude.py)"),
    "max_rate_dps": _n("deg/s", 0.1, 20, "slew rate limit"),
    "rate_deadband_dps": _n("deg/s", 0.01, 5, "rate error deadband of the bang-bang RCS law"),
    "entry_rcs_max_accel_mps2": _n("m/s^2", 0, 100, "RCS rate damping in ENTRY stops above this sensed deceleration (aerodynamic stability takes over)"),
})

NAV = Struct({
    "handover_pos_sigma_m": _n("m", 0.1, 1e5, "1-sigma per axis of the position in the hand-over state vector"),
    "handover_vel_sigma_mps": _n("m/s", 1e-4, 100, "1-sigma per axis of its velocity"),
    "handover_att_sigma_deg": _n("deg", 1e-4, 30, "1-sigma per axis of its attitude (the capsule's berthed attitude "
                                 "as the station knows it)"),
    "gyro_bias_sigma_dps": _n("deg/s", 1e-6, 1, "1-sigma of the gyro bias at start (turn-on repeatability)"),
    "gyro_bias_instability_dph": _n("deg/h", 0, 3600, "steady-state sigma of the filter's Gauss-Markov model of the "
                                    "in-run bias instability (datasheet in-run stability / 0.62)"),
    "gyro_bias_tau_s": _n("s", 1, 1e6, "correlation time of the filter's gyro-bias model"),
    "gyro_arw_deg_rth": _n("deg/sqrt(h)", 1e-4, 10, "gyro angle random walk (datasheet figure)"),
    "gyro_scale_sigma_ppm": _n("ppm", 0, 1e5, "gyro scale-factor and misalignment uncertainty: attitude process "
                               "noise proportional to the body rate"),
    "accel_vrw_mps_rth": _n("m/s/sqrt(h)", 1e-5, 10, "accelerometer velocity random walk (datasheet figure)"),
    "accel_scale_sigma_ppm": _n("ppm", 0, 1e5, "accelerometer scale-factor and misalignment uncertainty: process "
                                "noise proportional to the integrated specific force"),
    "unmodelled_accel_mps2": _n("m/s^2", 0, 1, "unmodelled acceleration (drag in orbit, gravity model) as white "
                                "noise of this density per sqrt(s)"),
    "gps_pos_sigma_m": _n("m", 0.1, 1e4, "GPS position error, 1-sigma per axis"),
    "gps_vel_sigma_mps": _n("m/s", 0.001, 100, "GPS velocity error, 1-sigma per axis"),
    "star_sigma_arcsec": _n("arcsec", 0.1, 36000, "star-tracker attitude error incl. alignment, 1-sigma per axis"),
    "baro_alt_sigma_m": _n("m", 1, 5000, "barometric altitude error against geometric altitude, 1-sigma "
                           "(non-standard atmosphere, port error)"),
    "baro_max_alt_m": _n("m", 0, 40000, "the fused barometric altitude is used by nav below this"),
    "gate_chi2_gps": _n("-", 1, 1000, "innovation gate of a GPS fix (chi-square, 6 degrees of freedom; 27.9 is "
                        "the 1e-4 tail)"),
    "gate_chi2_att": _n("-", 1, 1000, "innovation gate of a star-tracker solution (3 degrees of freedom; 21.1 "
                        "is the 1e-4 tail)"),
    "gate_chi2_alt": _n("-", 1, 1000, "innovation gate of the baro altitude (1 degree of freedom; 15.1 is the "
                        "1e-4 tail)"),
    "cov_period_s": _n("s", 0.02, 10, "covariance propagation period (and before each measurement)"),
    "gps_period_s": _n("s", 0.1, 60, "GPS fixes fused at most this often"),
    "gps_reinit_n": _n("count", 3, 600, "consecutive consistent GPS fixes rejected after accelerometer use that "
                       "re-initialise position and velocity from the GPS", integer=True),
}, doc="navigation filter (fsw/tasks/nav.py, fsw/gnc/ekf.py)")

ENTRY = Struct({
    "onset_mps2": _n("m/s^2", 0.05, 20, "sensed deceleration that marks entry (COAST -> ENTRY)"),
    "onset_persist_s": _n("s", 0.1, 10, "the deceleration must persist this long"),
    "onset_backup_s": _n("s", 60, 20000, "timer backup: ENTRY declared this long after burn cutoff"),
    "onset_max_alt_m": _n("m", 80e3, 1e6, "a sensed deceleration onset with a valid navigated altitude above this is "
                          "a sensor fault, not entry (drag at 150 km is ~6e-4 m/s^2, ~900x below entry.onset_mps2)"),
    "bank_update_s": _n("s", 0.5, 60, "entry guidance solves a new bank this often in ENTRY (a solution takes "
                        "two predictions, sliced over the 10 Hz group)"),
    "bank_end_speed_mps": _n("m/s", 100, 8000, "below this air-relative speed the last bank is held (little "
                             "range is left to steer)"),
    "xrange_deadband_km": _n("km", 0.1, 100, "the bank sign reverses when the predicted cross-range error, with "
                             "the present sign held, passes this to the side the lift pushes"),
    "reversal_min_s": _n("s", 0, 300, "shortest time between two bank reversals"),
    "drag_gain": _n("-", 0, 1, "gain of the drag-ratio filter (sensed over modelled deceleration) per solution"),
    "drag_min_mps2": _n("m/s^2", 0.1, 50, "the drag ratio is measured only above this modelled deceleration"),
    "drag_ratio_min": _n("-", 0.1, 1, "a drag ratio below this is a sensor or model fault: rejected"),
    "drag_ratio_max": _n("-", 1, 10, "a drag ratio above this is rejected"),
    "roll_gain_per_s": _n("1/s", 0.01, 5, "commanded roll rate per radian of bank error (fsw/tasks/attitude.py)"),
    "max_roll_rate_dps": _n("deg/s", 1, 60, "roll rate limit while banking"),
    "roll_fire_max_s": _n("s", 0.1, 60, "the roll couple fired in one direction without a break for longer than "
                          "this stops bank steering's roll couple for the flight (a stuck roll gyro)"),
})

CHUTES = Struct({
    "g_arm_mps2": _n("m/s^2", 5, 200, "sensed deceleration that arms the drogue logic (entry peak passing)"),
    "drogue_mach": _n("-", 0.6, 2.0, "a drogue vote: a Mach solution (navigated, or drag and static pressure: "
                      "fsw/tasks/airdata.py) at or below this, with its dynamic pressure at or below drogue_q_max_pa"),
    "drogue_q_max_pa": _n("Pa", 100, 20000, "dynamic-pressure ceiling of a Mach vote (the envelope's, less margin)"),
    "drogue_mach_ceiling": _n("-", 0.6, 3.0, "a Mach vote also needs its estimate plus 2 sigma at or below this "
                              "(the envelope's top): an uncertain solution does not vote"),
    "g_fall_mps2": _n("m/s^2", 5, 100, "the drogue's fall clock starts when the sensed deceleration, past the "
                      "g-arm, stays below this (the capsule nearing its equilibrium descent)"),
    "g_fall_min_s": _n("s", 0, 600, "a fall sooner than this after the g-arm is refused (an accelerometer "
                       "failed through the peak): no fall clock for the flight"),
    "drogue_fall_backup_s": _n("s", 1, 600, "timer vote: cast this long after the load's fall (or the baro "
                               "clock's, whichever runs out first)"),
    "drogue_baro_backup_s": _n("s", 1, 600, "timer vote: cast this long after the barometers first read inside "
                               "their range (below ~30 km), having read above it (or the fall clock's)"),
    "main_alt_m": _n("m", 500, 10000, "main votes: fused barometric altitude, GPS altitude (or the navigated one "
                     "while GPS has no fresh fix) at or below this"),
    "main_backup_s": _n("s", 10, 3000, "timer vote: cast this long after the drogue fired"),
    "main_inhibit_alt_m": _n("m", 500, 20000, "with no drogue out, the main is inhibited above this barometric "
                             "altitude (fsw/safety/inhibits.py; the main envelope's top)"),
    "persist_n": _n("count", 1, 50, "consecutive 10 Hz samples with two votes (or below a trigger altitude)",
                    integer=True),
    "baro_disagree_m": _n("m", 10, 5000, "two barometers further apart than this are not averaged; the higher reading is used"),
    "baro_max_rate_mps": _n("m/s", 50, 5000, "altitude change rate above which a baro sample is rejected as implausible"),
})

AIRDATA = Struct({
    "mass_kg": _n("kg", 1, 1000, "capsule mass for the drag solution q = m |f| / (Cd A) (entry mass, spent motor)"),
    "min_decel_mps2": _n("m/s^2", 0.1, 100, "the drag solution needs at least this sensed deceleration"),
    "max_mach_rate_ps": _n("1/s", 0.01, 10, "a Mach solution changing faster than this is rejected (entry peak "
                           "deceleration 10 g over a 295 m/s sound speed is 0.33 /s)"),
    "wind_sigma_mps": _n("m/s", 0, 100, "1-sigma wind the navigated Mach does not know"),
    "nav_max_sigma_mps": _n("m/s", 0.1, 1000, "the navigated solution is not used while the filter's velocity "
                            "sigma is above this"),
}, doc="flight air data (fsw/tasks/airdata.py)")

LANDING = Struct({
    "water_arm_alt_m": _n("m", 10, 5000, "water-switch detection arms below this barometric (or fresh GPS) altitude (Mars Polar Lander: arm late)"),
    "water_persist_s": _n("s", 0.1, 30, "the water switch must read wet this long"),
    "still_window_s": _n("s", 5, 600, "backup: barometric altitude steady over this window means floating"),
    "confirm_window_s": _n("s", 1, 60, "a wet water switch needs a second sign: the barometric altitude steady "
                           "within still_tol_m over this window (or a GPS altitude below release_max_gps_alt_m)"),
    "still_tol_m": _n("m", 1, 100, "backup: max baro altitude spread over the window"),
    "still_max_alt_m": _n("m", 10, 2000, "backup: only below this barometric altitude"),
    "release_delay_s": _n("s", 0, 60, "main canopy release after splashdown"),
    "float_delay_s": _n("s", 0, 60, "flotation inflation after splashdown"),
    "release_max_gps_alt_m": _n("m", 5, 1000, "main_release needs a GPS altitude below this (or the barometric "
                                "one below still_max_alt_m) when a fix is fresh"),
    "backup_s": _n("s", 60, 7200, "last-resort splash declaration this long after the main fired, with no usable "
                   "water switch or barometer: the beacon starts; the main is then not released"),
})

FDIR = Struct({
    "nav_save_s": _n("s", 1, 600, "navigation state saved to the state store this often (free flight, EDL)"),
    "nav_save_dynamic_s": _n("s", 0.02, 60, "... and this often in DEORBIT_PREP and DEORBIT_BURN"),
    "nav_restore_max_age_s": _n("s", 1, 7200, "a stored navigation state older than this is not restored after a reset"),
    "max_processor_resets": _n("count", 2, 20, "this many processor resets within reset_window_s -> minimal safe "
                               "configuration (cFS: the 3rd processor reset)", integer=True),
    "reset_window_s": _n("s", 10, 86400, "window of the repeated-reset rule"),
    "accel_range_mps2": _n("m/s^2", 10, 2000, "accelerometer full scale: readings within 2 % of it are saturated"),
    "max_rate_dps": _n("deg/s", 1, 360, "body rate above which the gyro reading is implausible in free flight"),
    "baro_stuck_window_s": _n("s", 2, 120, "under the drogue a barometer must show descent over this window"),
    "baro_stuck_min_drop_m": _n("m", 5, 5000, "... of at least this much, else it is stuck"),
    "gps_max_innovation_m": _n("m", 10, 1e6, "GPS fix further than this from the navigated position is rejected"),
    "water_margin_m": _n("m", 0, 5000, "a wet water switch this far above landing.water_arm_alt_m is failed"),
    "engine_pc_off_pa": _n("Pa", 1e3, 2e6, "chamber pressure above this means the engine is burning"),
    "rcs_duty_window_s": _n("s", 1, 600, "window over which each RCS couple's commanded duty is measured"),
    "rcs_max_duty": _n("-", 0.1, 1.0, "a couple commanded on for more than this fraction of the window is "
                       "fighting a stuck-open thruster or failed closed (RCS_DUTY tells them apart)"),
    "rcs_open_accel_dps2": _n("deg/s^2", 1.0, 11.0, "angular acceleration about an axis whose two couples are "
                              "both commanded off (two consecutive 10 Hz samples) at or above which the couple "
                              "pushing that way is stuck open; one couple gives 0.25 N m / 1.30 kg m^2 = 11.0 "
                              "deg/s^2 about x, / 1.10 = 13.0 about y, z (config/vehicle.yaml): above 11 a stuck "
                              "x couple would go unseen, below 1 the gyro noise would count"),
    "soc_safe": _n("-", 0, 1, "battery state of charge below which the capsule goes SAFE before the burn"),
}, doc="fault detection, isolation and recovery (fsw/fdir/table.py)")

BEACON = Struct({
    "period_s": _n("s", 5, 86400, "shortest report period floating and in SAFE (fsw/tasks/beacon.py)"),
    "descent_period_s": _n("s", 5, 3600, "last-known-state report period under the canopies"),
    "retry_s": _n("s", 1, 3600, "first retry after a failed SBD session; doubled on each failure in a row"),
    "retry_max_s": _n("s", 10, 86400, "longest retry backoff (it is also capped at the report period); the "
                       "retry period of a locked modem"),
    "min_bars": _n("bars", 0, 5, "minimum Iridium signal to start a session", integer=True),
    "after_main_s": _n("s", 60, 7200, "surface beaconing starts this long after the main fired when no "
                       "splashdown was declared"),
    "endurance_h": _n("h", 1, 720, "the battery budget keeps the beacon reporting this long after splashdown"),
    "max_period_s": _n("s", 60, 86400, "longest report period the budget may stretch to"),
    "battery_wh": _n("Wh", 1, 10000, "usable battery energy at full charge (hardware power.battery_wh)"),
    "reserve_wh": _n("Wh", 0, 10000, "energy the budget never plans to spend (capacity loss in cold water, "
                     "state-of-charge error)"),
    "sleep_w": _n("W", 0, 50, "load between wakes in recovery power mode (hardware power.sleep_w)"),
    "report_wh": _n("Wh", 0.0001, 10, "energy of one report: the wake and its SBD session (hardware power: "
                    "awake_w x wake_s + modem_w x session_s)"),
    "burst_wakes": _n("wakes", 1, 20, "wakes the battery budget may save up for quick retries after a failed "
                      "session (a fresh splashdown starts with them all)"),
}, doc="recovery beacon (fsw/tasks/beacon.py, fsw/tasks/beacon_policy.py)")

TELEMETRY = Struct({
    "hk_period_quiet_s": _n("s", 0.1, 3600, "housekeeping period in ATTACHED, SEPARATED, COAST, LANDED and SAFE"),
    "hk_period_dynamic_s": _n("s", 0.1, 3600, "housekeeping period in DEORBIT_PREP, DEORBIT_BURN, ENTRY, DROGUE and MAIN"),
    "link_rate_bps": _n("bit/s", 1200, 10e6, "line rate of the space-ground link (8N1)"),
    "budget_fraction": _n("-", 0.05, 1.0, "share of the line rate the downlink may use"),
})

PARAMS = Struct({
    "deorbit": DEORBIT, "guidance": GUIDANCE, "gnc": GNC, "nav": NAV, "entry": ENTRY, "chutes": CHUTES, "airdata": AIRDATA,
    "landing": LANDING, "beacon": BEACON, "telemetry": TELEMETRY, "fdir": FDIR,
}, doc="flight parameter table (SET_PARAM names are dotted paths below this)")

def resolve_guidance_target(mission: dict) -> dict:
    """Fill ``params.guidance.target_*`` from the mission's ``target`` where the file leaves
    them unset: the guidance target is the mission's (a file may aim guidance elsewhere).
    Returns ``mission``, changed in place."""
    guidance = mission["params"]["guidance"]
    for key in ("lat_deg", "lon_deg"):
        if guidance[f"target_{key}"] is None:
            guidance[f"target_{key}"] = mission["target"][key]
    return mission


MISSION = Struct({
    "name": Str(doc="mission name", default="ELS-RS"),
    "station_orbit": STATION_ORBIT,
    "target": TARGET,
    "params": PARAMS,
})
