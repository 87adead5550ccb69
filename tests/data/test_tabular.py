"""The user's CSV: good files load as expected; every bad one gets its one-line message."""

import json

import numpy as np
import pandas as pd
import pytest

from mlpkit.data import TabularEncoder, load_dataset
from mlpkit.errors import DataWarning, InvalidInputError, InvalidParameterError

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
    with pytest.warns(DataWarning) as caught:
        unseen = encoder.transform(new.assign(color="purple"), "new.csv")
    np.testing.assert_array_equal(unseen, [[70, 0, 0, 0, 9.0]])      # all zeros, and said
    assert str(caught[0].message) == ("Column 'color' in 'new.csv' has value(s) ['purple'] not "
                                      "seen in training (line 2); encoded as all zeros.")


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
    counts = write(tmp_path, "x,n\n" + "".join(f"{i % 7},{i % 3}\n" for i in range(30)), "n.csv")
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
        "--drop color.")
    assert error(path=path, impute="avg") == (
        "impute must be one of 'median', 'mean', 'drop' or 'none', got 'avg'.")
    assert error(path=path, target="color", task="regression") == (
        f"Target column 'color' in '{p}' holds text; it cannot be a regression target.")


def test_missing_and_non_finite_values(tmp_path):
    p = write(tmp_path, "a,b,y\n1,2,0\n,3,1\n4,,0\n5,6,1\n7,8,0\n9,1,1\n")
    assert error(path=p, impute="none") == (
        f"Column 'a' in '{p}' has missing values (line 3); fill them, or pass impute='mean', "
        "'median' or 'drop' (--impute).")
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


def test_free_text_is_left_out_unless_named_and_then_bounded(tmp_path):
    rows = "".join(f"w{i % 70},{i % 7},{i % 2}\n" for i in range(300))
    p = write(tmp_path, "word,n,y\n" + rows)
    data = load_dataset("csv", path=p, codes=0)       # (n, 7 values alike: else a code)
    assert data.feature_names == ["n"]
    assert data.encoder.describe()[0] == (
        "word", "left out", "free text (70 distinct values, more than 50, seen 3.4 times each "
        "on average); keep it with --features word ...")
    named = load_dataset("csv", path=p, features=["word", "n"], codes=0)
    assert len(named.feature_names) == 71
    many = write(tmp_path, "word,y\n" + "".join(f"w{i},{i % 2}\n" for i in range(1300)), "m.csv")
    assert error(path=many, features=["word"]) == (
        f"Feature column 'word' in '{many}' holds text with 1040 distinct values, too many to "
        "one-hot encode (at most 1000); leave it out with --drop word.")


def test_rows_longer_than_the_header_are_refused_not_dropped(tmp_path):
    # pandas itself reports a long row after the first; a long first row it would silently
    # turn into an index, which mlpkit refuses
    p = write(tmp_path, "a,b,y\n1,2,0,9\n3,4,1,8\n5,6,0,7\n")
    assert error(path=p) == (
        f"CSV file '{p}' has a row with more fields than its header names columns (line 2: 4 "
        "fields, 3 columns); fix that row or the header.")


def test_missing_values_are_imputed_with_an_indicator_and_said(tmp_path):
    p = write(tmp_path, "a,c,y\n1,x,0\n,y,1\n3,,0\n5,x,1\n7,y,0\n9,x,1\n2,y,0\n4,x,1\n")
    data = load_dataset("csv", path=p, test_size=0.25, random_state=1)
    roles = {name: (role, note) for name, role, note in data.encoder.describe()}
    train_gaps = {"a": 1 if "missing" in roles["a"][1] else 0}
    assert roles["a"][0] == "numeric" and roles["c"][0] == "category"
    if train_gaps["a"]:
        assert "a=missing" in data.feature_names
        assert roles["a"][1].startswith("a number; 1 missing filled with the median ")
    encoder = data.encoder
    new = pd.DataFrame({"a": [np.nan, 8.0], "c": ["x", None]})
    X = encoder.transform(new)
    a_fill = next(c.fill for c in encoder.columns if c.name == "a")
    assert X[0, 0] == pytest.approx(a_fill) and X[1, 0] == 8.0
    c_columns = [i for i, n in enumerate(data.feature_names) if n.startswith("c=")]
    assert X[0, c_columns].sum() == 1 and X[1, c_columns].sum() <= 1


def test_rows_without_a_target_are_dropped_with_a_note(tmp_path):
    p = write(tmp_path, "a,y\n1,0\n2,\n3,1\n4,0\n5,1\n6,0\n7,1\n")
    data = load_dataset("csv", path=p, test_size=0.3)
    assert len(data.y_train) + len(data.y_test) == 6
    assert data.encoder.notes == ["1 row(s) of 'data.csv' dropped: no target value (line 3)"]


def test_dates_become_year_and_cycles(tmp_path):
    days = pd.date_range("2019-01-01", periods=60, freq="7D")
    frame = pd.DataFrame({"when": days.strftime("%Y/%m/%d"), "y": np.arange(60) % 2})
    data = load_dataset("csv", path=write(tmp_path, frame.to_csv(index=False)), random_state=0)
    assert data.feature_names == ["when.year", "when.month_sin", "when.month_cos",
                                  "when.dayofyear_sin", "when.dayofyear_cos",
                                  "when.dayofweek_sin", "when.dayofweek_cos"]
    X = data.encoder.transform(pd.DataFrame({"when": ["2020/03/01"]}))
    assert X[0, 0] == 2020
    np.testing.assert_allclose(X[0, 1:3], [np.sin(2 * np.pi * 2 / 12), np.cos(2 * np.pi * 2 / 12)],
                               atol=1e-6)
    np.testing.assert_allclose(X[0, 5:7], [np.sin(2 * np.pi * 6 / 7), np.cos(2 * np.pi * 6 / 7)],
                               atol=1e-6)             # 2020-03-01 was a Sunday (day 6)
    mixed = frame.assign(when=[*frame.when[:50], *days[50:].strftime("%d.%m.%Y")])
    message = error(path=write(tmp_path, mixed.to_csv(index=False), "mixed.csv"))
    first_bad = next(line for line in range(52, 62) if f"(line {line})" in message)
    assert message == (
        f"Date column 'when' in '{tmp_path / 'mixed.csv'}' mixes formats: "
        f"'{days[first_bad - 2].strftime('%d.%m.%Y')}' (line {first_bad}) does not read as "
        "%Y/%m/%d like the rest; write every date one way, or leave the column out with --drop "
        "when.")


def test_ids_are_left_out_and_drop_and_features_choose_columns(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"row": np.arange(1, 41), "code": [f"c{i:03d}" for i in range(40)],
                          "x": rng.normal(size=40), "y": np.arange(40) % 2})
    p = write(tmp_path, frame.to_csv(index=False))
    roles = {n: r for n, r, _ in load_dataset("csv", path=p).encoder.describe()}
    assert roles == {"row": "left out", "code": "left out", "x": "numeric"}
    assert load_dataset("csv", path=p, drop=["code"], features=["row", "code", "x"]) \
        .feature_names == ["row", "x"]
    assert error(path=p, drop=["x"], features=["x"]) == (
        f"'{p}' has no feature columns besides the target 'y' after --drop.")
    assert error(path=p, features=["row", "code"], drop=["row", "code"]) == (
        f"'{p}' has no feature columns besides the target 'y' after --drop.")
    assert error(path=p, drop=["x"]).startswith(f"No feature column is left in '{p}': 'row' an ID")


def zero_inflated(n=200, seed=0) -> pd.DataFrame:
    """debt: 0 on most rows (a point mass), with gaps; two: two values; rare: 5.0 on ~12 %."""
    rng = np.random.default_rng(seed)
    debt = np.where(rng.random(n) < 0.6, 0.0, rng.uniform(1, 100, n)).round(2)
    rare = np.where(rng.random(n) < 0.12, 5.0, rng.normal(size=n))
    frame = pd.DataFrame({"debt": debt, "two": rng.choice([0, 1], n), "rare": rare,
                          "y": rng.choice(["a", "b"], n)})
    frame.loc[:4, "debt"] = np.nan
    return frame


def test_a_numbers_point_mass_becomes_a_0_1_feature_said_and_applied_to_new_rows(tmp_path):
    frame = zero_inflated()
    frame.to_csv(tmp_path / "d.csv", index=False)
    data = load_dataset("csv", path=tmp_path / "d.csv", target="y", random_state=0)
    assert data.feature_names == ["debt", "debt=missing", "debt=0", "two", "rare"]
    notes = {name: note for name, _, note in data.encoder.describe()}
    present = data.X_train[:, 1] == 0                 # the share among the values given
    share = np.mean(data.X_train[present, 0] == 0)
    assert notes["debt"].endswith(f"; {share:.0%} of the rows are 0: that too as a 0/1 feature")
    assert "0/1" not in notes["two"] + notes["rare"]
    np.testing.assert_array_equal(data.X_train[:, 2], data.X_train[:, 0] == 0)
    new = pd.DataFrame({"debt": [0.0, 1e-9, 3.0, np.nan], "two": 1, "rare": 0.0})
    np.testing.assert_array_equal(data.encoder.transform(new)[:, 2], [1, 0, 0, 1])  # (fill 0)


def test_point_masses_is_a_share_0_turns_it_off_and_a_lower_one_finds_rarer_masses(tmp_path):
    zero_inflated().to_csv(tmp_path / "d.csv", index=False)
    off = load_dataset("csv", path=tmp_path / "d.csv", target="y", point_masses=0)
    assert off.feature_names == ["debt", "debt=missing", "two", "rare"]
    low = load_dataset("csv", path=tmp_path / "d.csv", target="y", point_masses=0.05)
    assert low.feature_names == ["debt", "debt=missing", "debt=0", "two", "rare", "rare=5"]
    for bad in (1.5, -0.1, "0.2", True):
        assert error(path=tmp_path / "d.csv", target="y", point_masses=bad) == (
            "point_masses (--point-masses) is a share of the training rows, from 0 (none) to "
            f"1; got {bad!r}.")


def test_a_model_files_point_mass_is_checked_and_older_files_have_none():
    from mlpkit.data.tables.encoding import ColumnEncoding

    assert ColumnEncoding("a", "numeric").mass is None     # (files before point masses)
    assert ColumnEncoding("a", "numeric", mass=0.0).feature_names == ["a", "a=0"]
    for bad in ("0", float("nan"), float("inf"), 10**400, 1e39, True):
        with pytest.raises(ValueError, match="point mass that is not a number"):
            ColumnEncoding("a", "numeric", mass=bad)
    with pytest.raises(ValueError, match="point mass"):
        ColumnEncoding("c", "category", categories=["x"], mass=1.0)


def coded(n=300, seed=0) -> pd.DataFrame:
    """state: a whole-number code (5 values) whose effect is no curve; year: 4 values, gaps;
    many: 40 whole numbers (7.5 rows each, too few); half: 10 values, not whole."""
    rng = np.random.default_rng(seed)
    state = rng.choice([3, 7, 1, 12, 5], n)
    frame = pd.DataFrame({"state": state, "year": rng.choice([1990, 1991, 1992, 1993], n)
                          .astype(float), "many": rng.integers(0, 40, n),
                          "half": rng.choice(np.arange(10) + 0.5, n),
                          "y": np.isin(state, [1, 12]) + rng.normal(0, 0.1, n)})
    frame.loc[:4, "year"] = np.nan
    return frame


def test_a_whole_number_code_gets_a_0_1_feature_per_value_said_and_applied_to_new_rows(
        tmp_path):
    coded().to_csv(tmp_path / "d.csv", index=False)
    data = load_dataset("csv", path=tmp_path / "d.csv", target="y", random_state=0)
    assert data.feature_names == [
        "state", "state=1", "state=3", "state=5", "state=7", "state=12",
        "year", "year=missing", "year=1990", "year=1991", "year=1992", "year=1993",
        "many", "half"]
    notes = {name: note for name, _, note in data.encoder.describe()}
    assert notes["state"] == "a number; whole numbers, 5 values (a code?): each also as a 0/1 " \
        "feature (--codes 0: none)"
    assert "0/1" not in notes["many"] + notes["half"]
    np.testing.assert_array_equal(data.X_train[:, 1:6],
                                  data.X_train[:, :1] == np.array([[1, 3, 5, 7, 12]]))
    new = pd.DataFrame({"state": [12, 2, 1], "year": [np.nan, 1993.0, 1990.0], "many": 0,
                        "half": 0.5})
    encoded = data.encoder.transform(new)
    np.testing.assert_array_equal(encoded[:, 1:6], [[0, 0, 0, 0, 1], [0] * 5, [1, 0, 0, 0, 0]])
    median = data.encoder.columns[1].fill                 # a gap: the median's value, if a code
    np.testing.assert_array_equal(encoded[0, 8:12], np.array([1990, 1991, 1992, 1993]) == median)


def test_codes_is_the_most_values_0_turns_it_off_and_bad_values_are_refused(tmp_path):
    coded().to_csv(tmp_path / "d.csv", index=False)
    off = load_dataset("csv", path=tmp_path / "d.csv", target="y", codes=0, point_masses=0)
    assert off.feature_names == ["state", "year", "year=missing", "many", "half"]
    four = load_dataset("csv", path=tmp_path / "d.csv", target="y", codes=4, point_masses=0)
    assert [n for n in four.feature_names if n.startswith("state")] == ["state"]
    assert "year=1993" in four.feature_names
    for bad in (-1, 2.5, "50", True):
        assert error(path=tmp_path / "d.csv", target="y", codes=bad) == (
            "codes (--codes) is the most distinct values a whole-number column may have to get "
            f"a 0/1 feature per value, a whole number from 0 (none); got {bad!r}.")


def test_a_model_files_code_values_are_checked():
    from mlpkit.data.tables.encoding import ColumnEncoding

    assert ColumnEncoding("a", "numeric").levels is None     # (files before codes)
    assert ColumnEncoding("a", "numeric", levels=[1.0, 2]).feature_names == ["a", "a=1", "a=2"]
    for bad in (["1"], [float("nan")], [1e39], [True], 1.0, "12"):
        with pytest.raises(ValueError, match="code values that are not numbers"):
            ColumnEncoding("a", "numeric", levels=bad)
    with pytest.raises(ValueError, match="code values"):
        ColumnEncoding("c", "category", categories=["x"], levels=[1.0])


def test_a_code_is_whole_numbers_of_3_to_most_values_each_seen_often_and_alike():
    from mlpkit.data.tables.columns import code_levels

    panel = np.repeat([4.0, 9.0, 1.0, 30.0], 25)                    # 4 states, 25 years each
    assert code_levels(panel, 50) == [1.0, 4.0, 9.0, 30.0]
    assert code_levels(panel, 3) is None                            # more values than most
    assert code_levels(panel, 0) is None
    assert code_levels(panel + 0.5, 50) is None                     # not whole numbers
    assert code_levels(np.repeat([1.0, 2.0], 50), 50) is None       # two values: an indicator
    assert code_levels(np.repeat(np.arange(12.0), 9), 50) is None   # 9 rows a value: too few
    ages = np.concatenate([np.repeat([30.0, 31.0, 32.0], 40), [18.0] * 15])   # 15 < 40 / 2:
    assert code_levels(ages, 50) is None                            # a quantity, crowded
    assert code_levels(np.concatenate([ages, [18.0] * 5]), 50) == [18.0, 30.0, 31.0, 32.0]
