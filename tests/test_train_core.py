"""The shared training core and the typed model settings (one source of defaults: the schema)."""

from __future__ import annotations

import copy
import dataclasses
import logging
import math

import numpy as np
import pytest
import yaml
from snakemake.utils import validate

from grnflow.errors import InputError
from grnflow.settings import (
    RULE_KEYS,
    SCHEMA,
    GenerSettings,
    MtlgrnSettings,
    as_dict,
    from_config,
    from_schema,
    job_settings,
    schema_defaults,
)
from grnflow.train_core import (
    DECISION,
    Checkpoint,
    EarlyStopping,
    TrainState,
    fingerprint,
    log_epoch,
    report_device,
)

MODELS = {"gener": GenerSettings, "mtlgrn": MtlgrnSettings}


def validated(config: dict) -> dict:
    """`config` after Snakemake's own validation, which fills the schema defaults in."""
    config = copy.deepcopy(config)
    validate(config, str(SCHEMA))
    return config


@pytest.mark.parametrize("section", MODELS)
def test_schema_defaults_are_the_ones_snakemake_fills_in(section):
    config = validated({"datasets": {"d": {"synthetic": {}}}})
    assert schema_defaults(section) == config[section]


@pytest.mark.parametrize("section, cls", MODELS.items())
def test_every_schema_key_is_a_setting_and_nothing_else(section, cls):
    """The settings class and the schema section name the same keys (rule keys aside)."""
    schema = yaml.safe_load(SCHEMA.read_text())
    keys = set(schema["properties"][section]["properties"]) - set(RULE_KEYS)
    assert {f.name for f in dataclasses.fields(cls)} == keys
    for f in dataclasses.fields(cls):  # no default repeated in the package
        assert f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING, f.name


@pytest.mark.parametrize("section, cls", MODELS.items())
def test_settings_from_a_validated_config_section(section, cls):
    config = validated({"datasets": {"d": {"synthetic": {}}}, section: {"epochs": 7}})
    settings = from_config(cls, job_settings(config[section]))
    assert settings.epochs == 7 and settings == from_schema(cls, epochs=7)
    assert from_config(cls, config[section]) == settings  # rule keys (threads) are not settings
    assert "threads" not in job_settings(config[section])
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.epochs = 8


@pytest.mark.parametrize("section, cls", MODELS.items())
def test_unknown_setting_is_rejected_the_same_way_by_both_models(section, cls):
    values = {**schema_defaults(section), "epoch": 3}
    with pytest.raises(InputError, match=rf"^config: {section}\.epoch is not a setting of this model \(known: "):
        from_config(cls, values)
    values = schema_defaults(section)
    del values["batch_size"]
    with pytest.raises(InputError, match=rf"^config: {section}\.batch_size is missing"):
        from_config(cls, values)


def test_nested_mtlgrn_settings():
    s = from_schema(MtlgrnSettings, tasks={"knockout": False}, weights={"link": 2.0})
    assert (s.tasks.link, s.tasks.knockout, s.tasks.reconstruction) == (True, False, True)
    assert (s.weights.link, s.weights.knockout) == (2.0, 1.0)
    assert as_dict(s)["tasks"] == {"link": True, "knockout": False, "reconstruction": True}
    with pytest.raises(InputError, match=r"config: mtlgrn\.tasks\.links is not a setting"):
        from_schema(MtlgrnSettings, tasks={"links": True})


def test_decision_thresholds_are_stated_once():
    assert DECISION["gener"].threshold == 0.5 and DECISION["gener"].scale == "probability"
    assert DECISION["mtlgrn"].threshold == 0.0 and DECISION["mtlgrn"].scale == "logit"


def test_device_line_is_the_same_for_both_frameworks(caplog):
    with caplog.at_level(logging.INFO, logger="grnflow"):
        assert report_device("TensorFlow", [], 2) == "cpu"
        assert report_device("PyTorch", ["NVIDIA H200"], 4) == "cuda"
    assert caplog.messages == [
        "device: cpu (no GPU visible to TensorFlow); 2 threads",
        "device: cuda (NVIDIA H200; 1 GPU(s) visible to PyTorch); 4 threads",
    ]


def test_fingerprint_changes_with_settings_and_data():
    a = np.arange(6, dtype=np.float32)
    base = fingerprint({"x": 1}, a)
    assert base == fingerprint({"x": 1}, a.copy())
    assert base != fingerprint({"x": 2}, a)
    assert base != fingerprint({"x": 1}, a + 1)


def test_early_stopping_higher_is_better_lexicographic():
    stop = EarlyStopping(patience=2, best=[-math.inf, -math.inf])
    assert stop.update(1, [0.7, -1.0])
    assert stop.update(2, [0.7, -0.5])  # same AUROC, lower loss: better
    assert not stop.update(3, [0.6, 0.0]) and not stop.stopped
    assert not stop.update(4, [0.7, -0.5]) and stop.stopped  # a tie is no improvement
    assert (stop.best_epoch, stop.wait) == (2, 2)


def test_train_state_round_trip_and_checkpoint_warnings(tmp_path, caplog):
    state = TrainState(EarlyStopping(3))
    state.stopping.update(1, [-0.5])
    state.epoch, state.history = 1, [{"epoch": 1, "val_loss": 0.5}]
    assert TrainState.from_dict(state.to_dict()) == state
    assert state.best_record() == {"epoch": 1, "val_loss": 0.5}
    with caplog.at_level(logging.INFO, logger="grnflow"):
        log_epoch(state, 4, {"loss": 0.69314, "val_auroc": math.nan}, 1.25)
    assert caplog.messages[-1] == "epoch 1/4: loss 0.6931 val_auroc nan (1.2 s)"

    path = tmp_path / "ckpt" / "state.json"
    checkpoint = Checkpoint(path, "job-1")
    assert checkpoint.load(lambda p: 1 / 0) is None  # no file: nothing to restore, no warning
    checkpoint.save(lambda tmp: tmp.write_text("x"))
    assert path.read_text() == "x" and not list(path.parent.glob(".*.part"))

    def stale(p):
        checkpoint.check("job-2")

    with caplog.at_level(logging.INFO, logger="grnflow"):
        assert checkpoint.load(stale) is None
        assert checkpoint.load(lambda p: 1 / 0) is None
    assert f"ignoring checkpoint {path}: it belongs to other inputs or settings" in caplog.text
    assert f"ignoring unreadable checkpoint {path} (ZeroDivisionError" in caplog.text
