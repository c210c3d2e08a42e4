"""Lines of code per file in minigrad/, without blank lines, comments and docstrings; the core
(engine, tensor, ops, backend, dtypes, grad mode) as a subtotal of its own.

    python tools/sz.py
"""

import ast
import io
import pathlib
import sys
import tokenize

# The core: what `x.tanh().sum().backward()` runs through (creation.py and random.py, which only
# make tensors, are not in it; nor are higher_order.py and function_ctx.py, which only
# create_graph/autograd.grad and Function.apply use; nor ops/composed.py, the rest of PyTorch's
# tensor API built from the primitive ops, with no backward of its own). Paths relative to the
# package root.
CORE = ("autograd.py", "autograd_helpers.py", "tensor.py", "ops/", "backend.py", "dtypes.py", "grad_mode.py")
NOT_CORE = ("ops/composed.py",)


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


def is_core(rel: str) -> bool:
    return rel not in NOT_CORE and any(rel == c or (c.endswith("/") and rel.startswith(c)) for c in CORE)


def main(root="minigrad"):
    base = pathlib.Path(root)
    rows = sorted((p.relative_to(base).as_posix(), code_lines(p)) for p in base.rglob("*.py"))
    for title, part in (("core", [r for r in rows if is_core(r[0])]),
                        ("nn, optim and the rest", [r for r in rows if not is_core(r[0])])):
        print(f"{title}:")
        for name, n in part:
            print(f"{n:6d}  {root}/{name}")
        print(f"{sum(n for _, n in part):6d}  subtotal ({title})\n")
    print(f"{sum(n for _, n in rows):6d}  total")


if __name__ == "__main__":
    main(*sys.argv[1:])
