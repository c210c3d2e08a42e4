"""A small CNN on MNIST: 99% test accuracy in 3 epochs on a CPU.

    conv(1->32, 3x3, pad 1, no bias) - BatchNorm2d - ReLU - maxpool 2   28x28 -> 14x14
    conv(32->64, 3x3, pad 1, no bias) - BatchNorm2d - ReLU - maxpool 2  14x14 -> 7x7
    flatten - linear(3136 -> 10)

SGD with momentum 0.9 and batches of 32; the learning rates fall linearly to 0 over the run.
The convolutions have no bias: the BatchNorm after them subtracts the mean, which would cancel it.

NOTE on the two learning rates: the convolutions sit in front of BatchNorm, which undoes any
scale, so they tolerate a large step (0.1). The final Linear does not: its 3136 inputs are
positive (after ReLU and max-pooling) and unnormalised, so the curvature of the loss along their
common mean direction is about 3136 times larger than along the others, and a step that suits
the convolutions makes it oscillate. It gets 0.002. With one rate for all, 0.05 reaches ~94%
after an epoch and 0.01 ~98.9% after three; with the two rates, 3 epochs give ~99.0-99.1%
(with the same recipe, PyTorch lands in the same place).

Usage:
    python examples/mnist_cnn.py                      # 3 epochs, CPU
    python examples/mnist_cnn.py --device cuda --epochs 5
    python examples/mnist_cnn.py --data ~/data/mnist  # a folder with the four IDX files
    python examples/mnist_cnn.py --sample --steps 20  # a smoke run on the bundled sample

Without the full data set (and no network), it trains on the bundled sample (15,000 training
images instead of 55,000) and says so; the accuracies are then a little lower.

Another data set in MNIST's file layout (Fashion-MNIST, KMNIST, your own), images of any size H x W:

    python examples/mnist_cnn.py --data ~/data/fashion --any-idx

The files are not checksummed; the final Linear takes 64 * (H // 4) * (W // 4) inputs and has one
output per class (the largest label + 1); the validation set is the first twelfth of the training
file (at most 5,000 images). The learning rates were tuned on MNIST.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

import minigrad
import minigrad.nn.functional as F
from minigrad import nn, optim
from minigrad.datasets import DataLoader

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the examples' shared helpers, also when imported
from _data import add_data_args, load_data  # noqa: E402
from _progress import progress_bar  # noqa: E402


def make_cnn(image_shape: tuple = (28, 28), num_classes: int = 10) -> nn.Sequential:
    """The network for images of `image_shape` (H, W): each max-pool halves H and W (rounding
    down), so the final Linear sees 64 * (H // 2 // 2) * (W // 2 // 2) values; 3136 for MNIST."""
    h, w = (n // 2 // 2 for n in image_shape)
    if h == 0 or w == 0:
        raise ValueError(f"images of {image_shape[0]}x{image_shape[1]} are too small for two 2x2 max-pools "
                         "(at least 4x4)")
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * h * w, num_classes),
    )


def accuracy(model: nn.Module, images: np.ndarray, labels: np.ndarray, device: str, chunk: int = 1000):
    """Test accuracy in eval mode (BatchNorm uses its running statistics), without a graph."""
    model.eval()
    correct = 0
    with minigrad.no_grad():
        for i in range(0, len(labels), chunk):
            x = minigrad.tensor(images[i : i + chunk, None], device=device)
            correct += int((model(x).argmax(dim=1).numpy() == labels[i : i + chunk]).sum())
    model.train()
    return correct / len(labels)


def main(argv=None) -> float:
    ap = argparse.ArgumentParser(description="Train a small CNN on MNIST (or another data set in its layout).")
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    add_data_args(ap)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--steps", type=int, default=None, help="stop after this many steps in all (a smoke run)")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=0.1, help="learning rate of the convolutions and BatchNorms")
    ap.add_argument("--lr-linear", type=float, default=0.002, help="learning rate of the final Linear")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = ap.parse_args(argv)

    data = load_data(args)
    print(f"data: {data}")
    minigrad.manual_seed(args.seed)
    model = make_cnn(data.image_shape, data.num_classes).to(args.device)
    head = list(model[-1].parameters())  # the final Linear: see the NOTE at the top
    body = [p for p in model.parameters() if all(p is not q for q in head)]
    opt = optim.SGD([{"params": body, "lr": args.lr}, {"params": head, "lr": args.lr_linear}], momentum=0.9)
    base_lrs = [g["lr"] for g in opt.param_groups]
    loader = DataLoader((data.train_images[:, None], data.train_labels), batch_size=args.batch_size,
                        shuffle=True, drop_last=True, generator=minigrad.Generator(args.seed),
                        device=args.device)
    steps_left = args.steps if args.steps is not None else float("inf")
    total, done = min(args.epochs * len(loader), steps_left), 0
    for epoch in range(1, args.epochs + 1):
        bar = progress_bar(min(len(loader), steps_left), f"epoch {epoch}/{args.epochs}", not args.no_progress,
                           leave=False)
        start, seen = time.perf_counter(), 0
        for x, y in loader:
            if seen == steps_left:
                break
            for group, base in zip(opt.param_groups, base_lrs):  # linear decay to 0
                group["lr"] = base * (1 - done / total)
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            seen, done = seen + 1, done + 1
            if seen % 50 == 0:  # .item() waits for the device: not on every step
                bar.set_postfix(loss=f"{loss.item():.4f}")
            bar.update(1)
        bar.close()
        seconds = time.perf_counter() - start
        val = accuracy(model, data.val_images, data.val_labels, args.device)
        print(f"epoch {epoch}: {seconds:.1f} s ({1000 * seconds / max(seen, 1):.1f} ms/step, {seen} steps), "
              f"validation accuracy {val:.4f}")
        steps_left -= seen
        if steps_left <= 0:
            break
    test = accuracy(model, data.test_images, data.test_labels, args.device)
    print(f"test accuracy {test:.4f}" + (" (bundled sample)" if data.is_sample else
                                          "" if data.checksummed else f" ({data.title})"))
    return test


if __name__ == "__main__":
    main()
