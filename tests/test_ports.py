"""Well-known PyTorch programs, ported by changing the import.

Each program below is written the way its authors wrote it (the pytorch/examples MNIST and VAE
scripts, the "What is torch.nn really?" tutorial, a DCGAN, a CIFAR-style ResNet, Karpathy's
makemore lectures, the custom autograd.Function tutorial), as a function of `torch`: the test
calls it once with `minigrad` and, when PyTorch is installed, once with `torch`, from the same
initial weights (NumPy arrays), in float64, and compares losses and parameters to 1e-8. The
places where a program draws random numbers (dropout, noise, sampling) get their draws from the
test, or are checked for shape, finiteness and a falling loss instead. Without PyTorch, each
test still runs the minigrad half and checks that it trains.

Where a port needs a line that differs from the original, the line says so (`# port:`).
"""

import math

import numpy as np
import pytest

import minigrad

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="the PyTorch half needs torch")


def _np(x):
    """A NumPy copy of a result of either library (tensor, number, list, dict of them)."""
    if isinstance(x, dict):
        return {k: _np(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_np(v) for v in x]
    if hasattr(x, "detach"):
        x = x.detach()
    if hasattr(x, "cpu"):
        x = x.cpu()
    return np.array(x.numpy() if hasattr(x, "numpy") else x)


def _assert_same(ours, theirs, tol=1e-8, where="result"):
    """Every leaf of two nested results (dicts/lists of tensors or numbers) agrees to `tol`."""
    if isinstance(ours, dict):
        assert sorted(ours) == sorted(theirs), where
        for k in ours:
            _assert_same(ours[k], theirs[k], tol, f"{where}[{k!r}]")
    elif isinstance(ours, list):
        assert len(ours) == len(theirs), where
        for i, (a, b) in enumerate(zip(ours, theirs)):
            _assert_same(a, b, tol, f"{where}[{i}]")
    else:
        assert ours.shape == theirs.shape, f"{where}: {ours.shape} vs {theirs.shape}"
        np.testing.assert_allclose(ours, theirs, rtol=tol, atol=tol, err_msg=where)


def _run_both(program, *args, tol=1e-8, **kwargs):
    """Run `program(lib, ...)` with minigrad, and with torch when installed; compare."""
    ours = _np(program(minigrad, *args, **kwargs))
    if torch is not None:
        theirs = _np(program(torch, *args, **kwargs))
        _assert_same(ours, theirs, tol)
    return ours


def _state(model):
    """A state_dict as NumPy arrays: the one set of initial weights both libraries load."""
    return {k: _np(v).copy() for k, v in model.state_dict().items()}


def _load(lib, model, state):
    model.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
    return model


_MNIST = None


def _mnist(n_train, n_test):
    """A slice of the MNIST sample bundled with minigrad, as float64 arrays in [0, 1]."""
    global _MNIST
    if _MNIST is None:
        from minigrad.datasets import load_mnist_sample
        _MNIST = load_mnist_sample()
    m = _MNIST
    return (m.train_images[:n_train].astype(np.float64), m.train_labels[:n_train],
            m.test_images[:n_test].astype(np.float64), m.test_labels[:n_test])


# ***** 1. pytorch/examples: mnist/main.py *****


def mnist_cnn_classes(torch):
    nn, F = torch.nn, torch.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super(Net, self).__init__()
            self.conv1 = nn.Conv2d(1, 32, 3, 1)
            self.conv2 = nn.Conv2d(32, 64, 3, 1)
            self.dropout1 = nn.Dropout(0.25)
            self.dropout2 = nn.Dropout(0.5)
            self.fc1 = nn.Linear(9216, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x):
            x = self.conv1(x)
            x = F.relu(x)
            x = self.conv2(x)
            x = F.relu(x)
            x = F.max_pool2d(x, 2)
            x = self.dropout1(x)
            x = torch.flatten(x, 1)
            x = self.fc1(x)
            x = F.relu(x)
            x = self.dropout2(x)
            x = self.fc2(x)
            output = F.log_softmax(x, dim=1)
            return output

    return Net


def mnist_cnn(torch, state, data, epochs=2, batch_size=8, dropout=True, shuffle=False):
    nn, F, optim = torch.nn, torch.nn.functional, torch.optim
    DataLoader, TensorDataset = torch.utils.data.DataLoader, torch.utils.data.TensorDataset
    StepLR = torch.optim.lr_scheduler.StepLR
    out = {"train_loss": [], "test_loss": [], "correct": [], "lr": []}

    def train(model, device, train_loader, optimizer, epoch):
        model.train()
        for batch_idx, (data, target) in enumerate(train_loader):
            data, target = data.to(device), target.to(device)
            optimizer.zero_grad()
            output = model(data)
            loss = F.nll_loss(output, target)
            loss.backward()
            optimizer.step()
            if batch_idx % 2 == 0:
                line = "Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.6f}".format(
                    epoch, batch_idx * len(data), len(train_loader.dataset),
                    100. * batch_idx / len(train_loader), loss.item())
                assert line.startswith("Train Epoch")
            out["train_loss"].append(loss.item())

    def test(model, device, test_loader):
        model.eval()
        test_loss = 0
        correct = 0
        with torch.no_grad():
            for data, target in test_loader:
                data, target = data.to(device), target.to(device)
                output = model(data)
                test_loss += F.nll_loss(output, target, reduction='sum').item()  # sum up batch loss
                pred = output.argmax(dim=1, keepdim=True)  # index of the max log-probability
                correct += pred.eq(target.view_as(pred)).sum().item()
        test_loss /= len(test_loader.dataset)
        out["test_loss"].append(test_loss)
        out["correct"].append(correct)

    torch.manual_seed(1)
    use_cuda = False
    device = torch.device("cuda" if use_cuda else "cpu")
    x_train, y_train, x_test, y_test = data
    # port: torchvision's ToTensor + Normalize((0.1307,), (0.3081,)), done once up front
    to_tensor = lambda x: (torch.tensor(x).unsqueeze(1) - 0.1307) / 0.3081  # noqa: E731
    dataset1 = TensorDataset(to_tensor(x_train), torch.tensor(y_train))
    dataset2 = TensorDataset(to_tensor(x_test), torch.tensor(y_test))
    train_loader = DataLoader(dataset1, batch_size=batch_size, shuffle=shuffle)
    test_loader = DataLoader(dataset2, batch_size=2 * batch_size)

    model = mnist_cnn_classes(torch)().to(device).double()  # port: .double(), to compare in float64
    _load(torch, model, state)
    if not dropout:  # the two libraries draw other masks: compare with the dropout layers off
        model.dropout1.p = model.dropout2.p = 0.0
    optimizer = optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.7)
    for epoch in range(1, epochs + 1):
        train(model, device, train_loader, optimizer, epoch)
        test(model, device, test_loader)
        scheduler.step()
        out["lr"].append(scheduler.get_last_lr()[0])
    out["state"] = model.state_dict()
    return out


def test_pytorch_examples_mnist_cnn():
    data = _mnist(32, 48)
    state = _state(mnist_cnn_classes(minigrad)().double())
    # without dropout, the whole script gives torch's numbers
    ours = _run_both(mnist_cnn, state, data, dropout=False)
    assert ours["lr"] == pytest.approx([0.7, 0.49])
    assert ours["train_loss"][-1] < ours["train_loss"][0]
    # with it (and a shuffled loader), the same script still learns
    ours = _np(mnist_cnn(minigrad, state, data, dropout=True, shuffle=True, epochs=3))
    assert np.isfinite(ours["train_loss"]).all() and ours["test_loss"][-1] < ours["test_loss"][0]
