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
import time
from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np
import pytest

import minigrad

try:
    import torch
except ImportError:
    torch = None


# the harness the other port files share: run a program with both libraries and compare
from test_ports import _assert_same, _load, _np, _one_torch_thread, _run_both, _state  # noqa: F401


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


# ***** 2. nanoGPT: model.py *****


def nanogpt_classes(torch, flash=True):
    """nanoGPT's model.py (without from_pretrained, which downloads GPT-2 through transformers).
    flash=False: the manual attention path, which nanoGPT takes on a torch without
    F.scaled_dot_product_attention."""
    nn = torch.nn  # port: `import torch.nn as nn`, `from torch.nn import functional as F`
    F = torch.nn.functional

    class LayerNorm(nn.Module):
        """ LayerNorm but with an optional bias. PyTorch doesn't support simply bias=False """

        def __init__(self, ndim, bias):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(ndim))
            self.bias = nn.Parameter(torch.zeros(ndim)) if bias else None

        def forward(self, input):
            return F.layer_norm(input, self.weight.shape, self.weight, self.bias, 1e-5)

    class CausalSelfAttention(nn.Module):

        def __init__(self, config):
            super().__init__()
            assert config.n_embd % config.n_head == 0
            # key, query, value projections for all heads, but in a batch
            self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
            # output projection
            self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
            # regularization
            self.attn_dropout = nn.Dropout(config.dropout)
            self.resid_dropout = nn.Dropout(config.dropout)
            self.n_head = config.n_head
            self.n_embd = config.n_embd
            self.dropout = config.dropout
            # flash attention make GPU go brrrrr but support is only in PyTorch >= 2.0
            self.flash = hasattr(torch.nn.functional, 'scaled_dot_product_attention')
            self.flash = self.flash and flash  # port: the test runs both paths
            if not self.flash:
                print("WARNING: using slow attention. Flash Attention requires PyTorch >= 2.0")
                # causal mask to ensure that attention is only applied to the left in the input sequence
                self.register_buffer("bias", torch.tril(torch.ones(config.block_size, config.block_size))
                                     .view(1, 1, config.block_size, config.block_size))

        def forward(self, x):
            B, T, C = x.size()  # batch size, sequence length, embedding dimensionality (n_embd)

            # calculate query, key, values for all heads in batch and move head forward to be the batch dim
            q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
            k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, nh, T, hs)
            q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, nh, T, hs)
            v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, nh, T, hs)

            # causal self-attention; Self-attend: (B, nh, T, hs) x (B, nh, hs, T) -> (B, nh, T, T)
            if self.flash:
                # efficient attention using Flash Attention CUDA kernels
                y = torch.nn.functional.scaled_dot_product_attention(
                    q, k, v, attn_mask=None, dropout_p=self.dropout if self.training else 0, is_causal=True)
            else:
                # manual implementation of attention
                att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
                att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float('-inf'))
                att = F.softmax(att, dim=-1)
                att = self.attn_dropout(att)
                y = att @ v  # (B, nh, T, T) x (B, nh, T, hs) -> (B, nh, T, hs)
            y = y.transpose(1, 2).contiguous().view(B, T, C)  # re-assemble all head outputs side by side

            # output projection
            y = self.resid_dropout(self.c_proj(y))
            return y

    class MLP(nn.Module):

        def __init__(self, config):
            super().__init__()
            self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
            self.gelu = nn.GELU()
            self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
            self.dropout = nn.Dropout(config.dropout)

        def forward(self, x):
            x = self.c_fc(x)
            x = self.gelu(x)
            x = self.c_proj(x)
            x = self.dropout(x)
            return x

    class Block(nn.Module):

        def __init__(self, config):
            super().__init__()
            self.ln_1 = LayerNorm(config.n_embd, bias=config.bias)
            self.attn = CausalSelfAttention(config)
            self.ln_2 = LayerNorm(config.n_embd, bias=config.bias)
            self.mlp = MLP(config)

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            x = x + self.mlp(self.ln_2(x))
            return x

    @dataclass
    class GPTConfig:
        block_size: int = 1024
        vocab_size: int = 50304  # GPT-2 vocab_size of 50257, padded up to nearest multiple of 64 for efficiency
        n_layer: int = 12
        n_head: int = 12
        n_embd: int = 768
        dropout: float = 0.0
        bias: bool = True  # True: bias in Linears and LayerNorms, like GPT-2. False: a bit better and faster

    class GPT(nn.Module):

        def __init__(self, config):
            super().__init__()
            assert config.vocab_size is not None
            assert config.block_size is not None
            self.config = config

            self.transformer = nn.ModuleDict(dict(
                wte=nn.Embedding(config.vocab_size, config.n_embd),
                wpe=nn.Embedding(config.block_size, config.n_embd),
                drop=nn.Dropout(config.dropout),
                h=nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
                ln_f=LayerNorm(config.n_embd, bias=config.bias),
            ))
            self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
            # with weight tying when using torch.compile() some warnings get generated:
            # "UserWarning: functional_call was passed multiple values for tied weights.
            # This behavior is deprecated and will be an error in future versions"
            # not 100% sure what this is, so far seems to be harmless. TODO investigate
            self.transformer.wte.weight = self.lm_head.weight  # https://paperswithcode.com/method/weight-tying

            # init all weights
            self.apply(self._init_weights)
            # apply special scaled init to the residual projections, per GPT-2 paper
            for pn, p in self.named_parameters():
                if pn.endswith('c_proj.weight'):
                    torch.nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

            # report number of parameters
            print("number of parameters: %.2fM" % (self.get_num_params() / 1e6,))

        def get_num_params(self, non_embedding=True):
            """
            Return the number of parameters in the model.
            For non-embedding count (default), the position embeddings get subtracted.
            The token embeddings would too, except due to the parameter sharing these
            params are actually used as weights in the final layer, so we include them.
            """
            n_params = sum(p.numel() for p in self.parameters())
            if non_embedding:
                n_params -= self.transformer.wpe.weight.numel()
            return n_params

        def _init_weights(self, module):
            if isinstance(module, nn.Linear):
                torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
                if module.bias is not None:
                    torch.nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Embedding):
                torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)

        def forward(self, idx, targets=None):
            device = idx.device
            b, t = idx.size()
            assert t <= self.config.block_size, f"Cannot forward sequence of length {t}, block size is only {self.config.block_size}"  # noqa: E501
            pos = torch.arange(0, t, dtype=torch.long, device=device)  # shape (t)

            # forward the GPT model itself
            tok_emb = self.transformer.wte(idx)  # token embeddings of shape (b, t, n_embd)
            pos_emb = self.transformer.wpe(pos)  # position embeddings of shape (t, n_embd)
            x = self.transformer.drop(tok_emb + pos_emb)
            for block in self.transformer.h:
                x = block(x)
            x = self.transformer.ln_f(x)

            if targets is not None:
                # if we are given some desired targets also calculate the loss
                logits = self.lm_head(x)
                loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1)
            else:
                # inference-time mini-optimization: only forward the lm_head on the very last position
                logits = self.lm_head(x[:, [-1], :])  # note: using list [-1] to preserve the time dim
                loss = None

            return logits, loss

        def crop_block_size(self, block_size):
            # model surgery to decrease the block size if necessary
            # e.g. we may load the GPT2 pretrained model checkpoint (block size 1024)
            # but want to use a smaller block size for some smaller, simpler model
            assert block_size <= self.config.block_size
            self.config.block_size = block_size
            self.transformer.wpe.weight = nn.Parameter(self.transformer.wpe.weight[:block_size])
            for block in self.transformer.h:
                if hasattr(block.attn, 'bias'):
                    block.attn.bias = block.attn.bias[:, :, :block_size, :block_size]

        def configure_optimizers(self, weight_decay, learning_rate, betas, device_type):
            # start with all of the candidate parameters
            param_dict = {pn: p for pn, p in self.named_parameters()}
            # filter out those that do not require grad
            param_dict = {pn: p for pn, p in param_dict.items() if p.requires_grad}
            # create optim groups. Any parameters that is 2D will be weight decayed, otherwise no.
            # i.e. all weight tensors in matmuls + embeddings decay, all biases and layernorms don't.
            decay_params = [p for n, p in param_dict.items() if p.dim() >= 2]
            nodecay_params = [p for n, p in param_dict.items() if p.dim() < 2]
            optim_groups = [
                {'params': decay_params, 'weight_decay': weight_decay},
                {'params': nodecay_params, 'weight_decay': 0.0}
            ]
            num_decay_params = sum(p.numel() for p in decay_params)
            num_nodecay_params = sum(p.numel() for p in nodecay_params)
            print(f"num decayed parameter tensors: {len(decay_params)}, with {num_decay_params:,} parameters")
            print(f"num non-decayed parameter tensors: {len(nodecay_params)}, with {num_nodecay_params:,} parameters")
            # Create AdamW optimizer and use the fused version if it is available
            fused_available = 'fused' in inspect.signature(torch.optim.AdamW).parameters
            use_fused = fused_available and device_type == 'cuda'
            extra_args = dict(fused=True) if use_fused else dict()
            optimizer = torch.optim.AdamW(optim_groups, lr=learning_rate, betas=betas, **extra_args)
            print(f"using fused AdamW: {use_fused}")

            return optimizer

        def estimate_mfu(self, fwdbwd_per_iter, dt):
            """ estimate model flops utilization (MFU) in units of A100 bfloat16 peak FLOPS """
            # first estimate the number of flops we do per iteration.
            # see PaLM paper Appendix B as ref: https://arxiv.org/abs/2204.02311
            N = self.get_num_params()
            cfg = self.config
            L, H, Q, T = cfg.n_layer, cfg.n_head, cfg.n_embd // cfg.n_head, cfg.block_size
            flops_per_token = 6 * N + 12 * L * H * Q * T
            flops_per_fwdbwd = flops_per_token * T
            flops_per_iter = flops_per_fwdbwd * fwdbwd_per_iter
            # express our flops throughput as ratio of A100 bfloat16 peak flops
            flops_achieved = flops_per_iter * (1.0 / dt)  # per second
            flops_promised = 312e12  # A100 GPU bfloat16 peak flops is 312 TFLOPS
            mfu = flops_achieved / flops_promised
            return mfu

        @torch.no_grad()
        def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None, uniforms=None):
            """
            Take a conditioning sequence of indices idx (LongTensor of shape (b,t)) and complete
            the sequence max_new_tokens times, feeding the predictions back into the model each time.
            Most likely you'll want to make sure to be in model.eval() mode of operation for this.
            """
            for _ in range(max_new_tokens):
                # if the sequence context is growing too long we must crop it at block_size
                idx_cond = idx if idx.size(1) <= self.config.block_size else idx[:, -self.config.block_size:]
                # forward the model to get the logits for the index in the sequence
                logits, _ = self(idx_cond)
                # pluck the logits at the final step and scale by desired temperature
                logits = logits[:, -1, :] / temperature
                # optionally crop the logits to only the top k options
                if top_k is not None:
                    v, _ = torch.topk(logits, min(top_k, logits.size(-1)))
                    logits[logits < v[:, [-1]]] = -float('Inf')
                # apply softmax to convert logits to (normalized) probabilities
                probs = F.softmax(logits, dim=-1)
                # sample from the distribution
                idx_next = torch.multinomial(probs, num_samples=1)
                if uniforms is not None:  # port: the test's uniforms, by the inverse CDF
                    u = torch.tensor(uniforms[idx.size(1)])
                    idx_next = (probs.cumsum(-1) < u).sum(-1, keepdim=True).clamp(max=probs.size(-1) - 1)
                # append sampled index to the running sequence and continue
                idx = torch.cat((idx, idx_next), dim=1)

            return idx

    return GPTConfig, GPT


_TINY = dict(n_layer=2, n_head=2, n_embd=16, block_size=8, bias=True, vocab_size=None, dropout=0.0)


def _vocab():
    chars = sorted(set(TEXT))
    return chars, {ch: i for i, ch in enumerate(chars)}


def nanogpt_model(torch, state, flash=True, bias=True, uniforms=None, crop=None):
    """Build nanoGPT's GPT, load the test's weights, run a forward/backward, generate with
    temperature and top_k, and (crop=n) do crop_block_size surgery."""
    GPTConfig, GPT = nanogpt_classes(torch, flash)
    chars, stoi = _vocab()
    config = GPTConfig(**dict(_TINY, vocab_size=len(chars), bias=bias))
    model = GPT(config).double()  # port: float64 for the comparison
    model.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    tied = model.transformer.wte.weight is model.lm_head.weight
    idx = torch.tensor([[stoi[c] for c in "the engine "[:8]], [stoi[c] for c in "valley r"]])
    logits, loss = model(idx, idx.roll(-1, 1))
    loss.backward()
    grads = {n: p.grad for n, p in model.named_parameters()}
    model.eval()
    prompt = torch.tensor([[stoi["t"]], [stoi["a"]]])
    sample = model.generate(prompt, 10, temperature=0.8, top_k=5, uniforms=uniforms)
    out = {"tied": np.array(tied), "n": np.array(model.get_num_params()), "loss": loss, "grads": grads,
           "sample": sample, "logits_last": model(idx)[0], "names": np.array(sorted(grads))}
    if crop is not None:
        model.crop_block_size(crop)
        out["cropped_logits"] = model(idx[:, :crop])[0]
        out["wpe_is_param"] = np.array(any(p is model.transformer.wpe.weight for p in model.parameters()))
        out["cropped_state"] = model.state_dict()
    return out


@pytest.mark.parametrize("flash,bias", [(True, True), (False, True), (True, False)],
                         ids=["sdpa", "manual-attention", "no-bias"])
def test_nanogpt_model(flash, bias):
    GPTConfig, GPT = nanogpt_classes(minigrad, flash)
    chars, _ = _vocab()
    model = GPT(GPTConfig(**dict(_TINY, vocab_size=len(chars), bias=bias)))
    state = {k: _np(v).astype(np.float64) for k, v in model.state_dict().items()}
    # the init: N(0, 0.02), the residual projections N(0, 0.02 / sqrt(2 n_layer)), zero biases
    w = state["transformer.h.0.mlp.c_proj.weight"], state["transformer.h.0.mlp.c_fc.weight"]
    assert 0.007 < w[0].std() < 0.013 and 0.016 < w[1].std() < 0.024
    assert ("transformer.h.0.attn.c_attn.bias" in state) == bias
    if bias:
        assert not state["transformer.h.0.attn.c_attn.bias"].any()
    np.testing.assert_array_equal(state["lm_head.weight"], state["transformer.wte.weight"])
    uniforms = {t: np.random.default_rng(t).random((2, 1)) for t in range(1, 12)}
    ours = _run_both(nanogpt_model, state, flash, bias, uniforms, crop=5)
    assert ours["tied"] and ours["wpe_is_param"]
    # tied: one parameter, named once (the first name), its gradient from both uses
    assert "lm_head.weight" not in ours["names"] and "transformer.wte.weight" in ours["names"]
    buffers = {k for k in state if k.endswith(".attn.bias")}  # the manual path's causal mask
    n_params = sum(v.size for k, v in state.items() if k not in {"lm_head.weight", "transformer.wpe.weight", *buffers})
    assert ours["n"] == n_params
    assert ours["sample"].shape == (2, 11) and ours["cropped_state"]["transformer.wpe.weight"].shape == (5, 16)
    if not flash:
        assert ours["cropped_state"]["transformer.h.0.attn.bias"].shape == (1, 1, 5, 5)
    assert ours["cropped_logits"].shape == (2, 1, len(chars))


# ***** 3. nanoGPT: train.py *****


def nanogpt_train(torch, out_dir, data_dir, init_from, state=None, draws=None, max_iters=6, compile=True):
    """train.py's single-process path (no DDP, no wandb) with a tiny config: the cosine learning
    rate set by hand, gradient accumulation, clip_grad_norm_, the GradScaler, torch.compile,
    estimate_loss and a checkpoint every eval_interval; init_from='resume' goes on from it."""
    GPTConfig, GPT = nanogpt_classes(torch)
    # -----------------------------------------------------------------------------
    # default config values designed to train a gpt2 (124M) on OpenWebText; here: tiny
    eval_interval = 3
    log_interval = 1
    eval_iters = 2
    eval_only = False  # if True, script exits right after the first eval
    always_save_checkpoint = True  # if True, always save a checkpoint after each eval
    gradient_accumulation_steps = 2  # used to simulate larger batch sizes
    batch_size = 3  # if gradient_accumulation_steps > 1, this is the micro-batch size
    block_size = 8
    n_layer, n_head, n_embd, dropout, bias = 2, 2, 16, 0.0, True
    learning_rate = 6e-3  # max learning rate
    weight_decay = 1e-1
    beta1, beta2 = 0.9, 0.95
    grad_clip = 0.5  # clip gradients at this value, or disable if == 0.0
    decay_lr = True  # whether to decay the learning rate
    warmup_iters = 2  # how many steps to warm up for
    lr_decay_iters = 6  # should be ~= max_iters per Chinchilla
    min_lr = 6e-4  # minimum learning rate, should be ~= learning_rate/10 per Chinchilla
    backend = 'nccl'  # noqa: F841  ('nccl', 'gloo', etc.: DDP only)
    device = 'cpu'  # port: 'cuda' (the comparison runs on the CPU)
    dtype = 'bfloat16' if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else 'float16'
    config = dict(eval_interval=eval_interval, max_iters=max_iters, learning_rate=learning_rate, dtype=dtype,
                  compile=compile, device=device)  # port: train.py collects its globals
    # -----------------------------------------------------------------------------
    ddp, master_process, seed_offset = False, True, 0
    tokens_per_iter = gradient_accumulation_steps * batch_size * block_size
    print(f"tokens per iteration will be: {tokens_per_iter:,}")
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(1337 + seed_offset)
    torch.backends.cuda.matmul.allow_tf32 = True  # allow tf32 on matmul
    torch.backends.cudnn.allow_tf32 = True  # allow tf32 on cudnn
    device_type = 'cuda' if 'cuda' in device else 'cpu'  # for later use in torch.autocast
    # note: float16 data type will automatically use a GradScaler
    ptdtype = {'float32': torch.float32, 'bfloat16': torch.bfloat16, 'float16': torch.float16}[dtype]
    ctx = nullcontext() if device_type == 'cpu' else torch.amp.autocast(device_type=device_type, dtype=ptdtype)

    # poor man's data loader
    draw = (ix for ix in draws) if draws is not None else None

    def get_batch(split):
        # We recreate np.memmap every batch to avoid a memory leak, as per
        # https://stackoverflow.com/questions/45132940/numpy-memmap-memory-usage-want-to-iterate-once/61472122#61472122
        if split == 'train':
            data = np.memmap(os.path.join(data_dir, 'train.bin'), dtype=np.uint16, mode='r')
        else:
            data = np.memmap(os.path.join(data_dir, 'val.bin'), dtype=np.uint16, mode='r')
        ix = torch.randint(len(data) - block_size, (batch_size,))
        if draw is not None:
            ix = torch.tensor(next(draw)) % (len(data) - block_size)  # port: the test's draws
        x = torch.stack([torch.from_numpy((data[i:i + block_size]).astype(np.int64)) for i in ix])
        y = torch.stack([torch.from_numpy((data[i + 1:i + 1 + block_size]).astype(np.int64)) for i in ix])
        if device_type == 'cuda':
            # pin arrays x,y, which allows us to move them to GPU asynchronously (non_blocking=True)
            x, y = x.pin_memory().to(device, non_blocking=True), y.pin_memory().to(device, non_blocking=True)
        else:
            x, y = x.to(device), y.to(device)
        return x, y

    # init these up here, can override if init_from='resume' (i.e. from a checkpoint)
    iter_num = 0
    best_val_loss = 1e9

    # attempt to derive vocab_size from the dataset
    meta_vocab_size = len(_vocab()[0])  # port: meta.pkl's vocab_size (minigrad does not unpickle)

    # model init
    model_args = dict(n_layer=n_layer, n_head=n_head, n_embd=n_embd, block_size=block_size,
                      bias=bias, vocab_size=None, dropout=dropout)  # start with model_args from command line
    if init_from == 'scratch':
        # init a new model from scratch
        print("Initializing a new model from scratch")
        # determine the vocab size we'll use for from-scratch training
        if meta_vocab_size is None:
            print("defaulting to vocab_size of GPT-2 to 50304 (50257 rounded up for efficiency)")
        model_args['vocab_size'] = meta_vocab_size if meta_vocab_size is not None else 50304
        gptconf = GPTConfig(**model_args)
        model = GPT(gptconf)
        model = _load(torch, model.double(), state)  # port: float64 and the test's initial weights
    elif init_from == 'resume':
        print(f"Resuming training from {out_dir}")
        # resume training from a checkpoint.
        ckpt_path = os.path.join(out_dir, 'ckpt.pt')
        checkpoint = torch.load(ckpt_path, map_location=device)
        checkpoint_model_args = checkpoint['model_args']
        # force these config attributes to be equal otherwise we can't even resume training
        # the rest of the attributes (e.g. dropout) can stay as desired from command line
        for k in ['n_layer', 'n_head', 'n_embd', 'block_size', 'bias', 'vocab_size']:
            model_args[k] = checkpoint_model_args[k]
        # create the model
        gptconf = GPTConfig(**model_args)
        model = GPT(gptconf).double()  # port: float64
        state_dict = checkpoint['model']
        # fix the keys of the state dictionary :(
        # honestly no idea how checkpoints sometimes get this prefix, have to debug more
        unwanted_prefix = '_orig_mod.'
        for k, v in list(state_dict.items()):
            if k.startswith(unwanted_prefix):
                state_dict[k[len(unwanted_prefix):]] = state_dict.pop(k)
        model.load_state_dict(state_dict)
        iter_num = checkpoint['iter_num']
        best_val_loss = checkpoint['best_val_loss']
    # crop down the model block size if desired, using model surgery
    if block_size < model.config.block_size:
        model.crop_block_size(block_size)
        model_args['block_size'] = block_size  # so that the checkpoint will have the right value
    model.to(device)

    # initialize a GradScaler. If enabled=False scaler is a no-op
    scaler = torch.cuda.amp.GradScaler(enabled=(dtype == 'float16'))

    # optimizer
    optimizer = model.configure_optimizers(weight_decay, learning_rate, (beta1, beta2), device_type)
    if init_from == 'resume':
        optimizer.load_state_dict(checkpoint['optimizer'])
    checkpoint = None  # free up memory

    # compile the model
    if compile:
        print("compiling the model... (takes a ~minute)")
        unoptimized_model = model  # noqa: F841
        model = torch.compile(model)  # requires PyTorch 2.0

    # helps estimate an arbitrarily accurate loss over either split using many batches
    @torch.no_grad()
    def estimate_loss():
        out = {}
        model.eval()
        for split in ['train', 'val']:
            losses = torch.zeros(eval_iters)
            for k in range(eval_iters):
                X, Y = get_batch(split)
                with ctx:
                    logits, loss = model(X, Y)
                losses[k] = loss.item()
            out[split] = losses.mean()
        model.train()
        return out

    # learning rate decay scheduler (cosine with warmup)
    def get_lr(it):
        # 1) linear warmup for warmup_iters steps
        if it < warmup_iters:
            return learning_rate * (it + 1) / (warmup_iters + 1)
        # 2) if it > lr_decay_iters, return min learning rate
        if it > lr_decay_iters:
            return min_lr
        # 3) in between, use cosine decay down to min learning rate
        decay_ratio = (it - warmup_iters) / (lr_decay_iters - warmup_iters)
        assert 0 <= decay_ratio <= 1
        coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))  # coeff ranges 0..1
        return min_lr + coeff * (learning_rate - min_lr)

    # training loop
    record = {"loss": [], "lr": [], "norm": [], "val": []}
    X, Y = get_batch('train')  # fetch the very first batch
    t0 = time.time()
    local_iter_num = 0  # number of iterations in the lifetime of this process
    raw_model = model.module if ddp else model  # unwrap DDP container if needed
    running_mfu = -1.0
    while True:

        # determine and set the learning rate for this iteration
        lr = get_lr(iter_num) if decay_lr else learning_rate
        for param_group in optimizer.param_groups:
            param_group['lr'] = lr

        # evaluate the loss on train/val sets and write checkpoints
        if iter_num % eval_interval == 0 and master_process:
            losses = estimate_loss()
            print(f"step {iter_num}: train loss {losses['train']:.4f}, val loss {losses['val']:.4f}")
            record["val"].append(losses['val'])
            if losses['val'] < best_val_loss or always_save_checkpoint:
                best_val_loss = losses['val']
                if iter_num > 0:
                    checkpoint = {
                        'model': raw_model.state_dict(),
                        'optimizer': optimizer.state_dict(),
                        'model_args': model_args,
                        'iter_num': iter_num,
                        'best_val_loss': best_val_loss,
                        'config': config,
                    }
                    print(f"saving checkpoint to {out_dir}")
                    torch.save(checkpoint, os.path.join(out_dir, 'ckpt.pt'))
        if iter_num == 0 and eval_only:
            break

        # forward backward update, with optional gradient accumulation to simulate larger batch size
        # and using the GradScaler if data type is float16
        for micro_step in range(gradient_accumulation_steps):
            with ctx:
                logits, loss = model(X, Y)
                loss = loss / gradient_accumulation_steps  # scale the loss to account for gradient accumulation
            # immediately async prefetch next batch while model is doing the forward pass on the GPU
            X, Y = get_batch('train')
            # backward pass, with gradient scaling if training in fp16
            scaler.scale(loss).backward()
        # clip the gradient
        if grad_clip != 0.0:
            scaler.unscale_(optimizer)
            record["norm"].append(torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip))
        # step the optimizer and scaler if training in fp16
        scaler.step(optimizer)
        scaler.update()
        # flush the gradients as soon as we can, no need for this memory anymore
        optimizer.zero_grad(set_to_none=True)

        # timing and logging
        t1 = time.time()
        dt = t1 - t0
        t0 = t1
        if iter_num % log_interval == 0 and master_process:
            # get loss as float. note: this is a CPU-GPU sync point
            # scale up to undo the division above, approximating the true total loss
            lossf = loss.item() * gradient_accumulation_steps
            if local_iter_num >= 5:  # let the training loop take a few iterations to settle down
                mfu = raw_model.estimate_mfu(batch_size * gradient_accumulation_steps, max(dt, 1e-9))
                running_mfu = mfu if running_mfu == -1.0 else 0.9 * running_mfu + 0.1 * mfu
            print(f"iter {iter_num}: loss {lossf:.4f}, time {dt * 1000:.2f}ms, mfu {running_mfu * 100:.2f}%")
            record["loss"].append(lossf)
            record["lr"].append(lr)
        iter_num += 1
        local_iter_num += 1

        # termination conditions
        if iter_num > max_iters:
            break

    record["state"] = raw_model.state_dict()
    record["exp_avg"] = [optimizer.state[p]["exp_avg"] for p in raw_model.parameters()]
    record["best_val_loss"] = best_val_loss
    record["tied"] = np.array(raw_model.lm_head.weight is raw_model.transformer.wte.weight)
    return record


def _write_bins(data_dir):
    """prepare.py's output for the test's text: train.bin and val.bin of uint16 token ids."""
    _, stoi = _vocab()
    ids = np.array([stoi[c] for c in TEXT], dtype=np.uint16)
    n = int(0.9 * len(ids))
    os.makedirs(data_dir, exist_ok=True)
    ids[:n].tofile(os.path.join(data_dir, 'train.bin'))
    ids[n:].tofile(os.path.join(data_dir, 'val.bin'))


@pytest.mark.filterwarnings("ignore:.*GradScaler")  # train.py makes one; both libraries say it is disabled on a CPU
def test_nanogpt_train_and_resume(tmp_path):
    GPTConfig, GPT = nanogpt_classes(minigrad)
    state = _state(GPT(GPTConfig(**dict(_TINY, vocab_size=len(_vocab()[0])))).double())
    _write_bins(tmp_path / "data")
    rng = np.random.default_rng(5)
    draws = [rng.integers(0, 10**6, 3) for _ in range(200)]
    results = {}
    for lib in [minigrad] + ([torch] if torch is not None else []):
        out = tmp_path / lib.__name__
        # port: torch.compile on the CPU builds C++ kernels for minutes; torch runs uncompiled
        compile = lib is minigrad
        scratch = nanogpt_train(lib, str(out), str(tmp_path / "data"), 'scratch', state, draws, 6, compile)
        # a checkpoint of a torch-compiled model, as nanoGPT meets it: '_orig_mod.' keys
        ckpt = lib.load(str(out / "ckpt.pt"))
        assert ckpt['iter_num'] == 6 and ckpt['model_args']['vocab_size'] == len(_vocab()[0])
        ckpt['model'] = {'_orig_mod.' + k: v for k, v in ckpt['model'].items()}
        lib.save(ckpt, str(out / "ckpt.pt"))
        resumed = nanogpt_train(lib, str(out), str(tmp_path / "data"), 'resume', None, draws, 9, compile)
        results[lib.__name__] = _np({"scratch": scratch, "resumed": resumed})
    ours = results["minigrad"]
    if torch is not None:
        _assert_same(ours, results["torch"])
    s, r = ours["scratch"], ours["resumed"]
    assert s["tied"] and r["tied"]
    assert len(s["loss"]) == 7 and len(r["loss"]) == 4  # iterations 0..6, then 6..9 from the checkpoint
    assert s["lr"][:3] == pytest.approx([6e-3 / 3, 6e-3 * 2 / 3, 6e-3]) and s["lr"][-1] == pytest.approx(6e-4)
    assert max(s["norm"]) > 0.5  # clipping happened
    assert s["loss"][-1] < s["loss"][0]
    # train.py as written: torch.randint batches from its seed
    own = nanogpt_train(minigrad, str(tmp_path / "own"), str(tmp_path / "data"), 'scratch', state, None, 6)
    assert np.isfinite(own["loss"]).all() and own["loss"][-1] < own["loss"][0]


# ***** what GPT training scripts call around the model *****


def test_compile_autocast_and_grad_scaler_are_honest_stand_ins():
    model = minigrad.nn.Linear(3, 2)
    assert minigrad.compile(model) is model and minigrad.compile(mode="max-autotune")(len) is len

    @minigrad.compile
    def f(x):
        return x * 2
    assert f(minigrad.ones(1)).item() == 2.0
    # autocast: accepted only where it changes nothing; mixed precision is a clear error
    for ctx in (minigrad.autocast("cpu", enabled=False), minigrad.amp.autocast("cuda", dtype=minigrad.float32),
                minigrad.cuda.amp.autocast(enabled=False)):
        with ctx:
            assert (model(minigrad.ones(1, 3)).dtype) == minigrad.float32
    for make in (lambda: minigrad.autocast("cuda", dtype=minigrad.float16), lambda: minigrad.autocast("cpu"),
                 lambda: minigrad.amp.autocast("cuda", dtype=minigrad.bfloat16), minigrad.cuda.amp.autocast):
        with pytest.raises((NotImplementedError, TypeError), match="bfloat16|mixed precision"):
            make()
    # a disabled GradScaler passes everything through (torch's disabled scaler does the same)
    opt = minigrad.optim.SGD(model.parameters(), lr=0.1)
    scaler = minigrad.amp.GradScaler("cuda", enabled=False)
    loss = model(minigrad.ones(1, 3)).sum()
    assert scaler.scale(loss) is loss and not scaler.is_enabled() and scaler.state_dict() == {}
    loss.backward()
    before = model.weight.detach().clone()
    scaler.unscale_(opt)
    scaler.step(opt)
    scaler.update()
    assert np.allclose(model.weight.detach().numpy(), before.numpy() - 0.1 * model.weight.grad.numpy())
    if not minigrad.cuda.is_available():  # torch's rule: a "cuda" scaler without a GPU disables itself
        with pytest.warns(UserWarning, match="CUDA is not available"):
            assert not minigrad.cuda.amp.GradScaler(enabled=True).is_enabled()
    with pytest.raises(NotImplementedError, match="enabled=False"):
        minigrad.amp.GradScaler("cpu")
    assert minigrad.cuda.is_bf16_supported() is False


def test_backend_flags_and_bfloat16_name():
    minigrad.backends.cuda.matmul.allow_tf32 = True
    minigrad.backends.cudnn.allow_tf32 = True
    minigrad.set_float32_matmul_precision("high")
    assert minigrad.get_float32_matmul_precision() == "high"
    minigrad.set_float32_matmul_precision("highest")
    with pytest.raises(ValueError):
        minigrad.set_float32_matmul_precision("low")
    table = {'float32': minigrad.float32, 'bfloat16': minigrad.bfloat16, 'float16': minigrad.float16}
    for use in (lambda: minigrad.zeros(2, dtype=table['bfloat16']), lambda: minigrad.ones(2).to(minigrad.bfloat16),
                lambda: minigrad.nn.Linear(2, 2).to(dtype=minigrad.bfloat16)):
        with pytest.raises(TypeError, match="no bfloat16"):
            use()


def test_an_integer_tensor_of_one_element_is_an_index():
    data, ix = minigrad.arange(10), minigrad.tensor([2, 5])
    assert [data[i:i + 3].tolist() for i in ix] == [[2, 3, 4], [5, 6, 7]]
    assert [0, 1, 2, 3][minigrad.tensor(3)] == 3 and list(range(minigrad.tensor([4])))[-1] == 3
    for bad in (minigrad.tensor([1, 2]), minigrad.tensor(1.0)):
        with pytest.raises(TypeError, match="only integer tensors of a single element"):
            [0, 1, 2][bad]


def test_tied_weights_are_one_parameter_everywhere(tmp_path):
    """nanoGPT's `wte.weight = lm_head.weight`: one parameter for parameters(), the optimizer and
    clip_grad_norm_, both names in state_dict (as torch), and the tie kept through .double(),
    load_state_dict, save/load and .to()."""
    nn = minigrad.nn
    model = nn.ModuleDict(dict(wte=nn.Embedding(5, 4), head=nn.Linear(4, 5, bias=False)))
    model.wte.weight = model.head.weight
    assert len(list(model.parameters())) == 1 and [n for n, _ in model.named_parameters()] == ["wte.weight"]
    assert sorted(model.state_dict()) == ["head.weight", "wte.weight"]
    model = model.double()
    assert model.wte.weight is model.head.weight and model.wte.weight.dtype == minigrad.float64
    minigrad.save(model.state_dict(), str(tmp_path / "tied.npz"))
    model.load_state_dict(minigrad.load(str(tmp_path / "tied.npz")))
    assert model.wte.weight is model.head.weight
    x = minigrad.tensor([[1, 2]])
    out = model.head(model.wte(x)).sum()
    out.backward()
    W = model.head.weight.detach().numpy()
    expected = np.zeros_like(W)  # both uses add: the embedding rows and the head's input gradient
    expected[[1, 2]] += W.sum(0)
    expected += W[[1, 2]].sum(0)
    np.testing.assert_allclose(model.wte.weight.grad.numpy(), expected)
    opt = minigrad.optim.AdamW(model.parameters(), lr=0.1)
    assert sum(len(g["params"]) for g in opt.param_groups) == 1
