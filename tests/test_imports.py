"""Textual stays on the screen's side: only bptui.app, bptui.widgets and
bptui.screens import it, and the server names the driver without loading it."""

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import bptui
from bptui.serve.app_process import DRIVER_SETTING

PACKAGE = Path(bptui.__file__).parent
SCREEN_SIDE = ("app", "widgets", "screens")


def textual_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return [n for n in names if n == "textual" or n.startswith(("textual.", "textual_plotext"))]


def test_only_the_app_widgets_and_screens_import_textual():
    outside = {
        str(p.relative_to(PACKAGE)): textual_imports(p)
        for p in PACKAGE.rglob("*.py")
        if p.relative_to(PACKAGE).parts[0] not in SCREEN_SIDE
    }
    assert {k: v for k, v in outside.items() if v} == {}
    # and the screen side does (so the check above looks at the right files)
    assert textual_imports(PACKAGE / "app" / "stepper_app.py")


def test_the_server_names_the_driver_without_importing_textual():
    module, name = DRIVER_SETTING.split(":")
    driver = getattr(importlib.import_module(module), name)
    assert driver.__name__ == "BoundedLinuxDriver"
    code = "import sys, bptui.serve.app_process, bptui.stepper, bptui.frame; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
