"""Monitor and response table (cf. cFS Limit Checker watchpoints/actionpoints, HS).

Each row: a monitor id, the check function's name (fsw.fdir.checks), the phases
it runs in, its persistence (consecutive 10 Hz monitor samples that must fail),
the response and its target, and whether a degraded device may recover
(``recover_n`` consecutive good samples; 0 = latched for the rest of the flight).
Thresholds are flight parameters (``fdir.*`` in fsw/mission_schema.py), so the
table says which parameter bounds each check.

Responses: ``degrade`` (the device is not used; its users fall to their
dissimilar backups), ``isolate`` (close the engine isolation valve / the RCS
latch valve), ``safe`` (abort to SAFE; only in the orbit phases the phase table
allows), ``event`` (report only), and two whose choice the check makes (it
leaves it in its ``mem``; the monitor task applies it while the row fails):
``vote`` (a dissimilar source names the outlier of a redundant pair: that
device is degraded, latched; no vote yet: event only, and the task keeps
listening) and ``rcs_test`` (stuck-open or reversed-response evidence: isolate
rcs, then safe in orbit; none in the window: every thruster held off for a
test of at most 1 s; nothing moves in it: event only, the couple is failed
closed and the controller goes on with the other five).

| monitor | check | threshold | persistence | response | phases |
|---|---|---|---|---|---|
| IMU_DATA | IMU sample invalid, non-finite or out of range | sensor validity, 35 rad/s, 2000 m/s^2 | 5 (0.5 s) | degrade imu, recovers after 50 good | all |
| IMU_ACCEL_SATURATED | an accelerometer axis at its range | fdir.accel_range_mps2 x 0.98 | 2 | event | all |
| GYRO_RATE | body rate above what the RCS can produce | fdir.max_rate_dps | 5 | event | free flight |
| BARO_<i>_DATA | barometer unusable under canopy (clamped, invalid, rejected) | baro range 1.2-115 kPa | 20 (2 s) | degrade baro.<i>, recovers after 20 | DROGUE, MAIN |
| BARO_<i>_STUCK | altitude not falling under the drogue | fdir.baro_stuck_min_drop_m over fdir.baro_stuck_window_s | 1 window | degrade baro.<i>, latched | DROGUE |
| BARO_AGREE | the two barometers disagree; a fresh GPS altitude (< 0.5 s) votes | chutes.baro_disagree_m (the nearer unit within it of the GPS altitude, the farther beyond) | 30 (3 s) | vote: degrade the barometer farther from the GPS altitude, latched; no fresh GPS: event (fusion uses the higher: never early) | ENTRY, DROGUE, MAIN |
| GPS_INNOVATION | fix far from the navigated position | fdir.gps_max_innovation_m | 3 | degrade gps, recovers after 30 | free flight |
| WATER_EARLY | water switch wet where it cannot be (orbit, entry, drogue; under the main: fused baro and fresh GPS altitude both high) | landing.water_arm_alt_m + fdir.water_margin_m | 10 (1 s) | degrade water, latched | all but LANDED |
| ENGINE_VALVE | chamber pressure with the valve commanded closed | fdir.engine_pc_off_pa | 3 (0.3 s) | isolate engine | all but DEORBIT_BURN |
| ENGINE_NO_THRUST | no chamber pressure after an ignition (dissimilar to the accelerometer check) | fdir.engine_pc_off_pa | deorbit.thrust_check_s | event | DEORBIT_BURN |
| RCS_DUTY | one couple i commanded on nearly all the time: fighting a stuck-open opposing couple j, itself failed closed, or the rates answer it backwards (gyro sign). Evidence over 2 consecutive samples: i and j both off and the rate accelerating toward j (stuck open); i on, j off and the rate accelerating against i (reversed) | fdir.rcs_max_duty over fdir.rcs_duty_window_s; fdir.rcs_open_accel_dps2 | 100 (10 s window); test: 2 sample intervals (0.2 s) | rcs_test: evidence -> isolate rcs, then safe in orbit; none -> thrusters off for the test: acceleration toward j -> isolate rcs; none -> event "rcs.i failed closed" (left out of later windows) | free flight |
| PYRO_ARM_READBACK | board hardware arm on while attached | - | 3 | event | ATTACHED |
| PYRO_CONTINUITY | an unfired initiator reads open | - | 3 | event | all |
| POWER_LOW | battery state of charge low before the burn | fdir.soc_safe | 10 | safe | SEPARATED, DEORBIT_PREP |
| NAV_PLAUSIBLE | navigated altitude below -1 km or speed above 12 km/s (Schiaparelli 2016) | - | 1 | degrade nav, recovers on a new state vector | all |
"""
from __future__ import annotations

from dataclasses import dataclass

from fsw.phases import Phase

P = Phase
ALL = tuple(Phase)
FREE = (P.SEPARATED, P.DEORBIT_PREP, P.DEORBIT_BURN, P.COAST, P.SAFE)
CANOPY = (P.DROGUE, P.MAIN)


@dataclass(frozen=True)
class MonitorRow:
    monitor: str
    check: str                 # name of the check in fsw.fdir.checks
    phases: tuple
    persistence: int           # consecutive failing samples (10 Hz)
    response: str              # degrade | isolate | safe | event | vote | rcs_test
    target: str | None = None  # device degraded / isolated
    recover_n: int = 0         # consecutive good samples to recover (0: latched)
    arg: object = None         # check argument (e.g. barometer index)


TABLE = (
    MonitorRow("IMU_DATA", "imu_data", ALL, 5, "degrade", "imu", recover_n=50),
    MonitorRow("IMU_ACCEL_SATURATED", "accel_saturated", ALL, 2, "event"),
    MonitorRow("GYRO_RATE", "gyro_rate", FREE, 5, "event"),
    MonitorRow("BARO_0_DATA", "baro_data", CANOPY, 20, "degrade", "baro.0", recover_n=20, arg=0),
    MonitorRow("BARO_1_DATA", "baro_data", CANOPY, 20, "degrade", "baro.1", recover_n=20, arg=1),
    MonitorRow("BARO_0_STUCK", "baro_stuck", (P.DROGUE,), 1, "degrade", "baro.0", arg=0),
    MonitorRow("BARO_1_STUCK", "baro_stuck", (P.DROGUE,), 1, "degrade", "baro.1", arg=1),
    # recover_n=1: when the units agree again (or one is gone) the row re-arms, so a later
    # disagreement is voted on anew.
    MonitorRow("BARO_AGREE", "baro_agree", (P.ENTRY, P.DROGUE, P.MAIN), 30, "vote", "baro", recover_n=1),
    MonitorRow("GPS_INNOVATION", "gps_innovation", FREE, 3, "degrade", "gps", recover_n=30),
    MonitorRow("WATER_EARLY", "water_early", tuple(p for p in Phase if p is not P.LANDED), 10, "degrade", "water"),
    MonitorRow("ENGINE_VALVE", "engine_valve", tuple(p for p in Phase if p is not P.DEORBIT_BURN), 3, "isolate",
               "engine"),
    MonitorRow("ENGINE_NO_THRUST", "engine_no_thrust", (P.DEORBIT_BURN,), 1, "event"),
    # recover_n=1: after a failed-closed verdict the row re-arms for the other couples; the test's
    # thruster inhibit is lifted by the verdict (or, as a backstop, by the recovery).
    MonitorRow("RCS_DUTY", "rcs_duty", FREE, 1, "rcs_test", "rcs", recover_n=1),
    MonitorRow("PYRO_ARM_READBACK", "pyro_hw_arm_attached", (P.ATTACHED,), 3, "event"),
    MonitorRow("PYRO_CONTINUITY", "pyro_continuity", ALL, 3, "event"),
    MonitorRow("POWER_LOW", "power_low", (P.SEPARATED, P.DEORBIT_PREP), 10, "safe"),
    # recover_n=1: nav drops its state on the degrade and stays invalid until a new STATE_VECTOR;
    # latched, the flag would re-invalidate every state vector loaded afterwards (never recovering).
    MonitorRow("NAV_PLAUSIBLE", "nav_plausible", ALL, 1, "degrade", "nav", recover_n=1),
)
