"""The bad-input corpus: every case exits 2 with one line naming the problem and the fix,
prints no traceback, and leaves the file tree exactly as it was."""

import gzip
import shutil
from pathlib import Path

import pytest

from .conftest import tree

GOOD_CSV = "a,b,label\n" + "".join(f"{i},{i % 7},{'yes' if i % 2 else 'no'}\n" for i in range(40))


def csv(text: str | bytes, name: str = "data.csv"):
    def make(root: Path) -> None:
        path = root / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return make


def many(*makers):
    def make(root: Path) -> None:
        for m in makers:
            m(root)
    return make


def mnist_folder(missing: str | None = None, truncate: str | None = None):
    def make(root: Path) -> None:
        import struct

        import numpy as np
        folder = root / "mnist"
        folder.mkdir()
        for split, n in (("train", 6), ("t10k", 4)):
            for part, shape, code in (("images-idx3-ubyte", (n, 28, 28), 3),
                                      ("labels-idx1-ubyte", (n,), 1)):
                name = f"{split}-{part}.gz"
                data = bytes([0, 0, 8, code]) + struct.pack(f">{code}I", *shape) + \
                    np.zeros(shape, np.uint8).tobytes()
                if name == truncate:
                    data = data[:-7]
                if name != missing:
                    (folder / name).write_bytes(gzip.compress(data))
    return make


def copy_run(dest: str = "run"):
    def make(root: Path, trained: Path) -> None:
        shutil.copytree(trained, root / dest)
    return make


TRAIN = ["train", "--dataset", "blobs", "--epochs", "1", "--quiet"]
LONG_ROWS = [f"{i * 37 % 101 / 10},{i % 7},{'yes' if i % 2 else 'no'}\n" for i in range(3000)]


def long_csv(line: int, row: str, name: str = "data.csv"):
    """3000 good rows with ``row`` at file line ``line`` (the header is line 1)."""
    rows = list(LONG_ROWS)
    rows[line - 2] = row
    return csv("a,b,label\n" + "".join(rows), name)


STREAM = ["train", "--csv", "data.csv", "--stream", "--data-option", "chunk_bytes=2000",
          "--epochs", "1", "--quiet"]
CASES = [
    # ---- streamed tables: the bad row far into the file, named by file and line
    ("stream-malformed-row", long_csv(2501, "1,2,yes,4\n"), STREAM,
     "mlpkit: error: Data file 'data.csv' is malformed at line 2501: Error tokenizing data. C "
     "error: Expected 3 fields in line 2501, saw 4."),
    ("stream-text-in-a-numeric-column", long_csv(2800, "oops,2,yes\n"), STREAM,
     "mlpkit: error: Column 'a' in 'data.csv' must be numeric, but holds 'oops' (line 2800)."),
    ("stream-without-a-file", None, ["train", "--dataset", "blobs", "--stream"],
     "mlpkit: error: --stream reads your own file: pass --csv FILE (a CSV or Parquet file, or a "
     "folder of Parquet files)."),
    ("stream-lbfgs", csv(GOOD_CSV), [*STREAM, "--optimizer", "lbfgs"],
     "mlpkit: error: --stream trains on minibatches; use --optimizer sgd or adam (not lbfgs) and "
     "a --batch-size N (not full)."),
    ("convert-output-exists", many(csv(GOOD_CSV), csv("keep", "out.parquet")),
     ["convert", "data.csv", "out.parquet"],
     "mlpkit: error: 'out.parquet' already exists; choose another name or pass --overwrite."),
    ("doctor-not-a-run", csv(GOOD_CSV), ["doctor", "."],
     "mlpkit: error: '.' is not a run folder made by mlpkit train (no history.csv or "
     "config.toml); pass one, e.g. runs/moons-001."),
    ("gradcheck-hidden-zero", None, ["gradcheck", "--hidden", "0"],
     "mlpkit: error: --hidden must be between 1 and 64 (a network small enough to check or "
     "read), got [0]."),
    ("explain-output-exists", csv("keep", "explain.html"), ["explain", "-o", "explain.html"],
     "mlpkit: error: Output file 'explain.html' already exists; choose another -o or pass "
     "--overwrite."),
    ("explain-one-class", None, ["explain", "--classes", "1"],
     "mlpkit: error: --classes must be at least 2 (a softmax over classes)."),
    ("sweep-malformed-space", csv("[lr\nlow = 1", "space.toml"),
     ["sweep", "--dataset", "iris", "--space", "space.toml"],
     "mlpkit: error: Space file 'space.toml' is not valid TOML (Expected ']' at the end of a "
     "table declaration (at line 1, column 4)); fix it (docs/sweep.md shows the format)."),
    ("sweep-unknown-parameter", csv("[dropuot]\nlow = 0.0\nhigh = 0.5", "space.toml"),
     ["sweep", "--dataset", "iris", "--space", "space.toml"],
     "mlpkit: error: Space file 'space.toml': Unknown parameter 'dropuot'. Did you mean "
     "'dropout'? Known: depth, width, activation, embedding, ensemble, input_scaling, "
     "parametric_activation, parametrization, category_embedding, init, dropout, scale, "
     "scaler, clip_output, optimizer, lr, bias_lr_factor, momentum, nesterov, weight_decay, "
     "alpha, l1, label_smoothing, schedule, regularization_schedule, power_t, batch_size, "
     "epochs, shuffle, patience, min_epochs, tol, beta_1, beta_2, epsilon, max_fun."),
    ("sweep-empty-range", csv("[lr]\nlow = 0.1\nhigh = 0.001\nlog = true", "space.toml"),
     ["sweep", "--dataset", "iris", "--space", "space.toml"],
     "mlpkit: error: Space file 'space.toml': [lr] is an empty range (low 0.1 > high 0.001); "
     "swap them."),
    ("sweep-empty-choices", csv("[activation]\nchoices = []", "space.toml"),
     ["sweep", "--dataset", "iris", "--space", "space.toml"],
     "mlpkit: error: Space file 'space.toml': [activation] choices is empty; list at least one "
     "value."),
    ("sweep-timeout-zero", None, ["sweep", "--dataset", "iris", "--timeout", "0"],
     "mlpkit: error: --timeout must be more than 0 seconds, got 0."),
    ("sweep-no-validation", None, ["sweep", "--dataset", "iris", "--val-fraction", "0"],
     "mlpkit: error: A sweep scores its trials on validation rows; --val-fraction must be more "
     "than 0 (default 0.2)."),
    ("sweep-fixed-and-searched", csv("[lr]\nlow = 0.001\nhigh = 0.1", "space.toml"),
     ["sweep", "--dataset", "iris", "--space", "space.toml", "--lr", "0.01"],
     "mlpkit: error: lr is both searched ('space.toml') and fixed on the command line; drop "
     "one."),
    ("sweep-out-is-a-file", csv("keep", "results"),
     ["sweep", "--dataset", "iris", "--out", "results"],
     "mlpkit: error: 'results' is a file; choose another --out."),
    # ---- command-line arguments
    ("unknown-option", None, ["train", "--frobnicate"],
     "mlpkit: error: unrecognized arguments: --frobnicate; see 'mlpkit --help'."),
    ("unknown-command", None, ["fly"],
     "mlpkit: error: argument COMMAND: invalid choice: 'fly' (choose from 'train', 'report', "
     "'compare', 'evaluate', 'predict', 'convert', 'export', 'progression', 'sweep', 'doctor', "
     "'gradcheck', 'explain', 'datasets', 'playground'); see 'mlpkit "
     "--help'."),
    ("hidden-negative", None, [*TRAIN, "--hidden", "-5"],
     "mlpkit: error: each hidden layer size must be a positive integer, got -5."),
    ("hidden-zero", None, [*TRAIN, "--hidden", "0"],
     "mlpkit: error: each hidden layer size must be a positive integer, got 0."),
    ("hidden-not-a-number", None, [*TRAIN, "--hidden", "ten"],
     "mlpkit train: error: argument --hidden: invalid int value: 'ten'; see 'mlpkit train "
     "--help'."),
    ("lr-zero", None, [*TRAIN, "--lr", "0"],
     "mlpkit: error: lr must be a positive number, got 0.0."),
    ("lr-negative", None, [*TRAIN, "--lr", "-0.1"],
     "mlpkit: error: lr must be a positive number, got -0.1."),
    ("lr-text", None, [*TRAIN, "--lr", "fast"],
     "mlpkit train: error: argument --lr: invalid float value: 'fast'; see 'mlpkit train --help'."),
    ("epochs-zero", None, [*TRAIN, "--epochs", "0"],
     "mlpkit: error: epochs must be a positive integer, got 0."),
    ("epochs-negative", None, [*TRAIN, "--epochs", "-3"],
     "mlpkit: error: epochs must be a positive integer, got -3."),
    ("batch-zero", None, [*TRAIN, "--batch-size", "0"],
     "mlpkit: error: batch_size must be a positive integer, got 0."),
    ("batch-larger-than-data", None, [*TRAIN, "--batch-size", "5000"],
     "mlpkit: error: batch_size 5000 is larger than the 640 training samples; use a smaller "
     "size, or 'full' (--batch-size full) for full-batch gradient descent."),
    ("activation-typo", None, [*TRAIN, "--activation", "sigmod"],
     "mlpkit: error: Unknown activation 'sigmod'. Did you mean 'sigmoid'? Known: identity, "
     "logistic, mish, relu, selu, sigmoid, tanh."),
    ("optimizer-typo", None, [*TRAIN, "--optimizer", "adamm"],
     "mlpkit: error: Unknown optimizer 'adamm'. Did you mean 'adam'? Known: adam, adamw, "
     "lbfgs, rmsprop, sgd."),
    ("init-typo", None, [*TRAIN, "--init", "xavier"],
     "mlpkit: error: Unknown initializer 'xavier'. Did you mean 'xavier_normal'? Known: "
     "default, kaiming_normal, kaiming_uniform, normal, sklearn, xavier_normal, xavier_uniform, "
     "zeros."),
    ("dropout-too-large", None, [*TRAIN, "--dropout", "1.5"],
     "mlpkit: error: dropout must lie in [0, 1), got 1.5."),
    ("val-fraction-one", None, [*TRAIN, "--val-fraction", "1"],
     "mlpkit: error: val_fraction must lie in [0, 1), got 1.0."),
    ("momentum-with-adam", None, [*TRAIN, "--momentum", "0.9"],
     "mlpkit: error: momentum applies to sgd and rmsprop, not adam."),
    ("nesterov-without-momentum", None, [*TRAIN, "--optimizer", "sgd", "--nesterov"],
     "mlpkit: error: nesterov needs optimizer 'sgd' and momentum > 0."),
    ("loss-for-regression", None, ["train", "--dataset", "diabetes", "--loss", "cross_entropy",
                                   "--quiet"],
     "mlpkit: error: A regression target trains with loss 'mse', 'squared_error' or "
     "'poisson', not 'cross_entropy'."),
    ("threads-zero", None, [*TRAIN, "--threads", "0"],
     "mlpkit: error: threads must be a positive integer, got 0."),
    ("numpy-on-gpu", None, [*TRAIN, "--engine", "numpy", "--device", "cuda"],
     "mlpkit: error: The numpy engine runs on the CPU only; use --engine torch for device 'cuda'."),
    ("dataset-typo", None, ["train", "--dataset", "blobz"],
     "mlpkit: error: Unknown dataset 'blobz'. Did you mean 'blobs'? Known: blobs, breast_cancer, "
     "circles, csv, diabetes, digits, fashion_mnist, iris, mnist, moons, spirals, surface, wine, "
     "xor."),
    ("dataset-and-csv", csv(GOOD_CSV), ["train", "--dataset", "blobs", "--csv", "data.csv"],
     "mlpkit: error: Give --dataset or --csv, not both."),
    ("dataset-option-typo", None, [*TRAIN, "--data-option", "n_sample=50"],
     "mlpkit: error: Unknown option 'n_sample' for dataset 'blobs'. Did you mean 'n_samples'? "
     "Options: test_size, n_samples, centers, n_features, cluster_std, random_state."),
    ("dataset-option-format", None, [*TRAIN, "--data-option", "noisy"],
     "mlpkit train: error: argument --data-option: expected KEY=VALUE, got 'noisy'; see 'mlpkit "
     "train --help'."),
    ("config-missing", None, ["train", "--config", "missing.toml"],
     "mlpkit: error: Config file 'missing.toml' does not exist."),
    ("config-not-toml", csv("[data\nx = ", "bad.toml"), ["train", "--config", "bad.toml"],
     "mlpkit: error: Config file 'bad.toml' is not valid TOML (Expected ']' at the end of a table "
     "declaration (at line 1, column 6))."),
    ("config-unknown-section", csv("[wat]\nx = 1\n", "odd.toml"), ["train", "--config", "odd.toml"],
     "mlpkit: error: Unknown config section 'wat'. Known: run, data, model, train."),
    ("config-unknown-setting", csv("[train]\nlearning_rate = 1\n", "odd.toml"),
     ["train", "--config", "odd.toml"],
     "mlpkit: error: Unknown [train] setting 'learning_rate'. Known: loss, optimizer, lr, "
     "bias_lr_factor, momentum, nesterov, weight_decay, alpha, l1, label_smoothing, schedule, "
     "regularization_schedule, power_t, batch_size, epochs, shuffle, val_fraction, patience, "
     "min_epochs, tol, beta_1, beta_2, epsilon, max_fun, class_weight, seed."),
    # ---- CSV files
    ("csv-missing", None, ["train", "--csv", "nowhere.csv"],
     "mlpkit: error: CSV file 'nowhere.csv' does not exist; check the path."),
    ("csv-directory", lambda r: (r / "folder.csv").mkdir(), ["train", "--csv", "folder.csv"],
     "mlpkit: error: 'folder.csv' is a folder, not a CSV file; pass the path of a .csv file."),
    ("csv-empty", csv(""), ["train", "--csv", "data.csv"],
     "mlpkit: error: CSV file 'data.csv' is empty; it needs a header row and at least one data "
     "row."),
    ("csv-header-only", csv("a,b,label\n"), ["train", "--csv", "data.csv"],
     "mlpkit: error: CSV file 'data.csv' has a header but no data rows."),
    ("csv-binary", csv(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), ["train", "--csv", "data.csv"],
     "mlpkit: error: 'data.csv' is not a text CSV file (it holds binary or non-UTF-8 bytes); "
     "save the table as UTF-8 CSV."),
    ("csv-duplicate-columns", csv("a,a,label\n1,2,x\n"), ["train", "--csv", "data.csv"],
     "mlpkit: error: CSV file 'data.csv' has duplicated column names: 'a'; make every header "
     "unique."),
    ("csv-unclosed-quote", csv('a,label\n1,"x\n'), ["train", "--csv", "data.csv"],
     "mlpkit: error: CSV file 'data.csv' is malformed: Error tokenizing data. C error: EOF inside "
     "string starting at row 1."),
    ("csv-unknown-target", csv(GOOD_CSV), ["train", "--csv", "data.csv", "--target", "lable"],
     "mlpkit: error: Target column 'lable' is not in 'data.csv'. Did you mean 'label'? Columns: "
     "a, b, label."),
    ("csv-missing-values", csv(GOOD_CSV.replace("3,3,yes", "3,,yes")),
     ["train", "--csv", "data.csv", "--impute", "none"],
     "mlpkit: error: Column 'b' in 'data.csv' has missing values (line 5); fill them, or pass "
     "impute='mean', 'median' or 'drop' (--impute)."),
    ("csv-point-masses-out-of-range", csv(GOOD_CSV),
     ["train", "--csv", "data.csv", "--point-masses", "1.5"],
     "mlpkit: error: point_masses (--point-masses) is a share of the training rows, from 0 "
     "(none) to 1; got 1.5."),
    ("csv-codes-negative", csv(GOOD_CSV), ["train", "--csv", "data.csv", "--codes", "-1"],
     "mlpkit: error: codes (--codes) is the most distinct values a whole-number column may have "
     "to get a 0/1 feature per value, a whole number from 0 (none); got -1."),
    ("csv-infinity", csv(GOOD_CSV.replace("3,3,yes", "3,inf,yes")), ["train", "--csv", "data.csv"],
     "mlpkit: error: Column 'b' in 'data.csv' has an infinite or too large value (line 5); "
     "float32 holds magnitudes up to 3.4e38."),
    ("csv-huge-value", csv(GOOD_CSV.replace("3,3,yes", "3,1e300,yes")),
     ["train", "--csv", "data.csv"],
     "mlpkit: error: Column 'b' in 'data.csv' has an infinite or too large value (line 5); "
     "float32 holds magnitudes up to 3.4e38."),
    ("csv-text-in-numbers", csv(GOOD_CSV.replace("3,3,yes", "3,three,yes")),
     ["train", "--csv", "data.csv"],
     "mlpkit: error: Column 'b' in 'data.csv' is numeric except for 'three' (line 5); fix those "
     "cells."),
    ("csv-too-many-categories",
     csv("id,label\n" + "".join(f"user{i},{i % 2}\n" for i in range(1300))),
     ["train", "--csv", "data.csv", "--features", "id"],
     "mlpkit: error: Feature column 'id' in 'data.csv' holds text with 1040 distinct values, too "
     "many to one-hot encode (at most 1000); leave it out with --drop id."),
    ("csv-only-an-id", csv("id,label\n" + "".join(f"user{i},{i % 2}\n" for i in range(120))),
     ["train", "--csv", "data.csv"],
     "mlpkit: error: No feature column is left in 'data.csv': 'id' an ID (a different value on "
     "every row); keep it with --features id .... Name the columns to use with --features."),
    ("csv-dates-in-two-formats",
     csv("day,label\n" + "".join(f"2020-01-{i % 28 + 1:02d},{i % 2}\n" for i in range(30))
         + "".join("01.01.2020,0\n01.01.2020,1\n" for _ in range(5))),
     ["train", "--csv", "data.csv"],
     "mlpkit: error: Date column 'day' in 'data.csv' mixes formats: '01.01.2020' (line 33) does "
     "not read as %Y-%m-%d like the rest; write every date one way, or leave the column out with "
     "--drop day."),
    ("csv-single-class", csv("a,label\n1,x\n2,x\n3,x\n"), ["train", "--csv", "data.csv"],
     "mlpkit: error: Target column 'label' in 'data.csv' has a single class ('x'); classification "
     "needs at least two."),
    ("csv-class-too-small", csv("a,label\n1,x\n2,x\n3,x\n4,y\n"), ["train", "--csv", "data.csv"],
     "mlpkit: error: Class 'y' has only 1 row; a stratified split needs at least 2 per class. Add "
     "rows or supply a separate test set."),
    ("csv-test-other-columns", many(csv(GOOD_CSV), csv("a,c,label\n1,2,yes\n", "test.csv")),
     ["train", "--csv", "data.csv", "--test-csv", "test.csv"],
     "mlpkit: error: Test CSV 'test.csv' has other columns than 'data.csv': missing ['b'], extra "
     "['c']."),
    ("csv-test-unseen-label", many(csv(GOOD_CSV), csv("a,b,label\n1,2,maybe\n", "test.csv")),
     ["train", "--csv", "data.csv", "--test-csv", "test.csv"],
     "mlpkit: error: 'test.csv' has target label(s) ['maybe'] that the training data never had "
     "(known: no, yes)."),
    ("csv-2-gigabytes", lambda r: open(r / "big.csv", "wb").truncate(2 * 2**30),
     ["train", "--csv", "big.csv"],
     "mlpkit: error: CSV file 'big.csv' is 2.0 GiB; mlpkit loads a CSV into memory and refuses "
     "files over 1 GiB. Train on it with --stream, or sample it first."),
    # ---- data folders
    ("mnist-folder-missing", None, ["train", "--dataset", "mnist", "--data-dir", "nowhere"],
     "mlpkit: error: Data folder 'nowhere' does not exist; pass the folder that holds the four "
     "MNIST files."),
    ("mnist-file-missing", mnist_folder(missing="t10k-labels-idx1-ubyte.gz"),
     ["train", "--dataset", "mnist", "--data-dir", "mnist"],
     "mlpkit: error: MNIST folder 'mnist' (data_dir) is missing t10k-labels-idx1-ubyte; it needs "
     "all four of train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, "
     "t10k-labels-idx1-ubyte (each may be .gz)."),
    ("mnist-file-truncated", mnist_folder(truncate="train-images-idx3-ubyte.gz"),
     ["train", "--dataset", "mnist", "--data-dir", "mnist"],
     "mlpkit: error: 'mnist/train-images-idx3-ubyte.gz' is truncated: its header promises 4704 "
     "data bytes for shape (6, 28, 28), the file holds 4697; fetch it again."),
]

RUN_CASES = [
    ("evaluate-missing-run", None, ["evaluate", "nowhere"],
     "mlpkit: error: Run folder 'nowhere' does not exist; pass a folder made by mlpkit train."),
    ("evaluate-not-a-run", lambda r, t: (r / "empty").mkdir(), ["evaluate", "empty"],
     "mlpkit: error: 'empty' has no model.json; pass a folder made by mlpkit train."),
    ("evaluate-other-features", copy_run(), ["evaluate", "run", "--dataset", "iris"],
     "mlpkit: error: Dataset 'iris' has 4 features, but the model expects 2."),
    ("predict-missing-columns", lambda r, t: (copy_run()(r, t), csv("x0,z\n1,2\n", "in.csv")(r)),
     ["predict", "run", "in.csv", "-o", "out.csv"],
     "mlpkit: error: 'in.csv' lacks the column(s) ['x1'] the model was trained on; its header "
     "must name x0, x1."),
    ("predict-nan", lambda r, t: (copy_run()(r, t), csv("x0,x1\n1,\n", "in.csv")(r)),
     ["predict", "run", "in.csv", "-o", "out.csv"],
     "mlpkit: error: 'in.csv' contains NaN or infinity (first at index [0, 1]); remove or impute "
     "those values."),
    ("predict-output-exists", lambda r, t: (copy_run()(r, t), csv("x0,x1\n1,2\n", "in.csv")(r),
                                            csv("keep me", "out.csv")(r)),
     ["predict", "run", "in.csv", "-o", "out.csv"],
     "mlpkit: error: Output file 'out.csv' already exists; choose another -o or pass --overwrite."),
    ("train-into-existing-run", copy_run(), [*TRAIN, "--out", "run"],
     "mlpkit: error: Output folder 'run' already exists and is not empty; choose another --out "
     "(mlpkit never overwrites a run)."),
    ("resume-finished-run", copy_run(), ["train", "--resume", "run"],
     "mlpkit: error: Run 'run' has already trained 3 of its 3 epochs; pass --epochs N with N > 3 "
     "to train it further."),
]


def check(run_cli, root: Path, argv, expected: str) -> None:
    before = tree(root)
    code, err = run_cli(argv)
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.strip() == expected
    assert tree(root) == before          # nothing written, nothing overwritten


@pytest.mark.parametrize("name, setup, argv, expected", CASES, ids=[c[0] for c in CASES])
def test_bad_input(tmp_path, monkeypatch, run_cli, name, setup, argv, expected):
    monkeypatch.chdir(tmp_path)
    if setup:
        setup(tmp_path)
    check(run_cli, tmp_path, argv, expected)


@pytest.mark.parametrize("name, setup, argv, expected", RUN_CASES, ids=[c[0] for c in RUN_CASES])
def test_bad_run_folder_input(tmp_path, monkeypatch, run_cli, trained_run, name, setup, argv,
                              expected):
    monkeypatch.chdir(tmp_path)
    if setup:
        setup(tmp_path, trained_run)
    check(run_cli, tmp_path, argv, expected)


def test_the_corpus_is_large_enough():
    assert len(CASES) + len(RUN_CASES) >= 40
