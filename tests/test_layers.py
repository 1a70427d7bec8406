"""Layers point one way (Settled question 14): core → accounts → thresholds → caf → referrals → home. A
lower app never imports a higher one, at the top of a module or inside a function (a lazy import is
still a dependency); config may import anything, and no app imports home. Where caf needs referrals,
referrals registers a hook in its AppConfig.ready (caf/hooks.py); this test checks that too."""

import ast
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
LAYERS = ["core", "accounts", "thresholds", "caf", "referrals", "home"]
RANK = {app: rank for rank, app in enumerate(LAYERS)}


def _imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    """Every module a file imports, with its line: `import x.y` and `from x import y`, wherever the
    statement is. A relative import stays inside its own app (it cannot reach above the top-level
    package), so it is never a crossing."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.append((node.lineno, node.module))
    return found


def layer_violations(base_dir: Path = BASE_DIR) -> list[str]:
    violations = []
    for app in LAYERS:
        for path in sorted((base_dir / app).rglob("*.py")):
            relative = path.relative_to(base_dir)
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(relative))
            for line, module in _imported_modules(tree):
                target = module.split(".")[0]
                if target in RANK and RANK[target] > RANK[app]:
                    violations.append(f"{relative}:{line}: {app} imports {module} ({target} is above {app})")
    return violations


def test_no_app_imports_one_above_it():
    violations = layer_violations()
    assert violations == [], "Settled question 14: a lower app imports a higher one:\n" + "\n".join(violations)


def test_the_check_finds_top_level_and_function_level_imports(tmp_path):
    (tmp_path / "caf" / "views").mkdir(parents=True)
    (tmp_path / "caf" / "views" / "page.py").write_text(
        "from accounts.models import User\n"  # down: allowed
        "from referrals.models import Referral\n"
        "def view():\n"
        "    import home.views\n"
        "    from . import common\n"  # inside caf: allowed
        "    from referrals import services\n",
        encoding="utf-8",
    )
    (tmp_path / "accounts").mkdir()
    (tmp_path / "accounts" / "demo.py").write_text("from thresholds import models\n", encoding="utf-8")
    for app in ["thresholds", "referrals", "home"]:
        (tmp_path / app).mkdir()
    (tmp_path / "home" / "views.py").write_text("from referrals import selectors\n", encoding="utf-8")  # allowed

    violations = layer_violations(tmp_path)

    assert [violation.split(":")[0:2] for violation in violations] == [
        ["accounts/demo.py", "1"],
        ["caf/views/page.py", "2"],
        ["caf/views/page.py", "4"],
        ["caf/views/page.py", "6"],
    ]


def test_nothing_imports_home_but_config():
    offenders = []
    for path in sorted(BASE_DIR.rglob("*.py")):
        relative = path.relative_to(BASE_DIR)
        if relative.parts[0] in {"home", "config", "tests", ".venv", "var"} or relative.parts[0].startswith("."):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for line, module in _imported_modules(tree):
            if module.split(".")[0] == "home":
                offenders.append(f"{relative}:{line}: imports {module}")
    assert offenders == []


def test_referrals_registers_every_hook_caf_uses_after_django_setup():
    """pytest-django has run django.setup(), as the web server, the Celery worker and beat do: each
    AppConfig.ready has run, so caf's hooks are filled in every process."""
    from caf import hooks

    assert hooks.registered() == {
        "referral_draft_from_caf": True,
        "lead_professional_logged": True,
        "chronology_sources": True,
        "child_referred": True,
        "caf_referrals": True,
        "subject_access_sources": True,
    }


def test_an_unregistered_hook_raises_rather_than_answering_nothing(monkeypatch):
    from caf import hooks

    monkeypatch.setattr(hooks.hooks, "child_referred", None)
    with pytest.raises(hooks.HookMissing):
        hooks.child_referred(None)  # type: ignore[arg-type]
