"""clustering_course.outputs: a fresh run's outputs against the stored ones, as nbval compares."""

import base64
import re

import matplotlib.pyplot as plt
import nbformat
import pytest

from clustering_course.figures import figure_to_png
from clustering_course.outputs import load_sanitizers, output_differences


def _png(offset: float) -> str:
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([0, 1], [0, 1 + offset])
    png = figure_to_png(fig)
    plt.close(fig)
    return base64.b64encode(png).decode()


def _notebook(text: str, png: str | None = None, tags=(), source: str = "print(x)"):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = list(tags)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
    if png is not None:
        cell.outputs.append(nbformat.v4.new_output("display_data", data={
            "image/png": png, "text/plain": "<Figure size 200x200 with 1 Axes>"}))
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# t"), cell])


def test_equal_runs_have_no_difference():
    png = _png(0)
    assert output_differences(_notebook("a 1\n", png), _notebook("a 1\n", png)) == []


def test_a_changed_number_is_reported_with_both_texts():
    (problem,) = output_differences(_notebook("accuracy 0.846\n"), _notebook("accuracy 0.847\n"))
    assert problem.startswith("cell 1: text differs")
    assert "0.846" in problem and "0.847" in problem


def test_sanitizers_hide_what_they_replace(tmp_path):
    config = tmp_path / "sanitize.cfg"
    config.write_text("[timings]\nregex: \\b\\d+(\\.\\d+)?\\s?(ms|s)\\b\nreplace: <time>\n")
    sanitizers = load_sanitizers(config)
    assert [p.pattern for p, _ in sanitizers] == [r"\b\d+(\.\d+)?\s?(ms|s)\b"]
    assert output_differences(_notebook("took 1.5 s\n"), _notebook("took 2.25 s\n"),
                              sanitizers=sanitizers) == []
    assert output_differences(_notebook("took 1.5 s\n"), _notebook("took 2.25 s\n")) != []


def test_a_changed_figure_fails_unless_its_cell_ignores_figures():
    stored, fresh = _notebook("x\n", _png(0)), _notebook("x\n", _png(0.5))
    (problem,) = output_differences(stored, fresh)
    assert re.match(r"cell 1, figure 0: RMS difference [\d.]+ .*above the tolerance", problem)
    stored = _notebook("x\n", _png(0), tags=["nbval-ignore-figures"])
    assert output_differences(stored, fresh) == []
    loose = _notebook("x\n", _png(0), tags=["nbval-figure-tolerance=255"])
    assert output_differences(loose, fresh) == []


@pytest.mark.parametrize("how", ["skip", "tag", "comment"])
def test_exercise_cells_and_cells_nbval_ignores_are_left_out(how):
    stored = _notebook("1\n", tags=["nbval-ignore-output"] if how == "tag" else (),
                       source="# NBVAL_IGNORE_OUTPUT\nx" if how == "comment" else "x")
    fresh = _notebook("2\n")
    skip = [1] if how == "skip" else []
    assert output_differences(stored, fresh, skip_cells=skip) == []


def test_a_missing_figure_and_another_cell_count_are_problems():
    problems = output_differences(_notebook("x\n", _png(0)), _notebook("x\n"))
    assert problems[-1] == "cell 1: 0 figure(s), stored 1"
    longer = _notebook("x\n")
    longer.cells.append(nbformat.v4.new_code_cell("y"))
    assert "cells" in output_differences(_notebook("x\n"), longer)[0]
