"""The house keeps its plan: no import cycle, no module over 300 lines, no top-level name that
carries another's prefix, and a command imports only what it uses."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import mlpkit
from mlpkit.cli import COMMANDS, build_parser

SOURCE = Path(mlpkit.__file__).parent


def modules() -> dict[str, Path]:
    found = {}
    for path in SOURCE.rglob("*.py"):
        name = ".".join(("mlpkit", *path.relative_to(SOURCE).with_suffix("").parts))
        found[name.removesuffix(".__init__")] = path
    return found


def import_graph() -> dict[str, set[str]]:
    """Module -> the mlpkit modules it imports, at the top or inside functions."""
    known = modules()
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("mlpkit"):
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    targets.add(full if full in known else node.module)
            elif isinstance(node, ast.Import):
                targets |= {a.name for a in node.names if a.name.startswith("mlpkit")}
        graph[name] = {t for t in targets if t in known and t != name}
    return graph


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as a path that returns to its start, or None."""
    state: dict[str, int] = {}          # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        path.pop()
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_among_mlpkits_modules():
    assert cycle(import_graph()) is None


def test_every_folder_is_a_package_that_an_install_finds():
    folders = [d for d in SOURCE.rglob("*") if d.is_dir() and d.name != "__pycache__"]
    assert [d for d in folders if not (d / "__init__.py").exists()] == []


def test_no_source_file_is_ignored_by_git():
    """A module git ignores works here and is missing from every clone (``runs/`` once was)."""
    import shutil

    root = SOURCE.parent.parent
    if shutil.which("git") is None or not (root / ".git").exists():
        pytest.skip("not a git checkout")
    out = subprocess.run(["git", "ls-files", "--others", "--ignored", "--exclude-standard",
                          "src"], cwd=root, capture_output=True, text=True, check=True)
    ignored = [f for f in out.stdout.split() if "__pycache__" not in f and ".egg-info" not in f]
    assert ignored == []


def test_no_module_over_300_lines():
    long = {name: n for name, path in modules().items()
            if (n := len(path.read_text().splitlines())) > 300}
    assert long == {}


def test_no_top_level_name_carries_another_ones_prefix():
    names = {p.stem for p in SOURCE.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()}
    prefixed = {n for n in names for other in names if n != other and n.startswith(other + "_")}
    assert prefixed == set()


def test_every_command_of_the_table_has_its_parser_and_a_handler():
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command")
    assert set(commands.choices) == set(COMMANDS)
    for name, sub in commands.choices.items():
        assert sub.get_default("handler") is not None, name


@pytest.mark.parametrize("command, unwanted", [
    ("predict", ("torch", "mlpkit.training.loop", "mlpkit.sweep", "mlpkit.diagnostics")),
    ("datasets", ("torch", "mlpkit.training.session", "mlpkit.runs")),
])
def test_a_command_imports_only_what_it_uses(command, unwanted):
    code = ("import sys, contextlib, io\n"
            "from mlpkit.cli import main\n"
            f"with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
            f"    main([{command!r}, '--help'])\n"
            f"print(sorted(m for m in {unwanted!r} if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
