"""Module, Parameter and the containers (Sequential, ModuleList), shaped like torch.nn."""

from __future__ import annotations

import collections.abc
import operator
from collections import OrderedDict
from typing import Iterator, NamedTuple

from .. import backend
from ..dtypes import as_dtype, float_or_default
from ..dtypes import memory_format as _memory_format
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


class IncompatibleKeys(NamedTuple):
    """What `load_state_dict` returns: the keys the model has and the state dict lacked, and
    the keys of the state dict the model has no place for."""

    missing_keys: list
    unexpected_keys: list

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return f"IncompatibleKeys(missing_keys={self.missing_keys}, unexpected_keys={self.unexpected_keys})"


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
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
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

    def _check_name(self, name, kind: str, registry: dict) -> None:
        """PyTorch's rules for a registered name: a non-empty str without a dot (the dot joins
        state_dict keys) that does not hide another attribute (a ModuleDict key "train" would
        otherwise shadow the method)."""
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
        if "." in name:
            raise KeyError(f"{kind} name can't contain \".\", got: {name}")
        if name == "":
            raise KeyError(f"{kind} name can't be empty string \"\"")
        if name not in registry and hasattr(self, name):
            raise KeyError(f"attribute '{name}' already exists")

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Register a Tensor that is state but not a parameter (e.g. BatchNorm's running
        statistics): moved by to(), never seen by an optimizer, and saved in state_dict unless
        `persistent=False`."""
        self._check_name(name, "buffer", self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                            f"(a Tensor or None required)")
        if "_buffer_names" not in self.__dict__:
            object.__setattr__(self, "_buffer_names", set())
            object.__setattr__(self, "_non_persistent", set())
        self._buffer_names.add(name)
        (self._non_persistent.discard if persistent else self._non_persistent.add)(name)
        for d in (self._parameters, self._modules):
            d.pop(name, None)
        self._buffers[name] = tensor  # here, not in __setattr__: a None buffer is registered too
        object.__setattr__(self, name, tensor)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register `param` (an nn.Parameter, or None) under `name`, as `self.name = param`."""
        self._check_name(name, "parameter", self._parameters)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                            f"(nn.Parameter or None required)")
        if param is None:
            for d in (self._buffers, self._modules):
                d.pop(name, None)
            self._parameters[name] = None
            object.__setattr__(self, name, None)
        else:
            setattr(self, name, param)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register `module` (or None) as the child `name`: `self.name`, and `name.` in the
        state_dict keys. Raises TypeError for anything that is not a Module."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._check_name(name, "module", self._modules)
        if module is None:
            for d in (self._parameters, self._buffers):
                d.pop(name, None)
            self._modules[name] = None
            object.__setattr__(self, name, None)
        else:
            setattr(self, name, module)

    register_module = add_module

    def _remove_child(self, name: str) -> Module | None:
        """Unregister the child `name` and return it (the containers' del and pop)."""
        self.__dict__.pop(name, None)
        return self._modules.pop(name)

    def _renumber(self, modules) -> None:
        """Make `modules` the children, named "0", "1", ... (as PyTorch after insert/del)."""
        modules = list(modules)
        for name in list(self._modules):
            self._remove_child(name)
        for i, m in enumerate(modules):
            self.add_module(str(i), m)

    def get_submodule(self, target: str) -> Module:
        """The submodule at dotted path `target` ("" is self), e.g. `model.get_submodule("encoder.0")`."""
        mod = self
        for item in target.split(".") if target else ():
            child = mod._modules.get(item)
            if not isinstance(child, Module):
                raise AttributeError(f"{type(mod).__name__} has no attribute `{item}`" if child is None and
                                     item not in mod._modules else f"`{item}` is not an nn.Module")
            mod = child
        return mod

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at dotted path `target`, e.g. `model.get_parameter("fc.weight")`."""
        path, _, name = target.rpartition(".")
        mod = self.get_submodule(path)
        if name not in mod._parameters:
            raise AttributeError(f"{type(mod).__name__} has no parameter `{name}`")
        return mod._parameters[name]

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at dotted path `target`, e.g. `model.get_buffer("bn.running_mean")`."""
        path, _, name = target.rpartition(".")
        mod = self.get_submodule(path)
        if name not in mod._buffers:
            raise AttributeError(f"{type(mod).__name__} has no buffer `{name}`")
        return mod._buffers[name]

    # ***** traversal *****

    def named_modules(self, memo: set | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for self and every submodule; a module reached twice (a layer
        used twice) is listed once unless `remove_duplicate=False`."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is not None:
                yield from m.named_modules(memo, f"{prefix}.{name}" if prefix else name, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen = set()
        for n, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield n, m

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def _named(self, kind: str, prefix: str, recurse: bool, remove_duplicate: bool):
        seen = set()
        mods = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for mprefix, m in mods:
            for name, t in getattr(m, kind).items():
                if t is None or (remove_duplicate and id(t) in seen):  # shared tensors are listed once
                    continue
                seen.add(id(t))
                yield (f"{mprefix}.{name}" if mprefix else name), t

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs; a parameter shared by two layers is listed once."""
        yield from self._named("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        yield from self._named("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # ***** modes and state *****

    def train(self, mode: bool = True) -> Module:
        """Set training mode on this module and every submodule; returns self."""
        if not isinstance(mode, bool):  # as PyTorch: train("eval") would otherwise mean True
            raise ValueError(f"training mode is expected to be boolean, got {type(mode).__name__}")
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Evaluation mode (BatchNorm uses running statistics, Dropout is off); returns self."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        zero_grad(self.parameters(), set_to_none)

    def to(self, device=None, dtype=None, non_blocking: bool = False, memory_format=None) -> Module:
        """Move parameters and buffers to `device` and/or cast the floating ones to `dtype`, in
        place (the Tensor objects an optimizer holds stay valid); returns self.
        `model.to("cuda")`, `model.to(dtype=minigrad.float64)`, `model.to(minigrad.float64)`,
        `model.to(x)` (x's device and dtype). `non_blocking` and `memory_format`
        (`minigrad.channels_last`) are accepted and change nothing."""
        _memory_format.check(memory_format)
        if isinstance(device, Tensor):  # model.to(other_tensor)
            device, dtype = device.device, device.dtype if dtype is None else dtype
        elif isinstance(dtype, Tensor):
            dtype = dtype.dtype
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

    def cpu(self) -> Module:
        return self.to("cpu")

    def cuda(self) -> Module:
        return self.to("cuda")

    def _state_tensors(self, prefix: str = "") -> OrderedDict:
        """The tensors a state_dict holds, by key: parameters and persistent buffers, a shared
        module or tensor under each of its names (as PyTorch)."""
        out = OrderedDict()
        for mprefix, m in self.named_modules(remove_duplicate=False):
            skip = m.__dict__.get("_non_persistent", ())
            for kind in ("_parameters", "_buffers"):
                for name, t in getattr(m, kind).items():
                    if t is not None and not (kind == "_buffers" and name in skip):
                        # as PyTorch, `prefix` is prepended as is: it ends with its own dot
                        out[prefix + (f"{mprefix}.{name}" if mprefix else name)] = t
        return out

    def state_dict(self, destination=None, prefix: str = "", keep_vars: bool = False) -> OrderedDict:
        """Parameters and persistent buffers by dotted name, as detached tensors sharing their
        arrays (the tensors themselves with `keep_vars=True`); keys start with `prefix`.

        >>> from minigrad import nn
        >>> list(nn.Linear(2, 1).state_dict(prefix="fc."))
        ['fc.weight', 'fc.bias']
        """
        out = OrderedDict() if destination is None else destination
        for k, t in self._state_tensors(prefix).items():
            out[k] = t if keep_vars else t.detach()
        return out

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False) -> IncompatibleKeys:
        """Copy values from `state_dict` into this module's parameters and buffers.

        Everything is checked before anything is written, so a bad state dict changes nothing.
        With strict=True, missing and unexpected keys raise; shape mismatches always raise.
        Returns the named tuple (missing_keys, unexpected_keys). With `assign=True` the
        tensors take the state dict's arrays (dtype and device) instead of copies converted
        to their own.
        """
        if not isinstance(state_dict, collections.abc.Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict).__name__}.")
        targets = self._state_tensors()
        missing = [k for k in targets if k not in state_dict]
        unexpected = [k for k in state_dict if k not in targets]
        errors = []
        if strict and (missing or unexpected):
            errors.append(f"missing keys {missing}, unexpected keys {unexpected}")
        values = {}
        for k, v in state_dict.items():
            if k not in targets:
                continue
            arr = v.array if isinstance(v, Tensor) else v
            if not hasattr(arr, "shape"):
                errors.append(f"{k}: expected a Tensor or an array, got {type(v).__name__}")
            elif tuple(arr.shape) != targets[k].shape:
                errors.append(f"size mismatch for {k}: shape {tuple(arr.shape)} in the state dict, "
                              f"{targets[k].shape} in the model")
            else:
                values[k] = arr
        # convert everything before writing anything: a value that cannot become the target's
        # dtype or device must leave the whole model as it was
        for k, arr in values.items():
            t = targets[k]
            if assign:
                continue
            try:
                values[k] = backend.to_device(arr, t.device).astype(t.dtype, copy=True)
            except (TypeError, ValueError) as e:
                errors.append(f"{k}: cannot convert {getattr(arr, 'dtype', type(arr).__name__)} to {t.dtype} ({e})")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}: " + "; ".join(errors))
        for k, arr in values.items():
            t = targets[k]
            t.array = arr
            t.bump_version()
        return IncompatibleKeys(missing, unexpected)

    # ***** calling *****

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    _backward_hooks = None  # set by register_full_backward_hook
    _backward_pre_hooks = None  # set by register_full_backward_pre_hook
    _has_hooks = False  # set on the instance by the register_* methods: one check when there are none

    def __call__(self, *args, **kwargs):
        if not self._has_hooks:
            return self.forward(*args, **kwargs)
        if self._backward_hooks or self._backward_pre_hooks:
            return _call_with_backward_hooks(self, args, kwargs)
        for hook, with_kwargs in list(self._forward_pre_hooks.values()):
            if with_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(f"forward pre-hook with kwargs must return None or a tuple of "
                                           f"(new_args, new_kwargs), got {type(result).__name__}")
                    args, kwargs = result
            else:
                result = hook(self, args)
                if result is not None:  # as PyTorch: a single value becomes the only argument
                    args = result if isinstance(result, tuple) else (result,)
        out = self.forward(*args, **kwargs)
        for hook, with_kwargs in list(self._forward_hooks.values()):
            result = hook(self, args, kwargs, out) if with_kwargs else hook(self, args, out)
            if result is not None:
                out = result
        return out

    def _add_hook(self, hooks: dict, value, prepend: bool) -> RemovableHandle:
        handle = RemovableHandle(hooks)
        hooks[handle.id] = value
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        object.__setattr__(self, "_has_hooks", True)
        return handle

    def register_forward_pre_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False) -> RemovableHandle:
        """Call `hook(module, args)` before every forward; a non-None return replaces the
        positional arguments (a single value becomes a 1-tuple). With `with_kwargs=True` it is
        `hook(module, args, kwargs)` and may return `(args, kwargs)`. Returns a handle whose
        `remove()` unregisters it.

        >>> import minigrad
        >>> from minigrad import nn
        >>> fc = nn.Linear(2, 2)
        >>> h = fc.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
        >>> bool((fc(minigrad.ones(1, 2)) == fc.bias).all())   # the input was zeroed
        True
        >>> h.remove()
        """
        return self._add_hook(self._forward_pre_hooks, (hook, bool(with_kwargs)), prepend)

    def register_forward_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """Call `hook(module, args, output)` after every forward (`hook(module, args, kwargs,
        output)` with `with_kwargs=True`); a non-None return replaces the output. Returns a
        handle whose `remove()` unregisters it. (`always_call` is accepted: it concerns a
        forward that raises, where PyTorch still calls the hook.)"""
        return self._add_hook(self._forward_hooks, (hook, bool(with_kwargs)), prepend)

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

    def register_full_backward_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """Call `hook(module, grad_output)` during backward as soon as the gradient of the
        module's output is known, before any gradient with respect to its inputs: `grad_output`
        is a 1-tuple; a returned tuple of the same length replaces it (the module's backward
        then uses the new gradient). Same as torch.nn.Module.register_full_backward_pre_hook;
        the module must return one Tensor, as for register_full_backward_hook.

        >>> import minigrad
        >>> from minigrad import nn
        >>> fc = nn.Linear(3, 2)
        >>> h = fc.register_full_backward_pre_hook(lambda m, go: (go[0] * 0,))
        >>> x = minigrad.randn(4, 3, requires_grad=True)
        >>> fc(x).sum().backward()
        >>> bool((x.grad == 0).all()), bool((fc.weight.grad == 0).all())
        (True, True)
        """
        if self._backward_pre_hooks is None:
            object.__setattr__(self, "_backward_pre_hooks", OrderedDict())
        return self._add_hook(self._backward_pre_hooks, hook, prepend)

    # ***** printing *****

    def extra_repr(self) -> str:
        return ""

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        lines = [f"({name}): " + repr(m).replace("\n", "\n  ") for name, m in self._modules.items()]
        head = f"{type(self).__name__}("
        if len(extra_lines) == 1 and not lines:
            return head + extra_lines[0] + ")"
        if not extra_lines and not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(extra_lines + lines) + "\n)"


# ***** containers *****


def _index(i, n: int, what: str = "index") -> int:
    """A list index in [0, n) from a possibly negative one; IndexError (as PyTorch) otherwise."""
    i = operator.index(i)  # a str or a float raises TypeError here, as for a list
    if not -n <= i < n:
        raise IndexError(f"{what} {i} is out of range")
    return i + n if i < 0 else i


def _iterable(values, owner: str):
    if not isinstance(values, collections.abc.Iterable):
        raise TypeError(f"{owner} should be called with an iterable, but got {type(values).__name__}")
    return values


class Sequential(Module):
    """Modules applied in order, named "0", "1", ... or by the keys of an OrderedDict.

    >>> from collections import OrderedDict
    >>> from minigrad import nn
    >>> model = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
    >>> model[0]
    Linear(in_features=4, out_features=3, bias=True)
    >>> named = nn.Sequential(OrderedDict([("fc", nn.Linear(4, 3)), ("act", nn.ReLU())]))
    >>> list(named.state_dict()), named.fc is named[0]
    (['fc.weight', 'fc.bias'], True)
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, m in modules[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(modules):
                self.add_module(str(i), m)

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        return x

    def __getitem__(self, i):
        if isinstance(i, slice):  # the names stay, as in PyTorch
            return type(self)(OrderedDict(list(self._modules.items())[i]))
        return list(self._modules.values())[_index(i, len(self))]

    def __setitem__(self, i, module: Module) -> None:
        self.add_module(list(self._modules)[_index(i, len(self))], module)

    def __delitem__(self, i) -> None:
        mods = list(self._modules.values())
        del mods[i if isinstance(i, slice) else _index(i, len(self))]
        self._renumber(mods)  # PyTorch renumbers what is left "0", "1", ...

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __add__(self, other) -> Sequential:
        if not isinstance(other, Sequential):
            raise ValueError(f"add operator supports only objects of Sequential class, but "
                             f"{type(other).__name__} is given.")
        return Sequential(*self, *other)

    def __iadd__(self, other) -> Sequential:
        if not isinstance(other, Sequential):
            raise ValueError(f"add operator supports only objects of Sequential class, but "
                             f"{type(other).__name__} is given.")
        return self.extend(other)

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self)), module)
        return self

    def insert(self, index: int, module: Module) -> Sequential:
        if not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        n = len(self)
        if not -n <= operator.index(index) <= n:
            raise IndexError(f"Index out of range: {index}")
        mods = list(self._modules.values())
        mods.insert(index, module)
        self._renumber(mods)
        return self

    def extend(self, modules) -> Sequential:
        for m in _iterable(modules, "Sequential.extend"):
            self.append(m)
        return self

    def pop(self, i) -> Module:
        m = self[i]
        del self[i]
        return m


class ModuleList(Module):
    """A list of modules whose parameters are registered, named "0", "1", ...

    >>> from minigrad import nn
    >>> layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    >>> len(list(layers.parameters()))
    6
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def append(self, module: Module) -> ModuleList:
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules) -> ModuleList:
        for m in _iterable(modules, "ModuleList.extend"):
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> None:
        if not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        mods = list(self._modules.values())
        mods.insert(operator.index(index), module)
        self._renumber(mods)

    def pop(self, i) -> Module:
        m = self[i]
        del self[i]
        return m

    def __getitem__(self, i):
        mods = list(self._modules.values())
        return ModuleList(mods[i]) if isinstance(i, slice) else mods[_index(i, len(mods))]

    def __setitem__(self, i, module: Module) -> None:
        self.add_module(str(_index(i, len(self))), module)

    def __delitem__(self, i) -> None:
        mods = list(self._modules.values())
        del mods[i if isinstance(i, slice) else _index(i, len(mods))]
        self._renumber(mods)

    def __iadd__(self, modules) -> ModuleList:
        return self.extend(modules)

    def __add__(self, other) -> ModuleList:
        return ModuleList([*self, *_iterable(other, "ModuleList +")])

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())


def _pairs(values, owner: str):
    """(key, value) pairs from a mapping or an iterable of pairs, checked as PyTorch does."""
    if isinstance(values, collections.abc.Mapping):
        return list(values.items())
    if isinstance(values, Module) and hasattr(values, "items"):  # a ModuleDict / ParameterDict
        return list(values.items())
    if not isinstance(values, collections.abc.Iterable):
        raise TypeError(f"{owner}.update should be called with an iterable of key/value pairs, but got "
                        f"{type(values).__name__}")
    pairs = []
    for j, kv in enumerate(values):
        if not isinstance(kv, collections.abc.Iterable):
            raise TypeError(f"{owner} update sequence element #{j} should be Iterable; is {type(kv).__name__}")
        kv = tuple(kv)
        if len(kv) != 2:
            raise ValueError(f"{owner} update sequence element #{j} has length {len(kv)}; 2 is required")
        pairs.append(kv)
    return pairs


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
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        self.pop(key)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key) -> bool:
        return key in self._modules

    def pop(self, key: str) -> Module:
        if key not in self._modules:
            raise KeyError(key)
        return self._remove_child(key)

    def clear(self) -> None:
        for key in list(self._modules):
            self._remove_child(key)

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def update(self, modules) -> None:
        for k, m in _pairs(modules, "ModuleDict"):
            self[k] = m


def _as_parameter(value, where: str) -> Parameter:
    """A Tensor becomes a Parameter sharing its memory (as PyTorch's containers do); anything
    else raises: a number or a list would not be trained."""
    if isinstance(value, Parameter):
        return value
    if isinstance(value, Tensor):
        return Parameter(value)
    raise TypeError(f"{where}: expected a Tensor or nn.Parameter, got {type(value).__name__}")


def _parameter_line(key, p) -> str:
    size = "x".join(str(d) for d in p.shape)
    device = "" if p.device == "cpu" else f" ({p.device})"
    return f"({key}): Parameter containing: [minigrad.{p.dtype} of size {size}{device}]"


class ParameterList(Module):
    """A list of Parameters, registered under the names "0", "1", ... (a Tensor given is
    wrapped as a Parameter sharing its memory).

    >>> import minigrad
    >>> from minigrad import nn
    >>> ps = nn.ParameterList([nn.Parameter(minigrad.zeros(2)) for _ in range(3)])
    >>> len(ps), [n for n, _ in ps.named_parameters()]
    (3, ['0', '1', '2'])
    >>> nn.ParameterList([minigrad.zeros(2, 3), minigrad.zeros(4)])
    ParameterList(
        (0): Parameter containing: [minigrad.float32 of size 2x3]
        (1): Parameter containing: [minigrad.float32 of size 4]
    )
    """

    def __init__(self, values=None):
        super().__init__()
        if values is not None:
            self.extend(values)

    def append(self, value) -> ParameterList:
        self.register_parameter(str(len(self)), _as_parameter(value, "ParameterList.append"))
        return self

    def extend(self, values) -> ParameterList:
        for v in _iterable(values, "ParameterList.extend"):
            self.append(v)
        return self

    def __iadd__(self, values) -> ParameterList:
        return self.extend(values)

    def __getitem__(self, i):
        ps = list(self._parameters.values())
        return ParameterList(ps[i]) if isinstance(i, slice) else ps[_index(i, len(ps))]

    def __setitem__(self, i, value) -> None:
        self.register_parameter(str(_index(i, len(self))), _as_parameter(value, "ParameterList"))

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters.values())

    def extra_repr(self) -> str:  # Module.__repr__ lays the lines out as PyTorch does
        return "\n".join("  " + _parameter_line(k, p) for k, p in self._parameters.items())


class ParameterDict(Module):
    """A dict of Parameters registered under their keys (a Tensor given is wrapped as a
    Parameter sharing its memory), in insertion order (a plain dict given to the constructor
    or `update` is taken in sorted key order, as PyTorch does).

    >>> import minigrad
    >>> from minigrad import nn
    >>> pd = nn.ParameterDict({"scale": minigrad.ones(3), "shift": minigrad.zeros(3)})
    >>> [n for n, _ in pd.named_parameters()], type(pd["scale"]).__name__
    (['scale', 'shift'], 'Parameter')
    """

    def __init__(self, parameters=None):
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key: str) -> Parameter:
        return self._parameters[key]

    def __setitem__(self, key: str, value) -> None:
        self.register_parameter(key, _as_parameter(value, f"ParameterDict[{key!r}]"))

    def __delitem__(self, key: str) -> None:
        self.pop(key)

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters)

    def __contains__(self, key) -> bool:
        return key in self._parameters

    def pop(self, key: str) -> Parameter:
        if key not in self._parameters:
            raise KeyError(key)
        self.__dict__.pop(key, None)
        return self._parameters.pop(key)

    def get(self, key: str, default=None):
        return self._parameters.get(key, default)

    def setdefault(self, key: str, default=None) -> Parameter:
        if key not in self._parameters:
            self[key] = default
        return self._parameters[key]

    def clear(self) -> None:
        for key in list(self._parameters):
            self.pop(key)

    def keys(self):
        return self._parameters.keys()

    def values(self):
        return self._parameters.values()

    def items(self):
        return self._parameters.items()

    def update(self, parameters) -> None:
        """Add or replace entries; from a plain dict in sorted key order (as PyTorch), from an
        OrderedDict, a ParameterDict or (key, value) pairs in their order."""
        pairs = _pairs(parameters, "ParameterDict")
        if type(parameters) is dict:
            pairs = sorted(pairs, key=lambda kv: kv[0])
        for k, v in pairs:
            self[k] = v

    def extra_repr(self) -> str:  # Module.__repr__ lays the lines out as PyTorch does
        return "\n".join("  " + _parameter_line(k, p) for k, p in self._parameters.items())


# ***** full backward hooks: identity ops around the module's inputs and output *****


class _BackwardHookState:
    def __init__(self, module, n_inputs):
        self.module, self.grad_inputs, self.pending = module, [None] * n_inputs, 0
        self.grad_output = None

    def call_pre_hooks(self, gy):
        """The output's gradient after the backward pre-hooks, each of which may replace it."""
        go = (gy,)
        for hook in list((self.module._backward_pre_hooks or {}).values()):
            r = hook(self.module, go)
            if r is None:
                continue
            if not isinstance(r, (tuple, list)) or len(r) != len(go):
                got = len(r) if isinstance(r, (tuple, list)) else type(r).__name__
                raise RuntimeError(f"{type(self.module).__name__}: backward pre hook returned an invalid "
                                   f"number of grad_output, got {got}, but expected a tuple of {len(go)}")
            go = tuple(r)
        return go[0]

    def call_hooks(self):
        gi, go = tuple(self.grad_inputs), (self.grad_output,)
        for hook in list((self.module._backward_hooks or {}).values()):
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
            go = st.call_pre_hooks(gy if graph else wrap(gy))
            st.grad_output = go
            if st.pending == 0:  # no input requires grad: call the hooks now, grad_input Nones
                st.call_hooks()
            if go is None:  # as torch: a None gradient stops here (zeros for what is behind)
                return self.xp.zeros_like(gy)
            return go if graph else _matching_array(go, gy)
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


def _matching_array(g, gy):
    """A hook's replacement gradient as the array the engine expects: gy's shape and dtype."""
    if not isinstance(g, Tensor):
        raise TypeError(f"a backward pre hook must return Tensors (or None), got {type(g).__name__}")
    if tuple(g.shape) != tuple(gy.shape):
        raise RuntimeError(f"a backward pre hook returned a gradient of shape {tuple(g.shape)}; the output "
                           f"has shape {tuple(gy.shape)}")
    return g.array if g.dtype == gy.dtype else g.array.astype(gy.dtype)


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
    hooks, pre_hooks = module._backward_hooks, module._backward_pre_hooks
    object.__setattr__(module, "_backward_hooks", None)  # run the plain call path once
    object.__setattr__(module, "_backward_pre_hooks", None)
    try:
        out = module(*args, **kwargs)
    finally:
        object.__setattr__(module, "_backward_hooks", hooks)
        object.__setattr__(module, "_backward_pre_hooks", pre_hooks)
    if not isinstance(out, Tensor):
        raise TypeError(f"{type(module).__name__}: full backward hooks need a single Tensor output, got {type(out).__name__}")
    if out.requires_grad:
        out = _view(_BackwardHookIdentity(state, None)(out), out)
    return out
