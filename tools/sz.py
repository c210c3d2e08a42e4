"""Lines of code per file in minigrad/, without blank lines, comments and docstrings.

    python tools/sz.py
"""

import ast
import io
import pathlib
import sys
import tokenize


def code_lines(path: pathlib.Path) -> int:
    src = path.read_text()
    doc_lines = set()
    for node in ast.walk(ast.parse(src)):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            doc_lines.update(range(body[0].lineno, body[0].end_lineno + 1))
    lines = set()
    for tok in tokenize.generate_tokens(io.StringIO(src).readline):
        if tok.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT,
                            tokenize.DEDENT, tokenize.ENDMARKER):
            lines.update(range(tok.start[0], tok.end[0] + 1))
    return len(lines - doc_lines)


def main(root="minigrad"):
    rows = sorted((str(p), code_lines(p)) for p in pathlib.Path(root).rglob("*.py"))
    for name, n in rows:
        print(f"{n:6d}  {name}")
    print(f"{sum(n for _, n in rows):6d}  total")


if __name__ == "__main__":
    main(*sys.argv[1:])
