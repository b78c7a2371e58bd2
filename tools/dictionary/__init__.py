"""The command / telemetry / event dictionary, built from the flight code, and its exporters.

One in-memory model (``build()`` -> ``Dictionary``) is assembled from the code
that flies, never from a second hand-kept table; exporters turn it into text
(``render(d, fmt)``, ``fmt`` in ``FORMATS``).

Modules
- ``model``: the model's types (``Field``, ``Packet``, ``Arg``, ``Command``,
  ``EventName``, ``Dictionary``), ``SCHEMA`` and ``TARGET``.
- ``packets``: the packet layouts, read from the ``fsw.link`` codec.
- ``commands``: the commands and their documented arguments (``fsw.commands``).
- ``events``: the event names the flight code emits and the EVENT packet's keys.
- ``builder``: ``build()``, the model from all of the above plus the parameters.
- ``jsonfmt``: ``json``, the model with keys in a fixed order (``to_dict``, ``to_json``).
- ``xtce``: ``xtce``, an XTCE 1.2 document (``to_xtce``).
- ``cosmos``: ``cosmos``, OpenC3 COSMOS 5/6 ``cmd_tlm`` definitions (``to_cosmos``, ``cosmos_text``).
- ``formats``: ``FORMATS`` and ``render``.

The CLI glue is ``tools.cmd_dict``.
"""
from tools.dictionary import cosmos as _cosmos
from tools.dictionary import xtce as _xtce
from tools.dictionary.builder import build
from tools.dictionary.cosmos import to_cosmos
from tools.dictionary.formats import FORMATS, render
from tools.dictionary.jsonfmt import to_dict, to_json
from tools.dictionary.model import SCHEMA, TARGET, Arg, Command, Dictionary, EventName, Field, Packet
from tools.dictionary.xtce import XTCE_NS, to_xtce

__all__ = ["SCHEMA", "TARGET", "XTCE_NS", "FORMATS", "Field", "Packet", "Arg", "Command", "EventName",
           "Dictionary", "build", "to_dict", "to_json", "to_xtce", "to_cosmos", "render"]

# Also importable from the package as before (and, as before, not in __all__).
XTCE_XSD_URL, _TC_CONTAINER = _xtce.XTCE_XSD_URL, _xtce._TC_CONTAINER
cosmos_limits, cosmos_text = _cosmos.cosmos_limits, _cosmos.cosmos_text
