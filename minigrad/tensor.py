"""Tensor: an array (NumPy or CuPy) plus what autograd needs.

The class holds no math: every method is one line that calls `ops`. The functions that make
tensors (`tensor`, `zeros`, `randn`, ...) are in `creation.py` and `random.py`.

Imports: this module is the root of the core. `autograd` and `ops` need `Tensor`, and Tensor's
methods need them (and `random`'s generator), so they are imported at the bottom of this file,
once Tensor exists; every other module imports `from .tensor import Tensor` at its top.
(`minigrad/__init__.py` imports this module first.)
"""

from __future__ import annotations

import operator
import sys

import numpy as np

from . import backend, dtypes, grad_mode
from .dtypes import as_dtype, bool_, float32, float64, int64


class RemovableHandle:
    """Returned by `register_hook` and the Module hooks; `handle.remove()` unregisters."""

    _next_id = 0

    def __init__(self, hooks: dict):
        self.hooks, self.id = hooks, RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self) -> None:
        self.hooks.pop(self.id, None)


class Tensor:
    """A multi-dimensional array that records the operations applied to it.

    The values live in `.array`, a NumPy array (CuPy on a GPU); `.data` is, as in PyTorch, a
    Tensor sharing that memory without the graph.

    `minigrad.Tensor(...)` is PyTorch's legacy constructor: `Tensor(2, 3)` is a 2x3 tensor (of
    zeros, as `minigrad.empty`), `Tensor([1, 2])` and `Tensor(int_array)` hold the default
    float dtype (float32), and `Tensor(t)` is an alias of the tensor `t` (same memory, dtype
    and graph). To keep the data's dtype use `minigrad.tensor(data)` or
    `minigrad.as_tensor(data)`. Beyond torch, `requires_grad=` and `dtype=` are accepted.

    Example:
        >>> import minigrad
        >>> minigrad.Tensor([1, 2])
        tensor([1., 2.])
        >>> minigrad.Tensor(2, 3).shape
        (2, 3)
        >>> x = minigrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
        >>> (x * x).sum().backward()
        >>> x.grad
        tensor([2., 4., 6.])
    """

    # _hooks (register_hook, retain_grad) is set only on tensors that have hooks: read it with
    # getattr(t, "_hooks", None), so that making a tensor costs nothing more
    __slots__ = ("array", "grad", "requires_grad", "_ctx", "_versions", "_hooks", "__weakref__")
    __array_ufunc__ = None  # makes `np.float64(2) * t` call Tensor.__rmul__ (keeps float32)

    def __init__(self, *data, requires_grad: bool = False, dtype=None, device=None):
        if type(self) is not Tensor:  # a subclass (nn.Parameter) wraps the one array it is given
            self._setup(*data, requires_grad=requires_grad, dtype=dtype, device=device)
        elif len(data) == 1 and isinstance(data[0], Tensor):  # an alias, as torch.Tensor(t)
            src = data[0]
            if dtype is not None and as_dtype(dtype) != src.dtype:
                raise TypeError(f"Tensor(t): t is {src.dtype}, expected {as_dtype(dtype)}; convert it with "
                                f"t.to({as_dtype(dtype)})")
            alias = ops.reshape(src, src.shape)  # shares the memory and the graph (a view op)
            self.array, self.grad, self._ctx = alias.array, None, alias._ctx
            self._versions, self.requires_grad = alias._versions, alias.requires_grad
            if requires_grad:
                self.requires_grad_(True)
        else:
            self._setup(_legacy_data(data, as_dtype(dtype) or dtypes.default_float),
                        requires_grad=requires_grad, device=device)

    @classmethod
    def _from_data(cls, data, requires_grad: bool = False, dtype=None, device=None) -> Tensor:
        """minigrad's own constructor, used inside the library: wraps `data` (an array keeps its
        dtype, Python floats become the default float, a Tensor gives its array) without
        PyTorch's legacy-constructor rules."""
        t = cls.__new__(cls)
        t._setup(data, requires_grad=requires_grad, dtype=dtype, device=device)
        return t

    def _setup(self, data, requires_grad: bool = False, dtype=None, device=None) -> None:
        if isinstance(data, Tensor):
            data = data.array
        dtype = as_dtype(dtype)
        if isinstance(data, np.generic):  # NumPy scalars (0-d results) keep their dtype
            data = np.asarray(data)
        elif not hasattr(data, "dtype"):  # Python numbers and lists: floats become float32
            data = np.asarray(data)
            if dtype is None and data.dtype.kind == "f":
                dtype = dtypes.default_float
        if dtype is not None and data.dtype != dtype:
            data = data.astype(dtype)
        if device is not None:
            data = backend.to_device(data, device)
        if data.dtype.kind not in "fiub":
            raise TypeError(f"unsupported dtype {data.dtype}: use a float, int or bool dtype")
        self.array = data
        self.grad: Tensor | None = None
        self._ctx = None  # the Function that made this tensor (None for leaves)
        self._versions = [0]  # in-place change counter; a list so that detach() can share it
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # ***** properties *****

    @property
    def shape(self) -> tuple:
        return self.array.shape

    @property
    def dtype(self):
        return self.array.dtype

    @property
    def ndim(self) -> int:
        return self.array.ndim

    @property
    def device(self) -> str:
        return backend.device_of(self.array)

    @property
    def _version(self) -> int:
        """The in-place change counter (see bump_version), as torch's `_version`."""
        return self._versions[0]

    @_version.setter
    def _version(self, value: int):
        self._versions[0] = value

    def bump_version(self) -> None:
        """Record an in-place change of `data`. Backward compares the counter with the value
        seen in forward, so a graph that saved the old values raises instead of using the new
        ones. Shared with `detach()`ed tensors and views, which share the memory. Code that
        writes `t.array` in place (optimizers, running statistics) calls this."""
        self._versions[0] += 1

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    @property
    def grad_fn(self):
        return self._ctx

    @property
    def T(self) -> Tensor:
        return ops.permute(self, tuple(range(self.ndim - 1, -1, -1)))

    def numel(self) -> int:
        return int(self.array.size)

    nelement = numel

    def size(self, dim: int | None = None):
        return self.shape if dim is None else self.shape[dim]

    def dim(self) -> int:
        return self.ndim

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if requires_grad and not dtypes.is_float(self.dtype):
            raise dtypes.DtypeError(f"only floating-point tensors can require grad, got dtype {self.dtype}")
        self.requires_grad = requires_grad
        return self

    # ***** conversion *****

    def item(self):
        """The value of a one-element tensor as a Python number (a device->host sync)."""
        if self.array.size != 1:
            raise dtypes.ShapeError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.array.item()

    def numpy(self) -> np.ndarray:
        """A NumPy array with the tensor's values (a copy when the tensor is on the GPU)."""
        return backend.to_numpy(self.array)

    def tolist(self):
        return self.numpy().tolist()

    def __array__(self, dtype=None, copy=None):
        """`np.asarray(t)`: the values as a NumPy array (CPU tensors only, as in torch)."""
        if self.device != "cpu":
            raise TypeError(
                f"can't convert a {self.device!r} tensor to a NumPy array; copy it to the host "
                f"first with .cpu() (or call .numpy(), which copies)"
            )
        if copy:
            return np.array(self.array, dtype=dtype, copy=True)
        return np.asarray(self.array, dtype=dtype)

    def __format__(self, spec: str) -> str:
        """`f"{t:.2f}"` formats the value of a one-element tensor; an empty spec gives str(t)."""
        if not spec:
            return str(self)
        if self.array.size != 1:
            raise TypeError(f"unsupported format string {spec!r} for a tensor of shape {self.shape}: only one-element tensors take a format")
        return format(self.item(), spec)

    def __dlpack__(self, *args, **kwargs):
        """DLPack export (zero-copy): `numpy.from_dlpack(t)`, `torch.from_dlpack(t)`."""
        return self._dlpack_array().__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return self._dlpack_array().__dlpack_device__()

    def _dlpack_array(self):
        # a 0-d result may be held as a NumPy scalar, which has no DLPack export
        return np.asarray(self.array) if isinstance(self.array, np.generic) else self.array

    def to(self, *args, device=None, dtype=None, non_blocking: bool = False, copy: bool = False,
           memory_format=None) -> Tensor:
        """Move to `device` and/or cast to `dtype`; differentiable. Returns self if nothing
        changes (a copy with `copy=True`). The forms of torch: `t.to("cuda")`,
        `t.to(minigrad.float64)`, `t.to("cpu", minigrad.float64)`, `t.to(other_tensor)` (its
        dtype and device), `t.to(device=..., dtype=...)`; `non_blocking` and `memory_format`
        (`minigrad.channels_last`) change nothing."""
        dtypes.memory_format.check(memory_format)
        for a in args:
            if isinstance(a, Tensor):
                device, dtype = a.device, a.dtype
            elif isinstance(a, str) and not dtypes.is_dtype_name(a):  # a device (name or object)
                device = a
            elif a is not None:
                dtype = a
        out = self
        if dtype is not None and as_dtype(dtype) != self.dtype:
            out = ops.cast(out, as_dtype(dtype))
        if device is not None and backend.check_device(device) != self.device:
            out = ops.to_device(out, backend.check_device(device))
        return ops.clone(out) if copy and out is self else out

    @property
    def is_cuda(self) -> bool:
        """True when the tensor is on the GPU, as torch's `is_cuda`."""
        return self.device == "cuda"

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self) -> Tensor:
        return self.to("cuda")

    def float(self) -> Tensor:
        return self.to(dtype=float32)

    def double(self) -> Tensor:
        return self.to(dtype=float64)

    def half(self) -> Tensor:
        return self.to(dtype=dtypes.float16)

    def long(self) -> Tensor:
        return self.to(dtype=int64)

    def int(self) -> Tensor:
        return self.to(dtype=dtypes.int32)

    def bool(self) -> Tensor:
        return self.to(dtype=bool_)

    def type(self, dtype=None, non_blocking: bool = False):
        """With no argument the type name (`'minigrad.FloatTensor'`); else a cast to a dtype, a
        type class (`t.type(minigrad.LongTensor)`) or a type name (`'torch.LongTensor'`), as torch."""
        if dtype is None:
            prefix = "minigrad.cuda." if self.device == "cuda" else "minigrad."
            return prefix + TYPE_NAMES.get(str(self.dtype), str(self.dtype)) + "Tensor"
        if isinstance(dtype, str) and dtype.endswith("Tensor"):  # "torch.cuda.FloatTensor"
            kind = dtype.rsplit(".", 1)[-1][:-len("Tensor")]
            names = {v: k for k, v in TYPE_NAMES.items()}
            if kind not in names:
                raise ValueError(f"type(): unknown tensor type {dtype!r}")
            return self.to(device="cuda" if ".cuda." in dtype else "cpu", dtype=names[kind])
        return self.to(dtype=getattr(dtype, "dtype", dtype))  # a dtype, or FloatTensor & co

    def type_as(self, other: Tensor) -> Tensor:
        """This tensor with `other`'s dtype and device (differentiable), as torch's type_as."""
        out = self.to(dtype=other.dtype)
        return out if out.device == other.device else ops.to_device(out, other.device)

    def astype(self, dtype, copy: bool = True) -> Tensor:
        """NumPy's spelling of a cast (differentiable), so that a Function's formulas run on
        arrays and, for create_graph, on Tensors alike."""
        return self if self.dtype == dtype and not copy else ops.cast(self, dtype)

    # logical operators of bool masks (no gradient), as PyTorch's
    def __and__(self, other) -> Tensor:
        return Tensor._from_data(_logical_operands(self, other, lambda a, b: a & b))

    def __or__(self, other) -> Tensor:
        return Tensor._from_data(_logical_operands(self, other, lambda a, b: a | b))

    def __invert__(self) -> Tensor:
        return Tensor._from_data(~self.array)

    def is_floating_point(self) -> bool:
        return self.dtype.kind == "f"

    def element_size(self) -> int:
        """Bytes per element (4 for float32). Same as torch.Tensor.element_size."""
        return self.array.itemsize

    @property
    def nbytes(self) -> int:
        """Bytes of all the elements, as torch.Tensor.nbytes."""
        return int(self.array.nbytes)

    def get_device(self) -> int:
        """The GPU's index for a CUDA tensor, -1 for a CPU tensor, as torch.Tensor.get_device."""
        return -1 if self.device == "cpu" else int(self.array.device.id)

    def detach(self) -> Tensor:
        """A tensor sharing this one's memory (and in-place counter), cut from the graph."""
        out = Tensor._from_data(self.array)
        out._versions = self._versions
        return out

    def detach_(self) -> Tensor:
        """Cut this tensor from the graph in place: it becomes a leaf that does not require grad."""
        self._ctx, self.requires_grad = None, False
        return self

    @property
    def data(self) -> Tensor:
        """As in PyTorch: this tensor's values as a Tensor that shares its memory but not its
        graph (`p.data += -lr * p.grad` updates p). The raw NumPy/CuPy array is `.array`."""
        return self.detach()

    @data.setter
    def data(self, value: Tensor):
        # as torch: `p.data = t` makes p hold t's values (shape may change), p stays the same object
        if not isinstance(value, Tensor):
            raise TypeError(f"Tensor.data must be set to a Tensor, got {type(value).__name__}")
        if value.device != self.device:
            raise TypeError(f"Tensor.data: cannot set a {value.device!r} tensor's data on a {self.device!r} tensor")
        self.array = value.array

    def clone(self) -> Tensor:
        return ops.clone(self)

    def contiguous(self, memory_format=None) -> Tensor:
        """The same values in row-major memory: self when they are, else a copy that gradients
        flow through (as torch.Tensor.contiguous). minigrad's view and reshape need it on no
        layout; convolution outputs are stored batch-innermost (nn/conv.py).

        >>> import minigrad
        >>> x = minigrad.arange(6.0).reshape(2, 3).t()
        >>> x.is_contiguous(), x.contiguous().is_contiguous()
        (False, True)

        `memory_format` (`minigrad.channels_last`, ...) is accepted and changes nothing.
        """
        dtypes.memory_format.check(memory_format)
        return ops.contiguous(self)

    def is_contiguous(self) -> bool:
        """Whether the values lie in row-major order in memory (as torch.Tensor.is_contiguous)."""
        return bool(self.array.flags.c_contiguous)

    def stride(self, dim=None):
        """Element strides of the underlying array (a tuple, or one int for `dim`), as
        torch.Tensor.stride. NOTE: a convolution's output is stored batch-innermost, so its
        strides differ from PyTorch's (values, shapes and `view` are the same).

        >>> import minigrad
        >>> minigrad.zeros(2, 3).stride(), minigrad.zeros(2, 3).t().stride(0)
        ((3, 1), 1)
        """
        strides = tuple(s // self.array.itemsize for s in self.array.strides)
        if dim is not None and self.ndim == 0:
            raise IndexError(f"stride: dim {dim} given, but the tensor has no dims")
        return strides if dim is None else strides[ops.normalize_dims(dim, self.ndim)[0]]

    # ***** new tensors with this one's dtype and device (PyTorch's new_* methods) *****
    #
    # For code that must make a tensor "like x" without knowing x's dtype or device (a mask, a
    # running statistic, a target inside a loss); each takes dtype=, device=, requires_grad=.

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False) -> Tensor:
        """A copy of `data` with this tensor's dtype and device unless given (so a float32
        tensor's `new_tensor([1, 2])` is float32). Same as torch.Tensor.new_tensor.

        >>> import minigrad
        >>> x = minigrad.zeros(2, dtype=minigrad.float64)
        >>> x.new_tensor([1, 2])
        tensor([1., 2.], dtype=float64)
        """
        return creation.tensor(data, dtype=dtype or self.dtype, device=device or self.device,
                               requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
        """Zeros of the given size (`new_zeros(2, 3)` or `new_zeros((2, 3))`) with this tensor's
        dtype and device unless given. Same as torch.Tensor.new_zeros.

        >>> import minigrad
        >>> minigrad.ones(3, dtype=minigrad.int64).new_zeros(2, 2)
        tensor([[0, 0],
                [0, 0]])
        """
        return creation.zeros(*size, dtype=dtype or self.dtype, device=device or self.device,
                              requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
        """Ones of the given size, this tensor's dtype and device unless given. Same as
        torch.Tensor.new_ones.

        >>> import minigrad
        >>> minigrad.zeros(1).new_ones((2,))
        tensor([1., 1.])
        """
        return creation.ones(*size, dtype=dtype or self.dtype, device=device or self.device,
                             requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
        """`fill_value` everywhere, this tensor's dtype and device unless given (the value does
        not pick the dtype, unlike `minigrad.full`). Same as torch.Tensor.new_full.

        >>> import minigrad
        >>> minigrad.zeros(1).new_full((2,), 7)
        tensor([7., 7.])
        """
        return creation.full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device,
                             requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
        """A tensor of the given size, this tensor's dtype and device unless given. Same as
        torch.Tensor.new_empty, except that the values are zeros rather than whatever the
        memory held."""
        return self.new_zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)

    # ***** looking at gradients: retain_grad, register_hook *****

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in `.grad` after backward (summed over calls,
        as a leaf's). A no-op on a leaf."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad: the tensor does not require grad, so it gets no gradient")
        if self._ctx is not None:
            self._hook_table()["retain_grad"] = None

    @property
    def retains_grad(self) -> bool:
        return "retain_grad" in (getattr(self, "_hooks", None) or ())

    def register_hook(self, hook) -> RemovableHandle:
        """Call `hook(grad)` with this tensor's gradient (a Tensor) each time backward computes
        it; a Tensor returned replaces the gradient. Returns a handle: `handle.remove()`.

        >>> import minigrad
        >>> x = minigrad.tensor([1.0, 2.0], requires_grad=True)
        >>> h = x.register_hook(lambda g: g * 10)
        >>> (x * x).sum().backward()
        >>> x.grad
        tensor([20., 40.])
        """
        if not self.requires_grad:
            raise RuntimeError("register_hook: the tensor does not require grad, so no gradient flows to it")
        hooks = self._hook_table()
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    def _hook_table(self) -> dict:
        autograd.hooks_used = True
        hooks = getattr(self, "_hooks", None)
        if hooks is None:
            hooks = self._hooks = {}
        if self._ctx is not None:
            self._ctx._hook_owner = self  # the engine looks for hooks on the Function
        return hooks

    def backward(self, gradient=None, retain_graph=None, create_graph: bool = False, inputs=None,
                 *, grad=None) -> None:
        """Compute d(self)/d(leaf) for every leaf that requires grad, into `leaf.grad`
        (accumulating). `gradient` (also spelled `grad`) defaults to 1 for a one-element tensor.

        `create_graph=True` records the backward pass itself, so the `.grad` it leaves can be
        differentiated again (second derivatives, gradient penalties); `retain_graph` defaults
        to `create_graph`. `inputs` (a Tensor or a sequence) restricts which tensors get `.grad`.

        >>> import minigrad
        >>> x = minigrad.tensor([1.0, 2.0], requires_grad=True)
        >>> (x ** 3).sum().backward(create_graph=True)     # x.grad = 3 x^2, with a graph
        >>> g = x.grad
        >>> x.grad = None
        >>> g.sum().backward()                              # d/dx sum(3 x^2) = 6 x
        >>> x.grad
        tensor([ 6., 12.])
        """
        if grad is not None:
            gradient = grad
        if not self.requires_grad:
            raise RuntimeError("backward(): this tensor does not require grad and has no graph")
        if retain_graph is None:
            retain_graph = create_graph
        if inputs is not None:
            inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
            if not inputs:
                raise RuntimeError("backward(): inputs= was given but is empty")
        g = autograd.check_root_grad(self, gradient, "backward()")
        autograd.backward(self, g, retain_graph=retain_graph, create_graph=create_graph, inputs=inputs)

    # ***** in-place: the `_` methods and `+= -= *= /=` (PyTorch's rules) *****
    #
    # The new values are computed by the out-of-place op, then either written into this tensor's
    # memory (so every view and `.data` of it sees them) or, inside a graph, made this tensor's
    # history. Never a silent rebind to a new Tensor: `p -= lr * p.grad` changes p itself.

    def _inplace(self, name: str, fn, *args) -> Tensor:
        if (len(args) == 1 and fn in _ARITH and not (self.requires_grad and grad_mode.state.enabled)
                and _fast_scalar(self, fn, args[0])):
            _ARITH[fn](self.array, args[0])  # `buffer.add_(1)`, `p *= 0.1`: the array's own +=
            self._versions[0] += 1
            return self
        others = [a for a in args if isinstance(a, Tensor)]
        graph = grad_mode.state.enabled and (self.requires_grad or any(t.requires_grad for t in others))
        if graph and self.requires_grad and self._ctx is None:
            raise RuntimeError(
                f"{name}: in-place change of a leaf tensor that requires grad (a parameter?) while "
                f"gradients are recorded; wrap the update in `with minigrad.no_grad():`"
            )
        if not graph:
            out = fn(self, *args)  # records nothing: no input requires grad, or grad mode is off
            self._check_inplace_result(name, out)
            if isinstance(self.array, np.generic):  # a 0-d result held as a NumPy scalar
                self.array = np.asarray(out.array, dtype=self.dtype)
            else:
                self.array[...] = out.array  # NOTE: casts to self's dtype, as torch does
            self.bump_version()
            return self
        return self._rebase(name, fn, args)

    def _check_inplace_result(self, name, out):
        if out.shape != self.shape:
            raise RuntimeError(
                f"{name}: the result has shape {out.shape}, which cannot be written into a tensor "
                f"of shape {self.shape}"
            )
        if out.dtype != self.dtype and not np.can_cast(out.dtype, self.dtype, "same_kind"):
            raise RuntimeError(f"{name}: result type {out.dtype} can't be cast to the tensor's dtype {self.dtype}")

    def _rebase(self, name, fn, args) -> Tensor:
        """In place inside a graph: the op is recorded and becomes this tensor's history, as in
        PyTorch. Its input is a stand-in holding the old values and history; the result gets
        new memory, so the arrays saved by ops that read the old values stay valid (the version
        bump still makes their backward raise, as torch does). A tensor that shares its memory
        with another tensor (a view, a `.data`) is refused: the other one would keep a history
        that no longer matches its values."""
        # only Tensors hold the counter, and the Function that made this one (to check it): any
        # other holder is a tensor sharing the memory
        holders = 2 + (self._ctx is not None and getattr(self._ctx, "out_versions", None) is self._versions)
        if sys.getrefcount(self._versions) > holders:
            raise RuntimeError(
                f"{name}: in-place change of a tensor that shares memory with another tensor (a "
                f"view or .data) inside a graph is not supported; use the out-of-place form, "
                f"e.g. `x = x + y` instead of `x += y`"
            )
        old = wrap(self.array, self.requires_grad)
        old._ctx = self._ctx
        # `h += h`: the operand is the old h too (self will be the op's output: no cycle)
        out = fn(old, *[old if a is self else a for a in args])
        self._check_inplace_result(name, out)
        if out.dtype != self.dtype:
            out = ops.cast(out, self.dtype)
        # the result is new memory with a counter of its own (the old memory keeps the old
        # counter: the op that made it may still read it), one past the old value, as torch's
        out._versions[0] = self._versions[0] + 1
        self.array, self._ctx, self.requires_grad = out.array, out._ctx, out.requires_grad
        self._versions = out._versions
        if out._ctx is not None:
            out._ctx.out_version = out._versions[0]  # the value its backward checks for
        return self

    def _reshape_inplace(self, name: str, fn, *args) -> Tensor:
        """squeeze_, unsqueeze_, t_: this tensor takes the shape of the view `fn` makes (the
        values stay). Inside a graph the op is recorded as this tensor's history, with a
        stand-in for the old tensor as its input (as _rebase does), so the graph has no cycle."""
        graph = grad_mode.state.enabled and self.requires_grad
        if graph and self._ctx is None:
            raise RuntimeError(f"{name}: a leaf Variable that requires grad is being used in an in-place "
                               f"operation; wrap it in `with minigrad.no_grad():`")
        old = wrap(self.array, self.requires_grad)
        old._ctx, old._versions = self._ctx, self._versions
        out = fn(old, *args)
        self.array = out.array
        if graph:
            # a counter of its own, one past the old value: an op that saved this tensor before
            # (in the old layout) raises in backward, as in torch; the stand-in keeps the old one
            self._ctx, self._versions = out._ctx, [self._versions[0] + 1]
        return self

    def add_(self, other, alpha=1) -> Tensor:
        if alpha != 1:
            other = other * alpha
        return self._inplace("add_", ops.add, other)

    def sub_(self, other, alpha=1) -> Tensor:
        if alpha != 1:
            other = other * alpha
        return self._inplace("sub_", ops.sub, other)

    def mul_(self, other) -> Tensor:
        return self._inplace("mul_", ops.mul, other)

    def div_(self, other) -> Tensor:
        return self._inplace("div_", ops.div, other)

    def pow_(self, exponent) -> Tensor:
        return self._inplace("pow_", ops.pow, exponent)

    def clamp_(self, min=None, max=None) -> Tensor:
        return self._inplace("clamp_", ops.clip, min, max)

    clip_ = clamp_

    def neg_(self) -> Tensor:
        return self._inplace("neg_", ops.neg)

    def exp_(self) -> Tensor:
        return self._inplace("exp_", ops.exp)

    def sqrt_(self) -> Tensor:
        return self._inplace("sqrt_", ops.sqrt)

    def relu_(self) -> Tensor:
        return self._inplace("relu_", ops.relu)

    def leaky_relu_(self, negative_slope: float = 0.01) -> Tensor:
        return self._inplace("leaky_relu_", ops.leaky_relu, negative_slope)

    def tanh_(self) -> Tensor:
        return self._inplace("tanh_", ops.tanh)

    def __iadd__(self, other):
        return self._inplace("+=", ops.add, other)

    def __isub__(self, other):
        return self._inplace("-=", ops.sub, other)

    def __imul__(self, other):
        return self._inplace("*=", ops.mul, other)

    def __itruediv__(self, other):
        return self._inplace("/=", ops.div, other)

    def __ifloordiv__(self, other):
        return self._inplace("//=", ops.floor_divide, other)

    def __imod__(self, other):
        return self._inplace("%=", ops.remainder, other)

    def addcmul_(self, tensor1, tensor2, value=1) -> Tensor:
        return self._inplace("addcmul_", ops.addcmul, tensor1, tensor2, value)

    def addcdiv_(self, tensor1, tensor2, value=1) -> Tensor:
        return self._inplace("addcdiv_", ops.addcdiv, tensor1, tensor2, value)

    def lerp_(self, end, weight) -> Tensor:
        return self._inplace("lerp_", ops.lerp, end, weight)

    def scatter_(self, dim, index, src=None, value=None) -> Tensor:
        return self._inplace("scatter_", ops.scatter, dim, index, src if src is not None else value)

    def scatter_add_(self, dim, index, src) -> Tensor:
        return self._inplace("scatter_add_", ops.scatter_add, dim, index, src)

    def index_add_(self, dim, index, source, alpha=1) -> Tensor:
        return self._inplace("index_add_", ops.index_add, dim, index, source, alpha)

    def _overwrite(self, name: str, index, value) -> Tensor:
        """fill_, copy_, zero_, the random fills and `t[index] = value`: written straight into
        memory where no graph sees the tensor; inside a graph recorded as an index_put (the
        gradient goes to `value`; the overwritten places get none), as in PyTorch."""
        graph = grad_mode.state.enabled and (
            self.requires_grad or (isinstance(value, Tensor) and value.requires_grad)
        )
        if graph:
            if self.requires_grad and self._ctx is None:
                raise RuntimeError(
                    f"{name}: in-place change of a leaf tensor that requires grad (a parameter?) "
                    f"while gradients are recorded; wrap the update in `with minigrad.no_grad():`"
                )
            return self._rebase(name, ops.index_put, (index, value))
        value = value.array if isinstance(value, Tensor) else value
        if hasattr(value, "shape") and backend.device_of(value) != self.device:
            value = backend.to_device(value, self.device)
        try:
            self.array[ops.index_data(index)] = value
        except ValueError:
            raise dtypes.ShapeError(
                f"{name}: a value of shape {getattr(value, 'shape', ())} does not broadcast to the "
                f"written part of a tensor of shape {self.shape}"
            ) from None
        self.bump_version()
        return self

    def fill_(self, value) -> Tensor:
        return self._overwrite("fill_", Ellipsis, value)

    def zero_(self) -> Tensor:
        return self._overwrite("zero_", Ellipsis, 0)

    def copy_(self, src) -> Tensor:
        """Copy `src`'s values in (broadcast, cast to this tensor's dtype, moved to its device)."""
        return self._overwrite("copy_", Ellipsis, src)

    def normal_(self, mean=0.0, std=1.0, generator=None) -> Tensor:
        """Fill with samples from N(mean, std^2), drawn from minigrad's generator."""
        host = (generator or random.default_generator).rng.normal(mean, std, self.shape)
        return self._overwrite("normal_", Ellipsis, host.astype(self.dtype))

    def uniform_(self, a=0.0, b=1.0, generator=None) -> Tensor:
        """Fill with samples from U(a, b)."""
        host = (generator or random.default_generator).rng.uniform(a, b, self.shape)
        return self._overwrite("uniform_", Ellipsis, host.astype(self.dtype))

    def bernoulli_(self, p=0.5, generator=None) -> Tensor:
        """Fill with 0 or 1, 1 with probability `p` (a number or a tensor), from minigrad's
        generator (a stream other than torch's)."""
        host = random.bernoulli(self, p, generator)
        return self._overwrite("bernoulli_", Ellipsis, host)

    def bernoulli(self, p=None, generator=None) -> Tensor:
        return random.bernoulli(self, p, generator)

    def __setitem__(self, index, value):
        self._overwrite("__setitem__", index, value)

    # ***** arithmetic (each a call into ops) *****

    def __add__(self, other):
        return ops.add(self, other)

    def __radd__(self, other):  # other + self
        return ops.add(other, self)

    def __sub__(self, other):
        return ops.sub(self, other)

    def __rsub__(self, other):  # other - self
        return ops.sub(other, self)

    def __mul__(self, other):
        return ops.mul(self, other)

    def __rmul__(self, other):  # other * self
        return ops.mul(other, self)

    def __truediv__(self, other):
        return ops.div(self, other)

    def __rtruediv__(self, other):  # other / self
        return ops.div(other, self)

    def __floordiv__(self, other):
        return ops.floor_divide(self, other)

    def __rfloordiv__(self, other):  # other // self
        return ops.floor_divide(other, self)

    def __mod__(self, other):
        return ops.remainder(self, other)

    def __rmod__(self, other):  # other % self
        return ops.remainder(other, self)

    def floor_divide(self, other):
        return ops.floor_divide(self, other)

    def remainder(self, other):
        return ops.remainder(self, other)

    def fmod(self, other):
        return ops.fmod(self, other)

    def lerp(self, end, weight):
        return ops.lerp(self, end, weight)

    def addcmul(self, tensor1, tensor2, value=1):
        return ops.addcmul(self, tensor1, tensor2, value)

    def addcdiv(self, tensor1, tensor2, value=1):
        return ops.addcdiv(self, tensor1, tensor2, value)

    def __neg__(self):
        return ops.neg(self)

    # the operators by name, as torch's methods (`alpha=`, `rounding_mode=`)
    def add(self, other, alpha=1):
        return ops.add(self, other, alpha)

    def sub(self, other, alpha=1):
        return ops.sub(self, other, alpha)

    def mul(self, other):
        return ops.mul(self, other)

    def div(self, other, rounding_mode=None):
        return ops.div(self, other, rounding_mode)

    def matmul(self, other):
        return ops.matmul(self, other)

    def neg(self):
        return ops.neg(self)

    # NumPy's names of the operators, as torch's methods
    multiply, subtract, negative = mul, sub, neg

    def divide(self, other, rounding_mode=None):
        return ops.div(self, other, rounding_mode)

    def true_divide(self, other):
        return ops.div(self, other)

    def dot(self, other):
        return ops.dot(self, other)

    def mv(self, vec):
        return ops.mv(self, vec)

    def outer(self, vec2):
        return ops.outer(self, vec2)

    ger = outer

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        return ops.addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def __pow__(self, other):
        return ops.pow(self, other)

    def __rpow__(self, other):  # other ** self
        return ops.pow(other, self)

    def __matmul__(self, other):
        return ops.matmul(self, other)

    def __rmatmul__(self, other):  # other @ self
        return ops.matmul(other, self)

    def bmm(self, mat2):
        return ops.bmm(self, mat2)

    def __abs__(self):
        return ops.abs(self)

    def __getitem__(self, index):
        return ops.getitem(self, index)

    # comparisons give bool tensors without grad; tensors stay hashable by identity
    def __lt__(self, other):
        return ops.compare(self, other, "less")

    def __le__(self, other):
        return ops.compare(self, other, "less_equal")

    def __gt__(self, other):
        return ops.compare(self, other, "greater")

    def __ge__(self, other):
        return ops.compare(self, other, "greater_equal")

    def __eq__(self, other):
        return ops.compare(self, other, "equal")

    def __ne__(self, other):
        return ops.compare(self, other, "not_equal")

    __hash__ = object.__hash__

    def __bool__(self):
        if self.array.size != 1:
            raise RuntimeError(f"truth value of a tensor of shape {self.shape} is ambiguous")
        return bool(self.array)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):  # a one-element integer tensor as a size or an index, as in PyTorch
        if self.dtype.kind not in "iub" or self.array.size != 1:
            raise TypeError(f"only integer tensors of a single element can be converted to an index "
                            f"(got {self.dtype}, shape {self.shape})")
        return operator.index(self.item())

    # ***** unary math *****

    def exp(self):
        return ops.exp(self)

    def log(self):
        return ops.log(self)

    def sqrt(self):
        return ops.sqrt(self)

    def abs(self):
        return ops.abs(self)

    def tanh(self):
        return ops.tanh(self)

    def sigmoid(self):
        return ops.sigmoid(self)

    def relu(self):
        return ops.relu(self)

    def leaky_relu(self, negative_slope=0.01):
        return ops.leaky_relu(self, negative_slope)

    def clip(self, min=None, max=None):
        return ops.clip(self, min, max)

    clamp = clip

    def maximum(self, other):
        return ops.maximum(self, other)

    def minimum(self, other):
        return ops.minimum(self, other)

    def pow(self, exponent):
        return ops.pow(self, exponent)

    def log2(self):
        return ops.log2(self)

    def log10(self):
        return ops.log10(self)

    def log1p(self):
        return ops.log1p(self)

    def sign(self):
        return ops.sign(self)

    def floor(self):
        return ops.floor(self)

    def ceil(self):
        return ops.ceil(self)

    def round(self, decimals=0):
        return ops.round(self, decimals)

    def sin(self):
        return ops.sin(self)

    def square(self):
        return ops.square(self)

    def rsqrt(self):
        return ops.rsqrt(self)

    def reciprocal(self):
        return ops.reciprocal(self)

    def square_(self) -> Tensor:
        return self._inplace("square_", ops.square)

    def rsqrt_(self) -> Tensor:
        return self._inplace("rsqrt_", ops.rsqrt)

    def reciprocal_(self) -> Tensor:
        return self._inplace("reciprocal_", ops.reciprocal)

    def cos(self):
        return ops.cos(self)

    def tan(self):
        return ops.tan(self)

    def expm1(self):
        return ops.expm1(self)

    def exp2(self):
        return ops.exp2(self)

    def erf(self):
        return ops.erf(self)

    def atan2(self, other):
        return ops.atan2(self, other)

    arctan2 = atan2

    def trunc(self):
        return ops.trunc(self)

    fix = trunc

    def clamp_min(self, min):
        return ops.clamp_min(self, min)

    def clamp_max(self, max):
        return ops.clamp_max(self, max)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        return ops.nan_to_num(self, nan, posinf, neginf)

    def nan_to_num_(self, nan=0.0, posinf=None, neginf=None) -> Tensor:
        return self._inplace("nan_to_num_", ops.nan_to_num, nan, posinf, neginf)

    def logical_not(self):
        return ops.logical_not(self)

    def logical_and(self, other):
        return ops.logical_and(self, other)

    def logical_or(self, other):
        return ops.logical_or(self, other)

    def logical_xor(self, other):
        return ops.logical_xor(self, other)

    # comparisons by name (no grad)
    def eq(self, other):
        return ops.compare(self, other, "equal")

    def ne(self, other):
        return ops.compare(self, other, "not_equal")

    def lt(self, other):
        return ops.compare(self, other, "less")

    def le(self, other):
        return ops.compare(self, other, "less_equal")

    def gt(self, other):
        return ops.compare(self, other, "greater")

    def ge(self, other):
        return ops.compare(self, other, "greater_equal")

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return ops.isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return ops.allclose(self, other, rtol, atol, equal_nan)

    def isnan(self):
        return ops.isnan(self)

    def isinf(self):
        return ops.isinf(self)

    def isfinite(self):
        return ops.isfinite(self)

    # ***** reductions *****

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        return ops.norm(self, p, dim, keepdim, dtype)

    def sum(self, dim=None, keepdim=False, dtype=None, **aliases):
        return ops.sum(self, dim, keepdim, dtype, **aliases)

    def mean(self, dim=None, keepdim=False, dtype=None, **aliases):
        return ops.mean(self, dim, keepdim, dtype, **aliases)

    def max(self, dim=None, keepdim=False, **aliases):
        return ops.max(self, dim, keepdim, **aliases)

    def min(self, dim=None, keepdim=False, **aliases):
        return ops.min(self, dim, keepdim, **aliases)

    def var(self, dim=None, keepdim=False, correction=1, **aliases):
        return ops.var(self, dim, keepdim, correction, **aliases)

    def std(self, dim=None, keepdim=False, correction=1, **aliases):
        return ops.std(self, dim, keepdim, correction, **aliases)

    def amax(self, dim=None, keepdim=False, **aliases):
        return ops.amax(self, dim, keepdim, **aliases)

    def amin(self, dim=None, keepdim=False, **aliases):
        return ops.amin(self, dim, keepdim, **aliases)

    def prod(self, dim=None, keepdim=False, dtype=None):
        return ops.prod(self, dim, keepdim, dtype)

    def cumsum(self, dim, dtype=None):
        return ops.cumsum(self, dim, dtype)

    def cumprod(self, dim, dtype=None):
        return ops.cumprod(self, dim, dtype)

    def count_nonzero(self, dim=None):
        return ops.count_nonzero(self, dim)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        return ops.unique(self, sorted, return_inverse, return_counts, dim)

    def all(self, dim=None, keepdim=False):
        """True where every element (along dim) is nonzero; a bool tensor without grad."""
        return Tensor._from_data(self.array.all(axis=dim, keepdims=keepdim))

    def any(self, dim=None, keepdim=False):
        return Tensor._from_data(self.array.any(axis=dim, keepdims=keepdim))

    def argmax(self, dim=None, keepdim=False):
        return ops.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return ops.argmin(self, dim, keepdim)

    def softmax(self, dim=-1):
        return ops.softmax(self, dim)

    def log_softmax(self, dim=-1):
        return ops.log_softmax(self, dim)

    def logsumexp(self, dim=None, keepdim=False):
        return ops.logsumexp(self, dim, keepdim)

    # ***** movement *****

    def reshape(self, *shape):
        return ops.reshape(self, *shape)

    view = reshape

    def flatten(self, start_dim=0, end_dim=-1):
        return ops.flatten(self, start_dim, end_dim)

    def transpose(self, dim0, dim1):
        return ops.transpose(self, dim0, dim1)

    def permute(self, *dims):
        return ops.permute(self, *dims)

    def expand(self, *shape):
        return ops.expand(self, *shape)

    def squeeze(self, dim=None):
        return ops.squeeze(self, dim)

    def unsqueeze(self, dim):
        return ops.unsqueeze(self, dim)

    def view_as(self, other):
        return ops.reshape(self, other.shape)

    def expand_as(self, other):  # torch's `bias.unsqueeze(0).expand_as(output)`
        return ops.expand(self, other.shape)

    def narrow(self, dim, start, length):
        return ops.narrow(self, dim, start, length)

    def swapaxes(self, axis0, axis1):
        return ops.transpose(self, axis0, axis1)

    swapdims = swapaxes

    def movedim(self, source, destination):
        return ops.movedim(self, source, destination)

    moveaxis = movedim

    def unflatten(self, dim, sizes):
        return ops.unflatten(self, dim, sizes)

    def diagonal(self, offset=0, dim1=0, dim2=1):
        return ops.diagonal(self, offset, dim1, dim2)

    def diag(self, diagonal=0):
        return ops.diag(self, diagonal)

    def repeat_interleave(self, repeats=None, dim=None, *, output_size=None):
        return ops.repeat_interleave(self, repeats, dim, output_size=output_size)

    def diff(self, n=1, dim=-1, prepend=None, append=None):
        return ops.diff(self, n, dim, prepend, append)

    def squeeze_(self, dim=None) -> Tensor:
        return self._reshape_inplace("squeeze_", ops.squeeze, dim)

    def unsqueeze_(self, dim) -> Tensor:
        return self._reshape_inplace("unsqueeze_", ops.unsqueeze, dim)

    def t_(self) -> Tensor:
        return self._reshape_inplace("t_", ops.t)

    @property
    def mT(self) -> Tensor:
        """The last two dims swapped (a batch of transposed matrices), as torch's `mT`."""
        if self.ndim < 2:
            raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. Got "
                               f"{self.ndim}-D tensor.")
        return ops.transpose(self, -2, -1)

    def where(self, condition, other):
        """`self` where `condition` holds, else `other`: `minigrad.where(condition, self, other)`."""
        return ops.where(condition, self, other)

    def equal(self, other) -> bool:
        return ops.equal(self, other)

    def reshape_as(self, other):
        return ops.reshape(self, other.shape)

    def t(self):
        """Transpose of a tensor with at most 2 dims."""
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dims, got shape {self.shape}; use transpose()")
        return self.T

    def chunk(self, chunks, dim=0):
        return ops.chunk(self, chunks, dim)

    def split(self, split_size_or_sections, dim=0):
        return ops.split(self, split_size_or_sections, dim)

    def repeat(self, *sizes):
        return ops.repeat(self, *sizes)

    def tile(self, *dims):
        return ops.tile(self, shape_tuple(dims))

    def gather(self, dim, index):
        return ops.gather(self, dim, index)

    def scatter(self, dim, index, src=None, value=None):
        return ops.scatter(self, dim, index, src if src is not None else value)

    def index_select(self, dim, index):
        return ops.index_select(self, dim, index)

    def scatter_add(self, dim, index, src):
        return ops.scatter_add(self, dim, index, src)

    def index_add(self, dim, index, source, alpha=1):
        return ops.index_add(self, dim, index, source, alpha)

    def flip(self, *dims):
        return ops.flip(self, shape_tuple(dims))

    def roll(self, shifts, dims=None):
        return ops.roll(self, shifts, dims)

    def masked_fill(self, mask, value):
        return ops.masked_fill(self, mask, value)

    def masked_fill_(self, mask, value):
        return self._inplace("masked_fill_", ops.masked_fill, mask, value)

    def index_fill(self, dim, index, value):
        return ops.index_fill(self, dim, index, value)

    def index_fill_(self, dim, index, value):
        return self._inplace("index_fill_", ops.index_fill, dim, index, value)

    def sort(self, dim=-1, descending=False, stable=False):
        return ops.sort(self, dim, descending, stable)

    def argsort(self, dim=-1, descending=False, stable=False):
        return ops.argsort(self, dim, descending, stable)

    def unbind(self, dim=0):
        return ops.unbind(self, dim)

    def nonzero(self):
        return ops.nonzero(self)

    def masked_select(self, mask):
        return ops.masked_select(self, mask)

    def triu(self, diagonal=0):
        return ops.triu(self, diagonal)

    def tril(self, diagonal=0):
        return ops.tril(self, diagonal)

    def mm(self, other):
        return ops.mm(self, other)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        return ops.topk(self, k, dim, largest, sorted)

    def __repr__(self):
        body = np.array2string(backend.to_numpy(self.array), separator=", ", prefix="tensor(")
        extra = []
        if self.device != "cpu":
            extra.append(f"device='{self.device}'")
        if self.dtype not in (float32, int64, bool_):
            extra.append(f"dtype={self.dtype}")
        if self._ctx is not None:
            extra.append(f"grad_fn={self._ctx!r}")
        elif self.requires_grad:
            extra.append("requires_grad=True")
        return "tensor(" + ", ".join([body] + extra) + ")"


# the names of PyTorch's tensor types (FloatTensor, ...) by dtype: `t.type()` and creation.py
TYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
              "bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short"}


def _logical_operands(a, b, op):
    """op(a, b) on the arrays of two bool masks; a 0-d host mask next to a device one becomes
    a Python bool (a constant goes with any device)."""
    a = a.array if isinstance(a, Tensor) else a
    b = b.array if isinstance(b, Tensor) else b
    if getattr(a, "ndim", 0) == 0 and isinstance(a, (np.ndarray, np.generic)):
        a = bool(a)
    if getattr(b, "ndim", 0) == 0 and isinstance(b, (np.ndarray, np.generic)):
        b = bool(b)
    return op(a, b) if not isinstance(a, bool) else op(b, a)


def _legacy_data(args: tuple, dtype) -> np.ndarray:
    """The array of `Tensor(*args)` by PyTorch's legacy-constructor rules: sizes (ints, or
    nothing) give zeros of that shape; one sequence or array gives its values in `dtype`
    (sharing an array's memory when it already has that dtype, as torch does)."""
    if all(isinstance(a, (int, np.integer)) and not isinstance(a, (bool, np.bool_)) for a in args):
        shape = tuple(int(a) for a in args) if args else (0,)
        if any(n < 0 for n in shape):
            raise RuntimeError(f"Tensor{args}: negative dimension in size {shape}")
        return np.zeros(shape, dtype)
    if len(args) != 1:
        raise TypeError(f"Tensor(...): expected sizes (ints) or one sequence of values, got arguments of "
                        f"types ({', '.join(type(a).__name__ for a in args)})")
    data = args[0]
    if not hasattr(data, "__len__") and getattr(data, "ndim", None) != 0:
        raise TypeError(f"Tensor(data): data must be a sequence (got {type(data).__name__}); for a 0-d tensor "
                        f"use minigrad.tensor({data!r})")
    xp = backend.get_array_module(data) if hasattr(data, "dtype") else np
    return xp.asarray(data, dtype=dtype)


def shape_tuple(shape) -> tuple:
    """A shape given as `(2, 3)` or as `2, 3` (a `*shape` argument), as a tuple of ints."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    try:  # operator.index, not int(): a size of 2.5 (say n / 2) raises, as in PyTorch, never becomes 2
        return tuple(operator.index(s) for s in shape)
    except TypeError:
        raise TypeError(f"sizes must be integers, got {tuple(shape)}") from None


def wrap(data, requires_grad: bool = False) -> Tensor:
    """A Tensor around `data` (an array or a NumPy scalar, kept as is), without __init__'s
    checks: the engine wraps every op's output with it, and ops wrap constants."""
    t = Tensor.__new__(Tensor)
    t.array, t.grad, t._ctx, t._versions, t.requires_grad = data, None, None, [0], requires_grad
    return t


def is_tensor(obj) -> bool:
    """True if `obj` is a minigrad Tensor (or a Parameter). Same as torch.is_tensor."""
    return isinstance(obj, Tensor)


def detach(x: Tensor) -> Tensor:
    """x.detach() as a function, as torch.detach."""
    return x.detach()


def detach_(x: Tensor) -> Tensor:
    """x.detach_() as a function, as torch.detach_."""
    return x.detach_()


def is_floating_point(x: Tensor) -> bool:
    """True if x has a floating-point dtype. Same as torch.is_floating_point."""
    return x.is_floating_point()


def numel(x: Tensor) -> int:
    """The number of elements of x. Same as torch.numel."""
    return x.numel()


def zero_grad(tensors, set_to_none: bool = True) -> None:
    """Reset the gradients of `tensors`, as PyTorch: `.grad = None` (the default; the next
    backward allocates a fresh one), or zeros in place with set_to_none=False. Used by both
    Optimizer.zero_grad and Module.zero_grad."""
    for t in tensors:
        if t.grad is None:
            continue
        if set_to_none:
            t.grad = None
        else:
            t.grad.array[...] = 0


from . import autograd, creation, ops, random  # noqa: E402  (all need Tensor: imported last, see the docstring)

# In-place arithmetic with a Python number outside a graph needs no op: the array's own
# operator gives the same result (a Python number takes the tensor's dtype, as in PyTorch).
_ARITH = {ops.add: operator.iadd, ops.sub: operator.isub, ops.mul: operator.imul, ops.div: operator.itruediv}


def _fast_scalar(t: Tensor, fn, value) -> bool:
    if isinstance(t.array, np.generic):
        return False
    kind = t.dtype.kind
    if type(value) is float:
        return kind == "f"
    return type(value) is int and (kind == "f" or (kind in "iu" and fn is not ops.div))

