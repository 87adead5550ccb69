"""mlpkit's estimators as drop-ins for scikit-learn's MLPs: same parameters and behaviour,
L-BFGS in both engines, multi-label / multi-output / sparse / float64, checked against
finite differences, scikit-learn and each other."""

import pickle
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy import sparse
from scipy.optimize import approx_fprime
from sklearn.datasets import load_breast_cancer, make_blobs, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning
from sklearn.model_selection import GridSearchCV

from mlpkit import MLPClassifier, MLPRegressor

pytest.importorskip("torch")
ENGINES = ["numpy", "torch"]
ROOT = Path(__file__).resolve().parents[1]


def blobs(n=300, seed=0):
    return make_blobs(n, centers=[[-3, 0], [3, 0], [0, 4]], cluster_std=1.5, random_state=seed)


# ---- the example: a scikit-learn script, run on both libraries
def test_a_scikit_learn_script_runs_unchanged_and_scores_as_well():
    def run(*flag):
        out = subprocess.run([sys.executable, str(ROOT / "examples" / "sklearn_drop_in.py"),
                              *flag], capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        return out.stdout

    ours, theirs = run(), run("--sklearn")
    for solver in ("adam", "sgd", "lbfgs"):
        pattern = rf"digits {solver}: test accuracy ([\d.]+)"
        assert float(re.search(pattern, ours).group(1)) >= \
            float(re.search(pattern, theirs).group(1)) - 0.01
    same_lines = ("coefs_ shapes", "n_layers_", "predict_log_proba", "warm_start",
                  "pickled copy agrees: True", "sparse and dense fits agree: True",
                  "predict shape (400, 4)", "predict shape (1347, 2)")
    def shape(text: str) -> str:        # a line with its numbers left out: scores differ
        return re.sub(r"-?\d+(\.\d+)?(e-?\d+)?", "#", text)

    ours_lines = ours.splitlines()
    for text in same_lines:
        line = next(line for line in theirs.splitlines() if text in line)
        scored = any(word in line for word in ("score", "accuracy", "R^2"))
        assert line in ours_lines or scored and shape(line) in map(shape, ours_lines), line


# ---- L-BFGS
def test_the_full_batch_objective_has_the_gradient_finite_differences_give():
    """The engines' loss + alpha/2 ||W||^2 / sum(w) and its gradient, float64, weighted."""
    from mlpkit.config import MLPSpec, TrainConfig
    from mlpkit.engines import make_stepper

    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3))
    weights = rng.uniform(0.5, 2.0, size=30)
    targets = {"classification": rng.integers(0, 3, 30),
               "regression": rng.normal(size=(30, 2)),
               "multilabel": rng.integers(0, 2, size=(30, 3)).astype(np.float64)}
    for task, y in targets.items():
        n_out = 3 if task != "regression" else 2
        for engine in ENGINES:
            stepper = make_stepper(engine, MLPSpec(3, n_out, (4,), "tanh"), task,
                                   TrainConfig(optimizer="lbfgs", alpha=0.3, seed=1),
                                   dtype=np.float64)
            stepper.bind(X, y, weights)
            vector = stepper.parameter_vector()
            _, gradient = stepper.objective(vector)
            numeric = approx_fprime(vector, lambda v, s=stepper: s.objective(v)[0], 1e-7)
            np.testing.assert_allclose(gradient, numeric, rtol=1e-4, atol=1e-6,
                                       err_msg=f"{task} {engine}")


def test_alpha_means_what_it_means_in_scikit_learn():
    """The penalty is alpha/2 * sum of squared weights (not biases) / number of rows."""
    from mlpkit.config import MLPSpec, TrainConfig
    from mlpkit.engines import make_stepper

    X, y = blobs(50)
    for engine in ENGINES:
        losses = {}
        for alpha in (0.0, 2.0):
            stepper = make_stepper(engine, MLPSpec(2, 3, (5,)), "classification",
                                   TrainConfig(optimizer="lbfgs", alpha=alpha, seed=3),
                                   dtype=np.float64)
            stepper.bind(X, y, None)
            losses[alpha] = stepper.objective(stepper.parameter_vector())[0]
        squares = sum(float(np.square(v).sum()) for k, v in stepper.state_dict().items()
                      if k.endswith("weight"))
        assert losses[2.0] - losses[0.0] == pytest.approx(2.0 / 2 * squares / 50, rel=1e-10)


def test_lbfgs_reaches_the_same_solution_in_both_engines_and_scores_like_scikit_learn():
    from sklearn.neural_network import MLPClassifier as SkClassifier

    X, y = load_breast_cancer(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)     # (raw, its features span 1e-3 to 4e3, and
    fits = [MLPClassifier((16,), solver="lbfgs", max_iter=200, random_state=0,  # the engines'
                          engine=engine).fit(X, y) for engine in ENGINES]       # rounding grows)
    for a, b in zip(fits[0].coefs_ + fits[0].intercepts_, fits[1].coefs_ + fits[1].intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    assert fits[0].n_iter_ == fits[1].n_iter_
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs = SkClassifier((16,), solver="lbfgs", max_iter=200, random_state=0).fit(X, y)
    assert fits[0].score(X, y) >= theirs.score(X, y) - 0.01


def test_lbfgs_warns_when_it_stops_at_max_iter_and_has_no_partial_fit():
    X, y = blobs()
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge after 3 iterations"):
        model = MLPClassifier(solver="lbfgs", max_iter=3, random_state=0).fit(X, y)
    assert model.n_iter_ == 3 and not hasattr(model, "partial_fit")


# ---- behaviour scikit-learn users rely on
@pytest.mark.parametrize("engine", ENGINES)
def test_a_hundred_partial_fits_are_a_hundred_epochs_of_fit(engine):
    X, y = blobs(240)
    params = dict(hidden_layer_sizes=(8,), batch_size=50, shuffle=False, random_state=0,
                  engine=engine, solver="sgd", learning_rate="invscaling",
                  learning_rate_init=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted = MLPClassifier(max_iter=100, n_iter_no_change=1000, **params).fit(X, y)
    online = MLPClassifier(**params)
    for _ in range(100):
        online.partial_fit(X, y, classes=[0, 1, 2])
    assert online.loss_curve_ == fitted.loss_curve_ and online.t_ == fitted.t_ == 100 * 240
    for a, b in zip(online.coefs_, fitted.coefs_):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("schedule", ["cosine", "step"])
def test_partial_fit_plans_a_schedule_over_max_iter_calls_and_keeps_learning(schedule):
    X, y = blobs(240)
    params = dict(hidden_layer_sizes=(8,), batch_size=50, shuffle=False, random_state=0,
                  solver="adam", learning_rate=schedule, learning_rate_init=0.01, max_iter=30)
    online = MLPClassifier(**params)
    for _ in range(10):
        online.partial_fit(X, y, classes=[0, 1, 2])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted = MLPClassifier(n_iter_no_change=1000, **params).fit(X, y)
    # ten calls of a thirty-call plan are the first ten epochs of a thirty-epoch fit
    np.testing.assert_allclose(online.loss_curve_, fitted.loss_curve_[:10], rtol=1e-6)
    assert online.loss_curve_[-1] < online.loss_curve_[1] - 1e-3


def test_invscaling_and_adaptive_follow_scikit_learns_rules():
    X, y = blobs()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = MLPClassifier(solver="sgd", learning_rate="invscaling", power_t=0.5,
                              learning_rate_init=0.2, max_iter=4, random_state=0).fit(X, y)
    rates = [r["lr"] for r in model.history_]
    assert rates == pytest.approx([0.2] + [0.2 / (k * 300 + 1) ** 0.5 for k in (1, 2, 3)])
    from sklearn.neural_network import MLPClassifier as SkClassifier

    params = dict(solver="sgd", learning_rate="adaptive", learning_rate_init=0.5,
                  n_iter_no_change=2, tol=10.0, random_state=0)  # tol=10: nothing improves
    adaptive = MLPClassifier(**params, max_iter=12).fit(X, y)
    rates = [r["lr"] for r in adaptive.history_]     # the rate each epoch trained with
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs = [SkClassifier(**params, max_iter=k).fit(X, y)._optimizer.learning_rate
                  for k in range(1, 9)]              # scikit-learn's after k epochs
    assert rates[1:9] == pytest.approx(theirs)
    assert rates[:5] == pytest.approx([0.5, 0.5, 0.5, 0.5, 0.1])   # count > n_iter_no_change
    with pytest.warns(ConvergenceWarning):          # adam ignores sgd's schedules, as sklearn
        ignored = MLPClassifier(learning_rate="invscaling", max_iter=3, random_state=0).fit(X, y)
    assert {r["lr"] for r in ignored.history_} == {0.001}


def test_warm_start_continues_and_refuses_new_classes():
    X, y = blobs()
    model = MLPClassifier((16,), max_iter=5, warm_start=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
        first = model.coefs_[0].copy()
        model.fit(X, y)
    assert len(model.loss_curve_) == 10 and model.n_iter_ == 5 and model.t_ == 10 * 300
    assert model.loss_curve_[5] < model.loss_curve_[0]
    assert not np.array_equal(first, model.coefs_[0])
    with pytest.raises(ValueError, match="warm_start can only be used where `y` has the same"):
        model.fit(X, np.where(y == 2, 7, y))


def test_verbose_prints_one_line_per_iteration_and_max_iter_warns(capsys):
    X, y = blobs()
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(3\) reached"):
        MLPClassifier(max_iter=3, verbose=True, random_state=0).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(",")[0] for line in lines] == ["Iteration 1", "Iteration 2",
                                                      "Iteration 3"]
    assert re.fullmatch(r"Iteration 1, loss = \d+\.\d{8}", lines[0])
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)      # converged: no warning
        MLPClassifier(max_iter=500, learning_rate_init=0.05, random_state=0).fit(X, y)


@pytest.mark.parametrize("engine", ENGINES)
def test_learned_attributes_are_scikit_learns_layout(engine):
    X, y = blobs()
    model = MLPClassifier((7, 5), activation="logistic", early_stopping=True, max_iter=300,
                          random_state=0, engine=engine).fit(X, y)
    assert [w.shape for w in model.coefs_] == [(2, 7), (7, 5), (5, 3)]
    assert [b.shape for b in model.intercepts_] == [(7,), (5,), (3,)]
    assert (model.n_layers_, model.n_outputs_, model.out_activation_) == (4, 3, "softmax")
    assert len(model.validation_scores_) == model.n_iter_ == len(model.loss_curve_)
    assert model.best_validation_score_ == max(model.validation_scores_)
    assert model.best_loss_ is None and model.loss_ == model.loss_curve_[-1]
    # the attributes are the network: a forward pass by hand gives predict_proba (raw
    # features: the drop-in scales nothing unless scale=True, as scikit-learn)
    assert model.model_.scaler is None
    a = X
    for W, b in zip(model.coefs_[:-1], model.intercepts_[:-1]):
        a = 1 / (1 + np.exp(-(a @ W + b)))
    logits = a @ model.coefs_[-1] + model.intercepts_[-1]
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict_proba(X), expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(model.predict_log_proba(X), np.log(expected), rtol=1e-8)


# ---- targets and inputs beyond one column of classes
@pytest.mark.parametrize("engine", ENGINES)
def test_multi_label_classification(engine):
    from sklearn.neural_network import MLPClassifier as SkClassifier

    X, Y = make_multilabel_classification(300, n_features=8, n_classes=4, random_state=0)
    model = MLPClassifier((32,), solver="lbfgs", max_iter=300, random_state=0,
                          engine=engine).fit(X, Y)
    assert model.out_activation_ == "logistic" and model.classes_.tolist() == [0, 1, 2, 3]
    proba = model.predict_proba(X)
    assert proba.shape == (300, 4) and not np.allclose(proba.sum(axis=1), 1)
    np.testing.assert_array_equal(model.predict(X), (proba > 0.5).astype(int))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = [MLPClassifier((32,), solver="lbfgs", max_iter=300, random_state=seed,
                              engine=engine).fit(X, Y).score(X, Y) for seed in range(8)]
        theirs = [SkClassifier((32,), solver="lbfgs", max_iter=300, random_state=seed)
                  .fit(X, Y).score(X, Y) for seed in range(8)]
    assert np.mean(ours) >= np.mean(theirs) - 0.03         # one seed's L-BFGS path is noise


def test_multi_output_regression_round_trips_through_the_model_files(tmp_path):
    import mlpkit

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    Y = np.column_stack([X[:, 0] * 100 + 5, np.sin(X[:, 1]) - X[:, 2]])
    model = MLPRegressor(hidden_layer_sizes=(32,), solver="lbfgs", max_iter=500,
                         random_state=0).fit(X, Y)
    assert model.predict(X).shape == (300, 2) and model.n_outputs_ == 2
    assert model.score(X, Y) > 0.95
    model.save(tmp_path / "m")
    np.testing.assert_array_equal(mlpkit.load(tmp_path / "m").predict(X), model.predict(X))
    import pandas as pd

    from mlpkit.cli import main

    pd.DataFrame(X, columns=["x0", "x1", "x2"]).to_csv(tmp_path / "rows.csv", index=False)
    assert main(["predict", str(tmp_path / "m"), str(tmp_path / "rows.csv"), "-o",
                 str(tmp_path / "out.csv")]) == 0
    written = pd.read_csv(tmp_path / "out.csv")
    assert list(written.columns) == ["prediction_0", "prediction_1"]
    np.testing.assert_allclose(written.to_numpy(), model.predict(X), rtol=1e-12)
    single = MLPRegressor(max_iter=5, random_state=0)
    with pytest.warns(DataConversionWarning):   # a (n, 1) y is raveled, with a warning
        single.fit(X, Y[:, :1])
    assert single.predict(X).shape == (300,)


@pytest.mark.parametrize("engine", ENGINES)
def test_sparse_input_gives_the_dense_answer(engine):
    X, y = blobs()
    X = np.column_stack([X, np.zeros((len(X), 3))])
    params = dict(solver="lbfgs", max_iter=50, random_state=0, engine=engine)
    dense = MLPClassifier(**params).fit(X, y)
    csr = MLPClassifier(**params).fit(sparse.csr_matrix(X), y)
    np.testing.assert_array_equal(csr.predict_proba(sparse.csr_matrix(X)),
                                  dense.predict_proba(X))


def test_a_diverging_loss_raises_scikit_learns_error_unless_early_stopping_kept_an_epoch():
    X, y = blobs()
    params = dict(solver="sgd", learning_rate_init=1e6, momentum=0.0, max_iter=50,
                  n_iter_no_change=100, random_state=0)
    with pytest.raises(ValueError, match="Solver produced non-finite parameter weights"):
        MLPClassifier(**params).fit(X, y)
    with pytest.warns(ConvergenceWarning, match="diverged"):
        model = MLPClassifier(**params, early_stopping=True).fit(X, y)
    assert model.n_iter_ < 50 and np.isfinite(model.predict_proba(X)).all()


@pytest.mark.parametrize("engine", ENGINES)
def test_estimators_pickle_and_serve_parallel_grid_searches(engine):
    X, y = blobs()
    model = MLPClassifier((8,), max_iter=20, random_state=0, engine=engine).fit(X, y)
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict_proba(X), model.predict_proba(X))
    again.partial_fit(X, y)                         # and it goes on learning
    search = GridSearchCV(MLPClassifier(max_iter=200, random_state=0, engine=engine),
                          {"alpha": [1e-4, 1.0]}, cv=2, n_jobs=2).fit(X, y)
    assert search.best_score_ > 0.8


def test_scikit_learns_parameter_errors_are_one_line_and_name_the_parameter():
    X, y = blobs()
    for params, words in (({"solver": "lbgfs"}, "Did you mean 'lbfgs'"),
                          ({"learning_rate": "constnt"}, "Did you mean 'constant'"),
                          ({"activation": "logistc"}, "Did you mean 'logistic'"),
                          ({"momentum": 1.5}, "momentum must lie in [0, 1]")):
        with pytest.raises(ValueError) as info:
            MLPClassifier(max_iter=2, **params).fit(X, y)
        assert words in str(info.value) and "\n" not in str(info.value)


# ---- the same objective as scikit-learn's, to the letter
@pytest.mark.parametrize("kind", ["squared_error", "poisson", "three_classes"])
def test_lbfgs_from_scikit_learns_weights_reaches_scikit_learns_fit(kind):
    """Given scikit-learn's weights (assigned to coefs_ / intercepts_) and warm_start, 20
    L-BFGS iterations land where scikit-learn's do, to rounding: the loss (half the MSE, half
    the Poisson deviance, log loss; alpha's penalty), its gradient and loss_ are scikit-learn's
    own. (Over hundreds of iterations rounding differences grow, as between any two codes.)"""
    from sklearn.neural_network import MLPClassifier as SkClassifier
    from sklearn.neural_network import MLPRegressor as SkRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    if kind == "three_classes":
        y, ours_cls, theirs_cls, extra = np.digitize(X[:, 0] + X[:, 1], [-0.5, 0.5]), \
            MLPClassifier, SkClassifier, {}
    else:
        rate = np.exp(0.5 * X[:, 0] - 0.3 * X[:, 1])
        y = rng.poisson(rate).astype(float) if kind == "poisson" else rate + X[:, 2]
        ours_cls, theirs_cls, extra = MLPRegressor, SkRegressor, {"loss": kind}
    params = dict(hidden_layer_sizes=(5,), activation="tanh", solver="lbfgs", alpha=1e-3,
                  tol=1e-9, max_iter=1, warm_start=True, random_state=0, **extra)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs = theirs_cls(**params).fit(X, y)
        ours = ours_cls(**params).fit(X, y)
        ours.coefs_, ours.intercepts_ = theirs.coefs_, theirs.intercepts_   # the same start
        theirs.set_params(max_iter=20).fit(X, y)
        ours.set_params(max_iter=20).fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_ == 20
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-9)
    for mine, reference in zip(ours.coefs_ + ours.intercepts_,
                               theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(mine, reference, atol=1e-8)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-8)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("activation", ["relu", "logistic"])
def test_a_random_state_gives_scikit_learns_initial_weights_and_its_lbfgs_fit(engine,
                                                                             activation):
    """init="sklearn" draws from RandomState(random_state) in scikit-learn's order and
    bounds (factor 2 under logistic), so 15 L-BFGS iterations from the same seed give its
    weights."""
    from sklearn.neural_network import MLPRegressor as SkRegressor

    rng = np.random.default_rng(1)
    X = rng.normal(size=(150, 4))
    y = np.sin(X[:, 0]) + X[:, 1] * X[:, 2]
    params = dict(hidden_layer_sizes=(20, 10), activation=activation, solver="lbfgs",
                  max_iter=15, random_state=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs = SkRegressor(**params).fit(X, y)
        ours = MLPRegressor(**params, engine=engine).fit(X, y)
    for mine, reference in zip(ours.coefs_ + ours.intercepts_,
                               theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(mine, reference, atol=1e-8)
