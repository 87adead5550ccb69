"""Data for mlpkit: ``load_dataset(name, **options) -> Dataset`` and the helpers around it."""

from mlpkit.data.batching import minibatch_indices
from mlpkit.data.catalog import ENTRIES, describe_datasets, load_dataset
from mlpkit.data.dataset import Dataset
from mlpkit.data.preprocessing import Standardizer, one_hot, stratified_split
from mlpkit.data.tables.encoding import TabularEncoder

__all__ = ["ENTRIES", "Dataset", "Standardizer", "TabularEncoder", "describe_datasets",
           "load_dataset", "minibatch_indices", "one_hot", "stratified_split"]
