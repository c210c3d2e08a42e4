"""A model's parameters as one flat vector and back, as torch.nn.utils.convert_parameters
(for second-order methods, evolution strategies, weight averaging by hand)."""

from __future__ import annotations

from ...ops import cat
from ...tensor import Tensor


def _one_device(params) -> list:
    params = list(params)
    devices = {p.device for p in params}
    if len(devices) > 1:
        raise TypeError(f"Found two parameters on different devices ({sorted(map(str, devices))}), "
                        f"this is currently not supported.")
    return params


def parameters_to_vector(parameters) -> Tensor:
    """The parameters, flattened and joined into one 1-d tensor: a new tensor (a copy), in the
    graph, so a loss on it sends gradients to the parameters. Same as
    torch.nn.utils.parameters_to_vector.

    >>> import minigrad
    >>> from minigrad import nn
    >>> nn.utils.parameters_to_vector(nn.Linear(3, 2).parameters()).shape
    (8,)
    """
    params = _one_device(parameters)
    if not params:
        raise RuntimeError("parameters_to_vector: expected a non-empty iterable of parameters")
    return cat([p.reshape(-1) for p in params])


def vector_to_parameters(vec: Tensor, parameters) -> None:
    """Give each parameter, in order, its slice of `vec` (`param.data = slice`): as in PyTorch
    the parameters then share `vec`'s memory (a later change of vec shows in them) and take its
    dtype; the parameters stay the same objects, so an optimizer holding them keeps working.
    Same as torch.nn.utils.vector_to_parameters; a vector shorter than the parameters raises.

    >>> import minigrad
    >>> from minigrad import nn
    >>> fc = nn.Linear(2, 1)
    >>> nn.utils.vector_to_parameters(minigrad.tensor([1.0, 2.0, 3.0]), fc.parameters())
    >>> fc.weight, fc.bias
    (Parameter containing:
    tensor([[1., 2.]], requires_grad=True), Parameter containing:
    tensor([3.], requires_grad=True))
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected minigrad.Tensor, but got: {type(vec).__name__}")
    if vec.ndim != 1:
        raise ValueError(f"vector_to_parameters: vec must be 1-d, got shape {vec.shape}")
    params = _one_device(parameters)
    need = sum(p.numel() for p in params)
    if vec.shape[0] < need:
        raise RuntimeError(f"vector_to_parameters: vec has {vec.shape[0]} elements, the parameters {need}")
    pointer = 0
    for p in params:
        n = p.numel()
        p.data = vec[pointer:pointer + n].view_as(p).data
        pointer += n
