"""mlpkit.MLPClassifier / MLPRegressor: scikit-learn's own checks, and the ecosystem around."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits, make_blobs
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator

import mlpkit
from mlpkit import MLPClassifier, MLPRegressor
from mlpkit.errors import InvalidInputError, InvalidParameterError

pytest.importorskip("torch")

# The checks scikit-learn itself skips for these estimators, and why; any other skip fails.
NOT_APPLICABLE = {
    "check_array_api_input",       # needs the array-api-compat package; mlpkit computes in NumPy
    "check_classifiers_multilabel_output_format_decision_function",   # no decision_function,
}                                                                     # as scikit-learn's MLP


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.SkipTestWarning")
@pytest.mark.parametrize("solver", ["lbfgs", "adam", "sgd"])
@pytest.mark.parametrize("engine", ["numpy", "torch"])
@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_check_estimator_passes_at_the_defaults_with_no_accepted_failure(cls, engine, solver):
    """Every check at the default parameters, sample-weight equivalence included: float64 data
    trains in float64, scaling is weighted, check_estimator's small sets are one full batch,
    and a multi-label probability is never exactly 0 or 1. (One torch thread: PyTorch's
    second thread slows these tiny fits 8x; benchmarks/RESULTS.md.)"""
    threads = 1 if engine == "torch" else None
    results = check_estimator(cls(engine=engine, solver=solver, threads=threads),
                              on_fail=None)
    failed = [r["check_name"] for r in results if r["status"] == "failed"]
    skipped = {r["check_name"] for r in results if r["status"] == "skipped"}
    assert failed == []
    assert skipped <= NOT_APPLICABLE, f"checks skipped: {skipped - NOT_APPLICABLE}"
    assert len(results) > 50


def digits():
    X, y = load_digits(return_X_y=True)
    return X, y


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_grid_search_on_digits(engine):
    X, y = digits()
    pipe = make_pipeline(StandardScaler(),
                         MLPClassifier(engine=engine, max_iter=15, random_state=0))
    grid = GridSearchCV(pipe, {"mlpclassifier__hidden_layer_sizes": [(32,), (64,)],
                               "mlpclassifier__learning_rate_init": [1e-3, 1e-2]}, cv=3)
    grid.fit(X, y)
    assert len(grid.cv_results_["mean_test_score"]) == 4
    assert grid.best_score_ >= 0.9
    assert grid.best_estimator_[-1].n_features_in_ == 64


SEPARATE = [[-4, 0], [4, 0], [0, 5]]


def test_cross_val_score_and_clone():
    X, y = make_blobs(300, centers=SEPARATE, random_state=0)
    model = MLPClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.01, max_iter=40,
                          batch_size=32, random_state=0)
    scores = cross_val_score(model, X, y, cv=3)
    assert scores.min() >= 0.9
    copy = clone(model)
    assert copy.get_params() == model.get_params() and not hasattr(copy, "classes_")


@pytest.mark.parametrize("labels", [np.array(["cat", "dog", "eel"]), np.array([3, 7, 11]),
                                    np.array([True, False])])
def test_label_types_are_kept(labels):
    X, y = make_blobs(200, centers=len(labels), random_state=1)
    y_labels = labels[y]
    model = MLPClassifier(max_iter=40, learning_rate_init=0.01, random_state=0).fit(X, y_labels)
    assert model.classes_.tolist() == sorted(labels.tolist())
    assert set(model.predict(X)) <= set(labels.tolist())
    assert model.score(X, y_labels) >= 0.9


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_dataframes_keep_feature_names_and_the_parameters_follow_the_data_dtype(engine):
    X, y = make_blobs(150, centers=2, random_state=2)
    frame = pd.DataFrame(X, columns=["height", "weight"])
    model = MLPClassifier(max_iter=10, random_state=0, engine=engine).fit(frame, y)
    assert model.feature_names_in_.tolist() == ["height", "weight"]
    assert model.predict_proba(frame).dtype == np.float64
    assert all(w.dtype == np.float64 for w in model.coefs_ + model.intercepts_)
    single = MLPClassifier(max_iter=10, random_state=0, engine=engine).fit(
        X.astype(np.float32), y)
    assert all(w.dtype == np.float32 for w in single.coefs_ + single.intercepts_)
    integers = MLPClassifier(max_iter=10, random_state=0, engine=engine).fit(
        np.rint(X * 10).astype(np.int64), y)
    assert integers.coefs_[0].dtype == np.float64              # as scikit-learn


@pytest.mark.parametrize("monitor", ["score", "loss"])
def test_fitted_attributes_and_early_stopping(monitor):
    """Early stopping keeps the epoch of the best validation score (scikit-learn's rule, the
    default) or of the least validation loss (mlpkit's)."""
    X, y = make_blobs(400, centers=2, cluster_std=3.0, random_state=3)
    model = MLPClassifier(max_iter=300, learning_rate_init=0.05, early_stopping=True,
                          n_iter_no_change=5, random_state=0, monitor=monitor).fit(X, y)
    assert model.n_iter_ == len(model.history_) == len(model.loss_curve_) < 300
    assert len(model.validation_loss_curve_) == model.n_iter_ == len(model.validation_scores_)
    best = np.argmax(model.validation_scores_) if monitor == "score" else \
        np.argmin(model.validation_loss_curve_)
    assert model.best_epoch_ == 1 + int(best)
    assert model.n_iter_ == model.best_epoch_ + 6     # scikit-learn's count: patience + 1
    assert set(model.history_[0]) >= {"epoch", "train_loss", "val_loss", "lr", "seconds"}


def test_same_random_state_same_model_across_fits():
    X, y = make_blobs(120, centers=2, random_state=4)
    a = MLPClassifier(max_iter=5, random_state=7).fit(X, y).predict_proba(X)
    b = MLPClassifier(max_iter=5, random_state=7).fit(X, y).predict_proba(X)
    c = MLPClassifier(max_iter=5, random_state=8).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_partial_fit_learns_one_epoch_per_call():
    X, y = make_blobs(300, centers=SEPARATE, random_state=5)
    model = MLPClassifier(learning_rate_init=0.01, batch_size=32, random_state=0)
    with pytest.raises(InvalidInputError):
        model.partial_fit(X, y)
    for _ in range(3):
        model.partial_fit(X, y, classes=[0, 1, 2])
    assert model.n_iter_ == 1 and len(model.loss_curve_) == 3      # as scikit-learn
    assert model.t_ == 3 * len(y)
    before = model.score(X, y)
    for _ in range(20):
        model.partial_fit(X, y)
    assert model.score(X, y) > before - 0.01 and model.score(X, y) >= 0.9
    with pytest.raises(InvalidInputError) as info:
        model.partial_fit(X, np.full(len(y), 9))
    assert str(info.value) == ("y contains labels the model was not fitted on: [9]; the fitted "
                               "classes are [0, 1, 2].")


def test_sample_weight_changes_the_fit():
    X, y = make_blobs(200, centers=2, cluster_std=4.0, random_state=6)
    weights = np.where(y == 1, 10.0, 1.0)
    plain = MLPClassifier(max_iter=30, random_state=0).fit(X, y)
    weighted = MLPClassifier(max_iter=30, random_state=0).fit(X, y, sample_weight=weights)
    assert (weighted.predict(X) == 1).mean() > (plain.predict(X) == 1).mean()


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_save_and_load_use_the_model_files(tmp_path, engine):
    X, y = make_blobs(150, centers=3, random_state=7)
    labels = np.array(["a", "b", "c"])[y]
    model = MLPClassifier(engine=engine, max_iter=20, random_state=0).fit(X, labels)
    model.save(tmp_path / "m")
    assert {p.name for p in (tmp_path / "m").iterdir()} == {"model.safetensors", "model.json",
                                                            "history.csv"}
    again = mlpkit.load(tmp_path / "m")
    np.testing.assert_allclose(again.predict_proba(X), model.predict_proba(X), atol=1e-6)
    assert again.predict(X).tolist() == model.predict(X).tolist()
    regressor = MLPRegressor(engine=engine, max_iter=20, random_state=0).fit(X, y * 1.5)
    regressor.save(tmp_path / "r")
    np.testing.assert_allclose(mlpkit.load(tmp_path / "r").predict(X), regressor.predict(X),
                               atol=1e-5)


def test_regressor_learns():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(500, 2))
    y = np.sin(X[:, 0]) + 0.5 * X[:, 1] ** 2
    model = MLPRegressor(hidden_layer_sizes=(32, 32), learning_rate_init=0.01, max_iter=150,
                         random_state=0).fit(X, y)
    assert model.score(X, y) >= 0.9


def test_training_stops_when_the_loss_converges_unless_tol_is_none():
    X, y = make_blobs(200, centers=SEPARATE, random_state=8)
    converged = MLPClassifier(max_iter=500, learning_rate_init=0.01, batch_size=32, random_state=0,
                              tol=1e-3, n_iter_no_change=5).fit(X, y)
    assert converged.n_iter_ < 500      # scikit-learn's count: more than 5 epochs in a row
    curve = converged.loss_curve_       # without an improvement of tol on the best before
    assert all(curve[i] > min(curve[:i]) - 1e-3 for i in range(len(curve) - 6, len(curve)))
    assert curve[-7] <= min(curve[:-7]) - 1e-3     # ... and the one before them improved
    full = MLPClassifier(max_iter=30, tol=None, random_state=0).fit(X, y)
    assert full.n_iter_ == 30


def test_a_class_too_small_to_hold_out_is_named_by_its_label():
    X = np.arange(18.0).reshape(9, 2)
    with pytest.raises(InvalidInputError, match=r"Classes with too few members are: \['rare'\]"):
        MLPClassifier(early_stopping=True).fit(X, ["common"] * 4 + ["other"] * 4 + ["rare"])


def test_a_binary_class_too_small_to_hold_out_is_named_as_scikit_learn_and_by_its_label():
    X = np.arange(12.0).reshape(6, 2)
    with pytest.raises(InvalidInputError, match=r"are: \['True'\] \(label rare\)"):
        MLPClassifier(early_stopping=True).fit(X, ["common"] * 5 + ["rare"])


def test_a_validation_set_of_one_row_is_refused():
    X = np.arange(8.0).reshape(4, 2)
    with pytest.raises(InvalidInputError, match="The validation set is too small"):
        MLPRegressor(early_stopping=True, validation_fraction=0.25).fit(X, [1.0, 2.0, 3.0, 4.0])


def test_coefs_and_intercepts_are_settable_with_the_fitted_shapes():
    X, y = make_blobs(90, centers=3, random_state=0)
    model = MLPClassifier((6,), max_iter=5, random_state=0).fit(X, y)
    model.coefs_ = [np.zeros_like(w) for w in model.coefs_]
    model.intercepts_ = [np.zeros_like(b) for b in model.intercepts_]
    np.testing.assert_allclose(model.predict_proba(X[:4]), np.full((4, 3), 1 / 3))
    with pytest.raises(InvalidInputError, match="coefs_ must be 2 arrays of the fitted shapes"):
        model.coefs_ = [np.zeros((2, 6))]
    with pytest.raises(InvalidParameterError, match="monitor must be 'score'"):
        MLPClassifier(early_stopping=True, monitor="accuracy").fit(X, y)
