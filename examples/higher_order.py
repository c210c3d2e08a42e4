"""Higher-order gradients at work: a gradient penalty and Newton's method.

1. Gradient penalty (the WGAN-GP form). A small critic D (Linear, BatchNorm1d, Tanh, Linear)
   learns to score "real" points (a ring) above "fake" ones (a blob), with the penalty
   lambda * mean((||dD(x)/dx|| - 1)^2) at random mixtures x of real and fake points. The
   penalty is a function of a *gradient*, so training on it needs backward through backward:
   autograd.grad(..., create_graph=True). BatchNorm's statistics depend on the whole batch, so
   its second derivative (docs/batchnorm.md) is on the path.

2. Newton's method with Hessian-vector products. L2-regularised logistic regression on
   synthetic data; each Newton step solves H d = -g by conjugate gradient, where every H v is
   two backward passes (autograd.functional.hvp), never the d x d Hessian; a backtracking line
   search damps the first steps. Against plain
   gradient descent with the best fixed step 1/L, it reaches the optimum in a few steps.

Writes higher_order.png: the loss gap to the optimum against steps, gradient descent versus Newton.

Usage:
    python examples/higher_order.py --out docs/figures     # a few seconds on a CPU
    python examples/higher_order.py --quick                # a smoke run
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import minigrad
from minigrad import nn
from minigrad.autograd import grad
from minigrad.autograd.functional import hvp

# ***** 1. gradient penalty *****


def sample_real(rng, n):
    angle = rng.uniform(0, 2 * np.pi, n)
    return np.stack([np.cos(angle), np.sin(angle)], 1) * 2 + rng.normal(0, 0.05, (n, 2))


def sample_fake(rng, n):
    return rng.normal(0, 0.5, (n, 2))


def gradient_penalty(critic, real, fake, rng):
    """mean over the batch of (||dD(x)/dx|| - 1)^2 at random mixtures of real and fake points;
    differentiable with respect to the critic's parameters (create_graph=True)."""
    t = minigrad.tensor(rng.uniform(0, 1, (real.shape[0], 1)))
    x = (t * real + (1 - t) * fake).detach().requires_grad_(True)
    (g,) = grad(critic(x).sum(), x, create_graph=True)
    norm = ((g * g).sum(1) + 1e-12).sqrt()
    return ((norm - 1) ** 2).mean(), norm.detach()


def train_critic(steps: int, lam: float = 10.0, seed: int = 0):
    rng = np.random.default_rng(seed)
    minigrad.manual_seed(seed)
    critic = nn.Sequential(nn.Linear(2, 32), nn.BatchNorm1d(32), nn.Tanh(), nn.Linear(32, 1)).double()
    opt = minigrad.optim.Adam(critic.parameters(), lr=1e-2, betas=(0.5, 0.9))
    history = []
    for step in range(steps):
        real = minigrad.tensor(sample_real(rng, 64))
        fake = minigrad.tensor(sample_fake(rng, 64))
        gp, norm = gradient_penalty(critic, real, fake, rng)
        wasserstein = critic(real).mean() - critic(fake).mean()
        loss = -wasserstein + lam * gp
        opt.zero_grad()
        loss.backward()
        opt.step()
        history.append((step, wasserstein.item(), gp.item(), norm.mean().item()))
    return history


# ***** 2. Newton with Hessian-vector products versus gradient descent *****


def make_problem(seed=0, n=400, d=20):
    rng = np.random.default_rng(seed)
    # badly conditioned features (scales 0.1 ... 10): the case where Newton shines
    X = rng.standard_normal((n, d)) * np.logspace(-1, 1, d)
    w_true = rng.standard_normal(d)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-X @ w_true))).astype(np.float64)
    return minigrad.tensor(X), minigrad.tensor(y), 1e-2


def loss_fn(X, y, reg):
    def f(w):
        z = X @ w
        # log(1 + e^z) - y z, computed as softplus without overflow: max(z, 0) + log(1 + e^-|z|)
        softplus = z.relu() + ((-z.abs()).exp() + 1).log()
        return (softplus - y * z).mean() + 0.5 * reg * (w * w).sum()
    return f


def conjugate_gradient(hv, b, iters, tol=1e-10):
    """Solve H x = b for a symmetric positive definite H given only v -> H v."""
    x = b * 0
    r = b
    p = r
    rr = (r * r).sum().item()
    for _ in range(iters):
        Hp = hv(p)
        alpha = rr / (p * Hp).sum().item()
        x = x + alpha * p
        r = r - alpha * Hp
        rr_new = (r * r).sum().item()
        if rr_new < tol:
            break
        p = r + (rr_new / rr) * p
        rr = rr_new
    return x


def minimize(f, w, steps, update):
    """`steps` iterations of w <- update(w, loss, gradient); returns the final w and the losses."""
    losses = []
    for _ in range(steps):
        w = w.detach().requires_grad_(True)
        loss = f(w)
        losses.append(loss.item())
        (g,) = grad(loss, w)
        w = update(w.detach(), loss.item(), g)
    losses.append(f(w.detach()).item())
    return w.detach(), losses


def newton(f, w, steps, cg_iters):
    def update(w, loss, g):
        d = conjugate_gradient(lambda v: hvp(f, w, v)[1], -g, cg_iters)
        # damped Newton: far from the optimum a full step can overshoot (the logistic loss is
        # nearly linear there), so halve it until the loss drops enough (Armijo's rule)
        t, slope = 1.0, (g * d).sum().item()
        while f(w + t * d).item() > loss + 0.25 * t * slope and t > 1e-8:
            t *= 0.5
        return w + t * d

    return minimize(f, w, steps, update)


def gradient_descent(f, w, steps, lr):
    return minimize(f, w, steps, lambda w, loss, g: w - lr * g)[1]


def lipschitz(X, reg):
    """A bound on the Hessian's largest eigenvalue: ||X||^2 / (4 n) + reg, so lr = 1/L is the
    largest safe fixed step of gradient descent."""
    s = np.linalg.norm(X.numpy(), 2)
    return s * s / (4 * X.shape[0]) + reg


def plot(gd, nt, best, path: Path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    floor = 1e-16
    ax.semilogy(range(len(gd)), np.maximum(np.array(gd) - best, floor), label="gradient descent (lr = 1/L)")
    ax.semilogy(range(len(nt)), np.maximum(np.array(nt) - best, floor), "o-", label="Newton, H v by create_graph + CG")
    ax.set_xlabel("step")
    ax.set_ylabel("loss - optimal loss")
    ax.set_title("Logistic regression, 20 badly scaled features")
    ax.legend()
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=Path("."), help="folder for higher_order.png")
    p.add_argument("--quick", action="store_true", help="smoke run: few steps, no plot")
    args = p.parse_args(argv)
    critic_steps, gd_steps, newton_steps = (5, 5, 2) if args.quick else (300, 200, 8)

    history = train_critic(critic_steps)
    print("gradient penalty, critic Linear-BatchNorm1d-Tanh-Linear:")
    print(f"{'step':>5} {'W estimate':>11} {'penalty':>9} {'mean ||dD/dx||':>15}")
    for step, w, gp, norm in history[:: max(1, len(history) // 6)] + history[-1:]:
        print(f"{step:5d} {w:11.4f} {gp:9.4f} {norm:15.4f}")

    X, y, reg = make_problem()
    f = loss_fn(X, y, reg)
    w0 = minigrad.zeros(X.shape[1], dtype=minigrad.float64)
    _, nt = newton(f, w0, newton_steps, cg_iters=40)
    gd = gradient_descent(f, w0, gd_steps, lr=1 / lipschitz(X, reg))
    best = min(min(nt), min(gd))
    print("\nlogistic regression: loss - best after each step")
    print(f"{'step':>5} {'gradient descent':>17} {'Newton-CG':>12}")
    for k in range(len(nt)):
        print(f"{k:5d} {gd[k] - best:17.3e} {nt[k] - best:12.3e}")
    print(f"gradient descent after {gd_steps} steps: {gd[-1] - best:.3e}")
    if not args.quick:
        args.out.mkdir(parents=True, exist_ok=True)
        plot(gd, nt, best, args.out / "higher_order.png")
        print(f"wrote {args.out / 'higher_order.png'}")
    return history, gd, nt


if __name__ == "__main__":
    main()
