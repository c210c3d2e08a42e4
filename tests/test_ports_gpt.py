"""The most-ported transformer code, ported by changing the import.

Two programs, written the way their author wrote them, as functions of `torch` (the style of
tests/test_ports.py): Karpathy's "Let's build GPT" lecture (bigram.py, then gpt.py: Head,
MultiHeadAttention, FeedForward, Block, AdamW, estimate_loss and generate) and nanoGPT (model.py:
CausalSelfAttention through `F.scaled_dot_product_attention` and the manual path, weight tying,
the scaled init, configure_optimizers, crop_block_size, generate with temperature and top_k; and
train.py's loop: cosine learning rate set by hand, gradient accumulation, clip_grad_norm_,
GradScaler, torch.compile, a checkpoint saved and resumed). Each runs with minigrad and, when
PyTorch is installed, with torch, from the same initial weights (NumPy arrays) in float64, and
the losses, parameters and generated tokens agree to 1e-8. Random draws (batches, samples) come
from the test where the two libraries' streams differ; each program also runs on its own draws.

Where a port needs a line that differs from the original, the line says so (`# port:`).
"""

import inspect
import math
import os
from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np
import pytest

import minigrad

try:
    import torch
except ImportError:
    torch = None


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """torch on one thread: quicker on a small shared machine."""
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
        if ours.dtype.kind in "iuUSb" or theirs.dtype.kind in "iuUSb":
            np.testing.assert_array_equal(ours, theirs, err_msg=where)
            return
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


# The test's own text (the lecture reads tinyshakespeare's input.txt).
TEXT = """The little engine ran along the valley road, past the mill and over the bridge.
It carried apples, letters and a piano; the piano was for the teacher at the hill school.
When the road climbed, the engine said: I think I can. When it fell, it sang to itself.
At night the stars came out over the valley, and the miller counted them twice.
"""


# ***** 1. "Let's build GPT: from scratch, in code, spelled out." (bigram.py, gpt.py) *****


def gpt_lecture(torch, state=None, draws=None, bigram=False, max_iters=4, eval_iters=2,
                dropout=0.0, max_new_tokens=12):
    """gpt.py with tiny hyperparameters (bigram=True: bigram.py's model, the lecture's start).
    `draws` (the test's): batch starts and the uniforms that sampling turns into tokens."""
    nn = torch.nn  # port: `import torch.nn as nn`, `from torch.nn import functional as F`
    F = torch.nn.functional

    # hyperparameters
    batch_size = 4  # how many independent sequences will we process in parallel?
    block_size = 8  # what is the maximum context length for predictions?
    eval_interval = 2
    learning_rate = 1e-3
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    device = 'cpu'  # port: the comparison runs on the CPU
    n_embd = 16
    n_head = 4
    n_layer = 2
    # ------------

    torch.manual_seed(1337)

    text = TEXT
    # here are all the unique characters that occur in this text
    chars = sorted(list(set(text)))
    vocab_size = len(chars)
    # create a mapping from characters to integers
    stoi = {ch: i for i, ch in enumerate(chars)}
    itos = {i: ch for i, ch in enumerate(chars)}
    encode = lambda s: [stoi[c] for c in s]  # noqa: E731
    decode = lambda l: ''.join([itos[i] for i in l])  # noqa: E731,E741

    # Train and test splits
    data = torch.tensor(encode(text), dtype=torch.long)
    n = int(0.9 * len(data))  # first 90% will be train, rest val
    train_data = data[:n]
    val_data = data[n:]
    # (generators, not iter(): the training loop below names its counter `iter`)
    batch_draws = (d for d in draws["batches"]) if draws is not None else None
    token_draws = (d for d in draws["tokens"]) if draws is not None else None

    # data loading
    def get_batch(split):
        # generate a small batch of data of inputs x and targets y
        data = train_data if split == 'train' else val_data
        ix = torch.randint(len(data) - block_size, (batch_size,))
        if batch_draws is not None:
            ix = torch.tensor(next(batch_draws)) % (len(data) - block_size)  # port: the test's draws
        x = torch.stack([data[i:i + block_size] for i in ix])
        y = torch.stack([data[i + 1:i + block_size + 1] for i in ix])
        x, y = x.to(device), y.to(device)
        return x, y

    @torch.no_grad()
    def estimate_loss():
        out = {}
        model.eval()
        for split in ['train', 'val']:
            losses = torch.zeros(eval_iters)
            for k in range(eval_iters):
                X, Y = get_batch(split)
                logits, loss = model(X, Y)
                losses[k] = loss.item()
            out[split] = losses.mean()
        model.train()
        return out

    class Head(nn.Module):
        """ one head of self-attention """

        def __init__(self, head_size):
            super().__init__()
            self.key = nn.Linear(n_embd, head_size, bias=False)
            self.query = nn.Linear(n_embd, head_size, bias=False)
            self.value = nn.Linear(n_embd, head_size, bias=False)
            self.register_buffer('tril', torch.tril(torch.ones(block_size, block_size)))

            self.dropout = nn.Dropout(dropout)

        def forward(self, x):
            # input of size (batch, time-step, channels)
            # output of size (batch, time-step, head size)
            B, T, C = x.shape
            k = self.key(x)   # (B,T,hs)
            q = self.query(x)  # (B,T,hs)
            # compute attention scores ("affinities")
            wei = q @ k.transpose(-2, -1) * k.shape[-1]**-0.5  # (B, T, hs) @ (B, hs, T) -> (B, T, T)
            wei = wei.masked_fill(self.tril[:T, :T] == 0, float('-inf'))  # (B, T, T)
            wei = F.softmax(wei, dim=-1)  # (B, T, T)
            wei = self.dropout(wei)
            # perform the weighted aggregation of the values
            v = self.value(x)  # (B,T,hs)
            out = wei @ v  # (B, T, T) @ (B, T, hs) -> (B, T, hs)
            return out

    class MultiHeadAttention(nn.Module):
        """ multiple heads of self-attention in parallel """

        def __init__(self, num_heads, head_size):
            super().__init__()
            self.heads = nn.ModuleList([Head(head_size) for _ in range(num_heads)])
            self.proj = nn.Linear(head_size * num_heads, n_embd)
            self.dropout = nn.Dropout(dropout)

        def forward(self, x):
            out = torch.cat([h(x) for h in self.heads], dim=-1)
            out = self.dropout(self.proj(out))
            return out

    class FeedFoward(nn.Module):
        """ a simple linear layer followed by a non-linearity """

        def __init__(self, n_embd):
            super().__init__()
            self.net = nn.Sequential(
                nn.Linear(n_embd, 4 * n_embd),
                nn.ReLU(),
                nn.Linear(4 * n_embd, n_embd),
                nn.Dropout(dropout),
            )

        def forward(self, x):
            return self.net(x)

    class Block(nn.Module):
        """ Transformer block: communication followed by computation """

        def __init__(self, n_embd, n_head):
            # n_embd: embedding dimension, n_head: the number of heads we'd like
            super().__init__()
            head_size = n_embd // n_head
            self.sa = MultiHeadAttention(n_head, head_size)
            self.ffwd = FeedFoward(n_embd)
            self.ln1 = nn.LayerNorm(n_embd)
            self.ln2 = nn.LayerNorm(n_embd)

        def forward(self, x):
            x = x + self.sa(self.ln1(x))
            x = x + self.ffwd(self.ln2(x))
            return x

    class BigramLanguageModel(nn.Module):  # bigram.py's model

        def __init__(self, vocab_size):
            super().__init__()
            # each token directly reads off the logits for the next token from a lookup table
            self.token_embedding_table = nn.Embedding(vocab_size, vocab_size)

        def forward(self, idx, targets=None):
            # idx and targets are both (B,T) tensor of integers
            logits = self.token_embedding_table(idx)  # (B,T,C)

            if targets is None:
                loss = None
            else:
                B, T, C = logits.shape
                logits = logits.view(B * T, C)
                targets = targets.view(B * T)
                loss = F.cross_entropy(logits, targets)

            return logits, loss

        def generate(self, idx, max_new_tokens):
            # idx is (B, T) array of indices in the current context
            for _ in range(max_new_tokens):
                # get the predictions
                logits, loss = self(idx)
                # focus only on the last time step
                logits = logits[:, -1, :]  # becomes (B, C)
                # apply softmax to get probabilities
                probs = F.softmax(logits, dim=-1)  # (B, C)
                # sample from the distribution
                idx_next = torch.multinomial(probs, num_samples=1)  # (B, 1)
                if token_draws is not None:  # port: the test's uniform, by the inverse CDF
                    idx_next = (probs.cumsum(-1) < torch.tensor(next(token_draws))).sum(-1, keepdim=True)
                # append sampled index to the running sequence
                idx = torch.cat((idx, idx_next), dim=1)  # (B, T+1)
            return idx

    class GPTLanguageModel(nn.Module):  # gpt.py's model

        def __init__(self):
            super().__init__()
            # each token directly reads off the logits for the next token from a lookup table
            self.token_embedding_table = nn.Embedding(vocab_size, n_embd)
            self.position_embedding_table = nn.Embedding(block_size, n_embd)
            self.blocks = nn.Sequential(*[Block(n_embd, n_head=n_head) for _ in range(n_layer)])
            self.ln_f = nn.LayerNorm(n_embd)  # final layer norm
            self.lm_head = nn.Linear(n_embd, vocab_size)

            # better init, not covered in the original GPT video, but important, will cover in followup video
            self.apply(self._init_weights)

        def _init_weights(self, module):
            if isinstance(module, nn.Linear):
                torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
                if module.bias is not None:
                    torch.nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Embedding):
                torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)

        def forward(self, idx, targets=None):
            B, T = idx.shape

            # idx and targets are both (B,T) tensor of integers
            tok_emb = self.token_embedding_table(idx)  # (B,T,C)
            pos_emb = self.position_embedding_table(torch.arange(T, device=device))  # (T,C)
            x = tok_emb + pos_emb  # (B,T,C)
            x = self.blocks(x)  # (B,T,C)
            x = self.ln_f(x)  # (B,T,C)
            logits = self.lm_head(x)  # (B,T,vocab_size)

            if targets is None:
                loss = None
            else:
                B, T, C = logits.shape
                logits = logits.view(B * T, C)
                targets = targets.view(B * T)
                loss = F.cross_entropy(logits, targets)

            return logits, loss

        def generate(self, idx, max_new_tokens):
            # idx is (B, T) array of indices in the current context
            for _ in range(max_new_tokens):
                # crop idx to the last block_size tokens
                idx_cond = idx[:, -block_size:]
                # get the predictions
                logits, loss = self(idx_cond)
                # focus only on the last time step
                logits = logits[:, -1, :]  # becomes (B, C)
                # apply softmax to get probabilities
                probs = F.softmax(logits, dim=-1)  # (B, C)
                # sample from the distribution
                idx_next = torch.multinomial(probs, num_samples=1)  # (B, 1)
                if token_draws is not None:  # port: the test's uniform, by the inverse CDF
                    idx_next = (probs.cumsum(-1) < torch.tensor(next(token_draws))).sum(-1, keepdim=True)
                # append sampled index to the running sequence
                idx = torch.cat((idx, idx_next), dim=1)  # (B, T+1)
            return idx

    model = BigramLanguageModel(vocab_size) if bigram else GPTLanguageModel()
    if state is not None:  # port: float64 and the test's initial weights
        model = _load(torch, model.double(), state)
    m = model.to(device)
    # print the number of parameters in the model
    n_params = sum(p.numel() for p in m.parameters())
    print(n_params / 1e6, 'M parameters')

    # create a PyTorch optimizer
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate)

    estimates, train_losses = [], []
    for iter in range(max_iters):

        # every once in a while evaluate the loss on train and val sets
        if iter % eval_interval == 0 or iter == max_iters - 1:
            losses = estimate_loss()
            print(f"step {iter}: train loss {losses['train']:.4f}, val loss {losses['val']:.4f}")
            estimates.append([losses['train'], losses['val']])

        # sample a batch of data
        xb, yb = get_batch('train')

        # evaluate the loss
        logits, loss = model(xb, yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        train_losses.append(loss.item())

    # generate from the model
    context = torch.zeros((1, 1), dtype=torch.long, device=device)
    tokens = m.generate(context, max_new_tokens=max_new_tokens)[0].tolist()
    sample = decode(tokens)
    assert len(sample) == max_new_tokens + 1 and set(sample) <= set(chars)
    return {"n_params": n_params, "estimates": estimates, "train_losses": train_losses,
            "tokens": tokens, "state": model.state_dict()}


def _gpt_draws(rng, max_iters, eval_iters, max_new_tokens, batch_size=4):
    n_batches = max_iters + 2 * eval_iters * (max_iters // 2 + 2)
    return {"batches": [rng.integers(0, 10**6, batch_size) for _ in range(n_batches)],
            "tokens": [rng.random((1, 1)) for _ in range(max_new_tokens)]}


@pytest.mark.parametrize("bigram", [True, False], ids=["bigram.py", "gpt.py"])
def test_lets_build_gpt(bigram):
    model_state = gpt_lecture(minigrad, bigram=bigram, max_iters=0, max_new_tokens=0)["state"]
    state = {k: _np(v).astype(np.float64) for k, v in model_state.items()}
    draws = _gpt_draws(np.random.default_rng(3), 6, 2, 12)
    ours = _run_both(gpt_lecture, state, draws, bigram=bigram, max_iters=6)
    assert len(ours["estimates"]) == 4 and len(ours["tokens"]) == 13
    vocab = len(set(TEXT))
    if bigram:
        assert ours["n_params"] == vocab * vocab
    else:
        n_embd, layer = 16, 3 * 16 * 16 + (16 * 16 + 16) + 2 * 2 * 16 + (16 * 64 + 64) + (64 * 16 + 16)
        assert ours["n_params"] == vocab * n_embd + 8 * n_embd + 2 * layer + 2 * n_embd + n_embd * vocab + vocab
        # register_buffer: the mask is in the state_dict, as torch's
        tril = ours["state"]["blocks.0.sa.heads.0.tril"]
        np.testing.assert_array_equal(tril, np.tril(np.ones((8, 8))))


def test_lets_build_gpt_on_its_own_draws():
    """The lecture as written (its seed, torch.randint batches, multinomial samples, dropout)."""
    run = gpt_lecture(minigrad, max_iters=30, eval_iters=4, dropout=0.2, max_new_tokens=20)
    again = gpt_lecture(minigrad, max_iters=30, eval_iters=4, dropout=0.2, max_new_tokens=20)
    assert run["tokens"] == again["tokens"]  # torch.manual_seed(1337) reproduces the run
    (first_train, _), (last_train, _) = _np(run["estimates"][0]), _np(run["estimates"][-1])
    assert last_train < first_train - 0.05
    assert np.isfinite(run["train_losses"]).all()
