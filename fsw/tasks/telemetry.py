"""Housekeeping telemetry task (10 Hz group): one HK packet per period.

Requirements
1. Period by phase: ``telemetry.hk_period_dynamic_s`` in DEORBIT_PREP,
   DEORBIT_BURN, ENTRY, DROGUE and MAIN; ``telemetry.hk_period_quiet_s`` otherwise.
2. Values come from the bus records, each component's own ``telemetry()``
   (its HK channels) and the status of the power, arm and berthing devices;
   unknown values go down as NaN. No component's internals are read here.
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
from fsw.pyro import CHANNELS, STORE_FIRED
from fsw.records import GpsRecord, ImuRecord, NavRecord

_DYNAMIC = (Phase.DEORBIT_PREP, Phase.DEORBIT_BURN, Phase.ENTRY, Phase.DROGUE, Phase.MAIN)
_NAN = float("nan")
#: Integer HK channels -> (min, max) of their field.
_INT_RANGE = {c.name: (0, (1 << (8 * c.size)) - 1) for c in HK_CHANNELS
              if not c.is_float and c.enum is None and c.bits is None}


class TelemetryTask:
    name = "telemetry"
    PARAMS = ("telemetry.hk_period_dynamic_s", "telemetry.hk_period_quiet_s")

    def __init__(self, ctx, period_s: float, *, downlink, components, recorder, scheduler_stats, boot):
        """``components()``: the flight components whose ``telemetry()`` dicts fill the HK channels."""
        self.ctx, self.downlink, self.components = ctx, downlink, components
        self.recorder, self.stats, self.boot = recorder, scheduler_stats, boot
        self._next_t_s = 0.0
        self.saturated = 0

    def run(self, t_s: float) -> None:
        p = self.ctx.params.v
        if t_s < self._next_t_s - 1e-9:
            self.downlink.pump()
            return
        period = p["telemetry.hk_period_dynamic_s"] if self.ctx.phases.phase in _DYNAMIC else p["telemetry.hk_period_quiet_s"]
        self._next_t_s = t_s + period
        self.downlink.hk(self._fit(self.values(t_s)))
        self.downlink.pump()             # a recorder dump uses what the budget leaves after HK

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
        """The HK channel values now: the components' own telemetry plus device status."""
        ctx = self.ctx
        hal, bus = ctx.hal, ctx.bus
        st = self.stats()
        pw = hal.power.read()
        fix = bus.latest(GpsRecord).fix
        nav = bus.latest(NavRecord)
        speed = vert = _NAN
        if nav.valid:
            v = air_relative_velocity(nav.r_eci_m, nav.v_eci_mps)
            speed = norm(v)
            vert = dot(v, nav.r_eci_m) / norm(nav.r_eci_m)
        imu = bus.latest(ImuRecord)
        fired = ctx.store.get(STORE_FIRED) or []
        out = {
            "phase": ctx.phases.phase.value, "phase_time_s": ctx.phases.time_in_phase_s(),
            "sensed_accel_mps2": imu.sensed_accel_mps2,
            "speed_mps": speed, "vert_speed_mps": vert,
            "rate_x_dps": math.degrees(imu.gyro_radps[0]), "rate_y_dps": math.degrees(imu.gyro_radps[1]),
            "rate_z_dps": math.degrees(imu.gyro_radps[2]),
            "bus_v": pw.bus_v, "battery_soc": pw.battery_soc,
            "overruns": st.overruns, "max_task_ms": st.max_task_ms,
            "events_emitted": sum(ctx.events.counts.values()),
            "events_suppressed": sum(ctx.events.suppressed.values()),
            "gps_fix": int(fix is not None and fix.valid), "gps_sats": fix.n_sats if fix is not None else 0,
            "gps_lat_deg": fix.lat_deg if fix is not None else _NAN,
            "gps_lon_deg": fix.lon_deg if fix is not None else _NAN,
            "gps_alt_m": fix.alt_m if fix is not None else _NAN,
            "arm_mask": int(hal.pyro.armed()) | int(hal.engine.status().armed) << 1 | int(hal.station.attached()) << 2,
            "pyro_fired": sum(1 << i for i, ch in enumerate(CHANNELS) if ch in fired),
            "recorder_records": self.recorder.records, "recorder_dropped": self.recorder.dropped,
            "resets": self.boot.processor_resets,
        }
        for comp in self.components():
            out.update(comp.telemetry())
        return out
