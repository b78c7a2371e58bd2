"""Data exchanged between flight tasks.

Requirements
1. One writer per item (named below); any task may read.
2. Deterministic: tasks run in the scheduler's fixed order, so a reader sees the
   value its writer left in this tick (writer earlier in the order) or the
   previous one (writer later) - the same every run.
3. No allocation of the bus itself per tick: tasks overwrite slots.
"""
from __future__ import annotations


class FlightData:
    """The flight app's blackboard. Units in names; None = not (yet) known."""

    __slots__ = (
        # nav (50 Hz)
        "nav_valid", "r_eci_m", "v_eci_mps", "q_body_eci",
        "gyro_radps", "accel_body_mps2", "sensed_accel_mps2", "imu_valid",
        # attitude (50 Hz)
        "att_error_deg", "rcs_mask",
        # chutes (10 Hz): fused barometric altitude and its validity
        "baro_alt_m", "baro_valid", "g_arm_t_s",
        # deorbit (50 Hz)
        "ignition_t_s", "cutoff_t_s", "dv_sensed_mps",
        # chutes / landing event times
        "drogue_t_s", "main_t_s", "splash_t_s",
        # gps (nav, 10 Hz)
        "gps_fix",
    )

    def __init__(self) -> None:
        self.nav_valid = False
        self.r_eci_m = (0.0, 0.0, 0.0)
        self.v_eci_mps = (0.0, 0.0, 0.0)
        self.q_body_eci = (1.0, 0.0, 0.0, 0.0)
        self.gyro_radps = (0.0, 0.0, 0.0)
        self.accel_body_mps2 = (0.0, 0.0, 0.0)
        self.sensed_accel_mps2 = 0.0
        self.imu_valid = False
        self.att_error_deg = None
        self.rcs_mask = 0
        self.baro_alt_m = None
        self.baro_valid = False
        self.g_arm_t_s = None
        self.ignition_t_s = None
        self.cutoff_t_s = None
        self.dv_sensed_mps = 0.0
        self.drogue_t_s = None
        self.main_t_s = None
        self.splash_t_s = None
        self.gps_fix = None
