"""Schema of a hardware profile (config/sil.yaml): device error models of the sim backend."""
from __future__ import annotations

from fsw.schema import ListOf, Num, Str, Struct, Vec


def _n(unit, lo=None, hi=None, doc="", **kw):
    return Num(unit, lo, hi, doc=doc, **kw)


HARDWARE = Struct({
    "backend": Str(choices=("sim",), doc="HAL backend of this profile"),
    "imu": Struct({
        "rate_hz": _n("Hz", 1, 2000, "output data rate: white-noise sigma per sample is the noise density times sqrt(rate); "
                      "reads faster than this return the held last sample (the flight app polls at its 50 Hz group)"),
        "gyro_noise_density_dps_rthz": _n("deg/s/sqrt(Hz)", 0, 1, "rate noise density, 1 sigma (angle random walk: "
                                          "ARW in deg/sqrt(h) = 60 x this)"),
        "gyro_bias_dps": Vec(3, "deg/s", -10, 10, doc="constant (turn-on) bias per axis"),
        "gyro_bias_gm_sigma_dph": _n("deg/h", 0, 3600, "bias instability: steady-state sigma of the first-order "
                                     "Gauss-Markov bias (its Allan deviation peaks at 0.62 x this)"),
        "gyro_bias_gm_tau_s": _n("s", 0, 1e6, "bias instability: Gauss-Markov correlation time", min_exclusive=True),
        "gyro_scale_factor_ppm": Vec(3, "ppm", -1e5, 1e5, doc="scale-factor error per axis"),
        "gyro_misalignment_deg": Vec(6, "deg", -5, 5, doc="small-angle sensitivity of each output axis to the other "
                                     "input axes, [xy, xz, yx, yz, zx, zy] (ij: output i, input j)"),
        "gyro_range_dps": _n("deg/s", 10, 5000, "saturation limit"),
        "gyro_lsb_dps": _n("deg/s", 0, 1, "quantisation step (0: none)"),
        "accel_noise_density_mps2_rthz": _n("m/s^2/sqrt(Hz)", 0, 1, "acceleration noise density, 1 sigma (velocity "
                                            "random walk: VRW in m/s/sqrt(h) = 60 x this)"),
        "accel_bias_mps2": Vec(3, "m/s^2", -10, 10, doc="constant (turn-on) bias per axis"),
        "accel_bias_gm_sigma_mps2": _n("m/s^2", 0, 1, "bias instability: steady-state sigma of the first-order "
                                       "Gauss-Markov bias (its Allan deviation peaks at 0.62 x this)"),
        "accel_bias_gm_tau_s": _n("s", 0, 1e6, "bias instability: Gauss-Markov correlation time", min_exclusive=True),
        "accel_scale_factor_ppm": Vec(3, "ppm", -1e5, 1e5, doc="scale-factor error per axis"),
        "accel_misalignment_deg": Vec(6, "deg", -5, 5, doc="small-angle sensitivity of each output axis to the other "
                                      "input axes, [xy, xz, yx, yz, zx, zy] (ij: output i, input j)"),
        "accel_range_mps2": _n("m/s^2", 10, 5000, "saturation limit"),
        "accel_lsb_mps2": _n("m/s^2", 0, 1, "quantisation step (0: none)"),
    }),
    "baro": Struct({
        "noise_pa": _n("Pa", 0, 1000, "white noise, 1 sigma"),
        "bias_pa": ListOf(_n("Pa", -5000, 5000), min_len=1, max_len=4, doc="one constant bias per barometer; the count sets how many"),
        "min_pa": _n("Pa", 0, 1e5, "low end of the measurement range (clamp)"),
        "max_pa": _n("Pa", 1e4, 2e5, "high end of the measurement range (clamp)"),
        "lag_tau_s": _n("s", 0, 10, "first-order pneumatic lag of port, tubing and sensor (0: none)"),
        "supersonic_q_frac": _n("-", -1, 1, "static-port error in supersonic flow as a fraction k of the free-stream "
                                "dynamic pressure: dP = k q (negative: the port reads low, as in the base-pressure "
                                "region of a backshell)"),
        "supersonic_mach_onset": _n("-", 0.5, 5, "Mach number at and below which the port error is zero"),
        "supersonic_mach_full": _n("-", 0.5, 10, "Mach number from which the full error k q applies (linear ramp "
                                   "from the onset; equal to the onset: a step)"),
    }),
    "gps": Struct({
        "max_alt_m": _n("m", 0, 1e7, "no fix above this altitude (COCOM limit 18 km)"),
        "max_speed_mps": _n("m/s", 0, 2e4, "no fix above this speed (COCOM limit 515 m/s)"),
        "ttff_s": _n("s", 0, 1000, "time to (re)acquire a fix once visible"),
        "pos_noise_m": _n("m", 0, 1000, "position noise per axis, 1 sigma"),
        "vel_noise_mps": _n("m/s", 0, 100, "velocity noise per axis, 1 sigma"),
        "blackout_speed_mps": _n("m/s", 0, 1e4, "plasma blackout above this speed ..."),
        "blackout_max_alt_m": _n("m", 0, 1e6, "... and below this altitude"),
        "max_accel_mps2": _n("m/s^2", 1, 1e4, "the tracking loops lose lock while the sensed acceleration is "
                             "above this (high dynamics: chute opening shocks, the entry peak)", default=1e4),
        "cold_start_s": _n("s", 0, 7200, "time to the first fix after power-on once the sky is visible (with the "
                           "station's time and position aiding: a warm start); absent: ttff_s", default=None),
    }),
    "star_tracker": Struct({
        "update_hz": _n("Hz", 0.1, 50, "solution rate; the output is held between solutions"),
        "boresight_body": Vec(3, "-", -1, 1, doc="boresight direction in body axes: one body axis, +-1 (the roll "
                              "sigma applies about it, the cross sigma about the other two)"),
        "cross_sigma_arcsec": _n("arcsec", 0, 3600, "white error about each axis normal to the boresight, 1 sigma"),
        "roll_sigma_arcsec": _n("arcsec", 0, 3600, "white error about the boresight, 1 sigma"),
        "bias_arcsec": Vec(3, "arcsec", -3600, 3600, doc="constant alignment error about each body axis"),
        "max_rate_dps": _n("deg/s", 0.01, 30, "no solution above this body rate (star streaks)"),
        "sun_exclusion_deg": _n("deg", 0, 90, "no solution with the Sun closer than this to the boresight"),
        "earth_exclusion_deg": _n("deg", 0, 90, "no solution with the boresight less than this above the Earth's limb"),
        "min_alt_m": _n("m", 0, 1e6, "no solution below this altitude (entry heating, plasma sheath)"),
        "acquire_s": _n("s", 0, 600, "continuous availability needed before the first solution (lost in space)"),
    }, default=None, doc="absolute attitude reference (absent: none; nav runs on the gyro alone)"),
    "water": Struct({
        "delay_s": _n("s", 0, 60, "the switch reads wet only after the capsule has been in the water this long "
                      "(immersion of the probes, wetting, debounce)"),
    }),
    "pyro_board": Struct({
        "sep_timer_s": _n("s", 10, 900, "hardware separation timer of the pyro/valve board: its hardware arm "
                          "(without which no pyro fires and the motor's valves stay shut) is enabled only this long "
                          "after the separation switch opens. It keeps a software fault at release from firing a "
                          "chute mortar or lighting the motor at the station: at the 0.1 m/s separation push the "
                          "capsule is ~1 m (under two diameters) from its berth after the 10 s minimum and 6 m after "
                          "the 60 s default; the 900 s maximum must run out before the earliest planned ignition "
                          "after release (mission deorbit.ignition_t_s, 1200 s after a release at t = 0)",
                          default=60.0),
        "valve_deadman_s": _n("s", 0.05, 5, "dead-man of the engine arm relay: not refreshed by the flight computer "
                              "for this long, the relay drops and the isolation valve closes. Bounds the burn a stalled "
                              "processor can leave running: 0.2 s at ~5.9 m/s^2 is ~1.2 m/s, ~1 % of the deorbit dv; "
                              "above the 20 ms command cycle with margin for a few late cycles", default=0.2),
    }, default={}),
    "flight_computer": Struct({
        "boot_s": _n("s", 0.1, 120, "time from a processor reset to the first scheduler tick of the new flight "
                     "app (bootloader, kernel, app start); meanwhile the boards hold their hardware defaults "
                     "(engine valve closed, RCS off, pyro relay open). A Linux single-board computer with a "
                     "trimmed image boots in ~2-10 s", default=3.0),
        "watchdog_timeout_s": _n("s", 1.5, 60, "hardware watchdog: no kick for this long resets the processor; "
                                 "above the 1 s kick period of the health task with margin for one missed kick",
                                 default=3.0),
    }, default={}),
    "iridium": Struct({
        "mean_bars": _n("bars", 0, 5, "mean signal strength with a clear antenna"),
        "session_success_prob": _n("-", 0, 1, "probability that an SBD session with signal completes"),
    }),
    # Defaults: the SIL capsule (config/sil.yaml states the sources).
    "power": Struct({
        "battery_wh": _n("Wh", 1, 10000, "usable battery energy at separation", default=120.0),
        "flight_w": _n("W", 0.1, 500, "average load with every board on and the processor running", default=12.0),
        "sleep_w": _n("W", 0.0, 50, "load in recovery mode between beacon wakes (processor suspended, GPS in "
                      "backup, modem off)", default=0.25),
        "awake_w": _n("W", 0.0, 100, "load while awake for one beacon wake (processor, GPS, modem idle)",
                      default=3.0),
        "wake_s": _n("s", 0.0, 600, "time awake per beacon wake (resume, GPS hot fix, signal check)", default=30.0),
        "modem_w": _n("W", 0.0, 20, "modem transmit power over an SBD session, beyond the awake load",
                      default=1.0),
        "session_s": _n("s", 0.0, 600, "duration of one SBD session (AT+SBDIX)", default=20.0),
        "v_full": _n("V", 1, 100, "bus voltage at full charge", default=28.0),
        "v_empty": _n("V", 1, 100, "bus voltage at empty", default=24.0),
    }, default={}),
})
