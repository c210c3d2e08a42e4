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
import random

import numpy as np
import pytest

import minigrad

try:
    import torch
except ImportError:
    torch = None



@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """torch's float64 convolutions, on one thread: quicker on a small shared machine."""
    if torch is None:
        yield
        return
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


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
        if ours.dtype.kind in "iuUSb" or theirs.dtype.kind in "iuUSb":  # tokens, indices, flags: exactly
            np.testing.assert_array_equal(ours, theirs, err_msg=where)
            return
        if ours.dtype == np.float32:  # a float32 result (torch.tensor(list_of_floats)) to its rounding
            tol = max(tol, 1e-6)
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


def mnist_cnn(torch, state, data, epochs=2, batch_size=8, dropout=True, shuffle=False, save_model=None):
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

    no_cuda = no_mps = True  # port: args.no_cuda, args.no_mps (the comparison runs on the CPU)
    use_cuda = not no_cuda and torch.cuda.is_available()
    use_mps = not no_mps and torch.backends.mps.is_available()
    assert torch.backends.mps.is_available() in (True, False)

    torch.manual_seed(1)

    if use_cuda:
        device = torch.device("cuda")
    elif use_mps:
        device = torch.device("mps")
    else:
        device = torch.device("cpu")

    train_kwargs = {'batch_size': batch_size, 'shuffle': shuffle}  # port: shuffle (torch's default: off)
    test_kwargs = {'batch_size': 2 * batch_size}
    if use_cuda:
        cuda_kwargs = {'num_workers': 1, 'pin_memory': True, 'shuffle': True}
        train_kwargs.update(cuda_kwargs)
        test_kwargs.update(cuda_kwargs)
    x_train, y_train, x_test, y_test = data
    # port: torchvision's ToTensor + Normalize((0.1307,), (0.3081,)), done once up front
    to_tensor = lambda x: (torch.tensor(x).unsqueeze(1) - 0.1307) / 0.3081  # noqa: E731
    dataset1 = TensorDataset(to_tensor(x_train), torch.tensor(y_train))
    dataset2 = TensorDataset(to_tensor(x_test), torch.tensor(y_test))
    train_loader = DataLoader(dataset1, **train_kwargs)
    test_loader = DataLoader(dataset2, **test_kwargs)

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

    if save_model:
        torch.save(model.state_dict(), save_model)  # "mnist_cnn.pt" in the script
    out["state"] = model.state_dict()
    return out


def test_pytorch_examples_mnist_cnn(tmp_path):
    data = _mnist(16, 24)
    state = _state(mnist_cnn_classes(minigrad)().double())
    # without dropout, the whole script gives torch's numbers
    ours = _run_both(mnist_cnn, state, data, dropout=False)
    assert ours["lr"] == pytest.approx([0.7, 0.49])
    assert ours["train_loss"][-1] < ours["train_loss"][0]
    # with it (and a shuffled loader), the same script still learns, and saves its weights
    path = tmp_path / "mnist_cnn.pt"
    ours = _np(mnist_cnn(minigrad, state, data, dropout=True, shuffle=True, epochs=3, save_model=path))
    saved = minigrad.load(path)
    assert sorted(saved) == sorted(state) and np.array_equal(_np(saved["fc2.bias"]), ours["state"]["fc2.bias"])
    assert np.isfinite(ours["train_loss"]).all() and ours["test_loss"][-1] < ours["test_loss"][0]


# ***** 2. the "What is torch.nn really?" tutorial, stage by stage *****


def nn_really(torch, w0, states, data, bs=16, lr=0.5, epochs=2):
    """The tutorial's progression: each stage trains from the same start and records its losses."""
    nn, optim, F = torch.nn, torch.optim, torch.nn.functional  # `from torch import nn, optim`
    TensorDataset, DataLoader = torch.utils.data.TensorDataset, torch.utils.data.DataLoader
    out = {}

    x_train, y_train, x_valid, y_valid = data
    x_train, y_train, x_valid, y_valid = map(torch.tensor, (x_train, y_train, x_valid, y_valid))
    n, c = x_train.shape
    out["ranges"] = [x_train.min(), x_train.max(), y_train.min(), y_train.max()]

    # --- from scratch: weights, log_softmax, nll and SGD by hand
    weights = torch.tensor(w0) / math.sqrt(784)  # port: the tutorial's torch.randn(784, 10), as given
    weights.requires_grad_()
    bias = torch.zeros(10, requires_grad=True, dtype=torch.float64)  # port: dtype, to compare in float64

    def log_softmax(x):
        return x - x.exp().sum(-1).log().unsqueeze(-1)

    def model(xb):
        return log_softmax(xb @ weights + bias)

    def nll(input, target):
        return -input[range(target.shape[0]), target].mean()

    loss_func = nll

    def accuracy(out, yb):
        preds = torch.argmax(out, dim=1)
        return (preds == yb).float().mean()

    xb, yb = x_train[0:bs], y_train[0:bs]
    preds = model(xb)
    out["first"] = [preds[0], preds.shape, loss_func(preds, yb), accuracy(preds, yb)]
    for epoch in range(epochs):
        for i in range((n - 1) // bs + 1):
            start_i = i * bs
            end_i = start_i + bs
            xb = x_train[start_i:end_i]
            yb = y_train[start_i:end_i]
            pred = model(xb)
            loss = loss_func(pred, yb)

            loss.backward()
            with torch.no_grad():
                weights -= weights.grad * lr
                bias -= bias.grad * lr
                weights.grad.zero_()
                bias.grad.zero_()
    out["scratch"] = [loss_func(model(xb), yb), accuracy(model(xb), yb), weights, bias]

    # --- F.cross_entropy instead of the hand-written pair
    loss_func = F.cross_entropy

    def model(xb):
        return xb @ weights + bias

    out["F"] = [loss_func(model(xb), yb), accuracy(model(xb), yb)]

    # --- nn.Module with nn.Parameter
    class Mnist_Logistic(nn.Module):
        def __init__(self):
            super().__init__()
            self.weights = nn.Parameter(torch.randn(784, 10) / math.sqrt(784))
            self.bias = nn.Parameter(torch.zeros(10))

        def forward(self, xb):
            return xb @ self.weights + self.bias

    def fit():
        for epoch in range(epochs):
            for i in range((n - 1) // bs + 1):
                start_i = i * bs
                end_i = start_i + bs
                xb = x_train[start_i:end_i]
                yb = y_train[start_i:end_i]
                pred = model(xb)
                loss = loss_func(pred, yb)

                loss.backward()
                with torch.no_grad():
                    for p in model.parameters():
                        p -= p.grad * lr
                    model.zero_grad()

    model = _load(torch, Mnist_Logistic().double(), states["logistic"])  # port: the shared start
    out["module_before"] = loss_func(model(xb), yb)
    fit()
    out["module"] = [loss_func(model(xb), yb), model.weights, model.bias]

    # --- nn.Linear
    class Mnist_Logistic(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(784, 10)

        def forward(self, xb):
            return self.lin(xb)

    model = _load(torch, Mnist_Logistic().double(), states["linear"])
    fit()
    out["linear"] = [loss_func(model(xb), yb), model.lin.weight]

    # --- optim
    def get_model():
        model = _load(torch, Mnist_Logistic().double(), states["linear"])
        return model, optim.SGD(model.parameters(), lr=lr)

    model, opt = get_model()
    for epoch in range(epochs):
        for i in range((n - 1) // bs + 1):
            start_i = i * bs
            end_i = start_i + bs
            xb = x_train[start_i:end_i]
            yb = y_train[start_i:end_i]
            pred = model(xb)
            loss = loss_func(pred, yb)

            loss.backward()
            opt.step()
            opt.zero_grad()
    out["optim"] = [loss_func(model(xb), yb), model.lin.weight]

    # --- TensorDataset (sliced by hand), then DataLoader, then validation
    train_ds = TensorDataset(x_train, y_train)
    model, opt = get_model()
    for epoch in range(epochs):
        for i in range((n - 1) // bs + 1):
            xb, yb = train_ds[i * bs: i * bs + bs]
            pred = model(xb)
            loss = loss_func(pred, yb)
            loss.backward()
            opt.step()
            opt.zero_grad()
    out["dataset"] = [loss_func(model(xb), yb), model.lin.weight]

    train_dl = DataLoader(train_ds, batch_size=bs)
    valid_ds = TensorDataset(x_valid, y_valid)
    valid_dl = DataLoader(valid_ds, batch_size=bs * 2)
    model, opt = get_model()
    valid = []
    for epoch in range(epochs):
        model.train()
        for xb, yb in train_dl:
            pred = model(xb)
            loss = loss_func(pred, yb)
            loss.backward()
            opt.step()
            opt.zero_grad()
        model.eval()
        with torch.no_grad():
            valid_loss = sum(loss_func(model(xb), yb) for xb, yb in valid_dl)
        valid.append(valid_loss / len(valid_dl))
    out["dataloader"] = [valid, model.lin.weight]

    # --- fit() and get_data() as the tutorial ends up writing them
    def loss_batch(model, loss_func, xb, yb, opt=None):
        loss = loss_func(model(xb), yb)
        if opt is not None:
            loss.backward()
            opt.step()
            opt.zero_grad()
        return loss.item(), len(xb)

    def fit(epochs, model, loss_func, opt, train_dl, valid_dl):
        history = []
        for epoch in range(epochs):
            model.train()
            for xb, yb in train_dl:
                loss_batch(model, loss_func, xb, yb, opt)
            model.eval()
            with torch.no_grad():
                losses, nums = zip(*[loss_batch(model, loss_func, xb, yb) for xb, yb in valid_dl])
            val_loss = np.sum(np.multiply(losses, nums)) / np.sum(nums)
            history.append(val_loss)
        return history

    def get_data(train_ds, valid_ds, bs):
        return (DataLoader(train_ds, batch_size=bs, shuffle=False),  # port: shuffle=True draws other orders
                DataLoader(valid_ds, batch_size=bs * 2))

    train_dl, valid_dl = get_data(train_ds, valid_ds, bs)
    model, opt = get_model()
    out["fit"] = fit(epochs, model, loss_func, opt, train_dl, valid_dl)

    # --- a CNN, then nn.Sequential with a Lambda layer, then a wrapped DataLoader
    class Mnist_CNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1)
            self.conv2 = nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1)
            self.conv3 = nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1)

        def forward(self, xb):
            xb = xb.view(-1, 1, 28, 28)
            xb = F.relu(self.conv1(xb))
            xb = F.relu(self.conv2(xb))
            xb = F.relu(self.conv3(xb))
            xb = F.avg_pool2d(xb, 4)
            return xb.view(-1, xb.size(1))

    lr = 0.1
    model = _load(torch, Mnist_CNN().double(), states["cnn"])
    opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    out["cnn"] = fit(epochs, model, loss_func, opt, train_dl, valid_dl)

    class Lambda(nn.Module):
        def __init__(self, func):
            super().__init__()
            self.func = func

        def forward(self, x):
            return self.func(x)

    def preprocess(x):
        return x.view(-1, 1, 28, 28)

    model = nn.Sequential(
        Lambda(preprocess),
        nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1),
        nn.ReLU(),
        nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1),
        nn.ReLU(),
        nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1),
        nn.ReLU(),
        nn.AvgPool2d(4),
        Lambda(lambda x: x.view(x.size(0), -1)),
    ).double()
    _load(torch, model, states["seq"])
    opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    out["sequential"] = fit(epochs, model, loss_func, opt, train_dl, valid_dl)

    dev = torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")

    def preprocess(x, y):
        return x.view(-1, 1, 28, 28).to(dev), y.to(dev)

    class WrappedDataLoader:
        def __init__(self, dl, func):
            self.dl = dl
            self.func = func

        def __len__(self):
            return len(self.dl)

        def __iter__(self):
            for b in self.dl:
                yield (self.func(*b))

    train_dl, valid_dl = get_data(train_ds, valid_ds, bs)
    train_dl = WrappedDataLoader(train_dl, preprocess)
    valid_dl = WrappedDataLoader(valid_dl, preprocess)
    model = nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1),
        nn.ReLU(),
        nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1),
        nn.ReLU(),
        nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        Lambda(lambda x: x.view(x.size(0), -1)),
    ).double()
    _load(torch, model, states["adaptive"])
    model.to(dev)
    opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    out["adaptive"] = fit(epochs, model, loss_func, opt, train_dl, valid_dl)
    return out


def test_what_is_torch_nn_really_tutorial():
    x_train, y_train, x_valid, y_valid = _mnist(64, 32)
    data = (x_train.reshape(-1, 784), y_train, x_valid.reshape(-1, 784), y_valid)
    w0 = np.random.default_rng(0).standard_normal((784, 10))
    nn = minigrad.nn
    conv = lambda a, b: nn.Conv2d(a, b, kernel_size=3, stride=2, padding=1)  # noqa: E731
    seq = nn.Sequential(conv(1, 16), nn.ReLU(), conv(16, 16), nn.ReLU(), conv(16, 10)).double()
    adaptive = _state(seq)
    states = {"logistic": {"weights": w0 / math.sqrt(784), "bias": np.zeros(10)},
              "linear": _state(nn.Sequential(nn.Linear(784, 10)).double()),
              "cnn": {f"conv{i // 2 + 1}.{k}": v for i, (k, v) in
                      enumerate((k.split(".")[1], v) for k, v in _state(seq).items())},
              "seq": {f"{int(k.split('.')[0]) + 1}.{k.split('.')[1]}": v for k, v in adaptive.items()},
              "adaptive": adaptive}
    states["linear"] = {"lin." + k.split(".")[1]: v for k, v in states["linear"].items()}
    ours = _run_both(nn_really, w0, states, data)
    assert list(ours["first"][1]) == [16, 10]
    assert ours["scratch"][0] < ours["first"][2]  # the hand-written loop learned
    for stage in ("fit", "cnn", "sequential", "adaptive"):
        assert np.isfinite(ours[stage]).all(), stage
    assert ours["fit"][-1] < ours["fit"][0]


# ***** 3. pytorch/examples: vae/main.py *****


def vae_classes(torch):
    nn, F = torch.nn, torch.nn.functional

    class VAE(nn.Module):
        def __init__(self):
            super(VAE, self).__init__()

            self.fc1 = nn.Linear(784, 400)
            self.fc21 = nn.Linear(400, 20)
            self.fc22 = nn.Linear(400, 20)
            self.fc3 = nn.Linear(20, 400)
            self.fc4 = nn.Linear(400, 784)

        def encode(self, x):
            h1 = F.relu(self.fc1(x))
            return self.fc21(h1), self.fc22(h1)

        def reparameterize(self, mu, logvar):
            std = torch.exp(0.5*logvar)
            eps = torch.randn_like(std)
            return mu + eps*std

        def decode(self, z):
            h3 = F.relu(self.fc3(z))
            return torch.sigmoid(self.fc4(h3))

        def forward(self, x):
            mu, logvar = self.encode(x.view(-1, 784))
            z = self.reparameterize(mu, logvar)
            return self.decode(z), mu, logvar

    return VAE


def vae(torch, state, data, noise=None, epochs=2, batch_size=16):
    F, optim = torch.nn.functional, torch.optim
    DataLoader, TensorDataset = torch.utils.data.DataLoader, torch.utils.data.TensorDataset
    VAE = vae_classes(torch)
    out = {"train_loss": [], "test_loss": []}
    draws = iter(noise or ())

    class VAEGivenNoise(VAE):  # port: the test's draws for eps, so that both libraries see the same
        def reparameterize(self, mu, logvar):
            std = torch.exp(0.5*logvar)
            eps = torch.tensor(next(draws))
            return mu + eps*std

    device = torch.device("cpu")
    x_train, y_train, x_test, y_test = data
    train_loader = DataLoader(TensorDataset(torch.tensor(x_train).unsqueeze(1), torch.tensor(y_train)),
                              batch_size=batch_size, shuffle=noise is None)
    test_loader = DataLoader(TensorDataset(torch.tensor(x_test).unsqueeze(1), torch.tensor(y_test)),
                             batch_size=batch_size)
    model = (VAE() if noise is None else VAEGivenNoise()).to(device).double()  # port: .double()
    _load(torch, model, state)
    optimizer = optim.Adam(model.parameters(), lr=1e-3)

    # Reconstruction + KL divergence losses summed over all elements and batch
    def loss_function(recon_x, x, mu, logvar):
        BCE = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction='sum')

        # see Appendix B from VAE paper:
        # Kingma and Welling. Auto-Encoding Variational Bayes. ICLR, 2014
        # 0.5 * sum(1 + log(sigma^2) - mu^2 - sigma^2)
        KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())

        return BCE + KLD

    def train(epoch):
        model.train()
        train_loss = 0
        for batch_idx, (data, _) in enumerate(train_loader):
            data = data.to(device)
            optimizer.zero_grad()
            recon_batch, mu, logvar = model(data)
            loss = loss_function(recon_batch, data, mu, logvar)
            loss.backward()
            train_loss += loss.item()
            optimizer.step()
        out["train_loss"].append(train_loss / len(train_loader.dataset))

    def test(epoch):
        model.eval()
        test_loss = 0
        with torch.no_grad():
            for i, (data, _) in enumerate(test_loader):
                data = data.to(device)
                recon_batch, mu, logvar = model(data)
                test_loss += loss_function(recon_batch, data, mu, logvar).item()
                if i == 0:
                    n = min(data.size(0), 8)
                    comparison = torch.cat([data[:n],
                                            recon_batch.view(batch_size, 1, 28, 28)[:n]])
                    out["comparison"] = comparison  # port: save_image(comparison.cpu(), ...)
        test_loss /= len(test_loader.dataset)
        out["test_loss"].append(test_loss)

    for epoch in range(1, epochs + 1):
        train(epoch)
        test(epoch)
        with torch.no_grad():
            # port: the given draws, or float64 ones (the script's model is float32)
            sample = torch.tensor(next(draws)) if noise else torch.randn(64, 20, dtype=torch.float64)
            sample = sample.to(device)
            sample = model.decode(sample).cpu()
            out["sample"] = sample.view(64, 1, 28, 28)
    out["state"] = model.state_dict()
    return out


def test_pytorch_examples_vae():
    data = _mnist(32, 32)
    state = _state(vae_classes(minigrad)().double())
    epochs, batch = 2, 16
    rng = np.random.default_rng(7)
    noise = []
    for _ in range(epochs):  # one draw per forward, in the order the script makes them
        noise += [rng.standard_normal((batch, 20)) for _ in range(32 // batch * 2)]
        noise.append(rng.standard_normal((64, 20)))
    ours = _run_both(vae, state, data, noise=noise, epochs=epochs, batch_size=batch)
    assert ours["comparison"].shape == (16, 1, 28, 28) and ours["sample"].shape == (64, 1, 28, 28)
    assert ours["train_loss"][1] < ours["train_loss"][0]
    # the script as written: randn_like draws eps in the parameters' dtype, and it trains
    ours = _np(vae(minigrad, state, data, epochs=3))
    assert np.isfinite(ours["test_loss"]).all() and ours["test_loss"][-1] < ours["test_loss"][0]


# ***** 4. a DCGAN at 28x28 (pytorch/examples dcgan/main.py and the DCGAN tutorial) *****

nz, ngf, ndf, nc = 16, 8, 8, 1


def dcgan_classes(torch):
    nn = torch.nn

    # custom weights initialization called on netG and netD
    def weights_init(m):
        classname = m.__class__.__name__
        if classname.find('Conv') != -1:
            m.weight.data.normal_(0.0, 0.02)
        elif classname.find('BatchNorm') != -1:
            nn.init.normal_(m.weight.data, 1.0, 0.02)
            nn.init.constant_(m.bias.data, 0)

    class Generator(nn.Module):
        def __init__(self, ngpu):
            super(Generator, self).__init__()
            self.ngpu = ngpu
            self.main = nn.Sequential(
                # input is Z, going into a convolution
                nn.ConvTranspose2d(nz, ngf * 4, 7, 1, 0, bias=False),
                nn.BatchNorm2d(ngf * 4),
                nn.ReLU(True),
                # state size. (ngf*4) x 7 x 7
                nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(ngf * 2),
                nn.ReLU(True),
                # state size. (ngf*2) x 14 x 14
                nn.ConvTranspose2d(ngf * 2, nc, 4, 2, 1, bias=False),
                nn.Tanh()
                # state size. (nc) x 28 x 28
            )

        def forward(self, input):
            return self.main(input)

    class Discriminator(nn.Module):
        def __init__(self, ngpu):
            super(Discriminator, self).__init__()
            self.ngpu = ngpu
            self.main = nn.Sequential(
                # input is (nc) x 28 x 28
                nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
                nn.LeakyReLU(0.2, inplace=True),
                # state size. (ndf) x 14 x 14
                nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(ndf * 2),
                nn.LeakyReLU(0.2, inplace=True),
                # state size. (ndf*2) x 7 x 7
                nn.Conv2d(ndf * 2, 1, 7, 1, 0, bias=False),
                nn.Sigmoid()
            )

        def forward(self, input):
            output = self.main(input)
            return output.view(-1, 1).squeeze(1)

    return weights_init, Generator, Discriminator


def dcgan(torch, states, images, noise=None, dtype="float", epochs=2, batch_size=8, lr=0.0002):
    nn, optim = torch.nn, torch.optim
    dtype = getattr(torch, dtype)  # port: torch.float in the script; torch.double to compare in float64
    weights_init, Generator, Discriminator = dcgan_classes(torch)
    draws = iter(noise or ())
    out = {"errD": [], "errG": [], "D_x": [], "D_G_z1": [], "D_G_z2": []}
    # Set random seed for reproducibility
    manualSeed = 999
    random.seed(manualSeed)
    torch.manual_seed(manualSeed)
    torch.use_deterministic_algorithms(True)  # Needed for reproducible results
    device = torch.device("cpu")
    ngpu = 0
    dataset = torch.utils.data.TensorDataset(torch.tensor(images, dtype=dtype).unsqueeze(1) * 2 - 1)
    dataloader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=noise is None)

    netG = Generator(ngpu).to(device)
    netG.apply(weights_init)
    netD = Discriminator(ngpu).to(device)
    netD.apply(weights_init)
    if states is not None:  # port: the test's initial weights (drawn by weights_init in minigrad)
        _load(torch, netG.double(), states["G"])
        _load(torch, netD.double(), states["D"])

    def randn(*shape):  # port: the test's draws when comparing
        return torch.tensor(next(draws)) if noise else torch.randn(*shape, device=device, dtype=dtype)

    criterion = nn.BCELoss()
    fixed_noise = randn(64, nz, 1, 1)
    real_label = 1.
    fake_label = 0.

    # setup optimizer
    optimizerD = optim.Adam(netD.parameters(), lr=lr, betas=(0.5, 0.999))
    optimizerG = optim.Adam(netG.parameters(), lr=lr, betas=(0.5, 0.999))

    for epoch in range(epochs):
        for i, data in enumerate(dataloader, 0):
            ############################
            # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
            ###########################
            # train with real
            netD.zero_grad()
            real_cpu = data[0].to(device)
            b_size = real_cpu.size(0)
            label = torch.full((b_size,), real_label, dtype=dtype, device=device)

            output = netD(real_cpu).view(-1)
            errD_real = criterion(output, label)
            errD_real.backward()
            D_x = output.mean().item()

            # train with fake
            noise_ = randn(b_size, nz, 1, 1)
            fake = netG(noise_)
            label.fill_(fake_label)
            output = netD(fake.detach()).view(-1)
            errD_fake = criterion(output, label)
            errD_fake.backward()
            D_G_z1 = output.mean().item()
            errD = errD_real + errD_fake
            optimizerD.step()

            ############################
            # (2) Update G network: maximize log(D(G(z)))
            ###########################
            netG.zero_grad()
            label.fill_(real_label)  # fake labels are real for generator cost
            output = netD(fake).view(-1)
            errG = criterion(output, label)
            errG.backward()
            D_G_z2 = output.mean().item()
            optimizerG.step()

            line = '[%d/%d][%d/%d] Loss_D: %.4f Loss_G: %.4f D(x): %.4f D(G(z)): %.4f / %.4f' % (
                epoch, epochs, i, len(dataloader), errD.item(), errG.item(), D_x, D_G_z1, D_G_z2)
            assert "Loss_D" in line
            for k, v in zip(out, (errD.item(), errG.item(), D_x, D_G_z1, D_G_z2)):
                out[k].append(v)
        fake = netG(fixed_noise)
        out["fake"] = fake.detach()  # port: vutils.save_image(fake.detach(), ...)
    out["G"], out["D"] = netG.state_dict(), netD.state_dict()
    torch.use_deterministic_algorithms(False)  # port: leave the process as the other tests expect
    return out


def test_torch_float_and_int_dtype_names():
    # `dtype=torch.float` (the DCGAN script's labels) and `torch.int` name float32 and int32
    assert minigrad.float is minigrad.float32 and minigrad.int is minigrad.int32
    assert minigrad.full((2,), 1., dtype=minigrad.float).dtype == minigrad.float32
    assert minigrad.tensor([1.5]).to(minigrad.int).dtype == minigrad.int32
    if torch is not None:
        assert torch.full((2,), 1., dtype=torch.float).numpy().dtype == np.float32
        assert torch.tensor([1.5]).to(torch.int).numpy().dtype == np.int32


def test_dcgan_28x28():
    weights_init, Generator, Discriminator = dcgan_classes(minigrad)
    netG, netD = Generator(0), Discriminator(0)
    netG.apply(weights_init)
    netD.apply(weights_init)
    # weights_init reached the parameters through `.data`
    conv_w = netD.main[0].weight.numpy()
    assert 0.01 < conv_w.std() < 0.03 and abs(netD.main[3].weight.numpy().mean() - 1) < 0.02
    assert (netD.main[3].bias.numpy() == 0).all()
    states = {"G": _state(netG.double()), "D": _state(netD.double())}
    images = _mnist(16, 0)[0]
    rng = np.random.default_rng(8)
    # fixed_noise first, then one draw per batch (2 epochs of 2 batches)
    noise = [rng.standard_normal((64, nz, 1, 1))] + [rng.standard_normal((8, nz, 1, 1)) for _ in range(4)]
    ours = _run_both(dcgan, states, images, noise=noise, dtype="double")
    assert ours["fake"].shape == (64, 1, 28, 28) and np.abs(ours["fake"]).max() <= 1
    # the script as written (float32, its own noise) runs and keeps float32
    ours = dcgan(minigrad, None, images, dtype="float", epochs=1)
    assert ours["fake"].dtype == minigrad.float32 and np.isfinite(ours["errD"] + ours["errG"]).all()


# ***** 5. a small ResNet (kuangliu/pytorch-cifar's BasicBlock, torchvision's BasicBlock) *****


def resnet_classes(torch):
    nn, F = torch.nn, torch.nn.functional

    class BasicBlock(nn.Module):  # pytorch-cifar
        expansion = 1

        def __init__(self, in_planes, planes, stride=1):
            super(BasicBlock, self).__init__()
            self.conv1 = nn.Conv2d(
                in_planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.conv2 = nn.Conv2d(planes, planes, kernel_size=3,
                                   stride=1, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(planes)

            self.shortcut = nn.Sequential()
            if stride != 1 or in_planes != self.expansion*planes:
                self.shortcut = nn.Sequential(
                    nn.Conv2d(in_planes, self.expansion*planes,
                              kernel_size=1, stride=stride, bias=False),
                    nn.BatchNorm2d(self.expansion*planes)
                )

        def forward(self, x):
            out = F.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            out += self.shortcut(x)
            out = F.relu(out)
            return out

    def conv3x3(in_planes, out_planes, stride=1):
        return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)

    class TVBasicBlock(nn.Module):  # torchvision
        expansion = 1

        def __init__(self, inplanes, planes, stride=1, downsample=None):
            super().__init__()
            self.conv1 = conv3x3(inplanes, planes, stride)
            self.bn1 = nn.BatchNorm2d(planes)
            self.relu = nn.ReLU(inplace=True)
            self.conv2 = conv3x3(planes, planes)
            self.bn2 = nn.BatchNorm2d(planes)
            self.downsample = downsample
            self.stride = stride

        def forward(self, x):
            identity = x

            out = self.conv1(x)
            out = self.bn1(out)
            out = self.relu(out)

            out = self.conv2(out)
            out = self.bn2(out)

            if self.downsample is not None:
                identity = self.downsample(x)

            out += identity
            out = self.relu(out)

            return out

    class ResNet(nn.Module):
        def __init__(self, block, num_blocks, num_classes=10):
            super(ResNet, self).__init__()
            self.in_planes = 8

            self.conv1 = nn.Conv2d(3, 8, kernel_size=3, stride=1, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(8)
            self.layer1 = self._make_layer(block, 8, num_blocks[0], stride=1)
            self.layer2 = self._make_layer(block, 16, num_blocks[1], stride=2)
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(16 * block.expansion, num_classes)

            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)

        def _make_layer(self, block, planes, num_blocks, stride):
            if block is TVBasicBlock:  # torchvision's way: a downsample branch handed in
                downsample = None
                if stride != 1 or self.in_planes != planes * block.expansion:
                    downsample = nn.Sequential(
                        nn.Conv2d(self.in_planes, planes * block.expansion, 1, stride, bias=False),
                        nn.BatchNorm2d(planes * block.expansion),
                    )
                layers = [block(self.in_planes, planes, stride, downsample)]
                self.in_planes = planes * block.expansion
                for _ in range(1, num_blocks):
                    layers.append(block(self.in_planes, planes))
                return nn.Sequential(*layers)
            strides = [stride] + [1]*(num_blocks-1)
            layers = []
            for stride in strides:
                layers.append(block(self.in_planes, planes, stride))
                self.in_planes = planes * block.expansion
            return nn.Sequential(*layers)

        def forward(self, x):
            out = F.relu(self.bn1(self.conv1(x)))
            out = self.layer1(out)
            out = self.layer2(out)
            out = self.avgpool(out)
            out = torch.flatten(out, 1)
            out = self.fc(out)
            return out

    return ResNet, BasicBlock, TVBasicBlock


def resnet_train(torch, block, state, data, epochs=3):
    nn, optim = torch.nn, torch.optim
    ResNet, BasicBlock, TVBasicBlock = resnet_classes(torch)
    net = ResNet({"cifar": BasicBlock, "torchvision": TVBasicBlock}[block], [2, 1]).double()  # port: .double()
    _load(torch, net, state)
    x, y = data
    trainloader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y)), batch_size=8, shuffle=False)
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=4)
    out = {"loss": [], "acc": [], "lr": []}
    for epoch in range(epochs):
        net.train()
        train_loss = 0
        correct = 0
        total = 0
        for batch_idx, (inputs, targets) in enumerate(trainloader):
            optimizer.zero_grad()
            outputs = net(inputs)
            loss = criterion(outputs, targets)
            loss.backward()
            optimizer.step()

            train_loss += loss.item()
            _, predicted = outputs.max(1)
            total += targets.size(0)
            correct += predicted.eq(targets).sum().item()
        out["loss"].append(train_loss / (batch_idx + 1))
        out["acc"].append(100. * correct / total)
        scheduler.step()
        out["lr"].append(scheduler.get_last_lr()[0])
    net.eval()
    with torch.no_grad():
        out["eval"] = net(torch.tensor(x))
    out["state"] = net.state_dict()
    return out


def resnet_checkpoint(torch, state, data, path):
    """pytorch-cifar's checkpoint ({'net', 'acc', 'epoch'}) with the optimizer and scheduler
    added as in PyTorch's "saving a general checkpoint" recipe: training resumed from the file
    must follow the uninterrupted run exactly."""
    nn, optim = torch.nn, torch.optim
    ResNet, BasicBlock, _ = resnet_classes(torch)
    x, y = torch.tensor(data[0]), torch.tensor(data[1])

    def build():
        net = _load(torch, ResNet(BasicBlock, [1, 1]).double(), state)
        optimizer = optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True)
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=4)
        return net, optimizer, scheduler

    def train(epoch, net, optimizer, scheduler):
        net.train()
        correct = 0
        for inputs, targets in zip(x.split(8), y.split(8)):
            optimizer.zero_grad()
            outputs = net(inputs)
            loss = nn.CrossEntropyLoss()(outputs, targets)
            loss.backward()
            optimizer.step()
            _, predicted = outputs.max(1)
            correct += predicted.eq(targets).sum().item()
        scheduler.step()
        return 100. * correct / len(y), loss

    net, optimizer, scheduler = build()
    for epoch in range(2):
        acc, loss = train(epoch, net, optimizer, scheduler)
    print('Saving..')
    state_ = {
        'net': net.state_dict(),
        'acc': acc,
        'epoch': epoch,
        'optimizer_state_dict': optimizer.state_dict(),
        'scheduler': scheduler.state_dict(),
        'loss': loss,
        'note': ('resnet', None, [1, 1]),
    }
    torch.save(state_, path)
    train(2, net, optimizer, scheduler)  # the run goes on ...

    checkpoint = torch.load(path, map_location='cpu', weights_only=False)  # ... and is resumed
    net2, optimizer2, scheduler2 = build()
    net2.load_state_dict(checkpoint['net'])
    optimizer2.load_state_dict(checkpoint['optimizer_state_dict'])
    scheduler2.load_state_dict(checkpoint['scheduler'])
    best_acc = checkpoint['acc']
    start_epoch = checkpoint['epoch'] + 1
    for epoch in range(start_epoch, start_epoch + 1):
        train(epoch, net2, optimizer2, scheduler2)
    assert best_acc == acc and checkpoint['note'] == ('resnet', None, [1, 1])
    return {"net": net.state_dict(), "resumed": net2.state_dict(), "loss": checkpoint['loss'],
            "lr": [scheduler.get_last_lr(), scheduler2.get_last_lr()], "epoch": start_epoch}


def test_resnet_checkpoint_resumes_exactly(tmp_path):
    ResNet, BasicBlock, _ = resnet_classes(minigrad)
    state = _state(ResNet(BasicBlock, [1, 1]).double())
    rng = np.random.default_rng(17)
    data = rng.standard_normal((16, 3, 8, 8)), rng.integers(0, 10, 16)
    ours = _run_both(resnet_checkpoint, state, data, tmp_path / "ckpt.pth")
    _assert_same(ours["net"], ours["resumed"], tol=0)  # the resumed run is the same run
    assert ours["epoch"] == 2


@pytest.mark.parametrize("block", ["cifar", "torchvision"])
def test_small_resnet(block):
    ResNet, BasicBlock, TVBasicBlock = resnet_classes(minigrad)
    net = ResNet({"cifar": BasicBlock, "torchvision": TVBasicBlock}[block], [2, 1])
    conv = net.layer1[0].conv1.weight.numpy()  # kaiming_normal_(fan_out): std sqrt(2 / (8 * 3 * 3))
    assert abs(conv.std() / math.sqrt(2 / 72) - 1) < 0.2 and (net.bn1.weight.numpy() == 1).all()
    if block == "cifar":  # an empty Sequential is the identity shortcut
        assert len(net.layer1[0].shortcut) == 0 and len(net.layer2[0].shortcut) == 2
    else:
        assert net.layer1[0].downsample is None and net.layer2[0].downsample is not None
    rng = np.random.default_rng(9)
    data = rng.standard_normal((16, 3, 8, 8)), rng.integers(0, 10, 16)
    ours = _run_both(resnet_train, block, _state(net.double()), data)
    assert ours["loss"][-1] < ours["loss"][0]
    assert ours["state"]["bn1.num_batches_tracked"] == 6


# ***** 6. Karpathy's makemore: the MLP, "backprop ninja", and the WaveNet *****

NAMES = ("emma olivia ava isabella sophia charlotte mia amelia harper evelyn abigail emily "
         "elizabeth mila ella avery sofia camila aria scarlett victoria madison luna grace chloe "
         "penelope layla riley zoey nora lily eleanor hannah lillian addison aubrey ellie stella "
         "natalie zoe leah hazel violet aurora savannah audrey brooklyn bella claire skylar "
         "jaxon quinn wyatt xavier").split()  # every letter: the lectures' 27 rows


def makemore_data(torch, words, block_size=3):
    chars = sorted(list(set(''.join(words))))
    stoi = {s: i+1 for i, s in enumerate(chars)}
    stoi['.'] = 0
    itos = {i: s for s, i in stoi.items()}

    def build_dataset(words):
        X, Y = [], []
        for w in words:
            context = [0] * block_size
            for ch in w + '.':
                ix = stoi[ch]
                X.append(context)
                Y.append(ix)
                context = context[1:] + [ix]  # crop and append
        X = torch.tensor(X)
        Y = torch.tensor(Y)
        return X, Y

    n1 = int(0.8*len(words))
    Xtr, Ytr = build_dataset(words[:n1])
    Xdev, Ydev = build_dataset(words[n1:])
    return Xtr, Ytr, Xdev, Ydev, itos


def makemore_bigram(torch, W0=None, steps=20):
    """Lecture 1: bigram counts, sampling from them, then the same model as one linear layer."""
    F = torch.nn.functional
    words = NAMES
    N = torch.zeros((27, 27), dtype=torch.int32)
    chars = sorted(list(set(''.join(words))))
    stoi = {s: i+1 for i, s in enumerate(chars)}
    stoi['.'] = 0
    itos = {i: s for s, i in stoi.items()}
    for w in words:
        chs = ['.'] + list(w) + ['.']
        for ch1, ch2 in zip(chs, chs[1:]):
            ix1 = stoi[ch1]
            ix2 = stoi[ch2]
            N[ix1, ix2] += 1

    P = (N+1).float()
    P /= P.sum(1, keepdims=True)

    g = torch.Generator().manual_seed(2147483647)
    names = []
    for i in range(5):
        out = []
        ix = 0
        while True:
            p = P[ix]
            ix = torch.multinomial(p, num_samples=1, replacement=True, generator=g).item()
            out.append(itos[ix])
            if ix == 0:
                break
        names.append(''.join(out))

    log_likelihood = 0.0
    n = 0
    for w in words:
        chs = ['.'] + list(w) + ['.']
        for ch1, ch2 in zip(chs, chs[1:]):
            ix1 = stoi[ch1]
            ix2 = stoi[ch2]
            prob = P[ix1, ix2]
            logprob = torch.log(prob)
            log_likelihood += logprob
            n += 1
    nll = -log_likelihood

    # create the dataset
    xs, ys = [], []
    for w in words:
        chs = ['.'] + list(w) + ['.']
        for ch1, ch2 in zip(chs, chs[1:]):
            xs.append(stoi[ch1])
            ys.append(stoi[ch2])
    xs = torch.tensor(xs)
    ys = torch.tensor(ys)
    num = xs.nelement()

    # initialize the 'network'
    g = torch.Generator().manual_seed(2147483647)
    W = torch.randn((27, 27), generator=g, requires_grad=True)
    if W0 is not None:  # port: the test's weights
        W = torch.tensor(W0, requires_grad=True)
    losses = []
    for k in range(steps):
        # forward pass
        xenc = F.one_hot(xs, num_classes=27).to(W.dtype)  # port: .float() in the lecture; W's dtype
        logits = xenc @ W  # predict log-counts
        counts = logits.exp()  # counts, equivalent to N
        probs = counts / counts.sum(1, keepdims=True)  # probabilities for next character
        loss = -probs[torch.arange(num), ys].log().mean() + 0.01*(W**2).mean()
        losses.append(loss.item())

        # backward pass
        W.grad = None  # set to zero the gradient
        loss.backward()

        # update
        W.data += -50 * W.grad
    return {"N": N, "P": P, "nll": nll / n, "names": names, "losses": losses, "W": W,
            "row": [N[0, 1].item(), abs(P[0].sum().item() - 1) < 1e-6, N.dtype == torch.int32,
                    P.dtype == torch.float32]}


def test_makemore_bigram():
    W0 = np.random.default_rng(18).standard_normal((27, 27))
    ours = _np(makemore_bigram(minigrad, W0))
    if torch is not None:
        theirs = _np(makemore_bigram(torch, W0))
        ours.pop("names"), theirs.pop("names")  # multinomial: each library's own stream
        _assert_same(ours, theirs)
    assert ours["N"].sum() == sum(len(w) + 1 for w in NAMES) and ours["row"][1:] == [True, True, True]
    assert ours["losses"][-1] < ours["losses"][0]
    names = makemore_bigram(minigrad, steps=2)["names"]
    assert len(names) == 5 and all(w.endswith(".") for w in names)


def makemore_mlp(torch, init=None, batches=None, steps=40, samples=5):
    F = torch.nn.functional
    Xtr, Ytr, Xdev, Ydev, itos = makemore_data(torch, NAMES)
    block_size = 3
    g = torch.Generator().manual_seed(2147483647)  # for reproducibility
    C = torch.randn((27, 10), generator=g)
    W1 = torch.randn((30, 200), generator=g)
    b1 = torch.randn(200, generator=g)
    W2 = torch.randn((200, 27), generator=g)
    b2 = torch.randn(27, generator=g)
    if init is not None:  # port: the test's weights (the two generators draw other numbers)
        C, W1, b1, W2, b2 = [torch.tensor(a) for a in init]
    parameters = [C, W1, b1, W2, b2]
    n_params = sum(p.nelement() for p in parameters)  # number of parameters in total
    for p in parameters:
        p.requires_grad = True

    lossi, stepi = [], []
    for i in range(steps):
        # minibatch construct
        ix = torch.randint(0, Xtr.shape[0], (32,), generator=g)
        if batches is not None:
            ix = torch.tensor(batches[i])  # port: the test's minibatches
        # forward pass
        emb = C[Xtr[ix]]  # (32, 3, 10)
        h = torch.tanh(emb.view(-1, 30) @ W1 + b1)  # (32, 200)
        logits = h @ W2 + b2  # (32, 27)
        loss = F.cross_entropy(logits, Ytr[ix])
        # backward pass
        for p in parameters:
            p.grad = None
        loss.backward()
        # update
        lr = 0.1 if i < steps // 2 else 0.01
        for p in parameters:
            p.data += -lr * p.grad
        # track stats
        stepi.append(i)
        lossi.append(loss.log10().item())

    emb = C[Xdev]  # (n, 3, 10)
    h = torch.tanh(emb.view(-1, 30) @ W1 + b1)  # (n, 200)
    logits = h @ W2 + b2  # (n, 27)
    dev_loss = F.cross_entropy(logits, Ydev)

    # sample from the model
    g = torch.Generator().manual_seed(2147483647 + 10)
    names = []
    for _ in range(samples):
        out = []
        context = [0] * block_size  # initialize with all ...
        while True:
            emb = C[torch.tensor([context])]  # (1,block_size,d)
            h = torch.tanh(emb.view(1, -1) @ W1 + b1)
            logits = h @ W2 + b2
            probs = F.softmax(logits, dim=1)
            ix = torch.multinomial(probs, num_samples=1, generator=g).item()
            context = context[1:] + [ix]
            out.append(ix)
            if ix == 0:
                break
        names.append(''.join(itos[i] for i in out))
    return {"n_params": n_params, "lossi": lossi, "dev_loss": dev_loss, "params": parameters, "names": names}


def test_makemore_mlp():
    shapes = [(27, 10), (30, 200), (200,), (200, 27), (27,)]
    rng = np.random.default_rng(10)
    init = [rng.standard_normal(s) * (0.2 if len(s) == 2 and s[0] > 27 else 1) for s in shapes]
    n = len(makemore_data(minigrad, NAMES)[0])
    batches = [rng.integers(0, n, 32) for _ in range(40)]
    ours = _np(makemore_mlp(minigrad, init, batches))
    assert ours["n_params"] == 27 * 10 + 30 * 200 + 200 + 200 * 27 + 27
    if torch is not None:
        theirs = _np(makemore_mlp(torch, init, batches))
        names = ours.pop("names"), theirs.pop("names")  # multinomial: each library's own stream
        _assert_same(ours, theirs)
    assert ours["lossi"][-1] < ours["lossi"][0]
    # the lecture's code as written: its own generator's weights, minibatches and samples
    ours = makemore_mlp(minigrad, steps=60, samples=3)
    again = makemore_mlp(minigrad, steps=60, samples=3)
    assert ours["names"] == again["names"]  # the seeded generator reproduces the samples
    assert all(set(w) <= set("abcdefghijklmnopqrstuvwxyz.") and w.endswith(".") for w in ours["names"])
    assert ours["lossi"][-1] < ours["lossi"][0] and np.isfinite(ours["dev_loss"].item())


def backprop_ninja(torch, init, Xb, Yb):
    """Lecture 4: the forward pass in small steps, every intermediate's .grad kept with
    retain_grad, and the gradients written out by hand; returns (name, manual, autograd) triples."""
    F = torch.nn.functional
    C, W1, b1, W2, b2, bngain, bnbias = [torch.tensor(a) for a in init]
    parameters = [C, W1, b1, W2, b2, bngain, bnbias]
    for p in parameters:
        p.requires_grad = True
    Xb, Yb = torch.tensor(Xb), torch.tensor(Yb)
    n = Xb.shape[0]

    emb = C[Xb]  # embed the characters into vectors
    embcat = emb.view(emb.shape[0], -1)  # concatenate the vectors
    # Linear layer 1
    hprebn = embcat @ W1 + b1  # hidden layer pre-activation
    # BatchNorm layer
    bnmeani = 1/n*hprebn.sum(0, keepdim=True)
    bndiff = hprebn - bnmeani
    bndiff2 = bndiff**2
    bnvar = 1/(n-1)*(bndiff2).sum(0, keepdim=True)  # note: Bessel's correction (dividing by n-1, not n)
    bnvar_inv = (bnvar + 1e-5)**-0.5
    bnraw = bndiff * bnvar_inv
    hpreact = bngain * bnraw + bnbias
    # Non-linearity
    h = torch.tanh(hpreact)  # hidden layer
    # Linear layer 2
    logits = h @ W2 + b2  # output layer
    # cross entropy loss (same as F.cross_entropy(logits, Yb))
    logit_maxes = logits.max(1, keepdim=True).values
    norm_logits = logits - logit_maxes  # subtract max for numerical stability
    counts = norm_logits.exp()
    counts_sum = counts.sum(1, keepdims=True)
    counts_sum_inv = counts_sum**-1  # if I use (1.0 / counts_sum) instead then I can't get backprop to be bit exact...
    probs = counts * counts_sum_inv
    logprobs = probs.log()
    loss = -logprobs[range(n), Yb].mean()

    # PyTorch backward pass
    for p in parameters:
        p.grad = None
    for t in [logprobs, probs, counts, counts_sum, counts_sum_inv,  # afaik there is no cleaner way
              norm_logits, logit_maxes, logits, h, hpreact, bnraw,
              bnvar_inv, bnvar, bndiff2, bndiff, hprebn, bnmeani,
              embcat, emb]:
        t.retain_grad()
    loss.backward()

    checks = []

    def cmp(s, dt, t):
        ex = torch.all(dt == t.grad).item()
        app = torch.allclose(dt, t.grad)
        maxdiff = (dt - t.grad).abs().max().item()
        line = f'{s:15s} | exact: {str(ex):5s} | approximate: {str(app):5s} | maxdiff: {maxdiff}'
        assert app, line
        checks.append((s, dt, t.grad))

    # Exercise 1: backprop through the whole thing manually
    dlogprobs = torch.zeros_like(logprobs)
    dlogprobs[range(n), Yb] = -1.0/n
    dprobs = (1.0 / probs) * dlogprobs
    dcounts_sum_inv = (counts * dprobs).sum(1, keepdim=True)
    dcounts = counts_sum_inv * dprobs
    dcounts_sum = (-counts_sum**-2) * dcounts_sum_inv
    dcounts += torch.ones_like(counts) * dcounts_sum
    dnorm_logits = counts * dcounts
    dlogits = dnorm_logits.clone()
    dlogit_maxes = (-dnorm_logits).sum(1, keepdim=True)
    dlogits += F.one_hot(logits.max(1).indices, num_classes=logits.shape[1]) * dlogit_maxes
    dh = dlogits @ W2.T
    dW2 = h.T @ dlogits
    db2 = dlogits.sum(0)
    dhpreact = (1.0 - h**2) * dh
    dbngain = (bnraw * dhpreact).sum(0, keepdim=True)
    dbnraw = bngain * dhpreact
    dbnbias = dhpreact.sum(0, keepdim=True)
    dbndiff = bnvar_inv * dbnraw
    dbnvar_inv = (bndiff * dbnraw).sum(0, keepdim=True)
    dbnvar = (-0.5*(bnvar + 1e-5)**-1.5) * dbnvar_inv
    dbndiff2 = (1.0/(n-1))*torch.ones_like(bndiff2) * dbnvar
    dbndiff += (2*bndiff) * dbndiff2
    dhprebn = dbndiff.clone()
    dbnmeani = (-dbndiff).sum(0)
    dhprebn += 1.0/n * (torch.ones_like(hprebn) * dbnmeani)
    dembcat = dhprebn @ W1.T
    dW1 = embcat.T @ dhprebn
    db1 = dhprebn.sum(0)
    demb = dembcat.view(emb.shape)
    dC = torch.zeros_like(C)
    for k in range(Xb.shape[0]):
        for j in range(Xb.shape[1]):
            ix = Xb[k, j]
            dC[ix] += demb[k, j]

    cmp('logprobs', dlogprobs, logprobs)
    cmp('probs', dprobs, probs)
    cmp('counts_sum_inv', dcounts_sum_inv, counts_sum_inv)
    cmp('counts_sum', dcounts_sum, counts_sum)
    cmp('counts', dcounts, counts)
    cmp('norm_logits', dnorm_logits, norm_logits)
    cmp('logit_maxes', dlogit_maxes, logit_maxes)
    cmp('logits', dlogits, logits)
    cmp('h', dh, h)
    cmp('W2', dW2, W2)
    cmp('b2', db2, b2)
    cmp('hpreact', dhpreact, hpreact)
    cmp('bngain', dbngain, bngain)
    cmp('bnbias', dbnbias, bnbias)
    cmp('bnraw', dbnraw, bnraw)
    cmp('bnvar_inv', dbnvar_inv, bnvar_inv)
    cmp('bnvar', dbnvar, bnvar)
    cmp('bndiff2', dbndiff2, bndiff2)
    cmp('bndiff', dbndiff, bndiff)
    cmp('bnmeani', dbnmeani, bnmeani)
    cmp('hprebn', dhprebn, hprebn)
    cmp('embcat', dembcat, embcat)
    cmp('W1', dW1, W1)
    cmp('b1', db1, b1)
    cmp('emb', demb, emb)
    cmp('C', dC, C)

    # Exercise 2: cross entropy in one go
    loss_fast = F.cross_entropy(logits, Yb)
    assert abs(loss_fast.item() - loss.item()) < 1e-12
    dlogits = F.softmax(logits, 1)
    dlogits[range(n), Yb] -= 1
    dlogits /= n
    cmp('logits (fast)', dlogits, logits)

    # Exercise 3: batchnorm in one go
    hpreact_fast = bngain * (hprebn - hprebn.mean(0, keepdim=True)) / torch.sqrt(
        hprebn.var(0, keepdim=True, unbiased=True) + 1e-5) + bnbias
    assert (hpreact_fast - hpreact).abs().max() < 1e-12
    dhprebn = bngain*bnvar_inv/n * (n*dhpreact - dhpreact.sum(0) - n/(n-1)*bnraw*(dhpreact*bnraw).sum(0))
    cmp('hprebn (fast)', dhprebn, hprebn)
    return {"loss": loss, "checks": [[dt, g] for _, dt, g in checks], "names": [s for s, _, _ in checks]}


def test_backprop_ninja_manual_gradients_equal_retain_grad_ones():
    rng = np.random.default_rng(11)
    n_embd, n_hidden, vocab, block = 10, 64, 27, 3
    init = [rng.standard_normal((vocab, n_embd)),
            rng.standard_normal((n_embd * block, n_hidden)) * (5/3)/((n_embd * block)**0.5),
            rng.standard_normal(n_hidden) * 0.1, rng.standard_normal((n_hidden, vocab)) * 0.1,
            rng.standard_normal(vocab) * 0.1, rng.standard_normal((1, n_hidden)) * 0.1 + 1.0,
            rng.standard_normal((1, n_hidden)) * 0.1]
    Xb, Yb = rng.integers(0, vocab, (32, block)), rng.integers(0, vocab, 32)
    ours = _run_both(backprop_ninja, init, Xb, Yb)
    assert len(ours["names"]) == 28
    for name, (manual, auto) in zip(ours["names"], ours["checks"]):  # within minigrad, to rounding
        # (as the lecture's torch.allclose: dbnmeani is (64,) against a (1, 64) gradient)
        np.testing.assert_allclose(np.broadcast_to(manual, auto.shape), auto, rtol=1e-9, atol=1e-12, err_msg=str(name))


def test_mps_query_and_deterministic_algorithms_switch():
    # the MNIST script asks torch.backends.mps.is_available(); the DCGAN tutorial calls
    # torch.use_deterministic_algorithms(True)
    assert minigrad.backends.mps.is_available() is False and minigrad.backends.mps.is_built() is False
    for lib in (minigrad, torch) if torch is not None else (minigrad,):
        assert lib.are_deterministic_algorithms_enabled() is False
        lib.use_deterministic_algorithms(True)
        try:
            assert lib.are_deterministic_algorithms_enabled() is True
            x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
            (x[lib.tensor([0, 0, 1])] * 2).sum().backward()  # an indexed add, still allowed
            assert _np(x.grad).tolist() == [[4.0, 4.0], [2.0, 2.0]]
        finally:
            lib.use_deterministic_algorithms(False)
        assert lib.are_deterministic_algorithms_enabled() is False


def test_torch_all_and_any_functions():
    # `torch.all(dt == t.grad).item()` (the lecture's cmp) as module functions, as torch has them
    a = np.array([[1.0, 0.0, 2.0], [3.0, 4.0, 5.0]])
    for lib in (minigrad, torch) if torch is not None else (minigrad,):
        t = lib.tensor(a)
        got = [lib.all(t).item(), lib.any(t).item(), _np(lib.all(t, dim=1)).tolist(),
               _np(lib.any(t == 0, 0)).tolist(), tuple(lib.all(t, dim=0, keepdim=True).shape),
               lib.all(t > -1).item(), lib.any(t > 9).item()]
        assert got == [False, True, [False, True], [False, True, False], (1, 3), True, False], lib.__name__
    assert minigrad.all(minigrad.tensor(a)).dtype == minigrad.bool


def makemore_wavenet(torch, init=None, batches=None, steps=30, samples=3, n_embd=10, n_hidden=32):
    """Lecture 5: torch.nn-like layers written by hand, a FlattenConsecutive that groups pairs
    of characters, and a BatchNorm1d that takes (N, L, C) input by reducing over dims (0, 1)."""
    F = torch.nn.functional
    block_size = 8
    Xtr, Ytr, Xdev, Ydev, itos = makemore_data(torch, NAMES, block_size)
    vocab_size = len(itos)
    torch.manual_seed(42)

    class Linear:
        def __init__(self, fan_in, fan_out, bias=True):
            self.weight = torch.randn((fan_in, fan_out)) / fan_in**0.5  # note: kaiming init
            self.bias = torch.zeros(fan_out) if bias else None

        def __call__(self, x):
            self.out = x @ self.weight
            if self.bias is not None:
                self.out += self.bias
            return self.out

        def parameters(self):
            return [self.weight] + ([] if self.bias is None else [self.bias])

    class BatchNorm1d:
        def __init__(self, dim, eps=1e-5, momentum=0.1):
            self.eps = eps
            self.momentum = momentum
            self.training = True
            # parameters (trained with backprop)
            self.gamma = torch.ones(dim)
            self.beta = torch.zeros(dim)
            # buffers (trained with a running 'momentum update')
            self.running_mean = torch.zeros(dim)
            self.running_var = torch.ones(dim)

        def __call__(self, x):
            # calculate the forward pass
            if self.training:
                if x.ndim == 2:
                    dim = 0
                elif x.ndim == 3:
                    dim = (0, 1)
                xmean = x.mean(dim, keepdim=True)  # batch mean
                xvar = x.var(dim, keepdim=True)  # batch variance
            else:
                xmean = self.running_mean
                xvar = self.running_var
            xhat = (x - xmean) / torch.sqrt(xvar + self.eps)  # normalize to unit variance
            self.out = self.gamma * xhat + self.beta
            # update the buffers
            if self.training:
                with torch.no_grad():
                    self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * xmean
                    self.running_var = (1 - self.momentum) * self.running_var + self.momentum * xvar
            return self.out

        def parameters(self):
            return [self.gamma, self.beta]

    class Tanh:
        def __call__(self, x):
            self.out = torch.tanh(x)
            return self.out

        def parameters(self):
            return []

    class Embedding:
        def __init__(self, num_embeddings, embedding_dim):
            self.weight = torch.randn((num_embeddings, embedding_dim))

        def __call__(self, IX):
            self.out = self.weight[IX]
            return self.out

        def parameters(self):
            return [self.weight]

    class FlattenConsecutive:
        def __init__(self, n):
            self.n = n

        def __call__(self, x):
            B, T, C = x.shape
            x = x.view(B, T//self.n, C*self.n)
            if x.shape[1] == 1:
                x = x.squeeze(1)
            self.out = x
            return self.out

        def parameters(self):
            return []

    class Sequential:
        def __init__(self, layers):
            self.layers = layers

        def __call__(self, x):
            for layer in self.layers:
                x = layer(x)
            self.out = x
            return self.out

        def parameters(self):
            # get parameters of all layers and stretch them out into one list
            return [p for layer in self.layers for p in layer.parameters()]

    model = Sequential([
        Embedding(vocab_size, n_embd),
        FlattenConsecutive(2), Linear(n_embd * 2, n_hidden, bias=False), BatchNorm1d(n_hidden), Tanh(),
        FlattenConsecutive(2), Linear(n_hidden*2, n_hidden, bias=False), BatchNorm1d(n_hidden), Tanh(),
        FlattenConsecutive(2), Linear(n_hidden*2, n_hidden, bias=False), BatchNorm1d(n_hidden), Tanh(),
        Linear(n_hidden, vocab_size),
    ])
    if init is not None:  # port: the test's float64 weights and buffers in place of the drawn ones
        for p, a in zip(model.parameters(), init):
            p.data = torch.tensor(a)
        for layer in model.layers:
            if isinstance(layer, BatchNorm1d):
                layer.running_mean = layer.running_mean.double()
                layer.running_var = layer.running_var.double()

    # parameter init
    with torch.no_grad():
        model.layers[-1].weight *= 0.1  # last layer make less confident

    parameters = model.parameters()
    n_params = sum(p.nelement() for p in parameters)  # number of parameters in total
    for p in parameters:
        p.requires_grad = True

    shapes = []
    ix = torch.randint(0, Xtr.shape[0], (4,))  # let's look at a batch of just 4 examples
    if batches is not None:
        ix = torch.tensor(batches[0][:4])  # port: the test's draw (this forward moves the running stats)
    logits = model(Xtr[ix])
    for layer in model.layers:
        shapes.append(f"{layer.__class__.__name__} : {tuple(layer.out.shape)}")  # the lecture's print

    lossi = []
    for i in range(steps):
        # minibatch construct
        ix = torch.randint(0, Xtr.shape[0], (32,))
        if batches is not None:
            ix = torch.tensor(batches[i])  # port: the test's minibatches
        Xb, Yb = Xtr[ix], Ytr[ix]  # batch X,Y
        # forward pass
        logits = model(Xb)
        loss = F.cross_entropy(logits, Yb)  # loss function
        # backward pass
        for p in parameters:
            p.grad = None
        loss.backward()
        # update: simple SGD
        lr = 0.1 if i < steps * 3 // 4 else 0.01  # step learning rate decay
        for p in parameters:
            p.data += -lr * p.grad
        lossi.append(loss.log10().item())
    smoothed = torch.tensor(lossi).view(-1, 10).mean(1)

    # put layers into eval mode (needed for batchnorm especially)
    for layer in model.layers:
        layer.training = False

    @torch.no_grad()  # this decorator disables gradient tracking inside pytorch
    def split_loss(split):
        x, y = {
            'train': (Xtr, Ytr),
            'val': (Xdev, Ydev),
        }[split]
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        return loss.item()

    names = []
    for _ in range(samples):
        out = []
        context = [0] * block_size  # initialize with all ...
        while True:
            # forward pass the neural net
            logits = model(torch.tensor([context]))
            probs = F.softmax(logits, dim=1)
            # sample from the distribution
            ix = torch.multinomial(probs, num_samples=1).item()
            # shift the context window and track the samples
            context = context[1:] + [ix]
            out.append(ix)
            # if we sample the special '.' token, break
            if ix == 0:
                break
        names.append(''.join(itos[i] for i in out))
    bn = model.layers[3]
    return {"n_params": n_params, "shapes": shapes, "lossi": lossi, "smoothed": smoothed,
            "train": split_loss('train'), "val": split_loss('val'), "params": parameters,
            "running": [bn.running_mean, bn.running_var], "names": names}


def test_makemore_wavenet():
    n_embd, n_hidden, vocab = 10, 32, 27
    shapes = [(vocab, n_embd), (n_embd * 2, n_hidden), (n_hidden,), (n_hidden,), (n_hidden * 2, n_hidden),
              (n_hidden,), (n_hidden,), (n_hidden * 2, n_hidden), (n_hidden,), (n_hidden,),
              (n_hidden, vocab), (vocab,)]
    rng = np.random.default_rng(12)
    init = [rng.standard_normal(s) / (s[0] ** 0.5 if len(s) == 2 and s[0] != vocab else 1) for s in shapes]
    for i in (2, 5, 8):  # each BatchNorm's gain (near 1) and bias
        init[i] = 1 + 0.1 * init[i]
    n = len(makemore_data(minigrad, NAMES, 8)[0])
    batches = [rng.integers(0, n, 32) for _ in range(30)]
    ours = _np(makemore_wavenet(minigrad, init, batches))
    assert [str(s) for s in ours["shapes"]] == [
        "Embedding : (4, 8, 10)", "FlattenConsecutive : (4, 4, 20)", "Linear : (4, 4, 32)",
        "BatchNorm1d : (4, 4, 32)", "Tanh : (4, 4, 32)", "FlattenConsecutive : (4, 2, 64)",
        "Linear : (4, 2, 32)", "BatchNorm1d : (4, 2, 32)", "Tanh : (4, 2, 32)", "FlattenConsecutive : (4, 64)",
        "Linear : (4, 32)", "BatchNorm1d : (4, 32)", "Tanh : (4, 32)", "Linear : (4, 27)"]
    if torch is not None:
        theirs = _np(makemore_wavenet(torch, init, batches))
        ours.pop("names"), theirs.pop("names")  # each library's own random stream
        _assert_same(ours, theirs)
    assert ours["smoothed"][-1] < ours["smoothed"][0] and np.isfinite([ours["train"], ours["val"]]).all()
    # as written (float32, its own draws): it trains, and keeps float32
    ours = makemore_wavenet(minigrad, steps=40)
    assert ours["params"][0].dtype == minigrad.float32 and ours["running"][0].dtype == minigrad.float32
    assert ours["lossi"][-1] < ours["lossi"][0]


# ***** 7. a custom autograd.Function (the "Extending PyTorch" notes) *****


def extending_classes(torch):
    nn = torch.nn
    Function = torch.autograd.Function

    class Exp(Function):
        @staticmethod
        def forward(ctx, i):
            result = i.exp()
            ctx.save_for_backward(result)
            return result

        @staticmethod
        def backward(ctx, grad_output):
            result, = ctx.saved_tensors
            return grad_output * result

    # Inherit from Function
    class LinearFunction(Function):

        # Note that forward, setup_context, and backward are @staticmethods
        @staticmethod
        def forward(ctx, input, weight, bias=None):
            ctx.save_for_backward(input, weight, bias)
            output = input.mm(weight.t())
            if bias is not None:
                output += bias.unsqueeze(0).expand_as(output)
            return output

        # This function has only a single output, so it gets only one gradient
        @staticmethod
        def backward(ctx, grad_output):
            # This is a pattern that is very convenient - at the top of backward
            # unpack saved_tensors and initialize all gradients w.r.t. inputs to
            # None. Thanks to the fact that additional trailing Nones are
            # ignored, the return statement is simple even when the function has
            # optional inputs.
            input, weight, bias = ctx.saved_tensors
            grad_input = grad_weight = grad_bias = None

            # These needs_input_grad checks are optional and there only to
            # improve efficiency. If you want to make your code simpler, you can
            # skip them. Returning gradients for inputs that don't require it is
            # not an error.
            if ctx.needs_input_grad[0]:
                grad_input = grad_output.mm(weight)
            if ctx.needs_input_grad[1]:
                grad_weight = grad_output.t().mm(input)
            if bias is not None and ctx.needs_input_grad[2]:
                grad_bias = grad_output.sum(0)

            return grad_input, grad_weight, grad_bias

    class MulConstant(Function):
        @staticmethod
        def forward(ctx, tensor, constant):
            # ctx is a context object that can be used to stash information
            # for backward computation
            ctx.constant = constant
            return tensor * constant

        @staticmethod
        def backward(ctx, grad_output):
            # We return as many input gradients as there were arguments.
            # Gradients of non-Tensor arguments to forward must be None.
            return grad_output * ctx.constant, None

    class Linear(nn.Module):
        def __init__(self, input_features, output_features, bias=True):
            super().__init__()
            self.input_features = input_features
            self.output_features = output_features

            # nn.Parameter is a special kind of Tensor, that will get
            # automatically registered as Module's parameter once it's assigned
            # as an attribute. Parameters and buffers need to be registered, or
            # they won't appear in .parameters() (doesn't apply to buffers), and
            # won't be converted when e.g. .cuda() is called. You can use
            # .register_buffer() to register buffers.
            # nn.Parameters require gradients by default.
            self.weight = nn.Parameter(torch.empty(output_features, input_features))
            if bias:
                self.bias = nn.Parameter(torch.empty(output_features))
            else:
                # You should always register all possible parameters, but the
                # optional ones can be None if you want.
                self.register_parameter('bias', None)

            # Not a very smart way to initialize weights
            nn.init.uniform_(self.weight, -0.1, 0.1)
            if self.bias is not None:
                nn.init.uniform_(self.bias, -0.1, 0.1)

        def forward(self, input):
            # See the autograd section for explanation of what happens here.
            return LinearFunction.apply(input, self.weight, self.bias)

        def extra_repr(self):
            # (Optional)Set the extra information about this module. You can test
            # it by printing an object of this class.
            return 'input_features={}, output_features={}, bias={}'.format(
                self.input_features, self.output_features, self.bias is not None
            )

    class LinearFunction2(Function):  # the notes' current form: forward without ctx
        @staticmethod
        def forward(input, weight, bias):
            output = input.mm(weight.t())
            if bias is not None:
                output += bias.unsqueeze(0).expand_as(output)
            return output

        @staticmethod
        # inputs is a Tuple of all of the inputs passed to forward.
        # output is the output of the forward().
        def setup_context(ctx, inputs, output):
            input, weight, bias = inputs
            ctx.save_for_backward(input, weight, bias)

        backward = LinearFunction.backward

    class ExpOut(Function):  # saves its output in setup_context
        @staticmethod
        def forward(i):
            return i.exp()

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(output)

        backward = Exp.backward

    classes = [Exp, LinearFunction, MulConstant, Linear]
    Linear.function2, Linear.exp_out = LinearFunction2, ExpOut
    return classes


def extending(torch, x, w, b, gy, state):
    Exp, LinearFunction, MulConstant, Linear = extending_classes(torch)
    linear = LinearFunction.apply
    gradcheck = torch.autograd.gradcheck
    out = {}

    # gradcheck takes a tuple of tensors as input, check if your gradient
    # evaluated with these tensors are close enough to numerical
    # approximations and returns True if they all verify this condition.
    input = (torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True))
    test = gradcheck(linear, input, eps=1e-6, atol=1e-4)
    out["gradcheck"] = test
    out["gradcheck_bias"] = gradcheck(linear, (*input, torch.tensor(b, requires_grad=True)))
    out["gradcheck_exp"] = gradcheck(Exp.apply, input[:1])
    out["gradcheck_mul"] = gradcheck(MulConstant.apply, (input[0], 2.5))
    LinearFunction2, ExpOut = Linear.function2, Linear.exp_out
    out["gradcheck_setup_context"] = gradcheck(LinearFunction2.apply, (*input, None))
    out["gradcheck_setup_context_bias"] = gradcheck(
        lambda *a: ExpOut.apply(LinearFunction2.apply(*a) * 0.1), (*input, torch.tensor(b, requires_grad=True)))

    # the Functions as layers: forward, then backward with a given upstream gradient
    X = torch.tensor(x, requires_grad=True)
    W = torch.tensor(w)  # a constant: needs_input_grad[1] is False
    y = MulConstant.apply(Exp.apply(linear(X, W)), 0.5)
    y.backward(torch.tensor(gy))
    out["y"], out["x.grad"], out["w.grad"] = y, X.grad, W.grad is None

    layer = Linear(w.shape[1], w.shape[0]).double()  # port: .double()
    out["repr"] = repr(layer)
    layer.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    opt = torch.optim.SGD(layer.parameters(), lr=0.1)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        loss = (layer(torch.tensor(x)) * torch.tensor(gy)).sum()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    out["losses"], out["layer"] = losses, layer.state_dict()
    nobias = Linear(w.shape[1], w.shape[0], bias=False)
    out["nobias"] = [name for name, _ in nobias.named_parameters()]
    out["nobias_repr"] = repr(nobias)
    return out


def test_custom_autograd_function_and_gradcheck():
    rng = np.random.default_rng(13)
    # (the notes use (20, 20) and (30, 20); smaller keeps the element-by-element checks quick)
    x, w, b = rng.standard_normal((8, 6)), rng.standard_normal((5, 6)), rng.standard_normal(5)
    gy = rng.standard_normal((8, 5))
    state = {"weight": rng.uniform(-0.1, 0.1, (5, 6)), "bias": rng.uniform(-0.1, 0.1, 5)}
    ours = _run_both(extending, x, w, b, gy, state)
    assert all(ours[k] for k in ours if k.startswith("gradcheck")) and len([k for k in ours if "gradc" in k]) == 6
    assert str(ours["repr"]) == "Linear(input_features=6, output_features=5, bias=True)"
    assert [str(n) for n in ours["nobias"]] == ["weight"]
    assert ours["losses"][-1] < ours["losses"][0]


# ***** the library gaps the ports found, each pinned on its own *****


def test_autograd_gradcheck_has_torchs_signature_and_fails_on_a_wrong_backward():
    def classes(lib):
        class Square(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            def backward(ctx, g):
                x, = ctx.saved_tensors
                return 2 * g * x

        class WrongSquare(Square):
            @staticmethod
            def backward(ctx, g):
                x, = ctx.saved_tensors
                return g * x  # the factor 2 forgotten

        return Square, WrongSquare

    a = np.random.default_rng(14).standard_normal((3, 4))
    for lib in (minigrad, torch) if torch is not None else (minigrad,):
        Square, WrongSquare = classes(lib)
        x = lib.tensor(a, requires_grad=True)
        assert lib.autograd.gradcheck(Square.apply, x) is True  # one tensor, not a tuple
        assert lib.autograd.gradcheck(lambda x, y: (x * y, x.exp()), (x, lib.tensor(a, requires_grad=True)))
        assert lib.autograd.gradgradcheck(lambda x: x.tanh() * x, (x,))
        assert lib.autograd.gradcheck(WrongSquare.apply, (x,), raise_exception=False) is False
        with pytest.raises(RuntimeError):  # torch's GradcheckError is a RuntimeError
            lib.autograd.gradcheck(WrongSquare.apply, (x,))
        with pytest.raises(RuntimeError):  # a wrong second output is found too
            lib.autograd.gradcheck(lambda x: (Square.apply(x), WrongSquare.apply(x)), (x,))
    with pytest.raises(minigrad.autograd.GradcheckError, match="input 0"):
        minigrad.autograd.gradcheck(classes(minigrad)[1].apply, (minigrad.tensor(a, requires_grad=True),))


def test_function_backward_may_return_trailing_nones():
    def classes(lib):
        class Scale(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, s=None):
                ctx.s = 1.0 if s is None else s
                return x * ctx.s

            @staticmethod
            def backward(ctx, g):
                return g * ctx.s, None, None  # one more than forward took: ignored, as in torch

        class TooMany(Scale):
            @staticmethod
            def backward(ctx, g):
                return g * ctx.s, None, g  # an extra gradient that is not None: an error

        return Scale, TooMany

    for lib in (minigrad, torch) if torch is not None else (minigrad,):
        Scale, TooMany = classes(lib)
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        Scale.apply(x, 3.0).sum().backward()
        Scale.apply(x).sum().backward()
        assert _np(x.grad).tolist() == [4.0, 4.0]
        with pytest.raises(RuntimeError):
            TooMany.apply(x, 3.0).sum().backward()


def test_expand_as_and_reshape_as():
    a, b = np.random.default_rng(15).standard_normal((2, 1, 3)), np.zeros((2, 4, 3))
    g = np.random.default_rng(16).standard_normal((2, 4, 3))

    def program(lib):
        x = lib.tensor(a, requires_grad=True)
        y = x.expand_as(lib.tensor(b))
        z = y.reshape_as(lib.tensor(g.reshape(8, 3)))
        (z * lib.tensor(g.reshape(8, 3))).sum().backward()
        return [y, z, x.grad]

    y, z, grad = _run_both(program)
    assert y.shape == (2, 4, 3) and z.shape == (8, 3)
    np.testing.assert_allclose(grad, g.sum(1, keepdims=True))  # an expand's gradient sums back


def test_loss_target_of_another_float_dtype_follows_the_input():
    # the deliberate difference in docs/porting.md: the target is cast to the input's dtype
    F = minigrad.nn.functional
    p = minigrad.tensor([0.2, 0.7, 0.9], dtype=minigrad.float32, requires_grad=True)
    t64 = minigrad.tensor([0.0, 1.0, 1.0], dtype=minigrad.float64)
    for fn in (F.mse_loss, F.l1_loss, F.smooth_l1_loss, F.binary_cross_entropy, F.binary_cross_entropy_with_logits):
        p.grad = None
        loss = fn(p, t64)
        loss.backward()
        same = fn(p, t64.float())  # what the cast gives: the float32 loss of a float32 target
        assert loss.dtype == minigrad.float32 and p.grad.dtype == minigrad.float32, fn.__name__
        assert loss.item() == same.item(), fn.__name__
    if torch is not None:  # torch promotes, or (binary_cross_entropy) raises
        tp = torch.tensor([0.2, 0.7, 0.9], requires_grad=True)
        assert torch.nn.functional.mse_loss(tp, torch.tensor(t64.numpy())).dtype == torch.float64
        with pytest.raises(RuntimeError):
            torch.nn.functional.binary_cross_entropy(tp, torch.tensor(t64.numpy()))
