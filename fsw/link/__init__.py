"""Space-ground link protocol core (sans-IO): CCSDS Space Packets, framing,
authenticated commands and telemetry.

Bytes in, events/dicts out; messages in, bytes out. No port, clock or file here:
the flight app, the HAL serial backend, the SIL link and the ground tools drive
these codecs.

Modules
- ``ccsds``: primary/secondary header layouts, APID table, CRC, CUC time, sequence counts.
- ``tc``: TC layout, command-id numbering of ``fsw.commands.DICTIONARY``, CBOR args.
- ``auth``: ``CommandSigner`` (ground) and ``CommandAuthenticator`` (flight), HMAC-SHA-256.
- ``framing``: attached sync marker framing, ``Deframer`` state machine.
- ``receiver``: ``CommandReceiver`` - uplink bytes to accepted/rejected commands.
- ``hk_channels``: the HK channel table (types, units, limits) and value converters.
- ``telemetry``: packet layouts, ``TelemetryEncoder``/``TelemetryDecoder``.
- ``bench``: throughput and link-efficiency figures.
"""
from fsw.link.auth import AuthError, CommandAuthenticator, CommandSigner, build_tc, compute_mac
from fsw.link.ccsds import (APID_ACK, APID_BEACON, APID_COMMAND, APID_EVENT, APID_HK, APID_RECORDER, APIDS,
                            APID_TABLE, ApidDef, PacketHeader, PacketType, SequenceCounter, build_packet,
                            crc16, crc_ok, parse_header, split_packets)
from fsw.link.framing import ASM, Deframer, FrameRejected, PacketReceived, frame
from fsw.link.receiver import CommandAccepted, CommandReceiver, CommandRejected, RejectReason
from fsw.link.tc import COMMAND_IDS, COMMAND_NAMES
from fsw.link.hk_channels import HK_CHANNELS, Channel, Limits
from fsw.link.telemetry import AckStatus, DecodeError, TelemetryDecoder, TelemetryEncoder

__all__ = [
    "AuthError", "CommandAuthenticator", "CommandSigner", "build_tc", "compute_mac",
    "APID_ACK", "APID_BEACON", "APID_COMMAND", "APID_EVENT", "APID_HK", "APID_RECORDER", "APIDS",
    "APID_TABLE", "ApidDef", "PacketHeader", "PacketType", "SequenceCounter", "build_packet", "crc16",
    "crc_ok", "parse_header", "split_packets",
    "ASM", "Deframer", "FrameRejected", "PacketReceived", "frame",
    "CommandAccepted", "CommandReceiver", "CommandRejected", "RejectReason",
    "COMMAND_IDS", "COMMAND_NAMES",
    "HK_CHANNELS", "AckStatus", "Channel", "DecodeError", "Limits", "TelemetryDecoder", "TelemetryEncoder",
]
