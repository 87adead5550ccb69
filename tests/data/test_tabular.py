"""The user's CSV: good files load as expected; every bad one gets its one-line message."""

import json

import numpy as np
import pandas as pd
import pytest

from mlpkit.data import TabularEncoder, load_dataset
from mlpkit.errors import InvalidInputError, InvalidParameterError

GOOD = """age,color,income,outcome
30,red,1.5,yes
40,blue,2.5,no
35,red,2.0,yes
50,green,3.5,no
22,blue,1.0,yes
61,red,4.0,no
33,green,2.2,yes
45,blue,3.1,no
29,red,1.1,yes
52,green,3.9,no
"""


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text) if isinstance(text, str) else path.write_bytes(text)
    return path


def error(**options) -> str:
    with pytest.raises((InvalidInputError, InvalidParameterError)) as info:
        load_dataset("csv", **options)
    assert "\n" not in str(info.value)
    return str(info.value)


def test_good_csv_with_text_feature_and_text_target(tmp_path):
    path = write(tmp_path, GOOD)
    data = load_dataset(f"csv:{path}", test_size=0.2)
    assert data.task == "classification" and data.class_names == ["no", "yes"]
    assert data.feature_names == ["age", "color=blue", "color=green", "color=red", "income"]
    assert data.X_train.shape == (8, 5) and data.X_test.shape == (2, 5)
    assert data.X_train.dtype == np.float32 and data.y_train.dtype == np.int64
    # one-hot rows hold exactly one 1 among the colour columns
    assert (data.X_train[:, 1:4].sum(axis=1) == 1).all()
    # each row's features and label belong together, as in the file
    frame = pd.read_csv(path)
    for x, y in zip(data.X_train, data.y_train):
        row = frame[frame.age == x[0]].iloc[0]
        assert row.outcome == data.class_names[y] and row.income == pytest.approx(x[4])
    assert data.description == ("CSV 'data.csv', target 'outcome': classification "
                                "(its values are labels)")


def test_encoder_round_trips_through_json_and_repeats_the_encoding(tmp_path):
    data = load_dataset("csv", path=write(tmp_path, GOOD))
    encoder = TabularEncoder.from_dict(json.loads(json.dumps(data.encoder.to_dict())))
    new = pd.DataFrame({"age": [70], "color": ["green"], "income": [9.0], "extra": [1]})
    np.testing.assert_array_equal(encoder.transform(new), [[70, 0, 1, 0, 9.0]])
    with pytest.raises(InvalidInputError) as info:
        encoder.transform(new.assign(color="purple"), "new.csv")
    assert str(info.value) == ("Column 'color' in 'new.csv' has value(s) ['purple'] not seen in "
                               "training (known: blue, green, red).")


def test_target_defaults_to_last_column_and_can_be_chosen(tmp_path):
    path = write(tmp_path, GOOD)
    data = load_dataset("csv", path=path, target="color", features=["age", "income"],
                        test_size=0.3)
    assert data.class_names == ["blue", "green", "red"] and data.feature_names == ["age", "income"]


def test_regression_is_inferred_and_said_and_can_be_forced(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=50), "price": rng.normal(100, 10, size=50)})
    path = write(tmp_path, frame.to_csv(index=False))
    data = load_dataset("csv", path=path)
    assert data.task == "regression" and data.y_train.dtype == np.float32
    assert data.description.endswith("regression (50 distinct numeric values; pass "
                                     "task='classification' to override)")
    counts = write(tmp_path, "x,n\n" + "".join(f"{i},{i % 3}\n" for i in range(30)), "n.csv")
    assert load_dataset("csv", path=counts).task == "classification"
    assert load_dataset("csv", path=counts, task="regression").task == "regression"


def test_imputation_uses_training_rows_only(tmp_path):
    text = "a,y\n" + "".join(f"{v},{v % 2}\n" for v in [1, 2, 3, 4, 5, 6, 7, 8]) + ",0\n,1\n"
    path = write(tmp_path, text)
    data = load_dataset("csv", path=path, impute="mean", test_size=0.4, random_state=0)
    fill = data.encoder.columns[0].fill
    train_values = data.X_train[:, 0][~np.isclose(data.X_train[:, 0], fill)]
    assert fill == pytest.approx(train_values.mean())
    dropped = load_dataset("csv", path=path, impute="drop", test_size=0.25)
    assert len(dropped.X_train) + len(dropped.X_test) == 8


def test_separate_test_csv(tmp_path):
    train = write(tmp_path, GOOD)
    test = write(tmp_path, "outcome,age,income,color\nno,20,1.0,red\n", "test.csv")
    data = load_dataset("csv", path=train, test_path=test)
    assert len(data.X_train) == 10 and data.X_test.tolist() == [[20, 0, 0, 1, 1.0]]
    assert data.y_test.tolist() == [0]


@pytest.mark.parametrize("make, message", [
    (lambda p: p / "missing.csv", "CSV file '{p}/missing.csv' does not exist; check the path."),
    (lambda p: p, "'{p}' is a folder, not a CSV file; pass the path of a .csv file."),
    (lambda p: write(p, ""),
     "CSV file '{p}/data.csv' is empty; it needs a header row and at least one data row."),
    (lambda p: write(p, "a,b,y\n"), "CSV file '{p}/data.csv' has a header but no data rows."),
    (lambda p: write(p, b"PK\x03\x04\x00\x00binary\xff\xfe"),
     "'{p}/data.csv' is not a text CSV file (it holds binary or non-UTF-8 bytes); save the table "
     "as UTF-8 CSV."),
    (lambda p: write(p, "a,a,y\n1,2,0\n"),
     "CSV file '{p}/data.csv' has duplicated column names: 'a'; make every header unique."),
    (lambda p: write(p, 'a,y\n1,0\n2,"1\n'),
     "CSV file '{p}/data.csv' is malformed: Error tokenizing data. C error: EOF inside string "
     "starting at row 2."),
])
def test_unreadable_files(tmp_path, make, message):
    assert error(path=make(tmp_path)) == message.format(p=tmp_path)


def test_content_errors(tmp_path):
    path = write(tmp_path, GOOD)
    p = str(path)
    assert error(path=path, target="outcom") == (
        f"Target column 'outcom' is not in '{p}'. Did you mean 'outcome'? "
        "Columns: age, color, income, outcome.")
    assert error(path=path, features=["age", "incme"]) == (
        f"Feature column 'incme' is not in '{p}'. Did you mean 'income'? "
        "Columns: age, color, income.")
    assert error(path=path, encode_categorical=False) == (
        f"Feature column 'color' in '{p}' holds text; one-hot encode it with "
        "encode_categorical=True (--data-option encode_categorical=true) or leave it out with "
        "features=[...].")
    assert error(path=path, impute="avg") == (
        "impute must be one of 'mean', 'median', 'drop' or None, got 'avg'.")
    assert error(path=path, target="color", task="regression") == (
        f"Target column 'color' in '{p}' holds text; it cannot be a regression target.")


def test_missing_and_non_finite_values(tmp_path):
    p = write(tmp_path, "a,b,y\n1,2,0\n,3,1\n4,,0\n5,6,1\n7,8,0\n9,1,1\n")
    assert error(path=p) == (
        f"Column 'a' in '{p}' has missing values (line 3); fill them, or pass impute='mean', "
        "'median' or 'drop' (--impute).")
    p = write(tmp_path, "a,y\n1,0\n2,\n3,1\n4,0\n5,1\n")
    assert error(path=p, impute="mean") == (
        f"Target column 'y' in '{p}' has missing values (line 3); remove those rows or pass "
        "impute='drop' (--impute drop).")
    p = write(tmp_path, "a,y\n1,0\ninf,1\n3,1\n4,0\n5,1\n6,0\n")
    assert error(path=p) == (
        f"Column 'a' in '{p}' has an infinite or too large value (line 3); float32 holds "
        "magnitudes up to 3.4e38.")
    p = write(tmp_path, "a,y\n1,0\n1e300,1\n3,1\n4,0\n5,1\n6,0\n")
    assert "has an infinite or too large value (line 3)" in error(path=p)
    p = write(tmp_path, "a,y\n1,0\n2,1\nabc,1\n" + "".join(f"{i},{i % 2}\n" for i in range(20)))
    assert error(path=p) == (f"Column 'a' in '{p}' is numeric except for 'abc' (line 4); "
                             "fix those cells.")


def test_class_errors(tmp_path):
    p = write(tmp_path, "a,y\n1,yes\n2,yes\n3,yes\n")
    assert error(path=p) == (
        f"Target column 'y' in '{p}' has a single class ('yes'); classification needs at least "
        "two.")
    p = write(tmp_path, "a,y\n1,a\n2,a\n3,a\n4,b\n")
    assert error(path=p) == ("Class 'b' has only 1 row; a stratified split needs at least 2 per "
                             "class. Add rows or supply a separate test set.")


def test_test_csv_errors(tmp_path):
    train = write(tmp_path, GOOD)
    other = write(tmp_path, "age,colour,income,outcome\n1,red,2,yes\n", "other.csv")
    assert error(path=train, test_path=other) == (
        f"Test CSV '{other}' has other columns than '{train}': missing ['color'], "
        "extra ['colour'].")
    unseen = write(tmp_path, "age,color,income,outcome\n1,red,2,maybe\n", "unseen.csv")
    assert error(path=train, test_path=unseen) == (
        f"'{unseen}' has target label(s) ['maybe'] that the training data never had "
        "(known: no, yes).")


def test_too_many_categories_are_refused(tmp_path):
    rows = "".join(f"id{i},{i % 2}\n" for i in range(80))
    p = write(tmp_path, "name,y\n" + rows)
    assert error(path=p) == (
        f"Feature column 'name' in '{p}' holds text with 64 distinct values, too many to one-hot "
        "encode (at most 50); leave it out with features=[...].")


def test_rows_longer_than_the_header_are_refused_not_dropped(tmp_path):
    # pandas itself reports a long row after the first; a long first row it would silently
    # turn into an index, which mlpkit refuses
    p = write(tmp_path, "a,b,y\n1,2,0,9\n3,4,1,8\n5,6,0,7\n")
    assert error(path=p) == (
        f"CSV file '{p}' has a row with more fields than its header names columns (line 2: 4 "
        "fields, 3 columns); fix that row or the header.")
