"""Telemetry task: HK values from the components' own telemetry() and device status; period by phase; saturation."""
from __future__ import annotations

import math

import pytest

from fakes import Rig
from fsw.boot import BootRecord
from fsw.phases import Phase
from fsw.records import GpsRecord, NavRecord
from hal.devices import GpsFix


class Component:
    """Any flight component: it publishes its own HK channels."""

    def __init__(self, **values):
        self.values = values

    def telemetry(self):
        return dict(self.values)


def hk(rig):
    return [p["data"] for p in rig.dev.link.downlinked() if p["kind"] == "hk"]


def test_hk_values_come_from_the_components_telemetry():
    rig = Rig(Phase.SEPARATED, t0_s=100.0)
    comps = [Component(dv_sensed_mps=42.5, beacon_messages=7), Component(monitor_responses=3, cmd_accepted=11)]
    tm = rig.build("telemetry", components=lambda: comps)
    rig.run(tm, n=1)
    (h,) = hk(rig)
    assert h["dv_sensed_mps"] == pytest.approx(42.5) and h["beacon_messages"] == 7
    assert h["monitor_responses"] == 3 and h["cmd_accepted"] == 11
    assert h["phase"] == "SEPARATED"
    comps[0].values["dv_sensed_mps"] = 50.0           # read anew every packet
    rig.run(tm, 1.0)
    assert hk(rig)[-1]["dv_sensed_mps"] == pytest.approx(50.0)


def test_real_components_fill_their_channels():
    rig = Rig(Phase.COAST, t0_s=2000.0)
    rig.store.put("deorbit", {"go": False, "plan_t_s": 1200.0, "ignition_t_s": 1200.0, "dv_sensed_mps": 104.9,
                              "burn_s": 17.8, "cutoff_t_s": 1217.8, "result": "nominal", "ignitions": 1})
    nav = rig.build("nav")
    assert nav.initialise((6778137.0, 0.0, 0.0), (0.0, 7668.0, 0.0), (1.0, 0.0, 0.0, 0.0)) is None
    for name in ("attitude", "deorbit", "baro", "monitors", "beacon", "commands"):
        rig.build(name)
    tm = rig.build("telemetry")                        # components: every task built, as fsw.app wires it
    rig.dev.set_baro_alt(None)
    rig.run(nav, n=1)
    rig.run(tm, n=1)
    h = hk(rig)[-1]
    assert h["dv_sensed_mps"] == pytest.approx(104.9)
    assert h["nav_valid"] == 1 and h["speed_mps"] > 7000.0
    assert math.isnan(h["baro_alt_m"])
    assert h["beacon_messages"] == 0 and h["cmd_accepted"] == 0 and h["monitor_responses"] == 0


def test_device_status_and_store_in_hk():
    rig = Rig(Phase.LANDED, t0_s=9000.0)
    rig.dev.pyro.relay = True
    rig.dev.power.soc, rig.dev.power.bus_v = 0.42, 27.5
    rig.store.put("pyro.fired", ["drogue", "main", "main_release"])
    tm = rig.build("telemetry", boot=BootRecord("processor_reset", "watchdog", 1, 2, False))
    rig.run(tm, n=1)
    h = hk(rig)[-1]
    assert h["arm_mask"] == 0b001 and h["pyro_fired"] == 0b0111 and h["resets"] == 2
    assert h["battery_soc"] == pytest.approx(0.42, abs=1e-4) and h["bus_v"] == pytest.approx(27.5)   # 12 W for a tick


@pytest.mark.parametrize("phase, expected", [(Phase.SEPARATED, 5), (Phase.ENTRY, 25), (Phase.DEORBIT_BURN, 25)])
def test_hk_period_by_phase(phase, expected):
    rig = Rig(phase, t0_s=100.0)
    tm = rig.build("telemetry")
    rig.run(tm, 5.0)
    assert len(hk(rig)) == expected


def test_out_of_range_value_is_saturated_not_lost():
    rig = Rig(Phase.SEPARATED, t0_s=100.0)
    tm = rig.build("telemetry", components=lambda: [Component(cmd_rejected=-3)])
    rig.publish(GpsRecord(rig.now, True, GpsFix(rig.now, True, 1.0, 2.0, 3.0, n_sats=300)))
    rig.run(tm, n=1)
    h = hk(rig)[-1]
    assert h["gps_sats"] == 255 and h["cmd_rejected"] == 0 and tm.saturated == 2
    assert h["gps_lat_deg"] == pytest.approx(1.0)


def test_unknown_values_go_down_as_nan():
    rig = Rig(Phase.SEPARATED, t0_s=100.0)
    tm = rig.build("telemetry")
    rig.publish(NavRecord(rig.now, False))
    rig.run(tm, n=1)
    h = hk(rig)[-1]
    assert math.isnan(h["speed_mps"]) and math.isnan(h["gps_lat_deg"]) and h["gps_fix"] == 0
