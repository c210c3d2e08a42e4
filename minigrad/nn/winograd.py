"""Winograd's minimal filtering F(2x2, 3x3): a 3x3, stride-1 convolution with 2.25x fewer
multiplications than im2col, for Conv2dFunction (conv.py).

The output is cut into 2x2 tiles; tile t needs the 4x4 input tile d around it (tiles overlap by
two pixels). For one input channel c and one output channel k (Lavin and Gray, 2015):

    Y = A^T [ U * V ] A         U = G g G^T (4x4, from the 3x3 kernel g[k, c])
                                V = B^T d B (4x4, from the input tile d[c, t])

with * elementwise and

    B^T = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]
    G   = [[1, 0, 0], [1/2, 1/2, 1/2], [1/2, -1/2, 1/2], [0, 0, 1]]
    A^T = [[1, 1, 1, 0], [0, 1, -1, -1]]

Summing over the input channels, each of the 16 positions (a, b) of the 4x4 tile is one matrix
product over every tile of the batch at once: M[a, b] = U[a, b] (C_out x C) @ V[a, b] (C x T).
That is 16 products per 4 output pixels where im2col does 9 per pixel: the 2.25x. The
transforms with B and A are only additions and subtractions (`_combine`), over whole strided
views of the input, one per tile position. The backward pass is the same chain transposed:
dM = A dY A^T, dU = dM V^T, dV = U^T dM, dd = B dV B^T, and dg = G^T dU G.

Arrays are kept CHWN in memory like the rest of conv.py: a tile position (i, j) of every tile
is the view x[:, i::2, j::2, :] of a (C, H, W, N) array, whose inner loop runs over tile columns
and the batch.

Rounding: the transforms are exact in binary (coefficients 0, +-1, +-1/2), but the sums are
grouped differently than in im2col, so results differ from it (and from PyTorch) by rounding.
Measured against float64 on a 32-channel layer: the largest float32 error is 2e-7 of the
output's scale (im2col's: 6e-7); float64 agrees with im2col to 1e-12 (tests/test_conv.py).
"""

from __future__ import annotations

import numpy as np

from .. import _scratch

B_T = ((1, 0, -1, 0), (0, 1, 1, 0), (0, -1, 1, 0), (0, 1, 0, -1))
A_T = ((1, 1, 1, 0), (0, 1, -1, -1))
G = ((1.0, 0.0, 0.0), (0.5, 0.5, 0.5), (0.5, -0.5, 0.5), (0.0, 0.0, 1.0))


def _transpose(mat: tuple) -> tuple:
    return tuple(zip(*mat))


def _combine(xp, mat: tuple, parts: list, out: list) -> None:
    """out[r] = sum_j mat[r][j] * parts[j], for a matrix of 0 and +-1: additions only, the first
    two terms in one pass."""
    for row, o in zip(mat, out):
        terms = [(sign, p) for sign, p in zip(row, parts) if sign]
        (s0, p0), rest = terms[0], terms[1:]
        if rest and rest[0][0] != s0:  # p0 - p1 or p1 - p0
            (_, p1), rest = rest[0], rest[1:]
            xp.subtract(p0, p1, out=o) if s0 > 0 else xp.subtract(p1, p0, out=o)
        elif rest and s0 > 0:  # p0 + p1
            (_, p1), rest = rest[0], rest[1:]
            xp.add(p0, p1, out=o)
        else:  # +-p0
            xp.multiply(p0, s0, out=o)
        for sign, p in rest:
            (xp.add if sign > 0 else xp.subtract)(o, p, out=o)


def applies(xp, kernel: tuple, stride: tuple, dilation: tuple, groups: int, channels: int) -> bool:
    """Whether Conv2dFunction uses this algorithm: on the CPU, for 3x3, stride 1, no dilation,
    one group, and enough input channels for the 16 products to be real matrix products (with 1
    or 3 input channels, as in a first layer, im2col's single product measured faster).
    NOTE: not on a GPU. There each elementwise pass of the transforms is a kernel launch, about
    150 per layer and training step against about a dozen for im2col, whose one large product
    is what a GPU does best; the trade has not been measured on a GPU yet."""
    return (xp is np and kernel == (3, 3) and stride == (1, 1) and dilation == (1, 1) and groups == 1
            and channels >= 8)


def kernel_transform(xp, W):
    """U (16, C_out, C) = G g G^T for every kernel g = W[k, c] (3x3)."""
    g = xp.asarray(G, dtype=W.dtype)
    # matmul over the last two dims, for every (k, c) at once (a 3-operand einsum measured 3x slower)
    return (g @ W @ g.T).transpose(2, 3, 0, 1).reshape(16, *W.shape[:2])


def forward(xp, xpad, U, cache=None):
    """The convolution of xpad (C, 2*th + 2, 2*tw + 2, N), padded already, by the kernels whose
    transform is U: returns (y, V), y (C_out, 2*th, 2*tw, N), V (16, C, th*tw*N) for backward."""
    c, hp, wp, n = xpad.shape
    th, tw = (hp - 2) // 2, (wp - 2) // 2
    V = _scratch.empty(cache, xp, (4, 4, c, th, tw, n), xpad.dtype)
    for ch in _chunks(c):  # V = B^T d B
        x = xpad[ch]
        tiles = [[x[:, i : i + 2 * th : 2, j : j + 2 * tw : 2] for j in range(4)] for i in range(4)]
        _transform(xp, B_T, tiles, V[:, :, ch], cache)
    V = V.reshape(16, c, th * tw * n)
    M = _scratch.matmul(cache, xp, U, V).reshape(4, 4, -1, th, tw, n)  # the 16 products
    y = _scratch.empty(cache, xp, (M.shape[2], 2 * th, 2 * tw, n), xpad.dtype)
    for ch in _chunks(M.shape[2]):  # y = A^T M A
        _transform(xp, A_T, M[:, :, ch], [[y[ch, r::2, s::2] for s in range(2)] for r in range(2)], cache)
    return y, V


def backward(xp, gy, U, V, shape_in: tuple, cache=None, need_x=True, need_w=True):
    """Gradients of forward's y for its upstream gradient gy (C_out, 2*th, 2*tw, N): the padded
    input's (C, 2*th + 2, 2*tw + 2, N) and the 3x3 kernels' (C_out, C, 3, 3); None for what is
    not needed."""
    k, h2, w2, n = gy.shape
    th, tw = h2 // 2, w2 // 2
    dM = _scratch.empty(cache, xp, (4, 4, k, th, tw, n), gy.dtype)
    for ch in _chunks(k):  # dM = A dY A^T
        g = gy[ch]
        _transform(xp, _transpose(A_T), [[g[:, r::2, s::2] for s in range(2)] for r in range(2)], dM[:, :, ch],
                   cache)
    dM = dM.reshape(16, k, th * tw * n)
    gx = gW = None
    if need_w:
        dU = xp.matmul(dM, V.transpose(0, 2, 1)).reshape(4, 4, k, -1)  # dU = dM V^T
        g = xp.asarray(G, dtype=gy.dtype)
        gW = g.T @ dU.transpose(2, 3, 0, 1) @ g  # dg = G^T dU G, for every (k, c)
    if need_x:
        c = U.shape[2]
        dV = _scratch.matmul(cache, xp, U.transpose(0, 2, 1), dM).reshape(4, 4, c, th, tw, n)  # U^T dM
        del dM  # NOTE: memory: each of these arrays is 4x the input (V, dV) or more (dM)
        gx = _scratch.empty(cache, xp, shape_in, gy.dtype)
        gx[:, 2 * th :] = 0  # the last two rows and columns: only tile positions >= 2 reach them
        gx[:, : 2 * th, 2 * tw :] = 0
        for ch in _chunks(c):
            dd = dV[:, :, ch]
            _transform(xp, _transpose(B_T), dd, dd, cache)  # dd = B dV B^T, in place
            for i in range(4):  # each tile position (i, j) is a strided view of the input gradient
                for j in range(4):
                    view = gx[ch, i : i + 2 * th : 2, j : j + 2 * tw : 2]
                    if i < 2 and j < 2:  # these four tile the rest exactly once, and come first
                        view[...] = dd[i, j]
                    else:  # the overlaps add
                        view += dd[i, j]
    return gx, gW


_CHUNK = 16


def _chunks(channels: int) -> list:
    """Slices of _CHUNK channels. WHY: the transforms are a few passes each over arrays 4x the
    size of the input; done 16 channels at a time, their temporaries stay in the CPU's cache,
    which measured 1.2-1.4x faster than whole arrays at once."""
    return [slice(c0, c0 + _CHUNK) for c0 in range(0, channels, _CHUNK)]


def _transform(xp, mat: tuple, views, out, cache) -> None:
    """out[a][b] = sum_ij mat[a][i] mat[b][j] views[i][j]: the 2-d transform mat X mat^T of every
    tile at once, rows first (into a temporary), then columns. `views[i][j]` holds tile position
    (i, j) of every tile. `out` may be `views` itself: the rows pass reads them all before the
    columns pass writes."""
    rows, cols = len(mat), len(views[0])
    buf = _scratch.empty(cache, xp, (rows, cols, *views[0][0].shape), views[0][0].dtype)
    for j in range(cols):
        _combine(xp, mat, [views[i][j] for i in range(len(views))], [buf[a, j] for a in range(rows)])
    for a in range(rows):
        _combine(xp, mat, [buf[a, j] for j in range(cols)], [out[a][b] for b in range(rows)])
