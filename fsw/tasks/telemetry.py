"""Housekeeping telemetry task (10 Hz group): one HK packet per period.

Requirements
1. Period by phase: ``telemetry.hk_period_dynamic_s`` in DEORBIT_PREP,
   DEORBIT_BURN, ENTRY, DROGUE and MAIN; ``telemetry.hk_period_quiet_s`` otherwise.
2. Values come from the data bus, component counters and the status of the
   power, arm and berthing devices; unknown values go down as NaN.
3. A value that does not fit its channel (a non-finite or out-of-range integer,
   e.g. a bad satellite count or a counter overflow) is saturated to the field's
   range (non-finite integers go down as 0) and counted in ``saturated``, so one
   bad sensor value never costs the whole packet.
"""
from __future__ import annotations

import math

from fsw.flightmath import air_relative_velocity, dot, norm
from fsw.link import HK_CHANNELS
from fsw.phases import Phase
from fsw.pyro import CHANNELS, NV_FIRED

_DYNAMIC = (Phase.DEORBIT_PREP, Phase.DEORBIT_BURN, Phase.ENTRY, Phase.DROGUE, Phase.MAIN)
_NAN = float("nan")
#: Integer HK channels -> (min, max) of their field.
_INT_RANGE = {c.name: (0, (1 << (8 * c.size)) - 1) for c in HK_CHANNELS
              if not c.is_float and c.enum is None and c.bits is None}


class TelemetryTask:
    name = "telemetry"

    def __init__(self, app):
        self.app = app
        self._next_t_s = 0.0
        self.saturated = 0

    def run(self, t_s: float) -> None:
        app = self.app
        p = app.params.v
        if t_s < self._next_t_s - 1e-9:
            app.downlink.pump()
            return
        period = p["telemetry.hk_period_dynamic_s"] if app.phases.phase in _DYNAMIC else p["telemetry.hk_period_quiet_s"]
        self._next_t_s = t_s + period
        app.downlink.hk(self._fit(self.values(t_s)))
        app.downlink.pump()             # a recorder dump uses what the budget leaves after HK

    def _fit(self, values: dict) -> dict:
        """Saturate integer channels into their fields (requirement 3)."""
        for name, (lo, hi) in _INT_RANGE.items():
            v = values.get(name)
            if v is None:
                continue
            if isinstance(v, float) and not math.isfinite(v):
                values[name] = 0
                self.saturated += 1
            elif not lo <= v <= hi:
                values[name] = min(hi, max(lo, int(v)))
                self.saturated += 1
        return values

    def values(self, t_s: float) -> dict:
        """The HK channel values now."""
        app, d = self.app, self.app.data
        hal = app.hal
        st = app.scheduler.stats()
        cmds = app.tasks["commands"]
        pw = hal.power.read()
        fix = d.gps_fix
        speed = vert = _NAN
        if d.nav_valid:
            v = air_relative_velocity(d.r_eci_m, d.v_eci_mps)
            speed = norm(v)
            vert = dot(v, d.r_eci_m) / norm(d.r_eci_m)
        fired = app.hal.nv.get(NV_FIRED) or []
        return {
            "phase": app.phases.phase.value, "phase_time_s": app.phases.time_in_phase_s(),
            "nav_valid": int(d.nav_valid),
            "baro_alt_m": d.baro_alt_m if d.baro_valid else _NAN,
            "sensed_accel_mps2": d.sensed_accel_mps2,
            "att_error_deg": _NAN if d.att_error_deg is None else d.att_error_deg,
            "speed_mps": speed, "vert_speed_mps": vert,
            "rate_x_dps": math.degrees(d.gyro_radps[0]), "rate_y_dps": math.degrees(d.gyro_radps[1]),
            "rate_z_dps": math.degrees(d.gyro_radps[2]),
            "bus_v": pw.bus_v, "battery_soc": pw.battery_soc,
            "overruns": st.overruns, "max_task_ms": st.max_task_ms,
            "cmd_accepted": cmds.accepted, "cmd_rejected": cmds.rejected,
            "cmd_counter": cmds.receiver.last_counter, "link_rejects": cmds.link_rejects,
            "events_emitted": sum(app.events.counts.values()),
            "events_suppressed": sum(app.events.suppressed.values()),
            "gps_fix": int(fix is not None and fix.valid), "gps_sats": fix.n_sats if fix is not None else 0,
            "gps_lat_deg": fix.lat_deg if fix is not None else _NAN,
            "gps_lon_deg": fix.lon_deg if fix is not None else _NAN,
            "gps_alt_m": fix.alt_m if fix is not None else _NAN,
            "arm_mask": int(hal.pyro.armed()) | int(hal.engine.status().armed) << 1 | int(hal.station.attached()) << 2,
            "pyro_fired": sum(1 << i for i, ch in enumerate(CHANNELS) if ch in fired),
            "rcs_mask": d.rcs_mask, "dv_sensed_mps": d.dv_sensed_mps,
            "recorder_records": app.recorder.records, "recorder_dropped": app.recorder.dropped,
            "resets": app.resets, "beacon_messages": app.beacon.sent,
        }
