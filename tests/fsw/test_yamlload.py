"""Tests for fsw.yamlload: strict YAML loading, extends, merge and load_config."""

import os

import pytest

from fsw.schema import Bool, ConfigError, ListOf, Num, OneOf, Str, Struct
from fsw.yamlload import load_config, load_with_extends, load_yaml, merge


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def error_of(fn, *args):
    """The ConfigError raised by fn(*args), checked to be one line."""
    with pytest.raises(ConfigError) as info:
        fn(*args)
    assert "\n" not in str(info.value) and "\r" not in str(info.value)
    return info.value


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """Run in tmp_path so relative paths can be used as a user would."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


# -- load_yaml -----------------------------------------------------------------
def test_load_yaml_reads_mapping(tmp_path):
    f = write(tmp_path / "a.yaml", "a: 1\nb: [x, y]\nc: {d: 2.5}\n")
    assert load_yaml(f) == {"a": 1, "b": ["x", "y"], "c": {"d": 2.5}}
    assert load_yaml(str(f)) == load_yaml(f)


def test_load_yaml_empty_file_is_empty_mapping(tmp_path):
    assert load_yaml(write(tmp_path / "e.yaml", "")) == {}
    assert load_yaml(write(tmp_path / "c.yaml", "# only a comment\n")) == {}


def test_missing_file(in_tmp):
    assert str(error_of(load_yaml, "missing.yaml")) == "missing.yaml: file not found"


def test_directory_is_a_clear_error(in_tmp):
    (in_tmp / "confdir").mkdir()
    assert str(error_of(load_yaml, "confdir")) == "confdir: is a directory, expected a YAML file"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can read anything")
def test_unreadable_file(in_tmp):
    f = write(in_tmp / "secret.yaml", "a: 1\n")
    f.chmod(0)
    try:
        assert str(error_of(load_yaml, "secret.yaml")) == "secret.yaml: permission denied"
    finally:
        f.chmod(0o644)


def test_non_utf8_file(in_tmp):
    (in_tmp / "bin.yaml").write_bytes(b"a: \xff\xfe\n")
    assert "bin.yaml: not UTF-8 text" in str(error_of(load_yaml, "bin.yaml"))


def test_yaml_syntax_error_gives_line_on_one_line(in_tmp):
    write(in_tmp / "bad.yaml", "a: 1\nb: 2\nc: d: e\n")
    err = error_of(load_yaml, "bad.yaml")
    assert str(err) == "bad.yaml: line 3: invalid YAML: mapping values are not allowed here"
    assert err.source == "bad.yaml" and err.path == ""


@pytest.mark.parametrize("text, line", [
    ("a: [1, 2\nb: 3\n", 2),
    ("a:\n\tb: 1\n", 2),
    ("a: 1\n---\nb: 2\n", 2),
    ("a: 'unterminated\n", 2),
])
def test_various_syntax_errors_have_line_numbers(in_tmp, text, line):
    write(in_tmp / "bad.yaml", text)
    assert str(error_of(load_yaml, "bad.yaml")).startswith(f"bad.yaml: line {line}: invalid YAML: ")


def test_second_document_message_is_readable(in_tmp):
    write(in_tmp / "two.yaml", "a: 1\n---\nb: 2\n")
    assert "expected a single document" in str(error_of(load_yaml, "two.yaml"))


def test_python_tags_are_rejected(in_tmp):
    write(in_tmp / "evil.yaml", "a: !!python/object/apply:os.system ['true']\n")
    assert str(error_of(load_yaml, "evil.yaml")).startswith("evil.yaml: line 1: invalid YAML: ")


def test_duplicate_key_detected(in_tmp):
    write(in_tmp / "dup.yaml", "a: 1\nb:\n  c: 1\n  c: 2\n")
    assert str(error_of(load_yaml, "dup.yaml")) == "dup.yaml: line 4: duplicate key 'c'"


def test_duplicate_top_level_key_detected(in_tmp):
    write(in_tmp / "dup.yaml", "mass: 1\nchute: {}\nmass: 2\n")
    assert str(error_of(load_yaml, "dup.yaml")) == "dup.yaml: line 3: duplicate key 'mass'"


def test_merge_key_override_is_not_a_duplicate(tmp_path):
    f = write(tmp_path / "m.yaml", "base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  x: 3\n")
    assert load_yaml(f)["d"] == {"x": 3, "y": 2}


def test_booleans_are_yaml_1_2(tmp_path):
    f = write(tmp_path / "b.yaml", "a: true\nb: False\nc: yes\nd: off\ne: NO\n")
    assert load_yaml(f) == {"a": True, "b": False, "c": "yes", "d": "off", "e": "NO"}


def test_exponent_floats_without_dot(tmp_path):
    f = write(tmp_path / "f.yaml", "a: 1e-3\nb: 2E6\nc: -1.5e+2\nd: 3\ne: .inf\nf: 1_000\n")
    got = load_yaml(f)
    assert got == {"a": 0.001, "b": 2e6, "c": -150.0, "d": 3, "e": float("inf"), "f": 1000}
    assert isinstance(got["d"], int) and isinstance(got["b"], float)


def test_plain_safe_load_is_unchanged(tmp_path):
    import yaml
    assert yaml.safe_load("a: yes") == {"a": True}


# -- merge ---------------------------------------------------------------------
def test_merge_semantics():
    base = {"a": {"x": 1, "y": {"p": 1, "q": 2}}, "l": [1, 2], "s": 1, "keep": 0}
    over = {"a": {"y": {"q": 3}, "z": 4}, "l": [9], "s": "two", "new": None}
    assert merge(base, over) == {
        "a": {"x": 1, "y": {"p": 1, "q": 3}, "z": 4}, "l": [9], "s": "two", "keep": 0, "new": None}


def test_merge_does_not_modify_inputs():
    base = {"a": {"x": [1]}}
    over = {"a": {"y": [2]}}
    out = merge(base, over)
    out["a"]["x"].append(5)
    out["a"]["y"].append(5)
    assert base == {"a": {"x": [1]}} and over == {"a": {"y": [2]}}


def test_merge_mapping_replaces_scalar_and_vice_versa():
    assert merge({"a": 1}, {"a": {"b": 1}}) == {"a": {"b": 1}}
    assert merge({"a": {"b": 1}}, {"a": 2}) == {"a": 2}


def test_merge_needs_mappings():
    with pytest.raises(TypeError):
        merge([1], {})


# -- load_with_extends ---------------------------------------------------------
def test_extends_merges_mapping_replaces_list_and_scalar(tmp_path):
    write(tmp_path / "base.yaml", "mass: {entry_kg: 10, dry_kg: 8}\nlist: [1, 2, 3]\nname: base\n")
    child = write(tmp_path / "child.yaml",
                  "extends: base.yaml\nmass: {entry_kg: 12}\nlist: [4]\nname: child\n")
    assert load_with_extends(child) == {
        "mass": {"entry_kg": 12, "dry_kg": 8}, "list": [4], "name": "child"}


def test_extends_two_levels_nested(tmp_path):
    write(tmp_path / "a.yaml", "chute: {drogue: {cd: 0.5, diameter_m: 1}, main: {cd: 0.8}}\nx: 1\n")
    write(tmp_path / "b.yaml", "extends: a.yaml\nchute: {drogue: {cd: 0.6}}\ny: 2\n")
    c = write(tmp_path / "c.yaml", "extends: b.yaml\nchute: {drogue: {diameter_m: 2}}\n")
    assert load_with_extends(c) == {
        "chute": {"drogue": {"cd": 0.6, "diameter_m": 2}, "main": {"cd": 0.8}}, "x": 1, "y": 2}


def test_extends_path_is_relative_to_including_file(in_tmp):
    write(in_tmp / "config" / "vehicle.yaml", "mass: 1\nshared: base\n")
    write(in_tmp / "scenarios" / "sub" / "s.yaml", "extends: ../../config/vehicle.yaml\nmass: 2\n")
    assert load_with_extends("scenarios/sub/s.yaml") == {"mass": 2, "shared": "base"}
    write(in_tmp / "config" / "profiles" / "p.yaml", "extends: ../vehicle.yaml\n")
    assert load_with_extends(in_tmp / "config" / "profiles" / "p.yaml") == {"mass": 1, "shared": "base"}


def test_extends_key_is_removed_and_custom_key(tmp_path):
    write(tmp_path / "base.yaml", "a: 1\n")
    f = write(tmp_path / "c.yaml", "inherit: base.yaml\nb: 2\n")
    assert load_with_extends(f, key="inherit") == {"a": 1, "b": 2}
    assert load_with_extends(tmp_path / "base.yaml") == {"a": 1}


def test_extends_cycle_detected(in_tmp):
    write(in_tmp / "a.yaml", "extends: b.yaml\n")
    write(in_tmp / "b.yaml", "extends: a.yaml\n")
    err = error_of(load_with_extends, "a.yaml")
    assert str(err) == "b.yaml: extends: cycle: a.yaml -> b.yaml -> a.yaml"


def test_extends_self_cycle(in_tmp):
    write(in_tmp / "self.yaml", "extends: ./self.yaml\n")
    assert "cycle: self.yaml -> self.yaml" in str(error_of(load_with_extends, "self.yaml"))


def test_extends_missing_base_names_the_base(in_tmp):
    write(in_tmp / "scen" / "s.yaml", "extends: ../config/nope.yaml\n")
    err = error_of(load_with_extends, "scen/s.yaml")
    assert str(err) == "scen/s.yaml: extends: base file not found: config/nope.yaml"


def test_error_inside_base_names_the_base(in_tmp):
    write(in_tmp / "config" / "base.yaml", "a: 1\na: 2\n")
    write(in_tmp / "child.yaml", "extends: config/base.yaml\n")
    err = error_of(load_with_extends, "child.yaml")
    assert str(err) == "config/base.yaml: line 2: duplicate key 'a'"


def test_extends_value_must_be_a_path(in_tmp):
    write(in_tmp / "c.yaml", "extends: [a.yaml]\n")
    assert str(error_of(load_with_extends, "c.yaml")) == "c.yaml: extends: expected a file path, got ['a.yaml']"


def test_top_level_must_be_a_mapping(in_tmp):
    write(in_tmp / "l.yaml", "- 1\n- 2\n")
    assert str(error_of(load_with_extends, "l.yaml")) == "l.yaml: expected a mapping at top level, got [1, 2]"
    write(in_tmp / "base.yaml", "just text\n")
    write(in_tmp / "c.yaml", "extends: base.yaml\n")
    assert str(error_of(load_with_extends, "c.yaml")).startswith("base.yaml: expected a mapping")


# -- load_config ---------------------------------------------------------------
VEHICLE = Struct({
    "mass": Struct({"entry_kg": Num("kg", min=0, min_exclusive=True)}),
    "chute": Struct({"drogue": Struct({
        "diameter_m": Num("m", min=0.1, max=5), "cd": Num("", min=0, default=0.8)})}),
    "armed": Bool(default=False),
    "faults": ListOf(OneOf("kind", {
        "stuck": Struct({"target": Str(choices=["imu.accel", "imu.gyro"])}),
        "dropout": Struct({"target": Str(choices=["imu.accel", "imu.gyro"]),
                           "duration_s": Num("s", min=0)}),
    }), default=[]),
})

GOOD = "mass: {entry_kg: 12}\nchute: {drogue: {diameter_m: 1.2}}\n"


def test_load_config_validates_and_normalises(in_tmp):
    write(in_tmp / "config" / "vehicle.yaml", GOOD)
    assert load_config("config/vehicle.yaml", VEHICLE) == {
        "mass": {"entry_kg": 12.0}, "chute": {"drogue": {"diameter_m": 1.2, "cd": 0.8}},
        "armed": False, "faults": []}


def test_load_config_error_names_file_as_given(in_tmp):
    write(in_tmp / "config" / "vehicle.yaml", "mass: {entry_kg: -3}\nchute: {drogue: {diameter_m: 1}}\n")
    err = error_of(load_config, "config/vehicle.yaml", VEHICLE)
    assert str(err) == "config/vehicle.yaml: mass.entry_kg: expected a number > 0 (kg), got -3"
    assert err.source == "config/vehicle.yaml"


def test_load_config_list_path_and_unknown_key(in_tmp):
    write(in_tmp / "scenarios" / "bad.yaml", GOOD + "faults:\n  - {kind: stuck, target: imu.gyro}\n"
          "  - {kind: stuck, target: imu.acel}\n")
    err = error_of(load_config, "scenarios/bad.yaml", VEHICLE)
    assert str(err).startswith(
        "scenarios/bad.yaml: faults[1].target: expected one of imu.accel, imu.gyro, got 'imu.acel'")
    write(in_tmp / "scenarios" / "bad2.yaml", "mass: {entry_kg: 1}\nchute: {drogue: {diamter_m: 1}}\n")
    err = error_of(load_config, "scenarios/bad2.yaml", VEHICLE)
    assert str(err).startswith("scenarios/bad2.yaml: chute.drogue: unknown key 'diamter_m' "
                               "(expected one of: diameter_m, cd)")


def test_load_config_bool_is_not_a_number(in_tmp):
    write(in_tmp / "v.yaml", "mass: {entry_kg: true}\nchute: {drogue: {diameter_m: 1}}\n")
    assert "v.yaml: mass.entry_kg: expected a number > 0 (kg), got true" == str(
        error_of(load_config, "v.yaml", VEHICLE))


def test_load_config_with_extends(in_tmp):
    write(in_tmp / "config" / "vehicle.yaml", GOOD)
    write(in_tmp / "scenarios" / "s.yaml", "extends: ../config/vehicle.yaml\n"
          "chute: {drogue: {cd: 1.1}}\narmed: true\n")
    got = load_config("scenarios/s.yaml", VEHICLE)
    assert got["chute"]["drogue"] == {"diameter_m": 1.2, "cd": 1.1}
    assert got["armed"] is True and got["mass"] == {"entry_kg": 12.0}


def test_load_config_missing_file(in_tmp):
    assert str(error_of(load_config, "missing.yaml", VEHICLE)) == "missing.yaml: file not found"


def test_load_config_missing_required_at_top(in_tmp):
    write(in_tmp / "empty.yaml", "")
    assert str(error_of(load_config, "empty.yaml", VEHICLE)) == "empty.yaml: missing required key 'mass'"


def test_scenario_vehicle_override_with_merge(in_tmp):
    write(in_tmp / "config" / "vehicle.yaml", GOOD)
    write(in_tmp / "scenarios" / "bad.yaml", "vehicle:\n  chute:\n    drogue: {diameter_m: 9}\n")
    scenario = load_yaml("scenarios/bad.yaml")
    merged = merge(load_with_extends("config/vehicle.yaml"), scenario["vehicle"])
    with pytest.raises(ConfigError) as info:
        VEHICLE.validate(merged, "vehicle")
    err = info.value.with_source("scenarios/bad.yaml")
    assert str(err) == ("scenarios/bad.yaml: vehicle.chute.drogue.diameter_m: "
                        "expected a number in [0.1, 5] (m), got 9")
