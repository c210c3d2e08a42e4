"""The one PyTorch parity helper for layers: copy a minigrad module's parameters and buffers into
the equivalent torch module, run both on the same input, and compare outputs, input gradients,
parameter gradients and buffers. Callers skip when torch is missing
(`pytest.importorskip("torch")`).

    ours, theirs = nn.Linear(4, 3, dtype=minigrad.float64), torch.nn.Linear(4, 3, dtype=torch.float64)
    copy_weights(ours, theirs)
    assert_step_matches(ours, theirs, x, G, rtol=1e-8, atol=1e-8)
"""

import numpy as np

import minigrad


def copy_weights(ours, theirs) -> None:
    """Load `ours`' state_dict (parameters and buffers) into the torch module `theirs`."""
    import torch

    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})


def assert_step_matches(ours, theirs, x: np.ndarray, G: np.ndarray | None, rtol: float, atol: float):
    """Run both modules on x; compare the outputs and, when an upstream gradient G is given
    (random, never ones: a sum hides a broken backward), the input gradients and the gradient
    of every parameter. Gradients are zeroed afterwards, so the call can be repeated."""
    import torch

    xo, xt = minigrad.tensor(x, requires_grad=G is not None), torch.tensor(x, requires_grad=G is not None)
    yo, yt = ours(xo), theirs(xt)
    np.testing.assert_allclose(yo.numpy(), yt.detach().numpy(), rtol=rtol, atol=atol, err_msg="output")
    if G is None:
        return
    yo.backward(minigrad.tensor(G))
    yt.backward(torch.tensor(G))
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=rtol, atol=atol, err_msg="input grad")
    tparams = dict(theirs.named_parameters())
    assert set(dict(ours.named_parameters())) == set(tparams)
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tparams[name].grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"{name}.grad")
    ours.zero_grad()
    theirs.zero_grad()


def assert_buffers_match(ours, theirs, rtol: float, atol: float) -> None:
    """Every buffer (BatchNorm's running statistics and batch count) equal in both modules."""
    tbuffers = dict(theirs.named_buffers())
    assert set(dict(ours.named_buffers())) == set(tbuffers)
    for name, b in ours.named_buffers():
        np.testing.assert_allclose(b.numpy(), tbuffers[name].numpy(), rtol=rtol, atol=atol, err_msg=name)
