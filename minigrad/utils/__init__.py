"""Utilities laid out as torch.utils: `minigrad.utils.data` (Dataset, DataLoader, ...)."""

from . import data

__all__ = ["data"]
