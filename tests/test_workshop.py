"""Student versions of the notebooks, and the check that they run with only the stubs failing."""

import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from clustering_course.workshop import (
    SOLUTION_TEXT_STUB,
    ExerciseFormatError,
    StudentNotebook,
    stub_solutions,
    student_notebook,
    student_run_problems,
)

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "workshop_fixture.ipynb"
sys.path.insert(0, str(ROOT / "scripts"))

import check_workshop  # noqa: E402
import make_workshop  # noqa: E402

LLOYD_STUB = ("Your turn: squared distances of shape (n_points, n_centers), argmin over the "
              "centres, then the mean of each cluster (np.bincount, np.add.at).")


def test_a_solution_block_in_a_function_becomes_an_indented_stub():
    source = ("def f(x):\n    y = 2\n    ### BEGIN SOLUTION\n    ### HINT: double it,\n"
              "    return y * x\n    ### HINT: then return it.\n    ### END SOLUTION\n\n"
              "print(f)")
    stubbed, messages = stub_solutions(source)
    assert stubbed == ("def f(x):\n    y = 2\n    # YOUR CODE HERE\n    raise NotImplementedError("
                       "'Your turn: double it, then return it.')\n\nprint(f)")
    assert messages == ["Your turn: double it, then return it."]


def test_several_blocks_and_top_level_code():
    source = ("### BEGIN SOLUTION\n### HINT: a\nx = 1\n### END SOLUTION\ny = 2\n"
              "### BEGIN SOLUTION\n### HINT: b \"quoted\"\nz = 3\n### END SOLUTION")
    stubbed, messages = stub_solutions(source)
    assert messages == ["Your turn: a", 'Your turn: b "quoted"']
    namespace = {}
    with pytest.raises(NotImplementedError, match="Your turn: a"):
        exec(stubbed, namespace)  # the stub is valid Python and raises its message
    assert "x = 1" not in stubbed and "z = 3" not in stubbed and "y = 2" in stubbed


def test_code_without_markers_is_unchanged():
    assert stub_solutions("x = 1\n# BEGIN SOLUTION is only a comment") == (
        "x = 1\n# BEGIN SOLUTION is only a comment", [])


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("### BEGIN SOLUTION\n### HINT: h\nx = 1", "without ### END SOLUTION"),
        ("x = 1\n### END SOLUTION", "without ### BEGIN SOLUTION"),
        ("### BEGIN SOLUTION\n### HINT: h\n### BEGIN SOLUTION\n", "inside the block opened"),
        ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", "no '### HINT: ...' line"),
        ("### BEGIN SOLUTION\n### HINT: h\n\n### END SOLUTION", "is empty"),
        ("### HINT: h\n", "outside a solution block"),
        ("### BEGIN SOLUTION here\n", "text after"),
    ],
)
def test_malformed_blocks_are_errors_naming_the_cell_and_line(source, message):
    with pytest.raises(ExerciseFormatError, match=f"nb.ipynb, cell 4, line \\d+: .*{message}"):
        stub_solutions(source, "nb.ipynb, cell 4")


def test_student_version_of_the_fixture():
    full = nbformat.read(FIXTURE, as_version=4)
    before = nbformat.writes(full)
    student = student_notebook(full, FIXTURE.name)
    assert nbformat.writes(full) == before  # the full notebook is not modified
    assert student.n_exercises == 2 and sorted(student.stub_messages) == [3, 8]
    assert student.exercise_cells == [2, 3, 4, 7, 8]
    cells = student.notebook.cells
    assert student.stub_messages[3] == [LLOYD_STUB]
    namespace = {"np": np}
    exec(cells[3].source, namespace)  # defines the stub, which raises the hint when called
    with pytest.raises(NotImplementedError) as info:
        namespace["lloyd_step"]([[0.0]], [[0.0]])
    assert str(info.value) == LLOYD_STUB
    assert max(len(line) for line in cells[3].source.splitlines()) <= 88
    assert "squared.argmin" not in cells[3].source and "X = np.asarray" in cells[3].source
    for index in (3, 4, 8):  # exercise code cells: no outputs, not run
        assert cells[index].outputs == [] and cells[index].execution_count is None
    for index in (1, 6, 9):  # the story keeps its stored outputs
        assert cells[index].outputs == full.cells[index].outputs
        assert cells[index].execution_count == full.cells[index].execution_count
    assert [c.source for c in cells if c.cell_type == "markdown"] == [
        c.source for c in full.cells if c.cell_type == "markdown"]
    assert "BEGIN SOLUTION" not in nbformat.writes(student.notebook)


def test_solution_markers_in_an_untagged_cell_are_an_error():
    notebook = new_notebook(cells=[new_code_cell("### BEGIN SOLUTION\n### HINT: h\nx = 1\n"
                                                 "### END SOLUTION")])
    with pytest.raises(ExerciseFormatError, match="nb, cell 0 has solution markers but no "
                                                  "'exercise' tag"):
        student_notebook(notebook, "nb")


def test_markdown_answers_tagged_solution_are_left_out_of_the_student_version():
    answer = new_markdown_cell("**Answer.** The fours in the cluster of the nines.")
    answer.metadata["tags"] = ["exercise", "solution"]
    story = new_markdown_cell("The story goes on.")
    full = new_notebook(cells=[new_markdown_cell("## Exercise"), answer, story])
    student = student_notebook(full, "nb")
    assert [cell.source for cell in student.notebook.cells] == [
        "## Exercise", SOLUTION_TEXT_STUB, "The story goes on."]  # same cells, same order
    assert student.exercise_cells == [1]
    assert full.cells[1].source.startswith("**Answer.**")  # the teacher's version keeps it


def test_a_code_cell_tagged_solution_is_an_error():
    cell = new_code_cell("answer = 42")
    cell.metadata["tags"] = ["solution"]
    with pytest.raises(ExerciseFormatError, match="nb, cell 0 is a code cell tagged "
                                                  "'solution': only markdown cells"):
        student_notebook(new_notebook(cells=[cell]), "nb")


def _error(ename, evalue):
    return new_output("error", ename=ename, evalue=evalue, traceback=[])


def _executed(outputs_by_cell, tags_by_cell):
    cells = [new_markdown_cell("title")]
    for outputs, tags in zip(outputs_by_cell, tags_by_cell, strict=True):
        cell = new_code_cell("pass", outputs=outputs)
        cell.metadata["tags"] = tags
        cells.append(cell)
    return new_notebook(cells=cells)


def test_run_problems_accepts_only_the_stubs_errors_in_exercise_cells():
    stub = "Your turn: h"
    student = StudentNotebook(None, {1: [stub]}, [1, 2])
    good = _executed([[], [_error("NotImplementedError", stub)], []],
                     [["exercise"], ["exercise"], []])
    assert student_run_problems(good, student) == []

    other_error = _executed([[], [_error("NotImplementedError", stub)],
                             [_error("NameError", "name 'labels' is not defined")]],
                            [["exercise"], ["exercise"], []])
    assert student_run_problems(other_error, student) == [
        "cell 3 raised NameError: name 'labels' is not defined"]

    story_uses_it = _executed([[], [], [_error("NotImplementedError", stub)]],
                              [["exercise"], ["exercise"], []])
    assert student_run_problems(story_uses_it, student) == [
        "cell 3 is not an exercise cell but raised the stub's NotImplementedError ('Your turn: "
        "h'): the story must not use what the student writes."]

    never_raised = _executed([[], [], []], [["exercise"], ["exercise"], []])
    assert student_run_problems(never_raised, student) == [
        "the stub 'Your turn: h' never raised: no check cell calls it."]

    foreign = _executed([[], [_error("NotImplementedError", "something else")], []],
                        [["exercise"], ["exercise"], []])
    assert "cell 2 raised NotImplementedError: something else" in student_run_problems(
        foreign, student)


@pytest.mark.notebook
def test_make_workshop_writes_student_notebooks_and_teacher_html(tmp_path, capsys):
    assert make_workshop.main([str(FIXTURE), "--out", str(tmp_path)]) == 0
    assert "workshop_fixture.ipynb: 2 exercise(s)" in capsys.readouterr().out
    student = nbformat.read(tmp_path / FIXTURE.name, as_version=4)
    assert "raise NotImplementedError(" in student.cells[3].source
    assert "squared.argmin" not in student.cells[3].source
    html = (tmp_path / "solutions" / "workshop_fixture.html").read_text(encoding="utf-8")
    assert "BEGIN SOLUTION" in html and "all 5 cases pass" in html


@pytest.mark.notebook
def test_make_workshop_reports_malformed_exercises(tmp_path, capsys):
    notebook = new_notebook(cells=[new_code_cell("### BEGIN SOLUTION\nx = 1\n"
                                                 "### END SOLUTION")])
    notebook.cells[0].metadata["tags"] = ["exercise"]
    nbformat.write(notebook, tmp_path / "bad.ipynb")
    assert make_workshop.main([str(tmp_path / "bad.ipynb"), "--out", str(tmp_path / "o")]) == 1
    assert "bad.ipynb: bad.ipynb, cell 0, line 1: the solution block has no" in \
        capsys.readouterr().err


@pytest.mark.notebook
@pytest.mark.parametrize("jobs", [1, 2])
def test_student_notebooks_run_through_and_a_story_that_needs_the_exercise_fails(tmp_path,
                                                                                 capsys, jobs):
    """Executes two student notebooks in kernels: the fixture, and a copy whose story breaks
    (one after the other, or at the same time in two processes)."""
    broken = nbformat.read(FIXTURE, as_version=4)
    broken.cells.insert(6, new_code_cell("labels, _ = lloyd_step(points, points[:2])"))
    broken.cells.append(new_code_cell("print(1 / 0)"))
    nbformat.write(broken, tmp_path / "broken.ipynb")
    no_exercise = new_notebook(cells=[new_code_cell("print('plain')")])
    nbformat.write(no_exercise, tmp_path / "plain.ipynb")

    status = check_workshop.main([str(FIXTURE), str(tmp_path / "broken.ipynb"),
                                  str(tmp_path / "plain.ipynb"), "--workdir", str(tmp_path),
                                  "--out", str(tmp_path / "executed"), "--jobs", str(jobs)])
    report = capsys.readouterr().out
    assert status == 1, report
    lines = {line.split()[0]: line for line in report.splitlines() if ".ipynb" in line}
    assert lines["workshop_fixture.ipynb"].endswith("ok (2 stub(s) raised)"), report
    assert lines["broken.ipynb"].endswith("FAILED"), report
    assert lines["plain.ipynb"].endswith("skipped (no exercise)"), report
    assert "cell 6 is not an exercise cell but raised the stub's NotImplementedError" in report
    assert "cell 11 raised ZeroDivisionError: division by zero" in report
    executed = nbformat.read(tmp_path / "executed" / FIXTURE.name, as_version=4)
    errors = [(i, o.ename) for i, c in enumerate(executed.cells) if c.cell_type == "code"
              for o in c.outputs if o.output_type == "error"]
    assert errors == [(4, "NotImplementedError"), (8, "NotImplementedError")]
    assert executed.cells[9].outputs[0].text == "the end\n"  # the story ran to the end

    assert check_workshop.main([str(tmp_path / "plain.ipynb"), "--require-exercises",
                                "--workdir", str(tmp_path), "--out", str(tmp_path / "e")]) == 1
    assert "no exercise" in capsys.readouterr().out
