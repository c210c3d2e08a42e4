"""Update `[name](../path.py#L123)` links in docs/*.md after code moved: each link is pointed at
the line that defines `name` (or, failing that, the first line that mentions it).
tests/test_docs.py fails when a link has gone stale; this fixes it.

    python tools/relink.py
"""

import pathlib
import re

LINK = re.compile(r"\[`?([^\]`]+?)`?\]\((\.\./[^)#\s]+)#L(\d+)\)")


def target_line(label: str, lines: list[str], old: int) -> int:
    word = re.findall(r"\w+", label.split("(")[0])[-1]  # `Function.__call__` -> __call__
    if 1 <= old <= len(lines) and re.search(rf"\b{re.escape(word)}\b", lines[old - 1]):
        return old
    for pattern in (re.escape(label.strip("`")), rf"(def|class) {re.escape(word)}\b", rf"\b{re.escape(word)}\b"):
        hits = [i + 1 for i, s in enumerate(lines) if re.search(pattern, s)]
        if hits:
            return min(hits, key=lambda n: abs(n - old))  # the nearest, if several
    return old


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
