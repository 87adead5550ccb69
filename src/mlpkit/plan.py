"""The plan both engines build a network from, layer by layer (``MLPSpec.layers``), and the
sizes of its input layers. Kept apart from the settings (``config.py``): what a spec means as
layers is one concept, what a user may set is another."""

from __future__ import annotations

from typing import Any

PERIODIC = (16, 3)    # a periodic embedding's cosines and output values per feature
BINS = 16             # a piecewise-linear encoding's bins per feature
ONE_HOT_MOST = 9      # a category of more values is embedded (--category-embedding; RealMLP's)


def layers(spec: Any) -> list[tuple]:
    """``spec``'s layers (an ``MLPSpec``): ("categories", in, blocks, dim) when asked for,
    ("scaling", in), ("periodic", in, columns) or ("piecewise", in, columns, bins), then
    ("linear", in, out) | ("activation", name) | ("parametric", name, units) | ("dropout",
    p). An ensemble's layers are ("members", in, out, K, shared) (shared: the first, all K
    read the same input), its last ("average", K, averaged). ``columns`` are positions in
    the input of the layer: past an embedding of categories, those of the columns it kept."""
    plan: list[tuple] = []
    width, k = spec.n_inputs, spec.ensemble
    columns = tuple(range(width)) if spec.embedded is None else spec.embedded
    if spec.categories:
        plan.append(("categories", width, spec.categories, spec.category_embedding))
        kept = kept_columns(width, spec.categories)
        position = {column: i for i, column in enumerate(kept)}
        columns = tuple(position[c] for c in columns if c in position)
        width = len(kept) + len(spec.categories) * spec.category_embedding
    if spec.input_scaling:
        plan.append(("scaling", width))
    if spec.embedding == "periodic":
        plan.append(("periodic", width, columns))
        width += PERIODIC[1] * len(columns)     # D values per embedded input, and all inputs
    elif spec.embedding == "piecewise":     # bins: fitted on the training rows (None before)
        plan.append(("piecewise", width, columns, spec.bins))
        width += (BINS - 1) * len(columns)      # B values per encoded input, the rest as is
    for index, size in enumerate((*spec.hidden, spec.n_outputs)):
        plan.append(("linear", width, size) if k == 1 else
                    ("members", width, size, k, index == 0))
        if index < len(spec.hidden):
            plan.append(("parametric", spec.activation_of(index), size * k)
                        if spec.parametric_activation else
                        ("activation", spec.activation_of(index)))
            if spec.dropout > 0:
                plan.append(("dropout", spec.dropout))
        width = size
    return plan + ([("average", k, spec.averaged)] if k > 1 else [])


def kept_columns(width: int, blocks: tuple[tuple[int, int], ...]) -> list[int]:
    """The inputs an embedding of the categories' one-hot ``blocks`` passes on as they are."""
    inside = {i for start, stop in blocks for i in range(start, stop)}
    return [i for i in range(width) if i not in inside]
