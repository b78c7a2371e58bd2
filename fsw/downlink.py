"""Downlink: telemetry, events and command acknowledgements to the ground.

Requirements
1. Every packet is a CCSDS TM space packet (fsw.link), framed with the attached
   sync marker and written to the HAL link byte stream.
2. The link budget: at most ``telemetry.budget_fraction`` of the line rate
   (``telemetry.link_rate_bps``, 8N1 = 10 bits per octet) is used, enforced by
   a token bucket of one second's budget. Events and acknowledgements go first
   (they may borrow up to one second ahead); housekeeping is sent only when the
   bucket holds its size, otherwise it is dropped and counted - an event storm
   can never starve the link, since the EventLog throttles storms upstream.
3. Nothing here raises into the scheduler: an encoding error is counted.
4. A recorder dump (DUMP_RECORDER) goes down incrementally as recorder packets,
   ``pump`` sending what the budget allows at each telemetry-task run, so a
   dump never crowds out events and acknowledgements.
"""
from __future__ import annotations

from fsw.link import TelemetryEncoder

#: Bits on the line per octet with 8N1 framing.
BITS_PER_OCTET = 10
#: Largest framed packet, octets (4-octet marker + the codec's 4096-octet packet limit).
MAX_FRAME_OCTETS = 4 + 4096


class Downlink:
    def __init__(self, hal, clock, params):
        self.hal, self.clock, self.p = hal, clock, params.v
        self.enc = TelemetryEncoder()
        self._tokens = 0.0
        self._t_last: float | None = None
        self.sent_packets = 0
        self.sent_octets = 0
        self.dropped_hk = 0
        self.dropped_priority = 0
        self.errors = 0
        self._dump = None           # iterator of (number, record) of a dump in progress
        self._dump_pending = None   # a record that did not fit the budget yet
        self._dump_done = None      # callback(count) at the end of a dump
        self.dump_sent = 0

    def _budget_octets_per_s(self) -> float:
        return self.p["telemetry.link_rate_bps"] / BITS_PER_OCTET * self.p["telemetry.budget_fraction"]

    def _refill(self) -> float:
        """Top up the bucket; its capacity is one second of budget, and never less than
        one largest frame (so a slow link still carries every packet kind)."""
        t = self.clock.now_s()
        rate = self._budget_octets_per_s()
        cap = max(rate, MAX_FRAME_OCTETS)
        if self._t_last is None:
            self._tokens = cap
        else:
            self._tokens = min(cap, self._tokens + rate * (t - self._t_last))
        self._t_last = t
        return cap

    def _write(self, packet: bytes, priority: bool, count_drop: bool = True) -> bool:
        rate = self._refill()
        framed = self.enc.frame(packet)
        n = len(framed)
        if not priority and self._tokens < n:
            self.dropped_hk += count_drop
            return False
        if priority and self._tokens - n < -rate:
            self.dropped_priority += 1    # even priority traffic cannot borrow more than one bucket
            return False
        self._tokens -= n
        self.hal.link.write(framed)
        self.sent_packets += 1
        self.sent_octets += n
        return True

    def hk(self, values: dict) -> bool:
        try:
            return self._write(self.enc.hk(self.clock.now_s(), values), priority=False)
        except ValueError:
            self.errors += 1
            return False

    def event(self, event) -> None:
        try:
            self._write(self.enc.event(event.t_s, event), priority=True)
        except ValueError:
            self.errors += 1

    def ack(self, command, counter, status: str, reason: str = "") -> None:
        try:
            self._write(self.enc.ack(self.clock.now_s(), command, counter, status, reason), priority=True)
        except ValueError:
            self.errors += 1

    def recorder(self, record: dict, count_drop: bool = True) -> bool:
        try:
            return self._write(self.enc.recorder(self.clock.now_s(), record), priority=False, count_drop=count_drop)
        except ValueError:
            self.errors += 1
            return False

    def start_dump(self, records, on_done) -> bool:
        """Begin downlinking ``records`` ((number, record) pairs); False if one is running."""
        if self._dump is not None:
            return False
        self._dump, self._dump_pending, self._dump_done, self.dump_sent = iter(records), None, on_done, 0
        return True

    def pump(self) -> None:
        """Send dump records while the budget allows (telemetry task, 10 Hz)."""
        if self._dump is None:
            return
        while True:
            item = self._dump_pending if self._dump_pending is not None else next(self._dump, None)
            if item is None:
                done, n = self._dump_done, self.dump_sent
                self._dump = self._dump_pending = self._dump_done = None
                done(n)
                return
            number, record = item
            try:
                packet = self.enc.recorder(self.clock.now_s(), {"n": number, "record": record})
            except ValueError:
                self.errors += 1                # too large or not encodable: skipped, counted
                self._dump_pending = None
                continue
            if not self._write(packet, priority=False, count_drop=False):
                self._dump_pending = item       # not lost: sent when the budget allows
                return
            self._dump_pending = None
            self.dump_sent += 1
