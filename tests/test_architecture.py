"""The package keeps the shape docs/architecture.md gives it: imports only run down the floors, other rooms reach
analysis through its public face, nothing registers itself on import, no module grows past 450 lines
and no function reaches 60."""

import ast
import textwrap
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "consultation"
MAX_LINES = 450
MAX_FUNCTION_LINES = 60

# The floors of docs/architecture.md. Every top-level module not named here (extensions, errors, clock, common,
# boroughs, bulk...) is the ground: the core, which any room may import and which may import only other core modules.
GROUND = 0
FLOORS = {
    "accounts": 1,
    "catalog": 2,
    "intake": 3,
    "petitions": 3,
    "analysis": 4,
    "reporting": 5,
    "submissions": 6,
    "web": 7,
    "console": 7,
    "cli": 7,
    # The application factory, the models registry Alembic reads, and the Celery entry point wire every room.
    "__init__": 8,
    "models": 8,
    "worker": 8,
}
# Cross-room hooks: a lower room sends blinker signals and create_app connects a higher room's receivers; no module
# connects (by a call or a decorator) on import.
HOOKS = ("connect", "connect_via", "register_cache_invalidation")
# What other rooms may import from analysis: its service package (the public face) and its models.
ANALYSIS_FACE = ("consultation.analysis.service", "consultation.analysis.models")
# Only the factory and the CLI plug analysis's routes, tasks, commands and seed data in.
WIRING_ROOMS = ("__init__", "cli", "worker")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def room_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def floor_of(room: str) -> int:
    return FLOORS.get(room, GROUND)


def is_module(name: str) -> bool:
    relative = Path(*name.split("."))
    return (PACKAGE.parent / relative).with_suffix(".py").exists() or (PACKAGE.parent / relative).is_dir()


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every import of the package in the file, wherever it sits (top level or in a function)."""
    source_module = module_name(path)
    package = source_module if path.name == "__init__.py" else source_module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.startswith("consultation")]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            if not base.startswith("consultation"):
                continue
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.append((node.lineno, candidate if is_module(candidate) else base))
    return found


def violation(source: str, target: str) -> str | None:
    """Why importing `target` from `source` breaks the floors, or None when it may."""
    source_room, target_room = room_of(source), room_of(target)
    if source_room == target_room:
        return None
    source_floor, target_floor = floor_of(source_room), floor_of(target_room)
    if target_room == "analysis" and source_room not in WIRING_ROOMS:
        if not any(target == face or target.startswith(face + ".") for face in ANALYSIS_FACE):
            return f"{source} reaches into analysis ({target}); use consultation.analysis.service"
        if target.startswith("consultation.analysis.service."):
            return f"{source} imports {target}; import the face, consultation.analysis.service"
    if source_floor == GROUND and target_floor == GROUND:
        return None
    if source_floor == max(FLOORS.values()):
        return None  # the wiring plugs every room in
    if target_floor < source_floor:
        return None
    direction = "sideways" if target_floor == source_floor else "up"
    return f"{source} (floor {source_floor}) imports {target} (floor {target_floor}): {direction}"


def all_modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_imports_only_run_down_the_floors():
    problems = []
    for path in all_modules():
        source = module_name(path)
        for line, target in imported_modules(path):
            reason = violation(source, target)
            if reason:
                problems.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {reason}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("consultation.accounts.service", "consultation.catalog.models"),  # up
        ("consultation.intake.service", "consultation.petitions.service"),  # sideways
        ("consultation.catalog.service", "consultation.intake.service"),  # up
        ("consultation.reporting.service.findings", "consultation.analysis.engine"),  # behind the face
        ("consultation.reporting.service.aggregates", "consultation.analysis.service.run"),  # behind the face
        ("consultation.web.pages", "consultation.analysis.tasks"),  # wiring is for the factory and the CLI
        ("consultation.clock", "consultation.accounts.models"),  # the ground stands on nothing
        ("consultation.console.pages", "consultation.web.forms"),  # the staff console and resident pages
        ("consultation.web.pages", "consultation.console.layout"),  # share only what sits on a lower floor
    ],
)
def test_the_floor_check_catches_an_import_that_breaks_the_rules(source, target):
    assert violation(source, target) is not None


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("consultation.accounts.service", "consultation.boroughs"),
        ("consultation.catalog.service", "consultation.accounts.service"),
        ("consultation.reporting.service.exports", "consultation.analysis.service"),
        ("consultation.reporting.service.aggregates", "consultation.analysis.models"),
        ("consultation.analysis.service.run", "consultation.analysis.engine"),
        ("consultation.cli", "consultation.analysis.commands"),
        ("consultation.extensions", "consultation.errors"),
    ],
)
def test_the_floor_check_allows_imports_that_run_down(source, target):
    assert violation(source, target) is None


def test_relative_imports_are_resolved_against_their_package():
    engine_init = PACKAGE / "analysis" / "engine" / "__init__.py"
    targets = {target for _, target in imported_modules(engine_init)}
    assert "consultation.analysis.engine.codebook" in targets


def test_no_module_passes_450_lines():
    long = {
        str(path.relative_to(PACKAGE.parent)): lines
        for path in all_modules()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def long_functions(source: str) -> list[tuple[int, str, int]]:
    """(line, name, length) of every function and method, nested ones too, of MAX_FUNCTION_LINES lines or more,
    counted from the `def` line (decorators excluded) to the function's last line."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno + 1
            if length >= MAX_FUNCTION_LINES:
                found.append((node.lineno, node.name, length))
    return found


def test_no_function_reaches_60_lines():
    problems = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {name} is {length} lines"
        for path in all_modules()
        for line, name, length in long_functions(path.read_text(encoding="utf-8"))
    ]
    assert not problems, f"functions of {MAX_FUNCTION_LINES} lines or more (split them into steps):\n" + "\n".join(
        problems
    )


def test_the_function_check_counts_from_the_def_line_to_the_last_line():
    body = "".join(f"    x{number} = {number}\n" for number in range(MAX_FUNCTION_LINES - 2))
    decorated = "@decorator\n@another\ndef f():\n" + body
    assert long_functions(decorated) == []
    assert long_functions(decorated + "    return x0\n") == [(3, "f", MAX_FUNCTION_LINES)]
    method = "class C:\n    def m(self):\n" + textwrap.indent(body, "    ") + "        return 1\n"
    assert long_functions(method) == [(2, "m", MAX_FUNCTION_LINES)]


def test_every_room_has_the_same_face():
    for room in ("catalog", "intake", "analysis", "reporting"):
        folder = PACKAGE / room
        assert (folder / "schemas.py").exists(), room
        assert (folder / "routes.py").exists(), room
        assert (folder / "service.py").exists() or (folder / "service" / "__init__.py").exists(), room
    for room in ("petitions", "submissions"):
        assert (PACKAGE / room / "__init__.py").exists(), room


def test_no_module_registers_itself_into_a_lower_room_on_import():
    """Listeners and structure locks are plugged in by create_app, never by a decorator or an append at import."""
    problems = []
    for path in all_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            calls = [node.value] if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) else []
            decorators = getattr(node, "decorator_list", [])
            for item in calls + decorators:
                text = ast.unparse(item)
                hook = text.split("(")[0].rpartition(".")[2]
                if hook in HOOKS:
                    problems.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {text}")
    assert not problems, "\n".join(problems)


def _source_lines_with(*needles: str) -> list[str]:
    found = []
    for path in all_modules():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if any(needle in line for needle in needles):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}")
    return found


def test_rooms_announce_through_blinker_signals_not_hand_made_registries():
    """A list of listeners kept by hand (appended to, looped over) is what blinker's signals already do."""
    assert not _source_lines_with("STRUCTURE_LOCKS", "DEADLINE_LISTENERS", "_listeners: list", "_listeners = []")


def test_no_thread_is_killed_through_ctypes():
    """An asynchronous exception sent into a thread can land anywhere (or be dropped); a stuck render is stopped by
    ending the child process it runs in."""
    assert not _source_lines_with("PyThreadState_SetAsyncExc")


def test_the_arrival_time_is_read_one_way():
    """clock.arrival_time() is the request's arrival time everywhere: no blueprint keeps one of its own on `g`."""
    assert not _source_lines_with("g.received_at", "g.arrived_at", "def _received_at(", "def _at(")


def test_schemas_take_their_constants_from_models_or_constants_never_from_services():
    problems = []
    for path in sorted(PACKAGE.rglob("schemas.py")):
        for line, target in imported_modules(path):
            room_level = room_of(target) in FLOORS
            if room_level and target.rpartition(".")[2] not in ("models", "constants", "schemas"):
                problems.append(f"{path.relative_to(PACKAGE.parent)}:{line}: imports {target}")
    assert not problems, "\n".join(problems)


ROLE_NAMES = {"admin", "reviewer", "organiser"}
PERMISSIONS_MODULE = PACKAGE / "accounts" / "permissions.py"


def role_tuples(source: str) -> list[tuple[int, str]]:
    """(line, text) of every tuple, list or set literal made only of role names, and every call naming two roles."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            items = node.elts
        elif isinstance(node, ast.Call):
            items = [arg for arg in node.args if not isinstance(arg, ast.Starred)]
            if len(items) < 2:
                continue
        else:
            continue
        if items and all(isinstance(item, ast.Constant) and item.value in ROLE_NAMES for item in items):
            found.append((node.lineno, ast.unparse(node)))
    return found


def test_role_lists_live_only_in_the_permissions_module():
    """Who may do what is written once: a list of role names anywhere else is a second copy that drifts."""
    problems = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {text}"
        for path in all_modules()
        if path != PERMISSIONS_MODULE
        for line, text in role_tuples(path.read_text(encoding="utf-8"))
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "source",
    [
        'STAFF = ("admin", "reviewer")',
        'if user.role in {"reviewer", "admin"}: pass',
        'ALLOWED = ["organiser"]',
        '@require_role("organiser", "admin")\ndef view(): pass',
    ],
)
def test_the_role_check_catches_a_role_list(source):
    assert role_tuples(source)


@pytest.mark.parametrize(
    "source",
    ['SOURCES = ("machine", "reviewer")', "@requires(STAFF)\ndef view(): pass", 'if user.role == "admin": pass'],
)
def test_the_role_check_allows_what_is_not_a_role_list(source):
    assert not role_tuples(source)


def test_the_role_check_knows_every_role():
    from consultation.accounts.permissions import ROLES

    assert set(ROLES) == ROLE_NAMES
