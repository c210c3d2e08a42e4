"""Docs are code: every fenced ```python block in README.md and docs/*.md runs, the
blocks of one file in order and in one namespace; every name in docs/api.md exists and every
public name is listed there; every link to a source line points at the thing it names.

A block opts out with ```python no-run (only for what cannot run here, e.g. needs a GPU). A block
that makes inf or NaN on purpose (to show anomaly mode) says so with ```python inf-nan: NumPy's
divide/invalid/overflow warnings are silenced for that block only, so that the test output shows
no expected warnings and an unexpected one elsewhere still shows."""

import contextlib
import importlib
import importlib.util
import pathlib
import re

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = sorted([ROOT / "README.md"] + list((ROOT / "docs").glob("*.md")))
DOCS = [p for p in DOCS if p.exists()]

_FENCE = re.compile(r"^```(\S*)(.*)$")


def python_blocks(path: pathlib.Path, flags: bool = False):
    """(first line number, source, runs) of each ```python block, in order; with `flags`, a fourth
    item: the words after "python" on the fence (e.g. {"inf-nan"})."""
    blocks, lines = [], path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if m and m.group(1):  # an opening fence with an info string
            lang, rest = m.group(1), m.group(2)
            j = i + 1
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            if lang == "python":
                block = (i + 2, "\n".join(lines[i + 1:j]), "no-run" not in rest)
                blocks.append(block + (set(rest.split()),) if flags else block)
            i = j + 1
        else:
            i += 1
    return blocks


def _rel(path):
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", DOCS, ids=_rel)
def test_python_blocks_run(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # blocks that write files write them here
    namespace = {"__name__": f"docs:{_rel(path)}"}
    for first_line, source, runs, words in python_blocks(path, flags=True):
        if not runs:
            continue
        quiet = np.errstate(divide="ignore", invalid="ignore", over="ignore") if "inf-nan" in words \
            else contextlib.nullcontext()
        # compiled under the .md file's own name and line numbers: a traceback (or an anomaly
        # report) points at the line in the doc
        code = compile("\n" * (first_line - 1) + source, str(path), "exec")
        try:
            with quiet:
                exec(code, namespace)
        except Exception as e:
            raise AssertionError(f"{_rel(path)}: the python block at line {first_line} raised "
                                 f"{type(e).__name__}: {e}") from e


def test_the_runner_finds_and_skips_blocks(tmp_path):
    doc = tmp_path / "x.md"
    doc.write_text("text\n```python\na = 1\n```\n```\nnot python\n```\n```python no-run\nboom\n```\n"
                   "```bash\nls\n```\n```python\nb = a + 1\n```\n")
    assert python_blocks(doc) == [(3, "a = 1", True), (9, "boom", False), (15, "b = a + 1", True)]
    doc.write_text("```python inf-nan\nnp.log(0.0)\n```\n```python\na = 1\n```\n")
    assert python_blocks(doc, flags=True) == [(2, "np.log(0.0)", True, {"inf-nan"}), (5, "a = 1", True, set())]


# ***** docs/api.md *****

API = ROOT / "docs" / "api.md"
_QUALIFIED = re.compile(r"`(minigrad(?:\.\w+)+)`")


def _resolve(dotted: str):
    parts = dotted.split(".")
    for k in range(len(parts), 0, -1):  # the longest importable module prefix, then attributes
        try:
            obj = importlib.import_module(".".join(parts[:k]))
        except ImportError:
            continue
        for attr in parts[k:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(dotted)


def _listed():
    return set(_QUALIFIED.findall(API.read_text(encoding="utf-8")))


@pytest.mark.skipif(not API.exists(), reason="docs/api.md not written yet")
def test_every_name_in_api_md_exists():
    missing = []
    for name in sorted(_listed()):
        try:
            _resolve(name)
        except (ImportError, AttributeError):
            missing.append(name)
    assert not missing, f"docs/api.md lists names that do not exist: {missing}"


def _public(module_name, kinds=None):
    mod = importlib.import_module(module_name)
    out = []
    for n in dir(mod):
        obj = getattr(mod, n)
        if n.startswith("_") or type(obj).__name__ == "module" or n in ("annotations", "Tensor", "Function"):
            continue
        if getattr(obj, "__module__", module_name).split(".")[0] != "minigrad" and callable(obj):
            continue  # re-exported from elsewhere (dataclass, Path)
        out.append(f"{module_name}.{n}")
    return out


@pytest.mark.skipif(not API.exists(), reason="docs/api.md not written yet")
@pytest.mark.parametrize("module", ["minigrad", "minigrad.nn", "minigrad.nn.functional", "minigrad.optim",
                                    "minigrad.optim.lr_scheduler", "minigrad.utils.data", "minigrad.cuda",
                                    "minigrad.accelerator", "minigrad.testing", "minigrad.debug"])
def test_every_public_name_is_in_api_md(module):
    listed = _listed()
    mod = importlib.import_module(module)
    names = getattr(mod, "__all__", None)
    candidates = [f"{module}.{n}" for n in names] if names else _public(module)
    # Function classes (CamelCase in F) are internals; the lowercase functions are the API
    if module == "minigrad.nn.functional":
        candidates = [c for c in candidates if not c.rsplit(".", 1)[1][0].isupper()
                      and c.rsplit(".", 1)[1] != "default_generator"]
    missing = [c for c in candidates if c not in listed]
    assert not missing, f"public names missing from docs/api.md: {missing}"


# ***** links into the source *****

_FILE_LINK = re.compile(r"\]\((\.\./[^)#\s]+|[\w-]+\.md)(?:#[^)]*)?\)")
_spec = importlib.util.spec_from_file_location("relink", ROOT / "tools" / "relink.py")
relink = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(relink)


@pytest.mark.parametrize("path", [p for p in DOCS if p.parent.name == "docs"], ids=_rel)
def test_source_links_point_at_what_they_name(path):
    """[`backward`](../minigrad/autograd.py#L191): line 191 of that file must be `def backward`
    (a label that names no def/class, such as `prev + gi`, must appear on the line verbatim).
    When code moves, `python tools/relink.py` updates the numbers."""
    text = path.read_text(encoding="utf-8")
    for target in _FILE_LINK.findall(text):
        assert (path.parent / target).exists(), f"{_rel(path)} links to missing file {target}"
    for label, target, line in relink.LINK.findall(text):
        lines = (path.parent / target).read_text(encoding="utf-8").splitlines()
        why = relink.problem(label, lines, int(line))
        assert why is None, (f"{_rel(path)}: link [{label}]({target}#L{line}): line {line} {why} "
                             "(run python tools/relink.py)")


def test_a_link_to_a_line_that_only_mentions_the_name_fails():
    lines = ["def backward(root):", "    pass", "", "class Tensor:", "    def backward(self):",
             "        return backward(self)", "x = prev + gi"]
    assert relink.problem("backward", lines, 1) is None
    assert relink.problem("backward", lines, 6) is not None  # mentions backward, defines nothing
    assert relink.problem("Tensor.backward", lines, 5) is None
    assert relink.problem("Tensor.backward", lines, 1) is not None  # the other backward
    assert relink.problem("prev + gi", lines, 7) is None
    assert relink.problem("prev + gi", lines, 6) is not None
    assert relink.target_line("Tensor.backward", lines, 1) == 5
