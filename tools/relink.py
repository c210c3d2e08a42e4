"""Source links in docs/*.md: `[name](../path.py#L123)`.

The rule (checked by tests/test_docs.py): a link whose label names a function or class
(`backward`, `Tensor.backward`, `check_layer(layer, *inputs)`) must land on the `def`/`class`
line of that name (for `Class.method`, the method inside that class); a label that is not the
name of a def or class in the file is a quoted piece of code (`prev + gi`) and the line must
contain it verbatim.

After code moved, `python tools/relink.py` points every link at the line the rule wants.
"""

from __future__ import annotations

import pathlib
import re

LINK = re.compile(r"\[`?([^\]`]+?)`?\]\((\.\./[^)#\s]+)#L(\d+)\)")
_NAME = re.compile(r"[A-Za-z_][\w.]*")


def _defs(name: str, lines: list[str]) -> list[int]:
    pattern = re.compile(rf"^\s*(?:async\s+)?(?:def|class)\s+{re.escape(name)}\b")
    return [i + 1 for i, s in enumerate(lines) if pattern.match(s)]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def definition_lines(label: str, lines: list[str]) -> list[int] | None:
    """The lines that define what `label` names, or None if the label is quoted code."""
    head = label.strip("`").split("(")[0].strip()
    if not _NAME.fullmatch(head):
        return None
    parts = head.split(".")
    hits = _defs(parts[-1], lines)
    if not hits:
        return None
    if len(parts) > 1:  # Class.method: keep the defs inside that class
        for c in _defs(parts[-2], lines):
            end = next((i + 1 for i in range(c, len(lines))
                        if lines[i].strip() and _indent(lines[i]) <= _indent(lines[c - 1])), len(lines) + 1)
            inside = [h for h in hits if c < h < end]
            if inside:
                return inside
    return hits


def problem(label: str, lines: list[str], n: int) -> str | None:
    """Why line `n` is the wrong target for `label`, or None if it is right."""
    defs = definition_lines(label, lines)
    if defs is not None:
        return None if n in defs else f"is not the def/class line of {label!r} (line(s) {defs})"
    code = label.strip("`")
    found = [i + 1 for i, s in enumerate(lines) if code in s]
    if not 1 <= n <= len(lines) or code not in lines[n - 1]:
        return f"does not contain {code!r} (found at line(s) {found[:5]})"
    return None


def target_line(label: str, lines: list[str], old: int) -> int:
    """The line the rule wants, the nearest to `old` if several qualify (`old` if none)."""
    defs = definition_lines(label, lines)
    if defs is None:
        defs = [i + 1 for i, s in enumerate(lines) if label.strip("`") in s]
    return min(defs, key=lambda n: abs(n - old)) if defs else old


def main():
    for doc in sorted(pathlib.Path("docs").glob("*.md")):
        text = doc.read_text(encoding="utf-8")

        def fix(m):
            lines = (doc.parent / m.group(2)).read_text(encoding="utf-8").splitlines()
            n = target_line(m.group(1), lines, int(m.group(3)))
            return m.group(0).replace(f"#L{m.group(3)})", f"#L{n})")

        new = LINK.sub(fix, text)
        if new != text:
            doc.write_text(new, encoding="utf-8")
            print("updated", doc)


if __name__ == "__main__":
    main()
