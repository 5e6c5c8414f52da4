"""Student versions of the notebooks, and the check that a student version runs through.

An exercise lives in the full notebook as cells tagged ``exercise``: a markdown cell with the
task, a solution cell and a check cell that calls it (such as ``check_streamed_centers``, see
:mod:`clustering_course.exercises`). In the solution cell the code a student must write sits
between nbgrader-style markers, with a hint for the stub::

    def lloyd_step(X, centers):
        ### BEGIN SOLUTION
        ### HINT: squared distances to every centre, argmin, then the mean of each cluster
        ...
        ### END SOLUTION

:func:`student_notebook` replaces each marked block by
``raise NotImplementedError("Your turn: <hint>")`` at the block's indentation, clears the
outputs of the exercise cells, replaces the text of each markdown cell tagged ``solution`` (the
answers and notes meant for the teacher) by a pointer to the teacher's version, and keeps every
other cell (and its outputs) as it is, so the two versions have the same cells. Exercise
cells are side branches: no later cell may need what a student writes, so the student version
runs from top to bottom with only the stubs' errors. :func:`student_run_problems` checks that
on an executed student notebook.
"""

from __future__ import annotations

import copy
import re
import textwrap
from dataclasses import dataclass
from typing import Any

__all__ = [
    "BEGIN_MARKER",
    "END_MARKER",
    "EXERCISE_TAG",
    "HINT_MARKER",
    "SOLUTION_TAG",
    "SOLUTION_TEXT_STUB",
    "STUB_PREFIX",
    "ExerciseFormatError",
    "StudentNotebook",
    "stub_solutions",
    "student_notebook",
    "student_run_problems",
]

BEGIN_MARKER = "### BEGIN SOLUTION"
END_MARKER = "### END SOLUTION"
HINT_MARKER = "### HINT:"
EXERCISE_TAG = "exercise"
SOLUTION_TAG = "solution"
SOLUTION_TEXT_STUB = ("*The answers to this exercise are in the teacher's version of the "
                      "notebook.*")
STUB_PREFIX = "Your turn: "

_MARKER_LINE = re.compile(r"^(?P<indent>[ \t]*)(?P<marker>### (BEGIN|END) SOLUTION|### HINT:)"
                          r"(?P<rest>.*)$")


class ExerciseFormatError(ValueError):
    """A notebook's exercise cells break the conventions (markers, hint, tag)."""


def stub_solutions(source: str, where: str = "cell") -> tuple[str, list[str]]:
    """Replace every marked solution block of a cell's source by a stub.

    Parameters
    ----------
    source : str
        The code cell's source.
    where : str, default="cell"
        Names the cell in error messages, e.g. ``"01_kmeans.ipynb, cell 12"``.

    Returns
    -------
    source : str
        The source with each block (markers included) replaced by ``# YOUR CODE HERE`` and
        ``raise NotImplementedError("Your turn: <hint>")`` at the BEGIN marker's indentation.
    messages : list of str
        The stubs' error messages, in order.

    Raises
    ------
    ExerciseFormatError
        For an unmatched or nested marker, a marker with text after it, an empty block, or a
        block without a ``### HINT:`` line.
    """
    output: list[str] = []
    messages: list[str] = []
    block: list[str] | None = None
    hints: list[str] = []
    indent = ""
    begin_line = 0
    for number, line in enumerate(source.splitlines(), start=1):
        match = _MARKER_LINE.match(line)
        marker = match.group("marker") if match else None
        if marker == BEGIN_MARKER:
            if block is not None:
                raise ExerciseFormatError(f"{where}, line {number}: {BEGIN_MARKER} inside "
                                          f"the block opened on line {begin_line}.")
            if match.group("rest").strip():
                raise ExerciseFormatError(f"{where}, line {number}: text after {BEGIN_MARKER}.")
            block, hints, indent, begin_line = [], [], match.group("indent"), number
        elif marker == END_MARKER:
            if block is None:
                raise ExerciseFormatError(f"{where}, line {number}: {END_MARKER} without "
                                          f"{BEGIN_MARKER}.")
            if not any(code.strip() for code in block):
                raise ExerciseFormatError(f"{where}, line {begin_line}: the solution block "
                                          "is empty.")
            if not hints:
                raise ExerciseFormatError(f"{where}, line {begin_line}: the solution block has "
                                          f"no '{HINT_MARKER} ...' line for the stub.")
            message = STUB_PREFIX + " ".join(hints)
            messages.append(message)
            output += [f"{indent}# YOUR CODE HERE", *_raise_lines(message, indent)]
            block = None
        elif marker == HINT_MARKER:
            if block is None:
                raise ExerciseFormatError(f"{where}, line {number}: {HINT_MARKER} outside a "
                                          "solution block.")
            hints.append(match.group("rest").strip())
        elif block is not None:
            block.append(line)
        else:
            output.append(line)
    if block is not None:
        raise ExerciseFormatError(f"{where}, line {begin_line}: {BEGIN_MARKER} without "
                                  f"{END_MARKER}.")
    return "\n".join(output), messages


def _raise_lines(message: str, indent: str, width: int = 88) -> list[str]:
    """``raise NotImplementedError(message)``, the string split over lines of at most ``width``."""
    line = f"{indent}raise NotImplementedError({message!r})"
    if len(line) <= width:
        return [line]
    pieces = textwrap.wrap(message, width - len(indent) - 8, drop_whitespace=False)
    return ([f"{indent}raise NotImplementedError("]
            + [f"{indent}    {piece!r}" for piece in pieces] + [f"{indent})"])


def _tags(cell: Any) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


@dataclass
class StudentNotebook:
    """A student version and what its stubs raise.

    Attributes
    ----------
    notebook : nbformat.NotebookNode
        The student version (a deep copy; the full notebook is not modified).
    stub_messages : dict of int to list of str
        For each stubbed cell (index among all cells), the messages its stubs raise.
    exercise_cells : list of int
        Indices of the cells tagged ``exercise``.
    """

    notebook: Any
    stub_messages: dict[int, list[str]]
    exercise_cells: list[int]

    @property
    def n_exercises(self) -> int:
        """Number of stubbed solution blocks."""
        return sum(len(messages) for messages in self.stub_messages.values())


def student_notebook(notebook: Any, name: str = "notebook") -> StudentNotebook:
    """Make the student version of a full notebook.

    Solution blocks become stubs (:func:`stub_solutions`); the code cells tagged ``exercise``
    lose their outputs and execution counts; the text of a markdown cell tagged ``solution``
    becomes :data:`SOLUTION_TEXT_STUB`; every other cell is kept with its outputs.

    Raises
    ------
    ExerciseFormatError
        When a cell with solution markers is not tagged ``exercise``, a code cell is tagged
        ``solution`` (answers in code belong between solution markers), or a block is malformed.
    """
    student = copy.deepcopy(notebook)
    stub_messages: dict[int, list[str]] = {}
    exercise_cells: list[int] = []
    for index, cell in enumerate(student["cells"]):
        tagged = EXERCISE_TAG in _tags(cell)
        if tagged:
            exercise_cells.append(index)
        where = f"{name}, cell {index}"
        if SOLUTION_TAG in _tags(cell):
            if cell["cell_type"] != "markdown":
                raise ExerciseFormatError(
                    f"{where} is a {cell['cell_type']} cell tagged '{SOLUTION_TAG}': only "
                    "markdown cells take that tag; put the answer in code between "
                    f"{BEGIN_MARKER} and {END_MARKER}.")
            cell["source"] = SOLUTION_TEXT_STUB
            continue
        if cell["cell_type"] != "code":
            continue
        source, messages = stub_solutions(cell["source"], where)
        if messages:
            if not tagged:
                raise ExerciseFormatError(f"{where} has solution markers but no "
                                          f"'{EXERCISE_TAG}' tag.")
            cell["source"] = source
            stub_messages[index] = messages
        if tagged:
            cell["outputs"] = []
            cell["execution_count"] = None
    return StudentNotebook(student, stub_messages, exercise_cells)


def student_run_problems(executed: Any, student: StudentNotebook) -> list[str]:
    """What is wrong with an executed student notebook (run with errors allowed); [] if nothing.

    Allowed: errors ``NotImplementedError`` carrying a stub's message, in cells tagged
    ``exercise``. Required: every stub's message raised at least once (a check cell calls the
    student's function). Anything else is a problem: another error anywhere, or a stub's
    error in a cell of the story (the story then depends on the exercise).
    """
    problems: list[str] = []
    allowed = {message for messages in student.stub_messages.values() for message in messages}
    raised: set[str] = set()
    for index, cell in enumerate(executed["cells"]):
        if cell["cell_type"] != "code":
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") != "error":
                continue
            ename, evalue = output.get("ename", ""), output.get("evalue", "")
            if ename == "NotImplementedError" and evalue in allowed:
                raised.add(evalue)
                if index not in student.exercise_cells:
                    problems.append(
                        f"cell {index} is not an exercise cell but raised the stub's "
                        f"NotImplementedError ({evalue!r}): the story must not use what the "
                        "student writes.")
            else:
                problems.append(f"cell {index} raised {ename}: {evalue}")
    for message in sorted(allowed - raised):
        problems.append(f"the stub {message!r} never raised: no check cell calls it.")
    return problems
