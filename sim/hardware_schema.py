"""Schema of a hardware profile (config/sil.yaml): device error models of the sim backend."""
from __future__ import annotations

from fsw.schema import ListOf, Num, Str, Struct, Vec


def _n(unit, lo=None, hi=None, doc="", **kw):
    return Num(unit, lo, hi, doc=doc, **kw)


HARDWARE = Struct({
    "backend": Str(choices=("sim",), doc="HAL backend of this profile"),
    "imu": Struct({
        "rate_hz": _n("Hz", 1, 2000, "output data rate (the flight app samples at its 50 Hz group)"),
        "gyro_noise_dps": _n("deg/s", 0, 10, "white noise per sample, 1 sigma"),
        "gyro_bias_dps": Vec(3, "deg/s", -10, 10, doc="constant bias per axis"),
        "gyro_range_dps": _n("deg/s", 10, 5000, "saturation limit"),
        "gyro_lsb_dps": _n("deg/s", 0, 1, "quantisation step (0: none)"),
        "accel_noise_mps2": _n("m/s^2", 0, 10, "white noise per sample, 1 sigma"),
        "accel_bias_mps2": Vec(3, "m/s^2", -10, 10, doc="constant bias per axis"),
        "accel_range_mps2": _n("m/s^2", 10, 5000, "saturation limit"),
        "accel_lsb_mps2": _n("m/s^2", 0, 1, "quantisation step (0: none)"),
    }),
    "baro": Struct({
        "noise_pa": _n("Pa", 0, 1000, "white noise, 1 sigma"),
        "bias_pa": ListOf(_n("Pa", -5000, 5000), min_len=1, max_len=4, doc="one constant bias per barometer; the count sets how many"),
        "min_pa": _n("Pa", 0, 1e5, "low end of the measurement range (clamp)"),
        "max_pa": _n("Pa", 1e4, 2e5, "high end of the measurement range (clamp)"),
    }),
    "gps": Struct({
        "max_alt_m": _n("m", 0, 1e7, "no fix above this altitude (COCOM limit 18 km)"),
        "max_speed_mps": _n("m/s", 0, 1e4, "no fix above this speed (COCOM limit 515 m/s)"),
        "ttff_s": _n("s", 0, 1000, "time to (re)acquire a fix once visible"),
        "pos_noise_m": _n("m", 0, 1000, "position noise per axis, 1 sigma"),
        "vel_noise_mps": _n("m/s", 0, 100, "velocity noise per axis, 1 sigma"),
        "blackout_speed_mps": _n("m/s", 0, 1e4, "plasma blackout above this speed ..."),
        "blackout_max_alt_m": _n("m", 0, 1e6, "... and below this altitude"),
    }),
    "iridium": Struct({
        "mean_bars": _n("bars", 0, 5, "mean signal strength with a clear antenna"),
        "session_success_prob": _n("-", 0, 1, "probability that an SBD session with signal completes"),
    }),
})
