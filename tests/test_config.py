from __future__ import annotations

import dataclasses

import pytest

from cleaner.config import Config, ConfigError


def test_defaults_are_documented_and_frozen() -> None:
    cfg = Config()
    assert cfg.mode == "balanced" and cfg.garble_threshold == 0.5
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.mode = "recall"  # type: ignore[misc]


def test_replace_validates() -> None:
    cfg = Config().replace(mode="precision", garble=False)
    assert cfg.mode == "precision" and cfg.garble is False
    with pytest.raises(ConfigError, match="mode must be one of"):
        Config().replace(mode="aggressive")
    with pytest.raises(ConfigError, match="unknown config key"):
        Config().replace(grable=False)
    with pytest.raises(ConfigError, match="garble_threshold"):
        Config(garble_threshold=1.5)


def test_from_toml_top_level_and_table(tmp_path) -> None:
    a = tmp_path / "a.toml"
    a.write_text('mode = "recall"\ngarble_threshold = 0.7\n')
    assert Config.from_toml(a).mode == "recall"
    b = tmp_path / "b.toml"
    b.write_text("[cleaner]\nboilerplate = false\n")
    assert Config.from_toml(b).boilerplate is False


def test_from_toml_errors_are_clear(tmp_path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("mode = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        Config.from_toml(bad)
    typed = tmp_path / "typed.toml"
    typed.write_text('garble = "yes"\n')
    with pytest.raises(ConfigError, match="true or false"):
        Config.from_toml(typed)
    with pytest.raises(ConfigError, match="cannot read"):
        Config.from_toml(tmp_path / "missing.toml")
