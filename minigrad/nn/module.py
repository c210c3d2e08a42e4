"""Module, Parameter and the containers (Sequential, ModuleList), shaped like torch.nn."""

from __future__ import annotations

from collections import OrderedDict
from typing import Iterator

from .. import backend
from ..dtypes import as_dtype, float_or_default
from .. import grad_mode
from ..autograd import Function
from ..tensor import RemovableHandle, Tensor, wrap, zero_grad


class Parameter(Tensor):
    """A Tensor that a Module registers as a learnable parameter (requires grad by default).

    >>> from minigrad import nn, zeros
    >>> p = nn.Parameter(zeros(3))
    >>> p.requires_grad
    True
    """

    __slots__ = ()

    def __init__(self, data, requires_grad: bool = True):
        super().__init__(data.array if isinstance(data, Tensor) else data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class Module:
    """Base class of layers and models. Assigning a Parameter, a Module or (through
    `register_buffer`) a buffer Tensor to an attribute registers it.

    Example:
        >>> from minigrad import nn
        >>> class TwoLayer(nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.fc1, self.fc2 = nn.Linear(4, 8), nn.Linear(8, 2)
        ...     def forward(self, x):
        ...         return self.fc2(self.fc1(x).relu())
        >>> [name for name, _ in TwoLayer().named_parameters()]
        ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']
    """

    def __init__(self):
        # object.__setattr__ because our own __setattr__ needs these dicts to exist
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "training", True)

    # ***** registration *****

    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() before assigning attributes")
        params, modules = self._parameters, self._modules
        if isinstance(value, (Parameter, Module)):
            target = params if isinstance(value, Parameter) else modules
            for d in (params, self._buffers, modules):
                if d is not target:  # as PyTorch: replacing keeps the entry's place (Sequential order)
                    d.pop(name, None)
            target[name] = value
        elif name in params or name in modules:
            # as PyTorch: a plain value would silently drop out of parameters() and state_dict()
            if value is not None:
                kind, wanted = ("parameter", "nn.Parameter") if name in params else ("child module", "a Module")
                raise TypeError(f"cannot assign {type(value).__name__} as {kind} {name!r} of "
                                f"{type(self).__name__} ({wanted} or None expected)")
            (params if name in params else modules)[name] = None
        elif name in self.__dict__.get("_buffer_names", ()):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {type(value).__name__} as buffer {name!r} of "
                                f"{type(self).__name__} (a Tensor or None expected)")
            self._buffers[name] = value
        # NOTE: also kept in __dict__, so that reading `self.weight` in forward is a plain
        # attribute lookup (__getattr__ would run on every access otherwise)
        object.__setattr__(self, name, value)

    def __getattr__(self, name):  # only called when normal lookup fails
        for d in ("_parameters", "_buffers", "_modules"):
            registry = self.__dict__.get(d)
            if registry is not None and name in registry:
                return registry[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for d in (self._parameters, self._buffers, self._modules):
            d.pop(name, None)
        object.__delattr__(self, name)

    def register_buffer(self, name: str, tensor: Tensor | None) -> None:
        """Register a Tensor that is state but not a parameter (e.g. BatchNorm's running
        statistics): saved in state_dict, moved by to(), never seen by an optimizer."""
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer: {name!r} must be a Tensor or None, got {type(tensor).__name__}")
        if "_buffer_names" not in self.__dict__:
            object.__setattr__(self, "_buffer_names", set())
        self._buffer_names.add(name)
        setattr(self, name, tensor)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        if param is None:
            self._parameters[name] = None
            object.__setattr__(self, name, None)
        else:
            setattr(self, name, param)

    # ***** traversal *****

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        yield prefix, self
        for name, m in self._modules.items():
            if m is not None:
                yield from m.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        yield from ((n, m) for n, m in self._modules.items() if m is not None)

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def _named(self, kind: str):
        seen = set()
        for prefix, m in self.named_modules():
            for name, t in getattr(m, kind).items():
                if t is None or id(t) in seen:  # shared tensors are listed once
                    continue
                seen.add(id(t))
                yield (f"{prefix}.{name}" if prefix else name), t

    def named_parameters(self) -> Iterator[tuple[str, Parameter]]:
        yield from self._named("_parameters")

    def parameters(self) -> Iterator[Parameter]:
        for _, p in self.named_parameters():
            yield p

    def named_buffers(self) -> Iterator[tuple[str, Tensor]]:
        yield from self._named("_buffers")

    def buffers(self) -> Iterator[Tensor]:
        for _, b in self.named_buffers():
            yield b

    # ***** modes and state *****

    def train(self, mode: bool = True) -> Module:
        """Set training mode on this module and every submodule; returns self."""
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Evaluation mode (BatchNorm uses running statistics, Dropout is off); returns self."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        zero_grad(self.parameters(), set_to_none)

    def to(self, device=None, dtype=None) -> Module:
        """Move parameters and buffers to `device` and/or cast the floating ones to `dtype`, in
        place (the Tensor objects an optimizer holds stay valid); returns self.
        `model.to("cuda")`, `model.to(dtype=minigrad.float64)`, `model.to(minigrad.float64)`."""
        if device is not None and not isinstance(device, str):  # model.to(float64)
            device, dtype = None, device
        device = backend.check_device(device) if device is not None else None
        dtype = as_dtype(dtype)
        buffers = {id(b) for b in self.buffers()}
        for t in list(self.parameters()) + list(self.buffers()):
            cast = dtype is not None and t.dtype.kind == "f" and t.dtype != dtype
            if cast and id(t) in buffers and dtype.itemsize < 4:
                cast = False  # statistics (BatchNorm's running var) would overflow float16
            for holder in (t, t.grad):
                if holder is None:
                    continue
                if device is not None:
                    holder.array = backend.to_device(holder.array, device)
                if cast:
                    holder.array = holder.array.astype(dtype)
            if cast or device is not None:
                t.bump_version()
        return self

    def double(self) -> Module:
        """Cast floating parameters and buffers to float64; returns self."""
        return self.to(dtype="float64")

    def float(self) -> Module:
        """Cast floating parameters and buffers to float32; returns self."""
        return self.to(dtype="float32")

    def half(self) -> Module:
        """Cast floating parameters to float16; returns self. Floating buffers stay float32, as
        in `to(dtype=float16)` (BatchNorm's running statistics would overflow; PyTorch casts
        them). NumPy's float16 is slow on a CPU: for memory or checks, not training speed.

        >>> import minigrad
        >>> minigrad.nn.Linear(2, 3).half().weight.dtype
        dtype('float16')
        """
        return self.to(dtype="float16")

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def apply(self, fn) -> Module:
        """Call fn(m) on every submodule (children first) and on self; returns self.
        E.g. `model.apply(init_weights)`."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def add_module(self, name: str, module: Module | None) -> None:
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} must be a Module, got {type(module).__name__}")
        if module is None:
            self._modules[name] = None
            object.__setattr__(self, name, None)
        else:
            setattr(self, name, module)

    def cpu(self) -> Module:
        return self.to("cpu")

    def cuda(self) -> Module:
        return self.to("cuda")

    def state_dict(self) -> OrderedDict:
        """Parameters and buffers by dotted name, as detached tensors sharing their arrays."""
        out = OrderedDict()
        for prefix, m in self.named_modules():
            for kind in ("_parameters", "_buffers"):
                for name, t in getattr(m, kind).items():
                    if t is not None:
                        out[f"{prefix}.{name}" if prefix else name] = t.detach()
        return out

    def load_state_dict(self, state_dict, strict: bool = True):
        """Copy values from `state_dict` into this module's parameters and buffers.

        Everything is checked before anything is written, so a bad state dict changes nothing.
        With strict=True, missing and unexpected keys raise; shape mismatches always raise.
        Returns (missing_keys, unexpected_keys).
        """
        own = self.state_dict()
        targets = {}
        for prefix, m in self.named_modules():
            for kind in ("_parameters", "_buffers"):
                for name, t in getattr(m, kind).items():
                    if t is not None:
                        targets[f"{prefix}.{name}" if prefix else name] = t
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        if strict and (missing or unexpected):
            errors.append(f"missing keys {missing}, unexpected keys {unexpected}")
        values = {}
        for k, v in state_dict.items():
            if k not in targets:
                continue
            arr = v.array if isinstance(v, Tensor) else v
            if tuple(arr.shape) != targets[k].shape:
                errors.append(f"{k}: shape {tuple(arr.shape)} in the state dict, {targets[k].shape} in the model")
            else:
                values[k] = arr
        # convert everything before writing anything: a value that cannot become the target's
        # dtype or device must leave the whole model as it was
        for k, arr in values.items():
            t = targets[k]
            try:
                values[k] = backend.to_device(arr, t.device).astype(t.dtype, copy=True)
            except (TypeError, ValueError) as e:
                errors.append(f"{k}: cannot convert {getattr(arr, 'dtype', type(arr).__name__)} to {t.dtype} ({e})")
        if errors:
            raise RuntimeError(f"load_state_dict for {type(self).__name__}: " + "; ".join(errors))
        for k, arr in values.items():
            t = targets[k]
            t.array = arr
            t.bump_version()
        return missing, unexpected

    # ***** calling *****

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    _backward_hooks = None  # set by register_full_backward_hook
    _has_hooks = False  # set on the instance by the register_* methods: one check when there are none

    def __call__(self, *args, **kwargs):
        if not self._has_hooks:
            return self.forward(*args, **kwargs)
        if self._backward_hooks:
            return _call_with_backward_hooks(self, args, kwargs)
        out = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, out)
            if result is not None:
                out = result
        return out

    def register_forward_hook(self, hook) -> RemovableHandle:
        """Call `hook(module, inputs, output)` after every forward; a non-None return replaces
        the output. Returns a handle whose `remove()` unregisters it."""
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        object.__setattr__(self, "_has_hooks", True)
        return handle

    def register_full_backward_hook(self, hook) -> RemovableHandle:
        """Call `hook(module, grad_input, grad_output)` during backward, once the gradients
        with respect to the module's tensor inputs are known: `grad_input` is a tuple (None for
        an input without grad), `grad_output` a tuple with the gradient of the output. A
        returned tuple replaces grad_input. Returns a handle whose `remove()` unregisters it.

        >>> import minigrad
        >>> from minigrad import nn
        >>> seen = []
        >>> fc = nn.Linear(3, 2)
        >>> h = fc.register_full_backward_hook(lambda m, gi, go: seen.append((gi[0].shape, go[0].shape)))
        >>> fc(minigrad.randn(4, 3, requires_grad=True)).sum().backward()
        >>> seen
        [((4, 3), (4, 2))]
        """
        if self._backward_hooks is None:
            object.__setattr__(self, "_backward_hooks", OrderedDict())
        handle = RemovableHandle(self._backward_hooks)
        self._backward_hooks[handle.id] = hook
        object.__setattr__(self, "_has_hooks", True)
        return handle

    # ***** printing *****

    def extra_repr(self) -> str:
        return ""

    def __repr__(self):
        lines = [f"({name}): " + repr(m).replace("\n", "\n  ") for name, m in self._modules.items()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"


class Sequential(Module):
    """Modules applied in order.

    >>> from minigrad import nn
    >>> model = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
    >>> model[0]
    Linear(in_features=4, out_features=3, bias=True)
    """

    def __init__(self, *modules: Module):
        super().__init__()
        for i, m in enumerate(modules):
            setattr(self, str(i), m)

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        return x

    def __getitem__(self, i):
        mods = list(self._modules.values())
        return Sequential(*mods[i]) if isinstance(i, slice) else mods[i]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, m: Module) -> Sequential:
        setattr(self, str(len(self)), m)
        return self


class ModuleList(Module):
    """A list of modules whose parameters are registered.

    >>> from minigrad import nn
    >>> layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    >>> len(list(layers.parameters()))
    6
    """

    def __init__(self, modules=()):
        super().__init__()
        for m in modules:
            self.append(m)

    def append(self, m: Module) -> ModuleList:
        setattr(self, str(len(self)), m)
        return self

    def __getitem__(self, i):
        mods = list(self._modules.values())
        return ModuleList(mods[i]) if isinstance(i, slice) else mods[i]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())



class ModuleDict(Module):
    """A dict of modules whose parameters are registered (in insertion order).

    >>> from minigrad import nn
    >>> heads = nn.ModuleDict({"a": nn.Linear(2, 2), "b": nn.Linear(2, 1)})
    >>> list(heads.keys()), len(list(heads.parameters()))
    (['a', 'b'], 4)
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        setattr(self, key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key) -> bool:
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def update(self, modules) -> None:
        for k, m in (modules.items() if hasattr(modules, "items") else modules):
            self[k] = m


class ParameterList(Module):
    """A list of Parameters, registered under the names "0", "1", ...

    >>> import minigrad
    >>> from minigrad import nn
    >>> ps = nn.ParameterList([nn.Parameter(minigrad.zeros(2)) for _ in range(3)])
    >>> len(ps), [n for n, _ in ps.named_parameters()]
    (3, ['0', '1', '2'])
    """

    def __init__(self, values=()):
        super().__init__()
        for v in values:
            self.append(v)

    def append(self, value) -> ParameterList:
        setattr(self, str(len(self)), value if isinstance(value, Parameter) else Parameter(value))
        return self

    def extend(self, values) -> ParameterList:
        for v in values:
            self.append(v)
        return self

    def __getitem__(self, i):
        return list(self._parameters.values())[i]

    def __setitem__(self, i: int, value) -> None:
        setattr(self, str(i % len(self)), value if isinstance(value, Parameter) else Parameter(value))

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters.values())

# ***** full backward hooks: identity ops around the module's inputs and output *****


class _BackwardHookState:
    def __init__(self, module, n_inputs):
        self.module, self.grad_inputs, self.pending = module, [None] * n_inputs, 0
        self.grad_output = None

    def call_hooks(self):
        gi, go = tuple(self.grad_inputs), (self.grad_output,)
        for hook in list(self.module._backward_hooks.values()):
            r = hook(self.module, gi, go)
            if r is not None:
                gi = tuple(r)
        return gi


class _BackwardHookIdentity(Function):
    """y = x; its backward hands the gradient to the module's backward hooks (the output's
    gradient first, then the inputs', which the hooks may replace). Under create_graph the
    gradients are Tensors with a graph; the hooks see them as they are."""

    double_backward = "constants"  # the identity: backward runs as is on the Tensor gradient

    def __init__(self, state, slot):
        self.state, self.slot = state, slot  # slot None: the output

    def forward(self, x):
        return x.view()

    def backward(self, gy):
        st, graph = self.state, isinstance(gy, Tensor)
        if self.slot is None:
            st.grad_output = gy if graph else wrap(gy)
            if st.pending == 0:  # no input requires grad: call the hooks now, grad_input Nones
                st.call_hooks()
            return gy
        st.grad_inputs[self.slot] = gy if graph else wrap(gy)
        st.pending -= 1
        if st.pending:
            return gy
        given = tuple(st.grad_inputs)
        new = st.call_hooks()
        # the other inputs' gradients have gone on already: only this one can still be replaced
        if any(n is not g for i, (n, g) in enumerate(zip(new, given)) if i != self.slot):
            raise RuntimeError(
                f"{type(st.module).__name__} backward hook: replacing grad_input of a module with "
                f"several tensor inputs is not supported; return None, or change the gradients "
                f"with Tensor.register_hook on the inputs"
            )
        gi = new[self.slot]
        return gy if gi is None else (gi if graph else gi.array)


def _call_with_backward_hooks(module, args, kwargs):
    from ..ops.shape import _view

    positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    state = _BackwardHookState(module, len(positions))
    args = list(args)
    if grad_mode.state.enabled:
        for slot, i in enumerate(positions):
            if args[i].requires_grad:
                state.pending += 1
                args[i] = _view(_BackwardHookIdentity(state, slot)(args[i]), args[i])
    hooks = module._backward_hooks
    object.__setattr__(module, "_backward_hooks", None)  # run the plain call path once
    try:
        out = module(*args, **kwargs)
    finally:
        object.__setattr__(module, "_backward_hooks", hooks)
    if not isinstance(out, Tensor):
        raise TypeError(f"{type(module).__name__}: full backward hooks need a single Tensor output, got {type(out).__name__}")
    if out.requires_grad:
        out = _view(_BackwardHookIdentity(state, None)(out), out)
    return out
