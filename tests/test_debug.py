"""minigrad.debug: anomaly mode, graph dump, DOT export, gradient-norm recording (issue 8, R5.1)."""

import inspect
import io
import re

import numpy as np
import pytest

import minigrad
from minigrad import autograd, debug, nn

# NumPy warns about the inf/nan these tests make on purpose
pytestmark = pytest.mark.filterwarnings("ignore:.*encountered in:RuntimeWarning")

# ***** anomaly mode *****


def _line_after() -> int:
    """The line number just after the caller's line."""
    return inspect.currentframe().f_back.f_lineno + 1


@pytest.mark.parametrize("make, op, kind", [
    (lambda x: x.log(), "Log", "-inf"),                     # log(0)
    (lambda x: minigrad.log(x - 1), "Log", "nan"),          # log(-1)
    (lambda x: (x - 1).sqrt(), "Sqrt", "nan"),
    (lambda x: 1.0 / x, "Div", "inf"),
    (lambda x: (x * 100).exp(), "Exp", "inf"),              # float32 overflow
    (lambda x: x.pow(-1.0), "PowScalar", "inf"),
])
def test_anomaly_names_the_forward_op(make, op, kind, device):
    x = minigrad.tensor([0.0, 1.0, 2.0], device=device, requires_grad=True)
    with pytest.raises(debug.AnomalyError) as info:
        with debug.detect_anomaly():
            line = _line_after()
            make(x)
    e = info.value
    assert (e.op, e.phase) == (op, "forward")
    assert f"{op} (forward) produced" in str(e) and kind in str(e)
    filename, lineno = e.where.split(" in ")[0].rsplit(":", 1)
    assert filename == __file__  # the user's line, not a line inside minigrad
    assert int(lineno) in (line, inspect.getsourcelines(make)[1])


def test_anomaly_log_of_zero_points_at_the_users_line():
    x = minigrad.tensor([1.0, 0.0], requires_grad=True)
    with pytest.raises(debug.AnomalyError) as info:
        with debug.detect_anomaly():
            y = x * 2
            line = _line_after()
            z = y.log()  # noqa: F841
    assert info.value.op == "Log"
    assert info.value.where == f"{__file__}:{line} in test_anomaly_log_of_zero_points_at_the_users_line"
    assert "z = y.log()" in str(info.value)  # the source line is quoted


def test_anomaly_says_when_an_input_was_already_bad():
    x = minigrad.tensor([np.nan, 1.0], requires_grad=True)  # bad data, not a bad op
    with pytest.raises(debug.AnomalyError, match=r"Mul \(forward\).*input\(s\) \[0\] already held"):
        with debug.detect_anomaly():
            x * 2


def test_anomaly_names_the_op_whose_backward_first_gives_nan(device):
    """The classic `where` trap: the forward is finite everywhere, but sqrt's backward at 0 gives
    0 * inf = nan, which would then flow silently into every earlier gradient."""
    x = minigrad.tensor([0.0, 4.0], device=device, requires_grad=True)
    with debug.detect_anomaly():
        line = _line_after()
        y = x.sqrt()
        z = minigrad.where(x > 0, y, minigrad.zeros(2, device=device))
        loss = (z * 3).sum()
        assert np.isfinite(loss.item())
        with pytest.raises(debug.AnomalyError) as info:
            loss.backward()
    e = info.value
    assert (e.op, e.phase) == ("Sqrt", "backward")
    assert "nan" in str(e) and "gradient it received was finite" in str(e)
    assert e.where.endswith(f":{line} in test_anomaly_names_the_op_whose_backward_first_gives_nan")


def test_anomaly_backward_inf_from_norm_of_zero():
    """|x| = sqrt(sum(x^2)) at x = 0: sqrt's backward gives inf first, then PowScalar 0*inf = nan."""
    x = minigrad.zeros(3, requires_grad=True)
    with debug.detect_anomaly():
        norm = (x**2).sum().sqrt()
        with pytest.raises(debug.AnomalyError, match=r"Sqrt \(backward\) produced inf") as info:
            norm.backward()
    assert info.value.op == "Sqrt"
    x.grad = None
    (x**2).sum().sqrt().backward()  # without anomaly mode the nan goes through silently
    assert np.isnan(x.grad.numpy()).all()


def test_anomaly_for_a_forward_run_outside_says_so():
    x = minigrad.tensor([0.0], requires_grad=True)
    y = x.sqrt()
    with pytest.raises(debug.AnomalyError, match="created outside anomaly mode") as info:
        with debug.detect_anomaly():
            y.backward(minigrad.ones(1))
    assert info.value.where is None and info.value.op == "Sqrt"


def test_anomaly_mode_changes_no_result_and_costs_nothing_outside():
    assert autograd.anomaly_hook is None
    x = minigrad.randn(4, 3, requires_grad=True)
    w = minigrad.randn(3, 2, requires_grad=True)
    (x @ w).tanh().sum().backward()
    expected = x.grad.numpy().copy(), w.grad.numpy().copy()
    x.grad = w.grad = None
    with debug.detect_anomaly():
        assert autograd.anomaly_hook is not None
        (x @ w).tanh().sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), expected[0])
    np.testing.assert_array_equal(w.grad.numpy(), expected[1])
    assert autograd.anomaly_hook is None


def test_anomaly_hook_is_removed_after_an_error_and_when_nested():
    with pytest.raises(debug.AnomalyError):
        with debug.detect_anomaly():
            with debug.detect_anomaly():
                minigrad.tensor([0.0]).log()
    assert autograd.anomaly_hook is None

    @debug.detect_anomaly()
    def f(x):
        return x.log()

    with pytest.raises(debug.AnomalyError):
        f(minigrad.tensor([0.0]))
    assert f(minigrad.tensor([1.0])).item() == 0.0
    assert autograd.anomaly_hook is None


# ***** graph dump *****


def test_graph_nodes_structure():
    x = minigrad.randn(2, 3, requires_grad=True)
    w = minigrad.randn(3, 4, dtype=minigrad.float64, requires_grad=True)
    y = (x.double() @ w).relu().sum()
    nodes = debug.graph_nodes(y, names={"x": x, "w": w})
    assert [n.op for n in nodes] == ["leaf", "Cast", "leaf", "MatMul", "ReLU", "Sum"]
    assert [n.inputs for n in nodes] == [(), (0,), (), (1, 2), (3,), (4,)]
    assert [n.name for n in nodes] == ["x", None, "w", None, None, None]
    assert [n.shape for n in nodes] == [(2, 3), (2, 3), (3, 4), (2, 4), (2, 4), ()]
    assert [n.dtype for n in nodes] == ["float32", "float64", "float64", "float64", "float64", "float64"]
    assert all(n.device == "cpu" for n in nodes) and nodes[-1].tensor is y


def test_graph_shared_input_appears_once():
    x = minigrad.randn(3, requires_grad=True)
    a = x * x
    y = a + a  # fan-out: a used twice
    nodes = debug.graph_nodes(y)
    assert [n.op for n in nodes] == ["leaf", "Mul", "Add"]
    assert nodes[1].inputs == (0, 0) and nodes[2].inputs == (1, 1)


def test_grad_norms_of_leaves_and_recorded_intermediates():
    x = minigrad.randn(4, 3, requires_grad=True)
    lin = nn.Linear(3, 2)
    h = lin(x)
    G = np.random.default_rng(1).standard_normal((4, 2)).astype(np.float32)
    with debug.record_grad_norms():
        h.backward(minigrad.tensor(G), retain_graph=True)
    nodes = {n.name or n.op: n for n in debug.graph_nodes(h, names=lin)}
    np.testing.assert_allclose(nodes["weight"].grad_norm, np.linalg.norm(G.T @ x.numpy()), rtol=1e-5)
    np.testing.assert_allclose(nodes["bias"].grad_norm, np.linalg.norm(G.sum(0)), rtol=1e-5)
    np.testing.assert_allclose(nodes["leaf"].grad_norm, np.linalg.norm(x.grad.numpy()), rtol=1e-6)
    op_node = nodes[h._ctx.__class__.__name__]
    np.testing.assert_allclose(op_node.grad_norm, np.linalg.norm(G), rtol=1e-6)  # dL/dh = G
    text = debug.graph_summary(h, names=lin)
    assert "'weight'" in text and f"{np.linalg.norm(G):.4g}" in text


def test_without_recording_intermediate_grad_norm_is_unknown():
    x = minigrad.randn(3, requires_grad=True)
    y = x.exp()
    y.sum().backward(retain_graph=True)
    nodes = debug.graph_nodes(y)
    assert nodes[0].grad_norm is not None and nodes[1].grad_norm is None


def test_dump_after_plain_backward_says_the_graph_was_freed():
    x = minigrad.randn(3, requires_grad=True)
    loss = (x * 2).sum()
    loss.backward()
    nodes = debug.graph_nodes(loss)
    assert len(nodes) == 1 and nodes[0].freed and nodes[0].op == "Sum"
    assert "retain_graph=True" in debug.graph_summary(loss)
    assert "style=dashed" in debug.to_dot(loss)


def test_print_graph_writes_the_summary():
    x = minigrad.randn(2, requires_grad=True)
    y = x.tanh()
    buf = io.StringIO()
    debug.print_graph(y, file=buf)
    assert buf.getvalue() == debug.graph_summary(y) + "\n"
    lines = buf.getvalue().splitlines()
    assert lines[0] == "graph of 2 tensors, 1 ops"
    assert re.match(r"1\s+Tanh\s+\(2,\)\s+float32\s+cpu\s+0\s+-$", lines[-1])


# ***** DOT *****

_NODE = re.compile(r'^  (n\d+) \[label="((?:[^"\\]|\\.)*)"(?:, [a-z]+=[A-Za-z"]+)*\];$')
_EDGE = re.compile(r"^  (n\d+) -> (n\d+);$")


def _parse_dot(dot: str):
    """A strict check of the subset of DOT that to_dot writes: returns (nodes, edges)."""
    lines = dot.splitlines()
    assert lines[0] == "digraph minigrad {" and lines[-1] == "}"
    nodes, edges = {}, []
    for line in lines[1:-1]:
        if line in ("  rankdir=LR;", '  node [shape=box, fontname="Helvetica", fontsize=10];'):
            continue
        if m := _NODE.match(line):
            assert m.group(1) not in nodes
            nodes[m.group(1)] = m.group(2)
        elif m := _EDGE.match(line):
            edges.append((m.group(1), m.group(2)))
        else:
            raise AssertionError(f"not valid DOT from to_dot: {line!r}")
    assert all(a in nodes and b in nodes for a, b in edges)
    return nodes, edges


def test_dot_of_a_bn_mlp_has_one_node_per_tensor():
    """R5.1: valid DOT, one node per tensor, labels with op, shape, dtype and grad norm."""
    layers = []
    for i in range(10):
        layers += [nn.Linear(8, 8), nn.BatchNorm1d(8), nn.ReLU()]
    model = nn.Sequential(*layers, nn.Linear(8, 3))
    loss = nn.functional.cross_entropy(model(minigrad.randn(6, 8)), minigrad.tensor([0, 1, 2, 0, 1, 2]))
    loss.backward(retain_graph=True)
    graph = debug.graph_nodes(loss, names=model)
    dot_nodes, edges = _parse_dot(debug.to_dot(loss, names=model))
    assert len(dot_nodes) == len(graph)
    assert len(edges) == sum(len(n.inputs) for n in graph)
    n_params = len(list(model.parameters()))
    assert sum(n.op == "Parameter" for n in graph) == n_params
    labels = list(dot_nodes.values())
    assert sum("Linear" in s.split("\\n")[0] for s in labels) == 11
    assert sum("|grad|" in s for s in labels) == n_params  # only leaves have grads here
    assert any(s.startswith("Parameter 0.weight\\n(8, 8) float32 cpu\\n|grad| ") for s in labels)


def test_dot_escapes_quotes_in_names():
    x = minigrad.randn(2, requires_grad=True)
    nodes, _ = _parse_dot(debug.to_dot(x.exp(), names={'say "hi"\\': x}))
    assert nodes["n0"].startswith('leaf say \\"hi\\"\\\\')


# ***** long graphs (R2.2) *****


def test_dump_and_dot_on_a_50000_op_chain():
    x = minigrad.randn(2, requires_grad=True)
    y = x
    for _ in range(50_000):
        y = y * 1.0001
    nodes = debug.graph_nodes(y)
    assert len(nodes) == 1 + 2 * 50_000  # x, then a constant and a Mul per step
    assert nodes[-1].inputs == (len(nodes) - 3, len(nodes) - 2)
    assert len(debug.graph_summary(y).splitlines()) == 2 + len(nodes)
    dot = debug.to_dot(y)
    assert dot.count(" -> ") == 2 * 50_000
    with debug.record_grad_norms():
        y.backward(minigrad.ones(2), retain_graph=True)
    np.testing.assert_allclose(debug.graph_nodes(y)[0].grad_norm, np.sqrt(2) * 1.0001**50_000, rtol=1e-3)
