"""Tests for fsw.schema: leaf checks, containers, messages, describe and lookup."""

import math
import pickle

import pytest

from fsw.schema import (
    REQUIRED, Any_, Bool, ConfigError, Custom, ListOf, MapOf, Num, OneOf, Str,
    Struct, Vec, describe,
)


def error_of(schema, value, path=""):
    """The ConfigError raised by validating `value`, checked to be one line."""
    with pytest.raises(ConfigError) as info:
        schema.validate(value, path)
    text = str(info.value)
    assert "\n" not in text and "\r" not in text
    return info.value


# -- ConfigError -------------------------------------------------------------
def test_config_error_str_joins_non_empty_parts():
    assert str(ConfigError("a.yaml", "x.y", "bad")) == "a.yaml: x.y: bad"
    assert str(ConfigError("", "x.y", "bad")) == "x.y: bad"
    assert str(ConfigError("a.yaml", "", "file not found")) == "a.yaml: file not found"


def test_config_error_with_source_copies():
    err = ConfigError("", "mass.entry_kg", "bad")
    named = err.with_source("config/vehicle.yaml")
    assert str(named) == "config/vehicle.yaml: mass.entry_kg: bad"
    assert err.source == "" and named.path == "mass.entry_kg" and named.problem == "bad"


def test_config_error_is_value_error_single_line_and_picklable():
    err = ConfigError("f.yaml", "a", "two\nlines")
    assert isinstance(err, ValueError)
    assert str(err) == "f.yaml: a: two lines"
    assert str(pickle.loads(pickle.dumps(err))) == str(err)


# -- Num ---------------------------------------------------------------------
def test_num_accepts_int_and_float_returns_float():
    n = Num("m", min=0.1, max=5)
    assert n.validate(1) == 1.0 and isinstance(n.validate(1), float)
    assert n.validate(0.1) == 0.1 and n.validate(5) == 5.0


def test_num_range_message_names_path_range_and_unit():
    err = error_of(Num("m", min=0.1, max=5), "abc", "chute.drogue.diameter_m")
    assert str(err) == "chute.drogue.diameter_m: expected a number in [0.1, 5] (m), got 'abc'"
    assert err.path == "chute.drogue.diameter_m"
    assert "in [0.1, 5] (m)" in str(error_of(Num("m", min=0.1, max=5), 7))


def test_num_exclusive_limits():
    n = Num("kg", min=0, min_exclusive=True)
    assert str(error_of(n, -3, "mass.entry_kg")) == "mass.entry_kg: expected a number > 0 (kg), got -3"
    assert "> 0" in str(error_of(n, 0))
    both = Num("s", min=0, max=1, min_exclusive=True, max_exclusive=True)
    assert "in (0, 1) (s)" in str(error_of(both, 1))
    assert both.validate(0.5) == 0.5
    assert "< 10" in str(error_of(Num("s", max=10, max_exclusive=True), 10))
    assert "<= 10" in str(error_of(Num("s", max=10), 10.5))


@pytest.mark.parametrize("bad", [True, False, "3", None, [1], {"a": 1}])
def test_num_rejects_non_numbers_including_bool(bad):
    assert "expected a number" in str(error_of(Num("m"), bad, "x"))


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_num_rejects_nan_and_inf(bad):
    assert "expected a number" in str(error_of(Num("m"), bad, "x"))


def test_num_integer():
    n = Num("count", min=1, integer=True)
    assert n.validate(3) == 3 and isinstance(n.validate(3), int)
    assert str(error_of(n, 2.5, "n")) == "n: expected an integer >= 1 (count), got 2.5"
    assert "expected an integer" in str(error_of(n, 2.0))
    assert "expected an integer" in str(error_of(n, 0))
    assert "expected an integer" in str(error_of(n, True))


def test_num_dimensionless_has_no_unit_text():
    assert str(error_of(Num("", min=0), -1, "cd")) == "cd: expected a number >= 0, got -1"


# -- Bool, Str ---------------------------------------------------------------
def test_bool_only_true_false():
    assert Bool().validate(True) is True and Bool().validate(False) is False
    for bad in (0, 1, "true", "yes", None):
        assert "expected true or false" in str(error_of(Bool(), bad, "armed"))


def test_str_plain_choices_and_pattern():
    assert Str().validate("x") == "x"
    assert "expected a string, got 3" in str(error_of(Str(), 3, "name"))
    s = Str(choices=["imu.accel", "imu.gyro", "baro"])
    assert s.validate("baro") == "baro"
    err = error_of(s, "imu.acel", "faults[1].target")
    assert str(err).startswith(
        "faults[1].target: expected one of imu.accel, imu.gyro, baro, got 'imu.acel'")
    assert "did you mean 'imu.accel'" in str(err)
    p = Str(pattern=r"[a-z]+_\d+")
    assert p.validate("abc_1") == "abc_1"
    assert "matching" in str(error_of(p, "abc_1x"))


# -- Vec, Any_, Custom ---------------------------------------------------------
def test_vec_returns_tuple_of_floats():
    assert Vec(3, "m/s").validate([1, 2.5, 3]) == (1.0, 2.5, 3.0)
    assert Vec(2, "m").validate((1, 2)) == (1.0, 2.0)


def test_vec_wrong_length_or_type():
    assert "expected a list of 3 numbers (m/s), got [1, 2]" in str(error_of(Vec(3, "m/s"), [1, 2], "v"))
    assert "expected a list of 3 numbers" in str(error_of(Vec(3, "m/s"), 3.0, "v"))


def test_vec_element_error_has_index_and_range():
    err = error_of(Vec(3, "deg", min=-90, max=90), [0, 91, 0], "att")
    assert str(err) == "att[1]: expected a number in [-90, 90] (deg), got 91"
    assert "att[2]:" in str(error_of(Vec(3, "m"), [0, 1, True], "att"))


def test_any_passes_everything():
    assert Any_().validate({"x": [1]}) == {"x": [1]}


def test_custom_leaf_turns_value_error_into_config_error():
    def even(v):
        if not isinstance(v, int) or v % 2:
            raise ValueError("not even")
        return v // 2
    c = Custom(even, "an even integer")
    assert c.validate(4) == 2
    assert str(error_of(c, 3, "a.b")) == "a.b: expected an even integer, got 3 (not even)"


def test_custom_leaf_keeps_nested_config_error_path():
    def inner(v):
        raise ConfigError("", "sub", "nope")
    assert str(error_of(Custom(inner, "x"), 1, "a")) == "a.sub: nope"


# -- Struct ------------------------------------------------------------------
DROGUE = Struct({
    "diameter_m": Num("m", min=0.1, max=5, doc="canopy diameter"),
    "cd": Num("", min=0, max=3, default=0.8, doc="drag coefficient"),
    "reefed": Bool(default=False),
})


def test_struct_fills_defaults():
    assert DROGUE.validate({"diameter_m": 1}) == {"diameter_m": 1.0, "cd": 0.8, "reefed": False}


def test_struct_unknown_key_lists_allowed_keys():
    err = error_of(DROGUE, {"diamter_m": 1}, "vehicle.chute.drogue")
    text = str(err)
    assert text.startswith(
        "vehicle.chute.drogue: unknown key 'diamter_m' (expected one of: diameter_m, cd, reefed)")
    assert "did you mean 'diameter_m'" in text


def test_struct_missing_required_key():
    assert str(error_of(DROGUE, {"cd": 1}, "drogue")) == "drogue: missing required key 'diameter_m'"


def test_struct_not_a_mapping():
    assert "expected a mapping, got [1]" in str(error_of(DROGUE, [1], "drogue"))
    assert str(error_of(DROGUE, [1])) == "expected a mapping, got [1]"


def test_struct_nested_path():
    s = Struct({"chute": Struct({"drogue": DROGUE})})
    err = error_of(s, {"chute": {"drogue": {"diameter_m": 9}}})
    assert err.path == "chute.drogue.diameter_m"
    assert "in [0.1, 5] (m), got 9" in err.problem


def test_struct_with_default_may_be_omitted():
    opts = Struct({"a": Num("s", default=1), "b": Bool(default=True)}, default={})
    outer = Struct({"opts": opts})
    assert outer.validate({}) == {"opts": {"a": 1.0, "b": True}}
    assert outer.validate({"opts": {"b": False}}) == {"opts": {"a": 1.0, "b": False}}


def test_defaults_are_fresh_copies():
    outer = Struct({"xs": ListOf(Num("m"), default=[1])})
    first = outer.validate({})
    first["xs"].append(2)
    assert outer.validate({}) == {"xs": [1.0]}


def test_bad_default_fails_when_schema_is_built():
    with pytest.raises(ValueError, match="invalid default"):
        Num("kg", min=0, default=-1)
    with pytest.raises(ValueError, match="missing required key 'a'"):
        Struct({"a": Num("m")}, default={})


def test_none_default_makes_field_optional_and_nullable():
    s = Struct({"limit": Num("m", default=None)})
    assert s.validate({}) == {"limit": None}
    assert s.validate({"limit": None}) == {"limit": None}
    assert s.validate({"limit": 2}) == {"limit": 2.0}
    assert "got null" in str(error_of(Struct({"limit": Num("m", default=1)}), {"limit": None}))


def test_required_flag():
    assert Num("m").required and Num("m").default is REQUIRED
    assert not Num("m", default=0).required


# -- ListOf, MapOf -----------------------------------------------------------
FAULT = Struct({"target": Str(choices=["imu.accel", "imu.gyro"]), "at_s": Num("s", min=0)})


def test_list_of_structs_paths_are_indexed():
    faults = Struct({"faults": ListOf(FAULT)})
    good = {"target": "imu.gyro", "at_s": 1}
    assert faults.validate({"faults": [good]}) == {"faults": [{"target": "imu.gyro", "at_s": 1.0}]}
    err = error_of(faults, {"faults": [good, {"target": "imu.acel", "at_s": 1}]})
    assert err.path == "faults[1].target"
    assert str(err).startswith("faults[1].target: expected one of imu.accel, imu.gyro, got 'imu.acel'")


def test_list_length_limits_and_type():
    lst = ListOf(Num("m"), min_len=1, max_len=2)
    assert "at least" not in str(error_of(lst, [], "xs"))
    assert "expected a list of 1 to 2 items, got 0" in str(error_of(lst, [], "xs"))
    assert "got 3" in str(error_of(lst, [1, 2, 3], "xs"))
    assert "expected a list of at least 1 items" in str(error_of(ListOf(Num("m"), min_len=1), []))
    assert "expected a list, got 'x'" in str(error_of(lst, "x", "xs"))
    assert "xs[1]: expected a number (m)" in str(error_of(lst, [1, "a"], "xs"))


def test_map_of_validates_keys_and_values():
    m = MapOf(Str(pattern=r"[a-z_]+"), Num("", min=0))
    assert m.validate({"kp": 1, "ki": 0}) == {"kp": 1.0, "ki": 0.0}
    assert str(error_of(m, {"kp": -1}, "gains")) == "gains.kp: expected a number >= 0, got -1"
    assert "gains: bad key 'Kp': expected a string matching" in str(error_of(m, {"Kp": 1}, "gains"))
    assert "bad key 3: expected a string" in str(error_of(m, {3: 1}, "gains"))


def test_map_of_odd_keys_are_quoted_in_path():
    m = MapOf(Str(), Num("s"))
    assert error_of(m, {"imu.accel": "x"}, "delays").path == "delays['imu.accel']"


# -- OneOf -------------------------------------------------------------------
TRIGGER = OneOf("kind", {
    "separation": Struct({"delay_s": Num("s", min=0, default=0)}),
    "attached": Struct({}),
    "entry_interface": Struct({"altitude_m": Num("m", min=0), "delay_s": Num("s", min=0)}),
}, doc="what starts the sequence")


def test_one_of_picks_variant_and_fills_defaults():
    assert TRIGGER.validate({"kind": "separation"}) == {"kind": "separation", "delay_s": 0.0}
    assert TRIGGER.validate({"kind": "attached"}) == {"kind": "attached"}
    got = TRIGGER.validate({"kind": "entry_interface", "altitude_m": 120000, "delay_s": 2})
    assert got == {"kind": "entry_interface", "altitude_m": 120000.0, "delay_s": 2.0}


def test_one_of_bad_tag_lists_variants():
    err = error_of(TRIGGER, {"kind": "seperation"}, "trigger")
    assert str(err).startswith(
        "trigger.kind: expected one of separation, attached, entry_interface, got 'seperation'")
    missing = error_of(TRIGGER, {"delay_s": 1}, "trigger")
    assert "trigger: missing required key 'kind'" in str(missing)
    assert "separation, attached, entry_interface" in str(missing)


def test_one_of_variant_errors_use_variant_fields():
    err = error_of(TRIGGER, {"kind": "attached", "delay_s": 1}, "trigger")
    assert "unknown key 'delay_s' (expected one of: kind)" in str(err)
    err = error_of(TRIGGER, {"kind": "entry_interface", "delay_s": 1}, "trigger")
    assert str(err) == "trigger: missing required key 'altitude_m'"


def test_one_of_in_list():
    faults = ListOf(OneOf("kind", {
        "stuck": Struct({"target": Str(choices=["imu.accel", "imu.gyro"])}),
        "bias": Struct({"target": Str(choices=["imu.accel"]), "value": Num("m/s^2")}),
    }))
    err = error_of(faults, [{"kind": "stuck", "target": "imu.gyro"}, {"kind": "bias"}], "faults")
    assert str(err) == "faults[1]: missing required key 'target'"


def test_one_of_rejects_non_struct_variant():
    with pytest.raises(TypeError):
        OneOf("kind", {"a": Num("m")})


# -- describe ----------------------------------------------------------------
VEHICLE = Struct({
    "mass": Struct({"entry_kg": Num("kg", min=0, min_exclusive=True, doc="mass at entry")}),
    "chute": Struct({"drogue": DROGUE}),
    "trigger": TRIGGER,
    "faults": ListOf(FAULT, default=[]),
    "gains": MapOf(Str(), Num("", min=0), default={}),
    "imu_offset": Vec(3, "m", min=-1, max=1, default=[0, 0, 0], doc="IMU position"),
    "waypoints": ListOf(Num("m", min=0), default=[], doc="altitudes"),
    "name": Str(default="capsule"),
})


def test_describe_lists_every_leaf_with_units():
    rows = describe(VEHICLE)
    by_path = {}
    for row in rows:
        assert set(row) == {"path", "type", "unit", "min", "max", "default", "required", "doc"}
        by_path.setdefault(row["path"], row)
    assert by_path["mass.entry_kg"] == {
        "path": "mass.entry_kg", "type": "number", "unit": "kg", "min": 0, "max": None,
        "default": None, "required": True, "doc": "mass at entry"}
    assert by_path["chute.drogue.cd"]["unit"] == "-"
    assert by_path["chute.drogue.cd"]["default"] == 0.8
    assert by_path["chute.drogue.reefed"]["type"] == "bool"
    assert by_path["faults[].target"]["type"] == "one of: imu.accel, imu.gyro"
    assert by_path["faults[].at_s"]["unit"] == "s"
    assert by_path["gains"]["type"] == "map of number"
    assert by_path["imu_offset"]["unit"] == "m" and by_path["imu_offset"]["max"] == 1
    assert by_path["imu_offset"]["default"] == (0.0, 0.0, 0.0)
    assert by_path["waypoints"]["type"] == "list of number"
    assert by_path["waypoints"]["min"] == 0 and by_path["waypoints"]["doc"] == "altitudes"
    assert by_path["name"]["unit"] == ""
    assert set(by_path) == {
        "mass.entry_kg", "chute.drogue.diameter_m", "chute.drogue.cd", "chute.drogue.reefed",
        "trigger.kind", "trigger.delay_s", "trigger.altitude_m", "faults[].target",
        "faults[].at_s", "gains", "imu_offset", "waypoints", "name"}


def test_describe_one_of_rows_name_their_variant():
    rows = [r for r in describe(VEHICLE) if r["path"].startswith("trigger.")]
    kind = rows[0]
    assert kind["path"] == "trigger.kind"
    assert kind["type"] == "one of: separation, attached, entry_interface"
    assert kind["doc"] == "what starts the sequence"
    docs = [r["doc"] for r in rows if r["path"] == "trigger.delay_s"]
    assert docs == ["[kind=separation]", "[kind=entry_interface]"]


def test_describe_map_of_structs_and_prefix():
    s = MapOf(Str(), Struct({"gain": Num("-", doc="g")}))
    assert [r["path"] for r in describe(s, "loops")] == ["loops.*.gain"]


def test_every_numeric_leaf_has_a_unit():
    for row in describe(VEHICLE):
        if row["type"] in ("number", "integer") or row["type"].startswith("vector"):
            assert row["unit"]


# -- lookup ------------------------------------------------------------------
def test_lookup_finds_leaves():
    assert VEHICLE.lookup("chute.drogue.cd") is DROGUE.fields["cd"]
    assert VEHICLE.lookup("faults[1].target") is FAULT.fields["target"]
    assert VEHICLE.lookup("faults[].at_s").unit == "s"
    assert VEHICLE.lookup("gains.kp").min == 0
    assert VEHICLE.lookup("gains['imu.accel']").min == 0
    assert VEHICLE.lookup("imu_offset[2]").max == 1
    assert VEHICLE.lookup("chute.drogue") is DROGUE


def test_lookup_result_validates_with_same_limits():
    leaf = VEHICLE.lookup("chute.drogue.diameter_m")
    assert leaf.validate(2, "chute.drogue.diameter_m") == 2.0
    assert "in [0.1, 5] (m)" in str(error_of(leaf, 6, "chute.drogue.diameter_m"))


def test_lookup_through_one_of():
    assert VEHICLE.lookup("trigger.altitude_m").unit == "m"
    assert VEHICLE.lookup("trigger.kind").choices == ("separation", "attached", "entry_interface")
    assert VEHICLE.lookup("trigger.separation.delay_s").default == 0.0
    with pytest.raises(ConfigError, match="differs between variants"):
        VEHICLE.lookup("trigger.delay_s")


@pytest.mark.parametrize("path, where, what", [
    ("chute.drogue.cx", "chute.drogue.cx", "unknown field 'cx' (expected one of: diameter_m, cd, reefed)"),
    ("nope", "nope", "unknown field 'nope'"),
    ("chute.drogue.cd.x", "chute.drogue.cd.x", "no such field 'x'"),
    ("imu_offset[3]", "imu_offset[3]", "index out of range"),
    ("faults.target", "faults.target", "not a mapping"),
    ("chute[0]", "chute[0]", "not a list"),
    ("trigger.zzz", "trigger.zzz", "unknown field 'zzz'"),
    ("a..b", "a..b", "malformed field path"),
])
def test_lookup_unknown_path_errors(path, where, what):
    with pytest.raises(ConfigError) as info:
        VEHICLE.lookup(path)
    assert info.value.path == where
    assert what in info.value.problem
    assert "\n" not in str(info.value)


def test_every_describe_path_except_ambiguous_can_be_looked_up():
    for row in describe(VEHICLE):
        if row["path"] != "trigger.delay_s":
            VEHICLE.lookup(row["path"])


# -- whole-tree normalisation ------------------------------------------------
def test_validate_is_idempotent_on_normalised_output():
    raw = {
        "mass": {"entry_kg": 12},
        "chute": {"drogue": {"diameter_m": 1}},
        "trigger": {"kind": "separation"},
        "faults": [{"target": "imu.accel", "at_s": 3}],
        "imu_offset": [0, 0.1, 0],
    }
    once = VEHICLE.validate(raw)
    assert once["imu_offset"] == (0.0, 0.1, 0.0)
    assert once["waypoints"] == [] and once["gains"] == {} and once["name"] == "capsule"
    assert VEHICLE.validate(once) == once
