"""Layers and the module system, shaped like torch.nn. `import minigrad.nn.functional as F`."""

from . import functional, init
from .layers import (
    BatchNorm1d, BatchNorm2d, BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, Dropout, Flatten, Identity,
    LeakyReLU, Linear, LogSoftmax, MSELoss, NLLLoss, ReLU, Sigmoid, Softmax, Tanh,
)
from .module import Module, ModuleList, Parameter, RemovableHandle, Sequential
from .layers import GELU, LayerNorm  # noqa: E402  (docs/extending.md)
from .conv import AdaptiveAvgPool2d, AvgPool2d, Conv2d, MaxPool2d  # noqa: E402,F401
