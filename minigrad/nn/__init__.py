"""Layers and the module system, shaped like torch.nn. `import minigrad.nn.functional as F`."""

from .module import Module, ModuleList, Parameter, RemovableHandle, Sequential
