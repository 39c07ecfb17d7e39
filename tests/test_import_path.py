"""A forked worker keeps the library modules its cells' path would load again, and drops the others."""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
from pathlib import Path

from bookbuild.execute.context import _forget_shadowed_modules, found_origin


class _EditableFinder:
    """What ``pip install -e`` puts on ``sys.meta_path``: a finder for one package, no ``sys.path`` entry."""

    def __init__(self, name: str, folder: Path) -> None:
        self.name, self.folder = name, folder

    def find_spec(self, fullname: str, path: object = None, target: object = None):
        if fullname != self.name:
            return None
        return importlib.machinery.PathFinder.find_spec(fullname, [str(self.folder)])


def _package(folder: Path, name: str) -> Path:
    (folder / name).mkdir(parents=True)
    (folder / name / "__init__.py").write_text("VALUE = 1\n")
    return folder / name / "__init__.py"


def test_a_library_found_by_an_editable_install_finder_stays_loaded(tmp_path: Path) -> None:
    editable = _package(tmp_path / "src", "bb_editable_lib")
    gone = _package(tmp_path / "elsewhere", "bb_gone_lib")
    finder = _EditableFinder("bb_editable_lib", tmp_path / "src")
    sys.meta_path.append(finder)
    sys.path.insert(0, str(tmp_path / "elsewhere"))
    try:
        importlib.import_module("bb_editable_lib")
        importlib.import_module("bb_gone_lib")
        sys.path.remove(str(tmp_path / "elsewhere"))  # the cells' path no longer finds this one
        assert found_origin("bb_editable_lib") == str(editable)
        assert found_origin("bb_gone_lib") is None

        _forget_shadowed_modules()

        # Forgetting it would make every chapter import the library again (its unit registry, say).
        assert sys.modules["bb_editable_lib"].__file__ == str(editable)
        assert "bb_gone_lib" not in sys.modules and gone.exists()
    finally:
        sys.meta_path.remove(finder)
        for name in ("bb_editable_lib", "bb_gone_lib"):
            sys.modules.pop(name, None)
        if str(tmp_path / "elsewhere") in sys.path:
            sys.path.remove(str(tmp_path / "elsewhere"))


def test_a_cell_that_puts_a_folder_on_the_path_imports_that_folders_module_as_a_fresh_kernel_does(tmp_path: Path) -> None:
    """The warm-up imports ``helper`` from the chapter's folder (the path the chapter starts with); a cell
    that then puts ``other`` first on ``sys.path`` and imports ``helper`` gets ``other/helper.py``, and so
    does a module of the book's that imports it; a chapter that changes nothing keeps the warm copy."""
    from bookbuild.check import check_book
    from bookbuild.project import load_book
    from conftest import write_book

    root = write_book(tmp_path / "book", {
        "moved.qmd": """
            # Moved

            ```{python}
            import sys
            sys.path.insert(0, "other")
            import helper
            import uses_helper
            where = helper.WHERE
            also = uses_helper.WHERE
            ```

            `{python} where` and `{python} also`.
            """,
        "kept.qmd": """
            # Kept

            ```{python}
            import helper
            where = helper.WHERE
            ```

            `{python} where`.
            """})
    (root / "helper.py").write_text('WHERE = "the chapter folder"\n', encoding="utf-8")
    (root / "other").mkdir()
    (root / "other" / "helper.py").write_text('WHERE = "the folder the cell added"\n', encoding="utf-8")
    (root / "other" / "uses_helper.py").write_text("from helper import WHERE\n", encoding="utf-8")
    import py_compile

    for name in ("helper", "uses_helper"):  # the author's own runs left bytecode: the import reads that, not the source
        py_compile.compile(str(root / "other" / f"{name}.py"), cfile=str(root / "other" / "__pycache__" /
                           f"{name}.{sys.implementation.cache_tag}.pyc"), doraise=True)

    from bookbuild.cache import Cache

    def values() -> dict[str, list[str]]:
        result = check_book(load_book(root), workers=2, cache=Cache(tmp_path / "cache"))
        assert not result.diagnostics, result.diagnostics
        return {Path(e.chapter.path).name: [v.text for v in e.values] for e in result.executed}

    assert values() == {"moved.qmd": ["the folder the cell added", "the folder the cell added"],
                        "kept.qmd": ["the chapter folder"]}
    # The module the cell found is one its result rests on: an edit to it runs the chapter again.
    (root / "other" / "helper.py").write_text('WHERE = "edited"\n', encoding="utf-8")
    assert values()["moved.qmd"] == ["edited", "edited"]
