"""Fuzzing every reader, a short profile (``benchmarks/fuzz.py`` runs the long one): mutated
seed files and pure noise end in a result or one ``MlpkitError``, never another exception."""

import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlpkit.errors import MlpkitError
from tests.bad_inputs import fuzzing

PROFILE = settings(max_examples=80, deadline=None, derandomize=True,
                   suppress_health_check=[HealthCheck.function_scoped_fixture])
MUTATIONS = st.lists(st.tuples(st.integers(0, fuzzing.OPS - 1), st.integers(0, 1 << 20),
                               st.integers(0, 255)), min_size=1, max_size=8)


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    return fuzzing.seed_files(tmp_path_factory.mktemp("fuzz-seeds"))


@pytest.mark.parametrize("name", sorted(fuzzing.TARGETS))
def test_each_readers_seed_file_is_read(name, seeds, tmp_path):
    """The targets are meaningful: unmutated, every seed is read, not refused."""
    assert fuzzing.outcome(name, seeds[fuzzing.TARGETS[name][1]], tmp_path, seeds) == "read"


@pytest.mark.parametrize("name", sorted(fuzzing.TARGETS))
@PROFILE
@given(ops=MUTATIONS)
def test_mutated_files_are_read_or_refused_in_one_error(name, seeds, tmp_path, ops):
    data = fuzzing.mutate(seeds[fuzzing.TARGETS[name][1]], ops)
    assert fuzzing.outcome(name, data, tmp_path, seeds) in ("read", "refused")


@pytest.mark.parametrize("name", sorted(fuzzing.TARGETS))
@settings(PROFILE, max_examples=20)
@given(data=st.binary(max_size=400))
def test_noise_is_refused_in_one_error(name, seeds, tmp_path, data):
    assert fuzzing.outcome(name, data, tmp_path, seeds) in ("read", "refused")


def _parquet(frame, metadata=None) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    if metadata is not None:
        table = table.replace_schema_metadata(metadata)
    out = io.BytesIO()
    pq.write_table(table, out, compression=None)
    return out.getvalue()


def test_fuzzings_parquet_findings_are_refused_in_one_line(seeds, tmp_path):
    """What the long run found: invalid UTF-8 inside a string page (pyarrow raised its base
    ArrowException when pandas converted it), and a damaged pandas record (a KeyError)."""
    import pandas as pd

    frame = pd.DataFrame({"day": ["2024-0X-07", "2024-01-08"] * 5, "y": [0, 1] * 5})
    bad_text = _parquet(frame).replace(b"2024-0X-07", b"2024-0\xff-07")
    bad_record = _parquet(frame, {b"pandas": json.dumps({"index_columns": []}).encode()})
    for data in (bad_text, bad_record):
        with pytest.raises(MlpkitError, match="is malformed"):
            fuzzing.read_parquet(data, tmp_path, seeds)


@pytest.mark.parametrize("data, words", [
    (b"size,co\runt,label\n1,2,a\n3,4,b\n", "has a malformed header line"),     # a lone CR
    (b"\nsize,count,label\n1,2,a\n", "has an empty first line"),
    (b"\xef\xbb\xbf", "is empty"),                                                # a BOM only
])
@pytest.mark.parametrize("name", ["csv", "csv-stream"])
def test_fuzzings_csv_findings_are_refused_in_one_line(seeds, tmp_path, name, data, words):
    """What the long run found: csv.Error from a carriage return in the header, an
    IndexError from an empty first line (streamed), pandas' EmptyDataError from a byte-order
    mark alone."""
    with pytest.raises(MlpkitError, match=words):
        fuzzing.TARGETS[name][0](data, tmp_path, seeds)


def test_a_streamed_target_numeric_at_first_and_text_later_is_all_text(tmp_path):
    """Found by the long run: labels 1, 2 in the first chunks and 'x' later could not be
    sorted; as a whole column read in memory, they are all text."""
    from mlpkit.data import load_dataset
    from mlpkit.data.tables.first_pass import open_stream

    rows = [f"{i % 7},{1 + i % 2}" for i in range(60)] + ["3,x", "4,x", "5,x"]
    path = tmp_path / "mixed.csv"
    path.write_text("a,label\n" + "\n".join(rows) + "\n")
    streamed = open_stream(path, chunk_bytes=64)
    assert streamed.class_names == load_dataset("csv", path=path).class_names == ["1", "2", "x"]


@pytest.mark.parametrize("change", [
    {"date_parts": ["year", "dayofwemk"]}, {"fill": "2024-01-21T0p:00:00"},
    {"date_format": "%Y-%m-%d %d"}, {"role": "text"}, {"categories": None},
])
def test_fuzzings_model_json_findings_are_refused_on_loading(seeds, tmp_path, change):
    """What the long run found: a model.json whose date column names an unknown cycle, holds
    a fill that is no date or a format with a directive twice loaded, then failed at the
    first prediction with a KeyError, pandas' DateParseError or re.error."""
    meta = json.loads(seeds["model_json"])
    column = next(c for c in meta["preprocessing"]["encoder"]["columns"] if c["role"] == "date")
    if "categories" in change:
        column = next(c for c in meta["preprocessing"]["encoder"]["columns"]
                      if c["role"] == "category")
    column.update(change)
    with pytest.raises(MlpkitError, match="is incomplete or malformed"):
        fuzzing.read_model_json(json.dumps(meta).encode(), tmp_path, seeds)
