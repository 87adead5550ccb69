"""fit_lbfgs(): full-batch L-BFGS, the loop's counterpart for ``optimizer="lbfgs"``.

SciPy's L-BFGS-B minimises the engine's own loss (alpha penalty included) over the flattened
parameters, with the engine's own gradient, as scikit-learn's MLP does: ``max_epochs`` is
its iteration limit, ``max_fun`` its limit on loss evaluations and ``tol`` its gradient
tolerance. Each iteration is recorded as an epoch and runs the same callbacks as the
minibatch loop (NaN guard, early stopping on a holdout, checkpoints, progress); a callback
that stops training ends the SciPy run. There are no minibatches, so no shuffling, and a
resumed run starts L-BFGS afresh from the checkpoint's weights (its curvature memory is
SciPy's and is not saved).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from mlpkit.config import TrainConfig
from mlpkit.data.batching import ArrayRows
from mlpkit.engines.contract import Stepper
from mlpkit.training.callbacks import Callback
from mlpkit.training.loop import begin, end_epoch, finish
from mlpkit.training.state import TrainingState


def fit_lbfgs(stepper: Stepper, X: np.ndarray, y: np.ndarray, config: TrainConfig, *,
              weights: np.ndarray | None = None,
              validation: tuple[np.ndarray, np.ndarray] | None = None,
              callbacks: Sequence[Callback] = (), state: TrainingState | None = None,
              resume_from: tuple[dict[str, np.ndarray], dict] | None = None) -> TrainingState:
    """Minimise the full-batch loss with L-BFGS-B; ``state.converged`` says whether
    SciPy met its tolerance (not its iteration or evaluation limit)."""
    from scipy.optimize import minimize

    rng = np.random.default_rng(config.seed)     # unused by L-BFGS; kept for the checkpoint
    state, callbacks = begin(stepper, ArrayRows(X, y, weights), config, callbacks, state,
                             resume_from, rng)
    iterations = config.max_epochs - len(state.history)
    recorded = len(state.history)
    started = [time.perf_counter()]

    def record(x: np.ndarray, loss: float) -> None:
        stepper.load_parameter_vector(x)
        stepper.samples_seen += len(y)
        end_epoch(state, callbacks, validation, started[0],
                  {"epoch": len(state.history) + 1, "train_loss": float(loss),
                   "train_accuracy": None, "lr": None})

    def on_iteration(intermediate_result) -> None:
        record(intermediate_result.x, intermediate_result.fun)
        started[0] = time.perf_counter()
        if state.stop_training or state.interrupt_requested:
            state.interrupted = state.interrupt_requested and not state.stop_training
            raise StopIteration

    try:
        if iterations > 0:
            with np.errstate(over="ignore", invalid="ignore"):
                result = minimize(stepper.objective, stepper.parameter_vector(), jac=True,
                                  method="L-BFGS-B", callback=on_iteration,
                                  options={"maxiter": iterations, "maxfun": config.max_fun,
                                           "gtol": config.tol})
            if len(state.history) == recorded:    # converged where it started: that point
                record(result.x, result.fun)        # is the run's one epoch
            if not (state.stop_training or state.interrupted):
                stepper.load_parameter_vector(result.x)     # SciPy's best point
            state.converged = bool(result.status == 0)
            state.solver_message = str(result.message)
        finish(state, callbacks)
    finally:
        stepper.release()
    return state
