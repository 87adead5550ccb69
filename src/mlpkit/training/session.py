"""THE assembly of a training run: every door (command line, estimators) trains through here.

A ``Session`` is built from a ``RunConfig`` and the data's ``Schema``: it makes the spec and
the engine's stepper (checked before any data moves), ``prepare`` holds out validation rows,
fits the scaler (and bins) on the training rows and turns class weights into per-sample weights
(once), ``fit`` adds the options' callbacks, sets the thread limit and runs the one loop, and
``model()`` is the ``TrainedModel`` every door predicts with."""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import replace

import numpy as np

from mlpkit.config import MLPSpec, RunConfig
from mlpkit.data.preprocessing import Standardizer
from mlpkit.data.schema import Schema
from mlpkit.data.tables.stream import Statistics, StreamedTable
from mlpkit.data.tables.stream_rows import StreamRows
from mlpkit.engines import default_engine, make_stepper, thread_limit
from mlpkit.errors import InvalidInputError, InvalidParameterError
from mlpkit.model import TrainedModel
from mlpkit.numpy_engine.piecewise import fit_bins
from mlpkit.plan import BINS, ONE_HOT_MOST
from mlpkit.recipe import categories, embedding, members
from mlpkit.tasks import averaged_for, link_for
from mlpkit.torch_engine.distributed import Group, collective
from mlpkit.training.budget import check_fits
from mlpkit.training.callbacks import Callback, Checkpoint, ProgressBar, option_callbacks
from mlpkit.training.history import History
from mlpkit.training.interrupt import stop_after_batch_on_signals
from mlpkit.training.lbfgs import fit_lbfgs
from mlpkit.training.loop import fit
from mlpkit.training.split import (
    Split,
    check_batch_size,
    class_weights,
    holdout,
    sample_weights,
    target_columns,
)
from mlpkit.training.state import TrainingState


class Session:
    """One model in training: build it, ``prepare`` data, ``fit`` (again, to continue)."""

    def __init__(self, config: RunConfig, schema: Schema,
                 dtype: np.dtype | type = np.float32, group: Group | None = None) -> None:
        self.group = group      # distributed.Group under torchrun, else None
        self.config = replace(config, engine=config.engine or
                              default_engine(config.device, group is not None))
        self.schema = schema
        self.dtype = np.dtype(dtype)      # the parameters' (float64 when the data is float64)
        embedded = None if schema.encoder is None else schema.encoder.numbers   # a table's
        link, kind = link_for(schema.task, config.train.loss), embedding(config.embedding,
                                                                         schema.task)
        self.spec = MLPSpec(len(schema.feature_names), schema.n_outputs, config.hidden,
                            config.activation, config.init, config.dropout, link,
                            config.activations, kind if embedded != () else None,  # (numbers?)
                            embedded if kind else None,
                            members(config.ensemble, schema.task, group is not None),
                            config.input_scaling, averaged_for(schema.task, link),
                            parametric_activation=config.parametric_activation,
                            parametrization=config.parametrization,
                            **categories(config.category_embedding, schema.encoder))
        check_fits(self.spec, config.train)          # before any weight is allocated
        if self.spec.categories:                     # (the run's summary says so)
            schema.encoder.note_embedded(ONE_HOT_MOST, self.spec.category_embedding)
        self._stepper = None
        self.scaler: Standardizer | None = None
        self.target_scaler: Standardizer | None = None     # regression: y in its own units
        self.target_range: tuple[np.ndarray, np.ndarray] | None = None   # clip_output
        self.history = History()
        self.seconds = 0.0
        self.scikit_learn_stopping = False   # the estimators: its MLP's counting (callbacks)

    @property
    def stepper(self):
        """The engine's stepper, built on first use (``build_engine``)."""
        return self.build_engine()

    def build_engine(self):
        """Build the stepper now, with the engine's checks (device, options). The command line
        calls it after ``prepare``: the torch engine's ~200 MB of libraries then arrive after
        the data's peak, not on top of it."""
        if self._stepper is None:
            c = self.config
            self._stepper = make_stepper(c.engine, self.spec, self.schema.task, c.train,
                                         c.device, c.data_loader, self.dtype, self.group)
        return self._stepper

    @property
    def classification(self) -> bool:
        return self.schema.task == "classification"

    def prepare(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None,
                copy: bool = True, oversized_batch: str = "refuse") -> Split:
        """Hold out validation rows (``val_fraction``), fit the scaler (and bins) on the
        training rows (first call only), scale, weight. ``copy=False``
        lets the session scale arrays it was given in place (the caller's loss).
        ``oversized_batch``: a batch larger than the training rows is refused (the command
        line), or clipped to them with scikit-learn's warning ("clip") or without ("quiet":
        scikit-learn's "auto")."""
        train = self.config.train
        X_val = y_val = None
        train_rows = val_rows = None
        self._refuse_negative_counts(np.min(y))
        if train.val_fraction > 0:
            self._refuse_lonely_classes(y)
            train_rows, val_rows = holdout(y, train.val_fraction, train.seed, self.classification)
            if len(val_rows) < 2:
                raise InvalidInputError(   # scikit-learn's words, and the flag
                    "The validation set is too small. Increase 'validation_fraction' "
                    "(--val-fraction) or the size of your dataset.")
        n_train = len(y) if train_rows is None else len(train_rows)
        batch = None if train.full_batch_solver else train.batch_for(n_train)
        if batch is not None and batch > n_train and oversized_batch != "refuse":
            if oversized_batch == "clip":
                warnings.warn("Got `batch_size` less than 1 or larger than sample size. It is "
                              "going to be clipped", UserWarning, stacklevel=3)
            train = replace(train, batch_size=n_train)
            self.config = replace(self.config, train=train)
        elif batch is not None:
            check_batch_size(batch, n_train)
        if self.config.scale and self.scaler is None:       # before any copy: a lower peak
            weights = None if sample_weight is None else np.asarray(sample_weight, np.float64)
            self.scaler = Standardizer.fit_robust(X, train_rows, weights) \
                if self.config.scaler == "robust" else Standardizer.fit(X, train_rows,
                                                                        weights=weights)
            if self.schema.task == "regression" and self.spec.link == "identity":
                self.target_scaler = Standardizer.fit(target_columns(y), train_rows,
                                                      weights=weights)   # (counts stay counts)
        if self.config.clip_output and self.schema.task == "regression" and \
                self.target_range is None:
            targets = target_columns(y) if train_rows is None else target_columns(y)[train_rows]
            self.target_range = (targets.min(axis=0).astype(np.float64),
                                 targets.max(axis=0).astype(np.float64))
        if train_rows is not None:
            X_val, y_val = X[val_rows], y[val_rows]
            X, y = X[train_rows], y[train_rows]          # fresh arrays: ours to scale in place
            sample_weight = None if sample_weight is None else \
                np.asarray(sample_weight)[train_rows]
            copy = False
        if self.scaler is not None:
            X = self.scaler.transform(X, copy=copy, dtype=self.dtype)
            X_val = None if X_val is None else \
                self.scaler.transform(X_val, copy=False, dtype=self.dtype)
        else:
            X = np.asarray(X, self.dtype)
            X_val = None if X_val is None else np.asarray(X_val, self.dtype)
        if self.spec.embedding == "piecewise" and self.spec.bins is None:  # (stepper rebuilt)
            kind = embedding(self.config.embedding, self.schema.task, len(X))   # (rows known)
            bins = fit_bins(X, self.spec.embedded or range(self.spec.n_inputs), BINS,
                            sample_weight) if kind == "piecewise" else None
            self.spec, self._stepper = replace(self.spec, embedding=kind, bins=bins), None
        if self.target_scaler is not None:      # the network learns a standardised target
            y = self._scaled_target(y)
            y_val = None if y_val is None else self._scaled_target(y_val)
        weights = sample_weights(y, sample_weight,
                                 train.class_weight if self.classification else None,
                                 self.schema.n_outputs)
        return Split(X, y, weights, X_val, y_val)

    def _refuse_negative_counts(self, lowest: float | None) -> None:
        if self.spec.link == "log" and lowest is not None and lowest < 0:
            raise InvalidInputError(   # scikit-learn's words, and the fix
                "Some value(s) of y are negative which is not allowed for Poisson regression; "
                "use loss 'squared_error' (or mse) for a target that can be negative.")

    def _refuse_lonely_classes(self, y: np.ndarray) -> None:
        """A class with one row cannot be split for validation: named by its label, in
        scikit-learn's words."""
        if not self.classification:
            return
        names = self.schema.class_names
        counts = np.bincount(y, minlength=len(names))
        lonely = [i for i, count in enumerate(counts) if count == 1]
        if lonely:      # a binary problem's classes as scikit-learn names them: False, True
            said = [str(bool(i)) for i in lonely] if len(names) == 2 else \
                [names[i] for i in lonely]
            labels = f" (label {', '.join(names[i] for i in lonely)})" if len(names) == 2 else ""
            raise InvalidInputError(
                "The least populated classes in y have only 1 member, which is too few to "
                "hold out validation rows (validation_fraction, --val-fraction). Classes with "
                f"too few members are: {said}{labels}")

    def prepare_stream(self, stream: StreamedTable) -> Split:
        """``prepare`` for a table streamed a chunk at a time: a second pass over it fits the
        scalers and collects the validation rows (``data/tables/stream.py``); the training rows
        stay on disk and are read again every epoch."""
        train = self.config.train
        if train.full_batch_solver or train.batch_size is None:
            raise InvalidParameterError(
                "--stream trains on minibatches; use --optimizer sgd or adam (not lbfgs) and a "
                "--batch-size N (not full).")
        world = 1 if self.group is None else self.group.world
        def second_pass() -> Statistics:
            return stream.statistics(train.val_fraction, train.seed, self.config.scale)

        statistics = second_pass() if self.group is None else self.group.from_main(second_pass)
        self._refuse_negative_counts(statistics.target_min)
        batch = train.batch_for(sum(statistics.train_rows))
        if batch < world:
            raise InvalidParameterError(
                f"--batch-size {batch} is smaller than the {world} processes; each needs rows.")
        if self.scaler is None:     # (a Poisson target stays in counts)
            self.scaler = statistics.scaler
            self.target_scaler = statistics.target_scaler if self.spec.link == "identity" \
                else None
        per_class = class_weights(statistics.class_counts, train.class_weight) \
            if self.classification and train.class_weight is not None else None

        def prepare(frame, where: str):
            X, y = stream.encode(frame, where)
            X, y = self._scaled(X, y)
            return X, y, None if per_class is None else per_class[y].astype(self.dtype)

        X_val = y_val = None
        if statistics.X_val is not None:
            X_val, y_val = self._scaled(statistics.X_val, statistics.y_val)
        rows = StreamRows(stream, statistics, prepare, train.seed,
                          0 if self.group is None else self.group.rank, world)
        return Split(None, None, None, X_val, y_val, rows)

    def _scaled(self, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Features (and a regression target) as the network sees them; X is scaled in place."""
        X = np.asarray(X, self.dtype) if self.scaler is None else \
            self.scaler.transform(X, copy=False, dtype=self.dtype)
        return X, y if self.target_scaler is None else self._scaled_target(y)

    def _scaled_target(self, y: np.ndarray) -> np.ndarray:
        scaled = self.target_scaler.transform(target_columns(y), dtype=self.dtype)
        return scaled[:, 0] if np.ndim(y) == 1 else scaled

    def fit(self, split: Split, callbacks: Sequence[Callback] = (), *,
            progress: bool | None = False, handle_signals: bool = False,
            checkpoint: Callable[[TrainingState], None] | None = None,
            resume_from: tuple[dict, dict] | None = None, epochs: int | None = None,
            batch_seed: int | None = None,
            planned_epochs: int | None = None) -> TrainingState:
        """Train on ``split`` with the options' callbacks, then ``callbacks``, then the
        checkpoint and progress bar. ``epochs`` and ``batch_seed`` override the config's (to
        continue a model one epoch at a time); ``planned_epochs``: the length of the whole
        sequence such calls make, which the step and cosine schedules plan over (by default
        the run's own); ``handle_signals``: Ctrl-C / SIGTERM stop after the batch (the command
        line's behaviour)."""
        train = replace(self.config.train, epochs=epochs or self.config.train.epochs,
                        seed=self.config.train.seed if batch_seed is None else batch_seed)
        chain = option_callbacks(train, self.scikit_learn_stopping) + list(callbacks)
        if checkpoint is not None:
            chain.append(Checkpoint(checkpoint, self.config.checkpoint_every))
        chain.append(ProgressBar(disable=None if progress is None else not progress))
        state = TrainingState(stepper=self.stepper, history=self.history,
                              epochs=planned_epochs or train.max_epochs)
        signals = stop_after_batch_on_signals(state, escalate=self.group is None) \
            if handle_signals else nullcontext()
        started = time.perf_counter()
        failures = nullcontext() if self.group is None else collective()
        with signals, failures, thread_limit(self.config.engine, self.threads()):
            if train.full_batch_solver:
                fit_lbfgs(self.stepper, split.X, split.y, train, weights=split.weights,
                          validation=split.validation, callbacks=chain, state=state,
                          resume_from=resume_from)
            else:
                fit(self.stepper, split.rows(), train, validation=split.validation,
                    callbacks=chain, state=state, resume_from=resume_from)
        self.seconds += time.perf_counter() - started
        return state

    def threads(self) -> int | None:
        """The config's threads; on the CPU under DDP, the cores shared among the local ranks
        (PyTorch's default of every core per process would oversubscribe them)."""
        group = self.group
        if self.config.threads is not None or group is None or group.device.type != "cpu":
            return self.config.threads
        return max(1, (os.cpu_count() or 1) // group.local_world)

    @property
    def main(self) -> bool:
        """True in the process that writes (always, unless distributed and rank > 0)."""
        return self.group is None or self.group.main

    def model(self) -> TrainedModel:
        """The model as it stands: network, weights, preprocessing, schema, options."""
        return TrainedModel(self.spec, self.stepper.state_dict(), self.schema, self.scaler,
                            self.config.engine, self.config.option_values(), self.target_scaler,
                            self.target_range)
