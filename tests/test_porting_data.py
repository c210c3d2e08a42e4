"""A PyTorch Dataset/DataLoader training loop, ported by changing the import only: the same
function runs with the module `minigrad` and, when it is installed, with `torch`, from the
same starting weights and data, and the two runs must agree (losses, learning rates, accuracy).
The accuracy is read with `_, pred = out.max(1)`, as the tutorials do."""

import numpy as np
import pytest

import minigrad
from minigrad.datasets import load_mnist_sample


def mnist_arrays(n_train=1000, n_test=500):
    data = load_mnist_sample()
    x = data.train_images[: n_train + n_test].reshape(-1, 784)
    y = data.train_labels[: n_train + n_test]
    return x, y, n_train


def initial_weights(seed=0):
    rng = np.random.default_rng(seed)
    return {
        "0.weight": (rng.standard_normal((32, 784)) * np.sqrt(2 / 784)).astype(np.float32),
        "0.bias": np.zeros(32, np.float32),
        "2.weight": (rng.standard_normal((10, 32)) * np.sqrt(1 / 32)).astype(np.float32),
        "2.bias": np.zeros(10, np.float32),
    }


def train_and_evaluate(torch, x, y, n_train, weights, order):
    """Written for PyTorch; `torch` is the module (torch or minigrad)."""
    from_arrays = torch.tensor
    data_utils = torch.utils.data

    class Digits(data_utils.Dataset):  # read sample by sample, labels as Python ints
        def __init__(self, images, labels):
            self.images, self.labels = images, labels

        def __len__(self):
            return len(self.labels)

        def __getitem__(self, i):
            return from_arrays(self.images[i]), int(self.labels[i])

    full = data_utils.TensorDataset(from_arrays(x), from_arrays(y))
    train_set = Digits(x[:n_train], y[:n_train])
    test_set = data_utils.Subset(full, range(n_train, len(y)))
    train_loader = data_utils.DataLoader(train_set, batch_size=100, sampler=order, num_workers=0)
    test_loader = data_utils.DataLoader(test_set, batch_size=128, shuffle=False, pin_memory=False)

    model = torch.nn.Sequential(torch.nn.Linear(784, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    model.load_state_dict({k: from_arrays(v) for k, v in weights.items()})
    criterion = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)

    losses, lrs = [], []
    for epoch in range(2):
        model.train()
        for images, labels in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(images), labels)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        lrs.append(scheduler.get_last_lr()[0])
        scheduler.step()

    model.eval()
    correct, test_loss = 0, 0.0
    with torch.no_grad():
        for images, labels in test_loader:
            output = model(images)
            test_loss += criterion(output, labels).item() * len(labels)
            _, pred = output.max(1)
            correct += (pred == labels).sum().item()
    return losses, lrs, correct / len(test_loader.dataset), test_loss / len(test_loader.dataset)


def run(lib):
    x, y, n_train = mnist_arrays()
    order = np.random.default_rng(1).permutation(n_train).tolist()
    return train_and_evaluate(lib, x, y, n_train, initial_weights(), order)


def test_minigrad_learns_with_the_ported_loop():
    losses, lrs, accuracy, test_loss = run(minigrad)
    assert len(losses) == 20 and lrs == [0.1, 0.05]
    assert losses[-1] < losses[0] / 2 and accuracy > 0.7  # chance is 0.1; 20 steps reach about 0.77


def test_ported_loop_gives_torchs_results():
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small matmuls: torch's thread pool only costs time on a shared machine
    try:
        ours, theirs = run(minigrad), run(torch)
    finally:
        torch.set_num_threads(threads)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=2e-4)  # every training loss
    assert ours[1] == pytest.approx(theirs[1], rel=1e-12)
    assert ours[2] == theirs[2]  # the same test accuracy
    assert ours[3] == pytest.approx(theirs[3], rel=2e-4)
