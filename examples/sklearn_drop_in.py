"""A script written for scikit-learn's MLPs, run on mlpkit by changing its import line only.

    python examples/sklearn_drop_in.py             # mlpkit
    python examples/sklearn_drop_in.py --sklearn   # the same script on scikit-learn, to compare

Everything below the imports is plain scikit-learn code: solvers, schedules, early stopping,
partial_fit, warm_start, the learned attributes, multi-label and multi-output targets, sparse
input, grid search and pickling.
"""

import pickle
import sys
import warnings

import numpy as np
from scipy import sparse
from sklearn.datasets import load_breast_cancer, load_digits, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

if "--sklearn" in sys.argv:
    from sklearn.neural_network import MLPClassifier, MLPRegressor
else:
    from mlpkit import MLPClassifier, MLPRegressor  # the one line that changes

warnings.simplefilter("ignore", ConvergenceWarning)

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)

# three solvers, scikit-learn's parameter names
for solver, extra in (("adam", {}), ("sgd", {"learning_rate": "adaptive"}),
                      ("lbfgs", {"max_iter": 500})):
    clf = make_pipeline(StandardScaler(), MLPClassifier(
        hidden_layer_sizes=(64,), solver=solver, alpha=1e-4, learning_rate_init=0.01,
        random_state=0, **extra))
    clf.fit(X_train, y_train)
    print(f"digits {solver}: test accuracy {clf.score(X_test, y_test):.4f}")

# learned attributes, early stopping, log-probabilities
clf = MLPClassifier(hidden_layer_sizes=(32, 16), early_stopping=True, n_iter_no_change=5,
                    random_state=0).fit(X_train, y_train)
print("coefs_ shapes:", [w.shape for w in clf.coefs_])
print("n_layers_:", clf.n_layers_, "n_outputs_:", clf.n_outputs_,
      "out_activation_:", clf.out_activation_)
print(f"n_iter_: {clf.n_iter_}, best validation score: {clf.best_validation_score_:.4f}")
log_proba = clf.predict_log_proba(X_test[:3])
print("predict_log_proba matches log(predict_proba):",
      bool(np.allclose(np.exp(log_proba), clf.predict_proba(X_test[:3]))))

# partial_fit and warm_start
online = MLPClassifier(hidden_layer_sizes=(32,), learning_rate_init=0.01, random_state=0)
for _ in range(10):
    for start in range(0, len(X_train), 200):
        online.partial_fit(X_train[start:start + 200] / 16, y_train[start:start + 200],
                           classes=np.arange(10))
print(f"partial_fit, 10 passes: test accuracy {online.score(X_test / 16, y_test):.4f}")
warm = MLPClassifier(hidden_layer_sizes=(32,), max_iter=5, warm_start=True, random_state=0)
for _ in range(4):
    warm.fit(X_train / 16, y_train)
print(f"warm_start, 4 x 5 epochs: {len(warm.loss_curve_)} epochs in loss_curve_")

# a grid search over scikit-learn's parameters, then pickling the best model
search = GridSearchCV(MLPClassifier(hidden_layer_sizes=(32,), max_iter=300, random_state=0),
                      {"alpha": [1e-4, 1e-1], "learning_rate_init": [1e-3, 1e-2]}, cv=3)
search.fit(X_train / 16, y_train)
restored = pickle.loads(pickle.dumps(search.best_estimator_))
print(f"grid search best score {search.best_score_:.4f}, pickled copy agrees: "
      f"{bool((restored.predict(X_test / 16) == search.predict(X_test / 16)).all())}")

# sparse input
Xc, yc = load_breast_cancer(return_X_y=True)
Xc = StandardScaler().fit_transform(Xc)
Xc[np.abs(Xc) < 0.5] = 0.0
dense = MLPClassifier(solver="lbfgs", random_state=0).fit(Xc, yc)
csr = MLPClassifier(solver="lbfgs", random_state=0).fit(sparse.csr_matrix(Xc), yc)
print("sparse and dense fits agree:",
      bool(np.allclose(dense.predict_proba(Xc), csr.predict_proba(sparse.csr_matrix(Xc)))))

# multi-label classification and multi-output regression
Xm, Ym = make_multilabel_classification(n_samples=400, n_classes=4, random_state=0)
multi = MLPClassifier(hidden_layer_sizes=(32,), max_iter=500, random_state=0).fit(Xm, Ym)
print(f"multi-label: predict shape {multi.predict(Xm).shape}, "
      f"subset accuracy {multi.score(Xm, Ym):.4f}")
targets = np.column_stack([X_train[:, 20] + X_train[:, 30], X_train[:, 40] - X_train[:, 50]])
reg = MLPRegressor(hidden_layer_sizes=(32,), solver="lbfgs", max_iter=500,
                   random_state=0).fit(X_train, targets)
print(f"multi-output regression: predict shape {reg.predict(X_train).shape}, "
      f"R^2 {reg.score(X_train, targets):.4f}")
