"""Stored notebooks: no outputs, a tagged parameters cell, the python3 kernel, one spec each."""

import ast

import nbformat
import pytest

from bioplausible import paths
from bioplausible.specs import all_specs

NOTEBOOKS = sorted((paths.root() / "notebooks").glob("*/*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found under notebooks/<paper>/"


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stored_clean_and_parameterised(nb_path):
    nb = nbformat.read(nb_path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{nb_path.name}: stored with outputs (strip them)"
            assert cell.execution_count is None, f"{nb_path.name}: stored with execution counts"
    assert nb.metadata.kernelspec.name == "python3"
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{nb_path.name}: needs exactly one cell tagged 'parameters'"
    names = {t.id for node in ast.walk(ast.parse(tagged[0].source)) if isinstance(node, ast.Assign) for t in node.targets}
    assert {"artifact", "scale", "params", "inputs", "outputs"} <= names
    assert f'artifact = "{nb_path.stem}"' in tagged[0].source
    assert nb_path.parent.name == paths.paper_of(nb_path.stem)


def test_every_notebook_has_a_spec_and_every_spec_a_notebook():
    stems = {p.stem for p in NOTEBOOKS}
    assert stems == set(all_specs())
