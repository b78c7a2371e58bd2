"""Link codec throughput and efficiency figures (``run_benchmark``).

Measures, on this machine, with a representative housekeeping sample:

1. encode + frame: ``TelemetryEncoder.hk`` + marker, packets per second;
2. deframe + decode: ``TelemetryDecoder.feed`` on a stream of framed HK packets
   (fed in 4 KiB chunks, as a serial driver would hand them over), packets per second;
3. link efficiency of HK telemetry, two ways:
   - ``efficiency_framed``: HK user-data octets / framed octets (marker + packet),
   - ``efficiency_8n1``: the same with each octet costing 10 bit times on a UART
     at 8N1 (start + 8 data + stop), i.e. ``efficiency_framed * 0.8``; no
     octet-oriented protocol on an 8N1 line exceeds 80 %.
   and the HK packet rate a 115200 baud 8N1 line can carry.

Pure computation on bytes in memory: no port, no file. Figures vary run to run.
"""
from __future__ import annotations

import math
import time

from fsw.link.framing import ASM
from fsw.link.hk_channels import HK_USER_DATA_LEN
from fsw.link.telemetry import HK_PACKET_LEN, TelemetryDecoder, TelemetryEncoder

__all__ = ["SAMPLE_HK", "run_benchmark"]

BAUD = 115200
BITS_PER_OCTET_8N1 = 10

#: A representative housekeeping sample (descent under the main chute).
SAMPLE_HK: dict = {
    "phase": "MAIN", "phase_time_s": 42.5, "nav_valid": True, "baro_alt_m": 1834.2,
    "sensed_accel_mps2": 9.81, "att_error_deg": None, "speed_mps": 7.9, "vert_speed_mps": -7.6,
    "rate_x_dps": 0.4, "rate_y_dps": -1.2, "rate_z_dps": 12.0, "bus_v": 26.9, "battery_soc": 0.73,
    "overruns": 0, "max_task_ms": 1.8, "cmd_accepted": 14, "cmd_rejected": 1, "cmd_counter": 15,
    "link_rejects": 3, "events_emitted": 212, "events_suppressed": 0, "gps_fix": 1, "gps_sats": 9,
    "gps_lat_deg": 28.123456, "gps_lon_deg": -45.654321, "gps_alt_m": 1840.0, "arm_mask": 1,
    "pyro_fired": ["drogue", "main"], "rcs_mask": 0, "dv_sensed_mps": 112.3, "recorder_records": 10542,
    "recorder_dropped": 0, "resets": 0, "beacon_messages": 0,
}


def run_benchmark(n_packets: int = 20000, min_time_s: float = 0.0) -> dict:
    """Time ``n_packets`` HK packets each way (repeat until ``min_time_s``); return the figures."""
    if n_packets < 1:
        raise ValueError(f"n_packets must be >= 1, got {n_packets!r}")
    enc = TelemetryEncoder()
    frame_ = enc.frame
    hk = enc.hk
    values = SAMPLE_HK

    encoded = 0
    frames: list[bytes] = []
    t0 = time.perf_counter()
    while True:
        frames = [frame_(hk(1000.0 + i * 1.0, values)) for i in range(n_packets)]
        encoded += n_packets
        enc_s = time.perf_counter() - t0
        if enc_s >= min_time_s:
            break

    stream = b"".join(frames)
    chunks = [stream[i:i + 4096] for i in range(0, len(stream), 4096)]
    decoded = 0
    t0 = time.perf_counter()
    while True:
        dec = TelemetryDecoder()
        for c in chunks:
            decoded += len(dec.feed(c))
        dec_s = time.perf_counter() - t0
        if dec_s >= min_time_s:
            break
    if dec.errors or dec.deframer.bytes_discarded or decoded % n_packets:
        raise RuntimeError("benchmark stream did not decode cleanly")

    framed = len(ASM) + HK_PACKET_LEN
    eff = HK_USER_DATA_LEN / framed
    return {
        "n_packets": n_packets,
        "encode_pps": encoded / enc_s,
        "decode_pps": decoded / dec_s,
        "encode_us_per_packet": enc_s / encoded * 1e6,
        "decode_us_per_packet": dec_s / decoded * 1e6,
        "hk_user_data_octets": HK_USER_DATA_LEN,
        "hk_framed_octets": framed,
        "efficiency_framed": eff,
        "efficiency_8n1": eff * 8 / BITS_PER_OCTET_8N1,
        "hk_packets_per_s_at_115200_8n1": BAUD / (BITS_PER_OCTET_8N1 * framed),
    }


def format_report(r: dict) -> str:
    """The figures as text."""
    return "\n".join([
        f"HK encode + frame : {r['encode_pps']:>10,.0f} packets/s ({r['encode_us_per_packet']:.1f} us)",
        f"HK deframe+decode : {r['decode_pps']:>10,.0f} packets/s ({r['decode_us_per_packet']:.1f} us)",
        f"HK packet         : {r['hk_user_data_octets']} user-data octets in {r['hk_framed_octets']} framed octets",
        f"efficiency        : {r['efficiency_framed']:.1%} (user data / framed octets), "
        f"{r['efficiency_8n1']:.1%} (per 8N1 bit time)",
        f"115200 baud 8N1   : {math.floor(r['hk_packets_per_s_at_115200_8n1'])} HK packets/s max",
    ])


if __name__ == "__main__":  # python -m fsw.link.bench
    print(format_report(run_benchmark(50000)))
