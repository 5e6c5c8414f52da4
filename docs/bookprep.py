"""What the book build does to its sources before Sphinx renders them.

Nothing here executes a notebook: the book shows the outputs stored in ``notebooks/*.ipynb``
(exactly what ``make run`` produces). Three pieces:

* :func:`front_page`: the front page (``index.md``), generated from the README: its opening
  paragraphs and its table of notebooks and questions, with links pointing at the chapters.
* :func:`reader_notebook`: the notebook as a reader sees it in the book. The workshop's student
  version is the model: each marked solution block becomes the stub a student gets (``raise
  NotImplementedError("Your turn: <hint>")``), the full solution follows it folded behind a
  "Show a solution" toggle, and the outputs of the exercise cells are cleared. Stream outputs are
  merged as a terminal shows them (a progress bar redrawn with ``\\r`` leaves only its last state).
  Check cells (tag ``remove-cell``) and stderr are dropped by myst-nb itself (see ``conf.py``).
* :func:`api_page`: the API page, the top level's names (``clustering_lib.__all__``) and then
  one section per public module, rendered by autodoc and numpydoc.

The downloadable ``.ipynb`` of every page is the notebook itself, untouched.
"""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
CHECK_TAG = "remove-cell"
SOLUTION_PROMPT_SHOW = "Show a solution"
SOLUTION_PROMPT_HIDE = "Hide the solution"


def _workshop_module():
    """The workshop module (``clustering_course.workshop``, formerly ``clustering_lib.workshop``)
    loaded from its file, without importing its package (nor TensorFlow): the book uses the very
    stub rules of ``make workshop``."""
    candidates = [REPO_ROOT / package / "workshop.py"
                  for package in ("clustering_course", "clustering_lib")]
    path = next((path for path in candidates if path.exists()), candidates[0])
    spec = importlib.util.spec_from_file_location("_book_workshop", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


_WORKSHOP = _workshop_module()


# --------------------------------------------------------------------------- front page

_LINK = re.compile(r"\[(?P<text>[^\]]*)\]\((?P<target>[^)\s]+)\)")


def notebook_title(path: Path) -> str | None:
    """The first level-1 heading of a notebook's markdown cells (the chapter's title)."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "markdown":
            match = re.search(r"^# (.+)$", _text(cell.get("source", "")), re.MULTILINE)
            if match:
                return match.group(1).strip()
    return None


def _relink(markdown: str, chapters: set[str], warnings: list[str],
            titles: dict[str, str] | None = None) -> str:
    """Point README links at chapters (link text: the chapter's title when ``titles`` has it);
    drop links to other files of the repository (they are not part of the site), keep
    absolute URLs."""

    def replace(match: re.Match) -> str:
        text, target = match.group("text"), match.group("target")
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            return match.group(0)
        path, _, anchor = target.partition("#")
        name = Path(path).name
        if path.startswith("notebooks/") and name.endswith(".ipynb"):
            if Path(name).stem in chapters:
                text = (titles or {}).get(Path(name).stem, text)
                return f"[{text}]({name}{'#' + anchor if anchor else ''})"
            warnings.append(f"README links {target}, which is not in notebooks/")
        return text

    return _LINK.sub(replace, markdown)


def _sections(readme: str) -> tuple[str, str, dict[str, str]]:
    """(title, text before the first '## ' heading, {heading: body}) of a README."""
    title, intro, sections, current = "", [], {}, None
    for line in readme.splitlines():
        if line.startswith("# ") and not title:
            title = line[2:].strip()
        elif line.startswith("## "):
            current = line[3:].strip()
            sections[current] = ""
        elif current is None:
            intro.append(line)
        else:
            sections[current] += line + "\n"
    return title, "\n".join(intro).strip(), sections


def front_page(readme: str, chapters: list[str], api: bool = True,
               titles: dict[str, str] | None = None) -> tuple[str, list[str]]:
    """The book's ``index.md`` from the README, and warnings (links to missing notebooks).

    The README's "Notebooks" section gives the table (its first table: notebook, question, ...),
    its links showing the chapters' ``titles`` ({stem: first heading}); every notebook in
    ``chapters`` (stems, in order) becomes a chapter whether or not the table lists it.
    """
    warnings: list[str] = []
    names = set(chapters)
    title, intro, sections = _sections(readme)
    body = sections.get("Notebooks", "")
    table_lines: list[str] = []
    for line in body.splitlines():
        if line.startswith("|"):
            table_lines.append(line)
        elif table_lines:
            break
    if not table_lines:
        warnings.append("README has no table under '## Notebooks'")
    listed = set(re.findall(r"notebooks/([^)#\s]+)\.ipynb", "\n".join(table_lines)))
    for stem in chapters:
        if stem not in listed:
            warnings.append(f"notebooks/{stem}.ipynb is not in the README's table")
    parts = [
        f"# {title or 'The notebooks'}",
        "",
        _relink(intro, names, warnings),
        "",
        "Each chapter below is one notebook with the outputs it stores (nothing is re-run to "
        "build this site). The download button at the top of every chapter gives the notebook "
        "itself, with every cell; the pages leave out the cells that check the results and fold "
        "the exercises' solutions.",
        "",
        "## The notebooks",
        "",
        _relink("\n".join(table_lines), names, warnings, titles),
        "",
    ]
    if api:
        parts += ["The library the notebooks import is described in [the API reference](api.md).",
                  ""]
    parts += ["```{toctree}", ":hidden:", ":caption: Chapters", "", *chapters, "```", ""]
    if api:
        parts += ["```{toctree}", ":hidden:", ":caption: Reference", "", "api", "```", ""]
    return "\n".join(parts), warnings


# --------------------------------------------------------------------------- notebooks

def _terminal_text(text: str) -> str:
    """What a terminal shows for ``text``: ``\\b`` erases one character, ``\\r`` returns to the
    start of the line (the line then shows what was written after the last one)."""
    while True:
        shorter = re.sub("[^\n\x08]\x08", "", text)
        if shorter == text:
            break
        text = shorter
    text = text.replace("\x08", "")
    lines = []
    for line in text.split("\n"):
        pieces = [piece for piece in line.split("\r") if piece]
        lines.append(pieces[-1] if pieces else "")
    return "\n".join(lines)


def _merge_streams(outputs: list[dict]) -> list[dict]:
    """Consecutive stream outputs of one name joined (their text as written), then each shown
    as a terminal would."""
    merged: list[dict] = []
    for output in outputs:
        if (output.get("output_type") == "stream" and merged
                and merged[-1].get("output_type") == "stream"
                and merged[-1].get("name") == output.get("name")):
            merged[-1]["text"] += _text(output["text"])
            continue
        output = copy.deepcopy(output)
        if output.get("output_type") == "stream":
            output["text"] = _text(output["text"])
        merged.append(output)
    for output in merged:
        if output.get("output_type") == "stream":
            output["text"] = _terminal_text(output["text"])
    return merged


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else value


def _tags(cell: dict) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _solution_source(source: str) -> str:
    """The solution cell's source without the workshop's marker and hint lines."""
    kept = [line for line in source.splitlines()
            if not re.match(r"^\s*### (BEGIN SOLUTION|END SOLUTION|HINT:)", line)]
    return "\n".join(kept)


def reader_notebook(notebook: dict, name: str = "notebook") -> dict:
    """The notebook as the book shows it (a new dict; ``notebook`` is not modified).

    Raises ``clustering_lib.workshop.ExerciseFormatError`` for malformed exercise markers, as
    ``make workshop`` does.
    """
    book = copy.deepcopy(notebook)
    cells: list[dict] = []
    for index, cell in enumerate(book["cells"]):
        if cell["cell_type"] != "code":
            cells.append(cell)
            continue
        source = _text(cell.get("source", ""))
        tagged = _WORKSHOP.EXERCISE_TAG in _tags(cell)
        cell["outputs"] = _merge_streams(cell.get("outputs", []))
        stub, messages = _WORKSHOP.stub_solutions(source, f"{name}, cell {index}")
        if messages and not tagged:
            raise _WORKSHOP.ExerciseFormatError(
                f"{name}, cell {index} has solution markers but no "
                f"'{_WORKSHOP.EXERCISE_TAG}' tag.")
        if tagged:
            cell["outputs"] = []
            cell["execution_count"] = None
        if not messages:
            cells.append(cell)
            continue
        cell["source"] = stub
        cells.append(cell)
        solution = copy.deepcopy(cell)
        solution["source"] = _solution_source(source)
        metadata = solution.setdefault("metadata", {})
        metadata["tags"] = [*_tags(cell), "hide-input", "book-solution"]
        metadata["mystnb"] = {"code_prompt_show": SOLUTION_PROMPT_SHOW,
                              "code_prompt_hide": SOLUTION_PROMPT_HIDE}
        solution["id"] = f"{cell.get('id', index)}-solution"[-64:]
        cells.append(solution)
    book["cells"] = _with_source_link(cells, name)
    return book


def _with_source_link(cells: list[dict], name: str) -> list[dict]:
    """A line after the notebook's first markdown cell linking the notebook itself (Sphinx
    copies it, untouched, to ``_sources/``)."""
    file = Path(name).name
    link = {"cell_type": "markdown", "id": "book-source-link", "metadata": {},
            "source": f'<p class="book-source-link">This page is the notebook '
                      f'<a href="_sources/{file}" download="{file}"><code>{file}</code></a> '
                      "with its stored outputs; the file has every cell, the checks "
                      "included.</p>"}
    for position, cell in enumerate(cells):
        if cell["cell_type"] == "markdown":
            return [*cells[:position + 1], link, *cells[position + 1:]]
    return [link, *cells]


def reader_notebook_json(text: str, name: str = "notebook") -> str:
    """:func:`reader_notebook` on a notebook's JSON text (for Sphinx's source-read event)."""
    return json.dumps(reader_notebook(json.loads(text), name), ensure_ascii=False)


# --------------------------------------------------------------------------- API page

@contextlib.contextmanager
def _quiet_stderr():
    """File descriptor 2 into a temporary file while TensorFlow's native code logs its start-up;
    shown after all if the import fails."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            captured.seek(0)
            sys.stderr.write(captured.read().decode("utf-8", "replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def api_page(package: str = "clustering_lib") -> str:
    """The API page: the names of ``package.__all__``, then one section per public module
    (a module attribute of the package whose name has no leading underscore) with the names
    of its ``__all__`` that the top level does not already hold."""
    with _quiet_stderr():
        module = importlib.import_module(package)
    namespaces = sorted(name for name, value in vars(module).items()
                        if isinstance(value, type(module)) and not name.startswith("_")
                        and value.__name__.startswith(package + "."))
    sections = [(package, list(module.__all__))]
    documented = {id(getattr(module, name)) for name in module.__all__}
    for name in namespaces:
        sub = getattr(module, name)
        names = [n for n in getattr(sub, "__all__", []) if id(getattr(sub, n)) not in documented]
        documented.update(id(getattr(sub, n)) for n in names)
        sections.append((sub.__name__, names))
    lines = [
        f"# API reference: `{package}`",
        "",
        "Generated from the docstrings (numpydoc). The top level holds what most users need; "
        "each public module below is a namespace for one topic.",
        "",
    ]
    for home, names in sections:
        entries = []
        owner = importlib.import_module(home)
        for name in names:
            obj = getattr(owner, name)
            if isinstance(obj, type(module)) or not callable(obj):
                continue
            kind = "autoclass" if isinstance(obj, type) else "autofunction"
            options = "\n   :members:" if kind == "autoclass" else ""
            entries += [f"```{{eval-rst}}\n.. {kind}:: {home}.{name}{options}\n```", ""]
        if not entries:
            continue
        doc = (owner.__doc__ or "").strip()
        summary = doc.split("\n\n")[0].strip()
        lines += [f"## `{home}`", ""]
        if summary:  # reStructuredText, like the docstrings
            lines += [f"```{{eval-rst}}\n.. currentmodule:: {home}\n\n{summary}\n```", ""]
        lines += entries
    return "\n".join(lines)
