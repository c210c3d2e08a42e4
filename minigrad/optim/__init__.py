"""Optimizers and learning-rate schedulers, laid out as torch.optim.

    optimizer.py     Optimizer: parameter groups, state, zero_grad, step's shared loop, state_dict
    sgd.py           SGD                 adam.py      Adam, AdamW
    adagrad.py       Adagrad             adadelta.py  Adadelta        rmsprop.py  RMSprop
    lr_scheduler.py  StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LambdaLR,
                     OneCycleLR, ReduceLROnPlateau, ConstantLR, LinearLR, MultiplicativeLR,
                     PolynomialLR, CosineAnnealingWarmRestarts, SequentialLR, ChainedScheduler,
                     CyclicLR

    >>> import minigrad
    >>> from minigrad import nn, optim
    >>> model = nn.Linear(3, 1)
    >>> opt = optim.RMSprop(model.parameters(), lr=0.01, momentum=0.9)
    >>> sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10)
    >>> model(minigrad.ones(4, 3)).sum().backward()
    >>> opt.step(); sched.step()
"""

from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .lr_scheduler import StepLR  # also here, where minigrad has always had it
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "Adagrad", "Adadelta", "RMSprop", "StepLR", "lr_scheduler"]
