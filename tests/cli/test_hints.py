"""Every command Assay suggests to a user is one its own CLI accepts (issue 13, item 5).

The suggestions are found by reading the sources, not listed by hand, so a new hint is checked the
day it is written:

- string literals and f-strings in ``src/assay`` (docstrings are for developers and are skipped,
  except those of the functions in ``assay/cli``, which ``--help`` prints);
- the templates (``.html``, ``.j2``) and YAML files in ``src/assay``, comments included;
- the code spans and code blocks of ``docs/`` and ``README.md``.

A suggestion starts at ``assay <command>``. In a code span (`` `...` `` or ``<code>...</code>``) it
is the whole span; in plain text it ends with its clause (``;``, ``)``, `` (``, ``, ``, a full stop,
`` or ``, `` then ``...). Each one goes through the click command behind the Typer app, with
resilient parsing off: an unknown command or option, a missing argument or a missing required
option fails the test. How a suggestion is read:

- UPPERCASE words (``SYSTEM``, ``REV-N``, ``NAME@VERSION``), f-string fields and Jinja expressions
  are values the user fills in, and so is an option's value when it is left out (``--owner``);
- ``...`` means "and whatever else the command needs": required parameters may be left out;
- ``[...]`` is optional, and ``a|b``, ``--x/--no-x`` and ``(a b | c d)`` are alternatives: each
  variant is checked, with and without the optional parts;
- command and option names are spelled out, never built from a field, so they can be checked;
- a bare command name is a pointer. Docs may name any command so; a message may name a command
  group (`` `assay system` ``), but a command it tells the user to run must be complete.
"""

from __future__ import annotations

import ast
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.core import TyperGroup

from assay.cli._app import app

REPO = Path(__file__).parents[2]
SRC = REPO / "src" / "assay"
DOCS = [*sorted((REPO / "docs").rglob("*.md")), REPO / "README.md"]

FIELD = "\ue000"  # an f-string field or Jinja expression: a value known only when the text is shown
TIGHT_BAR = "\ue001"  # "|" with no space around it: alternative single words, as in high|limited
SAMPLE = "1"  # a value every parameter type of the CLI accepts (text, path, integer, float)

START = re.compile(r"(?<![\w./@-])assay (?=[a-z])")
SPAN = re.compile(r"`([^`\n]+)`|<code>(.*?)</code>", re.DOTALL)
PLAIN_END = re.compile(
    r"[\n`;)<\"—]| \(|(?<!\.)[.,:](?=\s|$)|(?<=\S)'(?=[\s,.;:)]|$)"
    r"|\s(?:or|then|and|to|in|inside|first)\s"
)
SHELL_END = re.compile(r"`| && |;| [12]?> ")
FENCE = re.compile(r"^```(\w*)$.*?^```", re.DOTALL | re.MULTILINE)
SHELL_BLOCKS = ("", "bash", "sh", "shell", "console", "cron")
PLACEHOLDER = re.compile(r"[A-Z][A-Z0-9_]*(?:[-@:./=][A-Z0-9_]+)*(?:\.[a-z]+)?")
NUMBER = re.compile(r"-\d[\d.]*")

ROOT_COMMAND: Any = typer.main.get_command(app)


@dataclass(frozen=True)
class Suggestion:
    """A command as written in the source; ``code`` when it is a shell line (``#`` comments)."""

    where: str
    text: str
    docs: bool = False
    code: bool = False

    def __str__(self) -> str:
        return f"{self.where}: {self.text.replace(FIELD, '{…}')}"


# -- finding the suggestions -----------------------------------------------------------------------


def commands_in(text: str) -> Iterator[tuple[int, str]]:
    """(offset, command) of every suggestion in a message, template or data file."""
    spans = [(m.start(), m.end(), m.group(1) or m.group(2)) for m in SPAN.finditer(text)]
    for start, _, inner in spans:
        for part in re.split(r";|&&", inner):
            if START.match(part.strip()):
                yield start, part.strip()
    for m in START.finditer(text):
        if any(start <= m.start() < end for start, end, _ in spans):
            continue
        end = PLAIN_END.search(text, m.end())
        yield m.start(), text[m.start() : end.start() if end else len(text)]


def python_texts(path: Path) -> Iterator[tuple[int, str]]:
    """(line, text) of each string literal and f-string of a module, fields marked FIELD."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    inner = {
        id(part)
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr)
        for part in ast.walk(node)
        if part is not node
    }
    prints_help = path.parent.name == "cli"
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and prints_help and ast.get_docstring(node):
            yield node.body[0].lineno, ast.get_docstring(node) or ""
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant | ast.JoinedStr):
            inner.add(id(node.value))  # a docstring, for developers
        elif isinstance(node, ast.JoinedStr) and id(node) not in inner:
            yield (
                node.lineno,
                "".join(v.value if isinstance(v, ast.Constant) else FIELD for v in node.values),
            )
        elif (
            isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in inner
        ):
            yield node.lineno, node.value


def source_suggestions() -> Iterator[Suggestion]:
    """The suggestions of src/assay: messages, fix fields, templates and data files."""
    for path in sorted(SRC.rglob("*")):
        where = path.relative_to(REPO)
        if path.suffix == ".py":
            texts = list(python_texts(path))
        elif path.suffix in (".html", ".j2", ".yaml", ".yml"):
            jinja = re.sub(r"\{\{.*?\}\}", FIELD, path.read_text(encoding="utf-8"))
            texts = [(1, jinja)]
        else:
            continue
        for line, text in texts:
            for offset, command in commands_in(text):
                yield Suggestion(f"{where}:{line + text.count(chr(10), 0, offset)}", command)


def shell_lines(block: str) -> Iterator[tuple[int, str]]:
    """(index, line) of a code block, a line continued with a backslash joined to the next."""
    lines = block.split("\n")
    n = 0
    while n < len(lines):
        start, line = n, lines[n]
        while line.endswith("\\") and n + 1 < len(lines):
            n += 1
            line = line[:-1] + " " + lines[n]
        n += 1
        yield start, line


def docs_suggestions() -> Iterator[Suggestion]:
    """The code spans and code-block lines of the docs that start with ``assay``."""
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        where = path.relative_to(REPO)
        for block in FENCE.finditer(text):
            if block.group(1) not in SHELL_BLOCKS:
                continue
            first = text.count("\n", 0, block.start()) + 1
            for n, line in shell_lines(block.group()):
                for m in START.finditer(line):
                    command = SHELL_END.split(line[m.start() :])[0]
                    yield Suggestion(f"{where}:{first + n}", command, docs=True, code=True)
        prose = FENCE.sub(lambda b: "\n" * b.group().count("\n"), text)
        for m in SPAN.finditer(prose):
            if START.match(m.group(1) or ""):
                line = prose.count("\n", 0, m.start()) + 1
                yield Suggestion(f"{where}:{line}", m.group(1), docs=True)


# -- reading the notation: [optional], alternatives, ... -------------------------------------------


@dataclass(frozen=True)
class Group:
    """``[...]`` (optional) or ``( a | b )``: one or more branches, each a list of nodes."""

    optional: bool
    branches: tuple[tuple[Node, ...], ...]


Node = str | Group


def words_of(text: str, *, code: bool) -> list[str]:
    """Shell words of TEXT, with ``[``, ``]``, ``(``, ``)`` and spaced ``|`` as separate words."""
    text = text.replace("\\|", "|").replace("…", "...")
    text = re.sub(r"(?<=\S)\|(?=\S)", TIGHT_BAR, text)
    lexer = shlex.shlex(text, posix=True, punctuation_chars="[]()|")
    lexer.whitespace_split = True
    lexer.commenters = "#" if code else ""
    # shlex keeps a run of punctuation together ("]]"): one bracket is one word here
    return [c for w in lexer for c in (list(w) if set(w) <= set("[]()|") else [w])]


def tree_of(words: list[str]) -> tuple[Node, ...]:
    """The words as nodes. At the top level, ``a | b`` joins the two words around the bar."""
    pos = 0

    def group(closer: str) -> list[list[Node]]:
        nonlocal pos
        branches: list[list[Node]] = [[]]
        while pos < len(words):
            word = words[pos]
            pos += 1
            if word == closer:
                return branches
            if word in ("[", "("):
                inner = group("]" if word == "[" else ")")
                branches[-1].append(Group(word == "[", tuple(map(tuple, inner))))
            elif word == "|" and closer:
                branches.append([])
            elif word == "|" and branches[-1] and isinstance(branches[-1][-1], str):
                branches[-1][-1] += TIGHT_BAR + (words[pos] if pos < len(words) else "")
                pos += 1
            elif word in ("|", "]", ")"):
                raise ValueError(f"a stray {word!r}: put alternatives of several words in ( )")
            else:
                branches[-1].append(word)
        if closer:
            raise ValueError(f"{closer!r} is missing")
        return branches

    return tuple(group("")[0])


def choices(word: str) -> list[str]:
    """The alternatives a word stands for: ``high|limited``, ``--x/--no-x``."""
    if TIGHT_BAR in word:
        return word.split(TIGHT_BAR)
    parts = word.split("/")
    if len(parts) > 1 and all(p.startswith("--") for p in parts):
        return parts
    return [word]


def width(nodes: tuple[Node, ...]) -> int:
    """The largest number of alternatives anywhere in the nodes."""
    sizes = [1]
    for node in nodes:
        if isinstance(node, str):
            sizes.append(len(choices(node)))
        else:
            sizes += [len(node.branches), *(width(b) for b in node.branches)]
    return max(sizes)


def flatten(nodes: tuple[Node, ...], pick: int, optional: bool) -> Iterator[str]:
    """One variant: alternative number PICK everywhere (or the last), optional parts or not."""
    for node in nodes:
        if isinstance(node, str):
            options = choices(node)
            yield options[min(pick, len(options) - 1)]
        elif optional or not node.optional:
            yield from flatten(node.branches[min(pick, len(node.branches) - 1)], pick, optional)


def variants(suggestion: Suggestion) -> list[list[str]]:
    """Every reading of the suggestion, each a list of words after ``assay``."""
    tree = tree_of(words_of(suggestion.text, code=suggestion.code))
    out: list[list[str]] = []
    for pick in range(width(tree)):
        for optional in (False, True):
            words = list(flatten(tree, pick, optional))[1:]
            if words not in out:
                out.append(words)
    return out


# -- parsing with the CLI's own parser -------------------------------------------------------------


def is_option(word: str) -> bool:
    return word.startswith("-") and len(word) > 1 and not NUMBER.fullmatch(word)


def is_value_to_fill(word: str) -> bool:
    return FIELD in word or "..." in word or bool(PLACEHOLDER.fullmatch(word))


def filled(command: Any, words: list[str]) -> list[str]:
    """WORDS with each value the user fills in replaced by SAMPLE; after ``...``, the required
    parameters the suggestion left out are added too."""
    options = {
        name: p
        for p in command.params
        if p.param_type_name == "option"
        for name in (*p.opts, *p.secondary_opts)
    }
    arguments = [p for p in command.params if p.param_type_name == "argument"]
    out: list[str] = []
    seen: set[str] = set()
    given, elided, i = 0, False, 0
    while i < len(words):
        word, i = words[i], i + 1
        name, eq, value = word.partition("=")
        param = options.get(name) if is_option(word) else None
        if param is not None:
            seen.add(param.name)
        if param is not None and not (getattr(param, "is_flag", False) or eq):
            written = i < len(words) and not is_option(words[i])
            value, i = (words[i], i + 1) if written else (SAMPLE, i)
            out += [name, SAMPLE if is_value_to_fill(value) else value]
        elif param is not None and eq:
            out.append(f"{name}={SAMPLE if is_value_to_fill(value) else value}")
        elif not is_option(word) and "..." in word:
            elided = True
        elif not is_option(word) and given < len(arguments):
            if arguments[given].nargs != -1:  # a variadic argument takes every word left
                given += 1
            out.append(SAMPLE if is_value_to_fill(word) else word)
        else:
            out.append(word)  # an unknown option or an extra argument: the parser says which
    if elided:
        out += [SAMPLE for a in arguments[given:] if a.required]
        for p in options.values():
            if p.required and p.name not in seen:
                seen.add(p.name)
                out += [p.opts[0], SAMPLE]
    return out


def parse_problem(words: list[str], *, docs: bool) -> str | None:
    """What the CLI's parser says about ``assay WORDS``, or None when it accepts them."""
    try:
        ctx = ROOT_COMMAND.make_context("assay", list(words))
        command, rest = ROOT_COMMAND, [*ctx._protected_args, *ctx.args]
        while isinstance(command, TyperGroup):
            if not rest:
                return None  # a command group named as a pointer
            name, command, rest = command.resolve_command(ctx, rest)
            if isinstance(command, TyperGroup) and rest:
                ctx = command.make_context(name, rest, parent=ctx)
                rest = [*ctx._protected_args, *ctx.args]
        if docs and not rest:
            return None  # the docs name a command they describe
        command.make_context(name, filled(command, rest), parent=ctx)
    except typer.Exit:
        return None  # --help
    except typer.TyperException as exc:
        return exc.format_message().replace(FIELD, "{…}")
    return None


def problem(suggestion: Suggestion) -> str | None:
    """Why the suggestion is not a valid command (the first failing variant), or None."""
    try:
        readings = variants(suggestion)
    except ValueError as exc:
        return f"cannot read it: {exc}"
    for words in readings:
        found = parse_problem(words, docs=suggestion.docs)
        if found:
            shown = " ".join(words).replace(FIELD, "{…}").replace(TIGHT_BAR, "|")
            return f"`assay {shown}`: {found}"
    return None


SOURCE = list(source_suggestions())
DOCUMENTED = list(docs_suggestions())


# -- the tests -------------------------------------------------------------------------------------


@pytest.mark.parametrize("suggestion", SOURCE, ids=lambda s: s.where)
def test_a_suggested_command_is_valid(suggestion: Suggestion) -> None:
    assert problem(suggestion) is None, f"{suggestion}\n{problem(suggestion)}"


@pytest.mark.parametrize("suggestion", DOCUMENTED, ids=lambda s: s.where)
def test_a_documented_command_is_valid(suggestion: Suggestion) -> None:
    assert problem(suggestion) is None, f"{suggestion}\n{problem(suggestion)}"


def test_suggestions_are_found_in_every_kind_of_source() -> None:
    suffixes = {s.where.split(":")[0].rsplit(".", 1)[-1] for s in SOURCE}
    assert {"py", "html", "yaml"} <= suffixes
    assert len(SOURCE) >= 150
    assert len(DOCUMENTED) >= 200
    assert any(s.code for s in DOCUMENTED)


def _check(text: str, *, docs: bool = False) -> str | None:
    return problem(Suggestion("example", text, docs=docs))


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("assay review decide REV-1 approved", "No such command 'decide'"),
        ("assay evaluate drift ... --record", "No such command 'drift'"),
        ("assay model", "No such command 'model'"),
        ("assay kpi", "No such command 'kpi'"),
        ("assay system component add S monitoring NAME VERSION", "unexpected extra argument"),
        ("assay model-version add S 1.0 --training-data D@1", "No such option: --training-data"),
        ("assay evaluate fairness ... --sensitive-features sex", "No such option"),
        ("assay waiver approve WVR-N", "Missing option '--rationale'"),
        ("assay evidence add --kind drift --system SYSTEM", "Missing argument 'file'"),
        ("assay completeness", "Missing argument 'review'"),
        (f"assay card {FIELD} {FIELD} --section KEY", "No such command"),
        (f"assay system update S --{FIELD} TEXT", "No such option"),
        ("assay card model|bogus SYSTEM", "No such command 'bogus'"),
        ("assay kpis [--form DATE]", "No such option: --form"),
        ("assay review open SYSTEM (--answers FILE | --answr ID=VALUE ...)", "No such option"),
    ],
)
def test_the_check_rejects_an_invalid_command(text: str, complaint: str) -> None:
    found = _check(text)
    assert found is not None, text
    assert complaint in found


@pytest.mark.parametrize(
    "text",
    [
        "assay system",  # a command group, as a pointer
        "assay evaluate fairness ... --record --system SYSTEM --model-version VERSION",
        f"assay waiver request {FIELD} --risk {FIELD} ...",
        "assay card model|system SYSTEM --section KEY --file TEXT.md",
        "assay monitor ack ID --meaningful | --noise",
        "assay risk add S --title ... --category mit:1.1 --likelihood N --severity N --owner O",
        "assay kpis [--from DATE] [--to DATE] [--format table\\|json\\|csv]",
        "assay review triage REV-N --owner",
        "assay system update NAME [--generative/--not-generative]",
        "assay review open SYSTEM (--answers FILE \\| --answer ID=VALUE ...) [--title]",
        "assay evaluate fairness --help",
    ],
)
def test_the_check_accepts_a_valid_command(text: str) -> None:
    assert _check(text) is None


def test_docs_may_name_a_command_without_its_arguments() -> None:
    assert _check("assay completeness", docs=True) is None
    assert _check("assay completness", docs=True) is not None
