"""The project's layout: dependencies run one way, core <- organisations <- initiatives, and hubdir
only wires them (ARCHITECTURE.md §1)."""

import ast
from pathlib import Path

import pytest
from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent
PROJECT_PACKAGES = {"core", "organisations", "initiatives", "hubdir"}
# What each app may import from the project, itself included.
ALLOWED = {
    "core": {"core"},
    "organisations": {"core", "organisations"},
    "initiatives": {"core", "organisations", "initiatives"},
}


def python_files(package):
    return sorted((ROOT / package).rglob("*.py"))


def imported_packages(path, package=None):
    """[(top-level project package, line, inside a function)] for every import in a file of
    `package` (by default the top folder the file is in)."""
    package = package or path.relative_to(ROOT).parts[0]
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import):
                names = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom):
                names = [package] if child.level else [child.module or ""]
            else:
                names = []
            for name in names:
                top = name.split(".")[0]
                if top in PROJECT_PACKAGES:
                    found.append((top, child.lineno, in_function))
            visit(child, nested)

    visit(tree, False)
    return found


@pytest.mark.parametrize("app", sorted(ALLOWED))
def test_each_app_imports_only_the_apps_below_it(app):
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {imported}"
        for path in python_files(app)
        for imported, line, _in_function in imported_packages(path)
        if imported not in ALLOWED[app]
    ]
    assert wrong == []


@pytest.mark.parametrize("package", sorted(PROJECT_PACKAGES))
def test_no_project_module_is_imported_inside_a_function(package):
    hidden = [
        f"{path.relative_to(ROOT)}:{line} imports {imported} inside a function"
        for path in python_files(package)
        for imported, line, in_function in imported_packages(path)
        if in_function
    ]
    assert hidden == []


@pytest.mark.django_db
def test_hubdir_names_no_table_of_the_apps():
    tables = {model._meta.db_table for model in apps.get_models()}
    source = {path: path.read_text() for path in python_files("hubdir")}
    named = [
        f"{path.relative_to(ROOT)} names {table}"
        for path, text in source.items()
        for table in tables
        if table in text
    ]
    assert named == []


def test_the_checker_sees_imports_against_the_direction_and_inside_functions(tmp_path):
    module = tmp_path / "probe.py"
    module.write_text(
        "from . import models\nimport hubdir.urls\n\ndef f():\n    from initiatives import models\n"
    )

    imports = imported_packages(module, package="organisations")

    assert imports == [("organisations", 1, False), ("hubdir", 2, False), ("initiatives", 5, True)]
    assert [name for name, _line, _in_function in imports if name not in ALLOWED["organisations"]] == [
        "hubdir",
        "initiatives",
    ]
