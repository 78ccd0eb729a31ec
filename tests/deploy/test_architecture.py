"""The rooms of ``app/`` and what each may import (``docs/architecture.md`` draws them).

Read from the source (every ``import``, also those inside functions) and checked again at run
time in a fresh interpreter, so that a lazy import cannot hide a leak:

- the shared modules (``config``, ``contract``, ``envelope``, ``keys``, ``embedded``,
  ``primary``) import no program;
- the service imports neither the simulator nor the relay, nor their extra dependencies;
- the relay and the simulator import neither the service nor each other;
- ``app.ops`` (migrations, roles, retention) imports no program;
- ``wallet``'s front door (``app.cli``) loads the relay and the simulator only inside the
  command that runs them;
- ``bench/`` takes what it needs from the package, never from ``tests/``.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"
SHARED = (
    "app.config",
    "app.contract",
    "app.envelope",
    "app.keys",
    "app.embedded",
    "app.primary",
)
PROGRAMS = ("app.service", "app.relay", "app.simulator")

# room -> the rooms of app it may import (itself always)
MAY_IMPORT = {
    "shared": {"shared"},
    "app.ops": {"shared"},
    "app.service": {"shared", "app.ops"},
    "app.relay": {"shared"},
    "app.simulator": {"shared"},
}


def room_of(module: str) -> str:
    if module in SHARED or module == "app":
        return "shared"
    for room in (*PROGRAMS, "app.ops"):
        if module == room or module.startswith(room + "."):
            return room
    if module == "app.cli":
        return "app.cli"
    raise AssertionError(f"{module} belongs to no room: add it to docs/architecture.md and here")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> list[tuple[str, bool]]:
    """(imported module, at module level?) for every import statement of the file."""
    tree = ast.parse(path.read_text(), str(path))
    top = {id(node) for node in tree.body}
    found: list[tuple[str, bool]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in top) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "app":  # from app import keys
                found += [(f"app.{alias.name}", id(node) in top) for alias in node.names]
            else:
                found.append((node.module, id(node) in top))
    return found


def app_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(APP.rglob("*.py"))}


def test_every_room_imports_only_what_it_may() -> None:
    leaks = []
    for module, path in app_modules().items():
        room = room_of(module)
        for imported, _ in imports_of(path):
            if imported != "app" and not imported.startswith("app."):
                continue
            target = room_of(imported)
            if room == "app.cli" or target == room:
                continue
            if target not in MAY_IMPORT[room]:
                leaks.append(f"{module} ({room}) imports {imported} ({target})")
    assert leaks == []


def test_the_front_door_loads_relay_and_simulator_only_for_their_commands() -> None:
    eager = [
        imported
        for imported, top in imports_of(APP / "cli.py")
        if top and imported.startswith(("app.relay", "app.simulator"))
    ]
    assert eager == []


def loaded_after(statement: str) -> list[str]:
    """The modules a fresh interpreter holds after ``statement``."""
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.splitlines()[-1])


FORBIDDEN_IN_SERVICE = ("app.simulator", "app.relay", "httpx", "rich", "aio_pika")


@pytest.mark.parametrize(
    "statement",
    [
        # what a uvicorn worker imports, and what it builds
        "import pathlib, tempfile\n"
        "from app.config import Settings\n"
        "from app.keys import ProviderKey\n"
        "from app.service.app import create_app\n"
        "key = pathlib.Path(tempfile.mkdtemp()) / 'provider.pem'\n"
        "key.write_bytes(ProviderKey.generate().public_pem)\n"
        "create_app(Settings(database_url='postgresql://nobody@127.0.0.1:1/none',"
        " jwt_public_keys=(key,)))",
        # the `wallet` command a `wallet serve` parent runs
        "import app.cli; app.cli.build_parser()",
    ],
    ids=["worker", "wallet-serve"],
)
def test_the_service_process_loads_no_simulator_or_relay(statement: str) -> None:
    loaded = loaded_after(statement)
    leaked = [name for name in loaded if name.split(".")[0] in FORBIDDEN_IN_SERVICE]
    leaked += [name for name in loaded if name.startswith(FORBIDDEN_IN_SERVICE)]
    assert sorted(set(leaked)) == []


@pytest.mark.parametrize(
    ("statement", "forbidden"),
    [
        ("import app.simulator.main", ("app.service", "app.relay")),
        ("import app.relay.publisher", ("app.service", "app.simulator")),
        ("import app.ops.retention, app.ops.roles, app.ops.command_line", PROGRAMS),
        *[(f"import {module}", PROGRAMS) for module in SHARED],
    ],
)
def test_each_program_and_shared_module_loads_only_its_own(
    statement: str, forbidden: tuple[str, ...]
) -> None:
    assert [name for name in loaded_after(statement) if name.startswith(forbidden)] == []


def test_bench_imports_nothing_from_tests() -> None:
    offenders = []
    for path in sorted((ROOT / "bench").glob("*.py")):
        text = path.read_text()
        offenders += [
            f"{path.name} imports {imported}"
            for imported, _ in imports_of(path)
            if imported == "tests" or imported.startswith("tests.")
        ]
        if "sys.path" in text:
            offenders.append(f"{path.name} changes sys.path")
    assert offenders == []
