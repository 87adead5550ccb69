"""Property tests: whatever bytes arrive, only mlpkit's own errors come out."""

import json
import shutil
import string

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlpkit.data import load_dataset
from mlpkit.errors import MlpkitError
from mlpkit.model import TrainedModel

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(st.binary(max_size=600))
def test_random_bytes_as_weights_raise_only_mlpkit_errors(tmp_path, trained_run, data):
    run = tmp_path / "run"
    if not run.exists():
        shutil.copytree(trained_run, run)
    (run / "model.safetensors").write_bytes(data)
    try:
        TrainedModel.load(run)
    except MlpkitError:
        pass


def _json_values():
    scalars = st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=True) | \
        st.text(max_size=5)
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) |
                        st.dictionaries(st.text(max_size=4), inner, max_size=3), max_leaves=8)


@SETTINGS
@given(st.sampled_from(["spec", "task", "class_names", "feature_names", "preprocessing",
                        "engine", "format_version"]), _json_values())
def test_random_model_json_fields_raise_only_mlpkit_errors(tmp_path, trained_run, key, value):
    run = tmp_path / "run"
    if run.exists():
        shutil.rmtree(run)
    shutil.copytree(trained_run, run)
    meta = json.loads((run / "model.json").read_text())
    meta[key] = value
    (run / "model.json").write_text(json.dumps(meta))
    try:
        model = TrainedModel.load(run)
    except MlpkitError:
        return
    # whatever loads must also predict without a foreign exception
    try:
        model.predict_output(np.zeros((2, model.spec.n_inputs), np.float32))
    except MlpkitError:
        pass


cell = st.one_of(st.integers(-3, 3).map(str), st.floats(allow_nan=True).map(str),
                 st.text(string.ascii_letters + ' ",;\n', max_size=4), st.just(""))


@SETTINGS
@given(st.lists(st.lists(cell, min_size=1, max_size=4), min_size=0, max_size=12),
       st.sampled_from([None, "mean", "drop"]))
def test_random_csv_like_text_raises_only_mlpkit_errors(tmp_path, rows, impute):
    text = "\n".join(",".join(row) for row in rows)
    path = tmp_path / "random.csv"
    path.write_text(text)
    try:
        data = load_dataset("csv", path=path, impute=impute)
    except MlpkitError:
        return
    assert np.isfinite(data.X_train).all() and len(data.X_train) > 0
