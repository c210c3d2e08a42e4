"""More well-known PyTorch programs, ported by changing the import.

The harness of tests/test_ports.py (imported from there): each program is written the way its
authors write it, as a function of `torch`; the test runs it with `minigrad` and, when PyTorch is
installed, with `torch`, from the same initial weights (NumPy arrays) in float64, and compares
losses, parameters and outputs to 1e-8. The programs: torchvision's ResNet-18 (at a small width),
a U-Net with a Dice loss, the "translation with a sequence to sequence network and attention"
tutorial's GRU encoder and attention decoder, Word2Vec's skip-gram with negative sampling, a
convolutional (and a denoising) autoencoder on MNIST, and the polynomial fits of "Learning PyTorch
with examples" with its LegendrePolynomial3 Function.

Where a port needs a line that differs from the original, the line says so (`# port:`).
"""

import math

import numpy as np
import pytest

import minigrad
from test_ports import _assert_same, _load, _mnist, _np, _one_torch_thread, _run_both, _state  # noqa: F401

try:
    import torch
except ImportError:
    torch = None


# ***** 1. torchvision's ResNet-18 (torchvision/models/resnet.py) *****

W = 8  # port: torchvision's width is 64; 8 keeps the float64 comparison quick


def torchvision_resnet(torch):
    nn = torch.nn

    def conv3x3(in_planes, out_planes, stride=1, groups=1, dilation=1):
        """3x3 convolution with padding"""
        return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride,
                         padding=dilation, groups=groups, bias=False, dilation=dilation)

    def conv1x1(in_planes, out_planes, stride=1):
        """1x1 convolution"""
        return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)

    class BasicBlock(nn.Module):
        expansion: int = 1

        def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1,
                     base_width=W, dilation=1, norm_layer=None):  # port: base_width=W
            super().__init__()
            if norm_layer is None:
                norm_layer = nn.BatchNorm2d
            if groups != 1 or base_width != W:  # port: W
                raise ValueError("BasicBlock only supports groups=1 and base_width=64")
            if dilation > 1:
                raise NotImplementedError("Dilation > 1 not supported in BasicBlock")
            # conv1 and the downsample branch both halve the size when stride != 1
            self.conv1 = conv3x3(inplanes, planes, stride)
            self.bn1 = norm_layer(planes)
            self.relu = nn.ReLU(inplace=True)
            self.conv2 = conv3x3(planes, planes)
            self.bn2 = norm_layer(planes)
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

    class Bottleneck(nn.Module):
        expansion: int = 4

        def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1,
                     base_width=W, dilation=1, norm_layer=None):  # port: base_width=W
            super().__init__()
            if norm_layer is None:
                norm_layer = nn.BatchNorm2d
            width = int(planes * (base_width / float(W))) * groups  # port: W
            # the stride sits on the 3x3 convolution (ResNet V1.5)
            self.conv1 = conv1x1(inplanes, width)
            self.bn1 = norm_layer(width)
            self.conv2 = conv3x3(width, width, stride, groups, dilation)
            self.bn2 = norm_layer(width)
            self.conv3 = conv1x1(width, planes * self.expansion)
            self.bn3 = norm_layer(planes * self.expansion)
            self.relu = nn.ReLU(inplace=True)
            self.downsample = downsample
            self.stride = stride

        def forward(self, x):
            identity = x

            out = self.conv1(x)
            out = self.bn1(out)
            out = self.relu(out)

            out = self.conv2(out)
            out = self.bn2(out)
            out = self.relu(out)

            out = self.conv3(out)
            out = self.bn3(out)

            if self.downsample is not None:
                identity = self.downsample(x)

            out += identity
            out = self.relu(out)

            return out

    class ResNet(nn.Module):
        def __init__(self, block, layers, num_classes=1000, zero_init_residual=False, groups=1,
                     width_per_group=W, replace_stride_with_dilation=None, norm_layer=None):
            super().__init__()
            if norm_layer is None:
                norm_layer = nn.BatchNorm2d
            self._norm_layer = norm_layer

            self.inplanes = W  # port: 64
            self.dilation = 1
            if replace_stride_with_dilation is None:
                # each element in the tuple indicates if we should replace
                # the 2x2 stride with a dilated convolution instead
                replace_stride_with_dilation = [False, False, False]
            if len(replace_stride_with_dilation) != 3:
                raise ValueError(
                    "replace_stride_with_dilation should be None "
                    f"or a 3-element tuple, got {replace_stride_with_dilation}"
                )
            self.groups = groups
            self.base_width = width_per_group
            self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
            self.bn1 = norm_layer(self.inplanes)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
            self.layer1 = self._make_layer(block, W, layers[0])  # port: W for 64, 2W for 128, ...
            self.layer2 = self._make_layer(block, 2 * W, layers[1], stride=2, dilate=replace_stride_with_dilation[0])
            self.layer3 = self._make_layer(block, 4 * W, layers[2], stride=2, dilate=replace_stride_with_dilation[1])
            self.layer4 = self._make_layer(block, 8 * W, layers[3], stride=2, dilate=replace_stride_with_dilation[2])
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(8 * W * block.expansion, num_classes)

            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)

            # Zero-initialize the last BN in each residual branch, so that the residual branch
            # starts with zeros and each residual block behaves like an identity.
            if zero_init_residual:
                for m in self.modules():
                    if isinstance(m, Bottleneck) and m.bn3.weight is not None:
                        nn.init.constant_(m.bn3.weight, 0)  # type: ignore[arg-type]
                    elif isinstance(m, BasicBlock) and m.bn2.weight is not None:
                        nn.init.constant_(m.bn2.weight, 0)  # type: ignore[arg-type]

        def _make_layer(self, block, planes, blocks, stride=1, dilate=False):
            norm_layer = self._norm_layer
            downsample = None
            previous_dilation = self.dilation
            if dilate:
                self.dilation *= stride
                stride = 1
            if stride != 1 or self.inplanes != planes * block.expansion:
                downsample = nn.Sequential(
                    conv1x1(self.inplanes, planes * block.expansion, stride),
                    norm_layer(planes * block.expansion),
                )

            layers = []
            layers.append(
                block(
                    self.inplanes, planes, stride, downsample, self.groups, self.base_width, previous_dilation, norm_layer
                )
            )
            self.inplanes = planes * block.expansion
            for _ in range(1, blocks):
                layers.append(
                    block(
                        self.inplanes,
                        planes,
                        groups=self.groups,
                        base_width=self.base_width,
                        dilation=self.dilation,
                        norm_layer=norm_layer,
                    )
                )

            return nn.Sequential(*layers)

        def _forward_impl(self, x):
            x = self.conv1(x)
            x = self.bn1(x)
            x = self.relu(x)
            x = self.maxpool(x)

            x = self.layer1(x)
            x = self.layer2(x)
            x = self.layer3(x)
            x = self.layer4(x)

            x = self.avgpool(x)
            x = torch.flatten(x, 1)
            x = self.fc(x)

            return x

        def forward(self, x):
            return self._forward_impl(x)

    def resnet18(**kwargs):
        return ResNet(BasicBlock, [2, 2, 2, 2], **kwargs)

    def resnext_tiny(**kwargs):  # resnext50_32x4d's recipe (groups, width_per_group), one block a stage
        return ResNet(Bottleneck, [1, 1, 1, 1], groups=2, width_per_group=W // 2, **kwargs)

    return resnet18, resnext_tiny, BasicBlock, Bottleneck


def resnet18_train(torch, arch, state, data, epochs=2, batch_size=4, **kwargs):
    """torchvision's references/classification/train.py loop, a few steps of it."""
    nn = torch.nn
    resnet18, resnext_tiny, _, _ = torchvision_resnet(torch)
    model = {"resnet18": resnet18, "resnext": resnext_tiny}[arch](num_classes=10, **kwargs)
    model = _load(torch, model.double(), state)  # port: .double() and the shared start
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
    # the references keep weight decay off the normalization layers' weights (--norm-weight-decay 0)
    norm_classes = (nn.BatchNorm2d, nn.LayerNorm, nn.GroupNorm)  # port: nn.modules.batchnorm._BatchNorm, ...
    params = {"other": [], "norm": []}
    for module in model.modules():
        for p in module.parameters(recurse=False):
            params["norm" if isinstance(module, norm_classes) else "other"].append(p)
    optimizer = torch.optim.SGD(
        [{"params": params["other"], "weight_decay": 1e-4}, {"params": params["norm"], "weight_decay": 0.0}],
        lr=0.02, momentum=0.9)
    lr_scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.1)
    data_loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.tensor(data[0]), torch.tensor(data[1])), batch_size=batch_size)
    out = {"loss": [], "acc1": []}
    for epoch in range(epochs):
        model.train()
        losses = []
        for i, (image, target) in enumerate(data_loader):
            output = model(image)
            loss = criterion(output, target)

            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

            _, pred = output.topk(1, 1, True, True)
            pred = pred.t()
            correct = pred.eq(target[None])
            out["acc1"].append(correct[:1].flatten().sum(dtype=torch.float32).item() * 100.0 / batch_size)
            losses.append(loss.item())
        out["loss"].append(sum(losses) / len(losses))
        lr_scheduler.step()
    model.eval()
    with torch.inference_mode():
        out["eval"] = model(torch.tensor(data[0]))
    out["state"] = model.state_dict()
    out["lr"] = lr_scheduler.get_last_lr()
    return out


@pytest.mark.parametrize("arch", ["resnet18", "resnext"])
def test_torchvision_resnet18(arch):
    resnet18, resnext_tiny, BasicBlock, Bottleneck = torchvision_resnet(minigrad)
    build = {"resnet18": resnet18, "resnext": resnext_tiny}[arch]
    model = build(num_classes=10, zero_init_residual=True)
    # the init loop: kaiming_normal_(fan_out) convolutions, BatchNorm at (1, 0), and the last BN
    # of every residual branch at 0
    w = model.conv1.weight.numpy()  # fan_out = W * 7 * 7
    assert abs(w.std() / math.sqrt(2 / (W * 49)) - 1) < 0.1
    last_bn = [m.bn2 if isinstance(m, BasicBlock) else m.bn3 for m in model.modules()
               if isinstance(m, (BasicBlock, Bottleneck))]
    assert len(last_bn) == (8 if arch == "resnet18" else 4)
    assert all((bn.weight.numpy() == 0).all() for bn in last_bn) and (model.bn1.weight.numpy() == 1).all()
    ds = model.layer2[0].downsample  # nn.Sequential(conv1x1, norm_layer)
    assert ds[0].kernel_size == (1, 1) and ds[0].stride == (2, 2) and isinstance(ds[1], minigrad.nn.BatchNorm2d)
    if arch == "resnet18":
        assert model.layer1[0].downsample is None
        with pytest.raises(NotImplementedError, match="Dilation"):
            resnet18(replace_stride_with_dilation=[False, True, True])
    else:
        assert model.layer1[0].conv2.groups == 2
    rng = np.random.default_rng(18)
    data = rng.standard_normal((12, 3, 32, 32)), rng.integers(0, 10, 12)
    ours = _run_both(resnet18_train, arch, _state(model.double()), data)
    assert ours["loss"][-1] < ours["loss"][0] and ours["lr"] == pytest.approx([0.0002, 0.0002])
    assert ours["eval"].shape == (12, 10) and ours["state"]["bn1.num_batches_tracked"] == 6


# ***** 2. a U-Net (the layout of milesial/Pytorch-UNet's unet_parts.py) with a Dice loss *****


def unet_classes(torch, base=4):  # port: base 4 for the original's 64 channels
    nn, F = torch.nn, torch.nn.functional

    class DoubleConv(nn.Module):
        """(convolution => [BN] => ReLU) * 2"""

        def __init__(self, in_channels, out_channels, mid_channels=None):
            super().__init__()
            if not mid_channels:
                mid_channels = out_channels
            self.double_conv = nn.Sequential(
                nn.Conv2d(in_channels, mid_channels, kernel_size=3, padding=1, bias=False),
                nn.BatchNorm2d(mid_channels),
                nn.ReLU(inplace=True),
                nn.Conv2d(mid_channels, out_channels, kernel_size=3, padding=1, bias=False),
                nn.BatchNorm2d(out_channels),
                nn.ReLU(inplace=True)
            )

        def forward(self, x):
            return self.double_conv(x)

    class Down(nn.Module):
        """Downscaling with maxpool then double conv"""

        def __init__(self, in_channels, out_channels):
            super().__init__()
            self.maxpool_conv = nn.Sequential(
                nn.MaxPool2d(2),
                DoubleConv(in_channels, out_channels)
            )

        def forward(self, x):
            return self.maxpool_conv(x)

    class Up(nn.Module):
        """Upscaling then double conv"""

        def __init__(self, in_channels, out_channels, bilinear=True):
            super().__init__()

            # if bilinear, use the normal convolutions to reduce the number of channels
            if bilinear:
                self.up = nn.Upsample(scale_factor=2, mode='bilinear', align_corners=True)
                self.conv = DoubleConv(in_channels, out_channels, in_channels // 2)
            else:
                self.up = nn.ConvTranspose2d(in_channels, in_channels // 2, kernel_size=2, stride=2)
                self.conv = DoubleConv(in_channels, out_channels)

        def forward(self, x1, x2):
            x1 = self.up(x1)
            # input is CHW
            diffY = x2.size()[2] - x1.size()[2]
            diffX = x2.size()[3] - x1.size()[3]

            x1 = F.pad(x1, [diffX // 2, diffX - diffX // 2,
                            diffY // 2, diffY - diffY // 2])
            x = torch.cat([x2, x1], dim=1)
            return self.conv(x)

    class OutConv(nn.Module):
        def __init__(self, in_channels, out_channels):
            super(OutConv, self).__init__()
            self.conv = nn.Conv2d(in_channels, out_channels, kernel_size=1)

        def forward(self, x):
            return self.conv(x)

    class UNet(nn.Module):
        def __init__(self, n_channels, n_classes, bilinear=False):
            super(UNet, self).__init__()
            self.n_channels = n_channels
            self.n_classes = n_classes
            self.bilinear = bilinear
            c = base

            self.inc = (DoubleConv(n_channels, c))
            self.down1 = (Down(c, 2 * c))
            self.down2 = (Down(2 * c, 4 * c))
            self.down3 = (Down(4 * c, 8 * c))
            factor = 2 if bilinear else 1
            self.down4 = (Down(8 * c, 16 * c // factor))
            self.up1 = (Up(16 * c, 8 * c // factor, bilinear))
            self.up2 = (Up(8 * c, 4 * c // factor, bilinear))
            self.up3 = (Up(4 * c, 2 * c // factor, bilinear))
            self.up4 = (Up(2 * c, c, bilinear))
            self.outc = (OutConv(c, n_classes))

        def forward(self, x):
            x1 = self.inc(x)
            x2 = self.down1(x1)
            x3 = self.down2(x2)
            x4 = self.down3(x3)
            x5 = self.down4(x4)
            x = self.up1(x5, x4)
            x = self.up2(x, x3)
            x = self.up3(x, x2)
            x = self.up4(x, x1)
            logits = self.outc(x)
            return logits

    return UNet


def dice_coeff(torch, input, target, reduce_batch_first=False, epsilon=1e-6):
    """The mean Dice coefficient over the masks of a batch (or over the whole batch at once)."""
    assert input.size() == target.size()
    assert input.dim() == 3 or not reduce_batch_first
    sum_dim = (-1, -2) if input.dim() == 2 or not reduce_batch_first else (-1, -2, -3)
    inter = 2 * (input * target).sum(dim=sum_dim)
    sets_sum = input.sum(dim=sum_dim) + target.sum(dim=sum_dim)
    sets_sum = torch.where(sets_sum == 0, inter, sets_sum)  # two empty masks agree fully
    dice = (inter + epsilon) / (sets_sum + epsilon)
    return dice.mean()


def dice_loss(torch, input, target, multiclass=False):
    if multiclass:  # every class's mask on its own: (N, C, H, W) -> (N * C, H, W)
        return 1 - dice_coeff(torch, input.flatten(0, 1), target.flatten(0, 1), reduce_batch_first=True)
    return 1 - dice_coeff(torch, input, target, reduce_batch_first=True)


def unet_train(torch, state, data, n_classes=1, bilinear=False, epochs=2, batch_size=2,
               learning_rate=1e-3, weight_decay=1e-8, momentum=0.9, gradient_clipping=1.0, amp=False):
    nn, F, optim = torch.nn, torch.nn.functional, torch.optim
    device = torch.device('cpu')
    model = unet_classes(torch)(n_channels=3, n_classes=n_classes, bilinear=bilinear).double()  # port: .double()
    _load(torch, model, state)
    model = model.to(memory_format=torch.channels_last)
    model.to(device=device)
    images_all, masks_all = torch.tensor(data[0]), torch.tensor(data[1])
    n_val = 2
    train_set = torch.utils.data.TensorDataset(images_all[n_val:], masks_all[n_val:])
    val_set = torch.utils.data.TensorDataset(images_all[:n_val], masks_all[:n_val])
    train_loader = torch.utils.data.DataLoader(train_set, shuffle=False, batch_size=batch_size)  # port: shuffle
    val_loader = torch.utils.data.DataLoader(val_set, shuffle=False, drop_last=True, batch_size=batch_size)

    optimizer = optim.RMSprop(model.parameters(), lr=learning_rate, weight_decay=weight_decay,
                              momentum=momentum, foreach=True)
    scheduler = optim.lr_scheduler.ReduceLROnPlateau(optimizer, 'max', patience=5)  # goal: maximize Dice score
    grad_scaler = torch.amp.GradScaler('cuda', enabled=amp)
    criterion = nn.CrossEntropyLoss() if model.n_classes > 1 else nn.BCEWithLogitsLoss()

    @torch.inference_mode()
    def evaluate(net, dataloader, device, amp):
        net.eval()
        num_val_batches = len(dataloader)
        dice_score = 0
        with torch.autocast(device.type if device.type != 'mps' else 'cpu', enabled=amp):
            for image, mask_true in dataloader:
                mask_pred = net(image)
                if net.n_classes == 1:
                    mask_pred = (F.sigmoid(mask_pred.squeeze(1)) > 0.5).double()  # port: .double()
                    dice_score += dice_coeff(torch, mask_pred, mask_true.double(), reduce_batch_first=False)
                else:
                    mask_true = F.one_hot(mask_true, net.n_classes).permute(0, 3, 1, 2).double()
                    mask_pred = F.one_hot(mask_pred.argmax(dim=1), net.n_classes).permute(0, 3, 1, 2).double()
                    # the Dice score, ignoring the background
                    dice_score += dice_loss(torch, mask_pred[:, 1:], mask_true[:, 1:], multiclass=True) * -1 + 1
        net.train()
        return dice_score / max(num_val_batches, 1)

    out = {"loss": [], "dice": [], "grad_norm": []}
    global_step = 0
    for epoch in range(1, epochs + 1):
        model.train()
        epoch_loss = 0
        for batch in train_loader:
            images, true_masks = batch
            assert images.shape[1] == model.n_channels, \
                f'Network has been defined with {model.n_channels} input channels, ' \
                f'but loaded images have {images.shape[1]} channels.'
            images = images.to(device=device, dtype=torch.float64, memory_format=torch.channels_last)  # port: float64
            true_masks = true_masks.to(device=device, dtype=torch.long)

            with torch.autocast(device.type if device.type != 'mps' else 'cpu', enabled=amp):
                masks_pred = model(images)
                if model.n_classes == 1:
                    loss = criterion(masks_pred.squeeze(1), true_masks.double())  # port: .double()
                    loss += dice_loss(torch, F.sigmoid(masks_pred.squeeze(1)), true_masks.double(), multiclass=False)
                else:
                    loss = criterion(masks_pred, true_masks)
                    loss += dice_loss(
                        torch,
                        F.softmax(masks_pred, dim=1).double(),  # port: .double() for .float()
                        F.one_hot(true_masks, model.n_classes).permute(0, 3, 1, 2).double(),
                        multiclass=True
                    )

            optimizer.zero_grad(set_to_none=True)
            grad_scaler.scale(loss).backward()
            grad_scaler.unscale_(optimizer)
            out["grad_norm"].append(torch.nn.utils.clip_grad_norm_(model.parameters(), gradient_clipping))
            grad_scaler.step(optimizer)
            grad_scaler.update()

            global_step += 1
            epoch_loss += loss.item()
            out["loss"].append(loss.item())
        val_score = evaluate(model, val_loader, device, amp)
        scheduler.step(val_score)
        out["dice"].append(val_score)
    out["state"] = model.state_dict()
    with torch.no_grad():
        model.eval()
        out["pred"] = model(images_all[:1])
    return out


@pytest.mark.parametrize("n_classes,bilinear", [(1, False), (1, True), (3, True)])
def test_unet_with_dice_loss(n_classes, bilinear):
    UNet = unet_classes(minigrad)
    model = UNet(n_channels=3, n_classes=n_classes, bilinear=bilinear)
    if bilinear:
        assert isinstance(model.up1.up, minigrad.nn.Upsample) and model.down4.maxpool_conv[1].double_conv[0].out_channels == 32
    else:
        assert isinstance(model.up1.up, minigrad.nn.ConvTranspose2d)
    rng = np.random.default_rng(5)
    # 21 x 19 images: the skip connections meet odd sizes, so Up pads (both sides, both axes)
    images = rng.uniform(0, 1, (6, 3, 21, 19))
    blur = images.mean(1)
    masks = (blur > 0.5).astype(np.int64) + (blur > 0.6) * (n_classes == 3)
    ours = _run_both(unet_train, _state(model.double()), (images, masks), n_classes=n_classes, bilinear=bilinear)
    assert ours["pred"].shape == (1, n_classes, 21, 19)
    assert ours["loss"][-1] < ours["loss"][0] and np.isfinite(ours["grad_norm"]).all()
    assert all(0 <= float(d) <= 1 for d in ours["dice"])


def test_dice_loss_gradient():
    """The hand-written Dice loss differentiates correctly (random upstream weights per pixel)."""
    rng = np.random.default_rng(0)
    target = minigrad.tensor((rng.uniform(0, 1, (2, 3, 5, 4)) > 0.5).astype(np.float64))
    w = minigrad.tensor(rng.standard_normal((2, 3, 5, 4)))

    def f(logits):
        probs = minigrad.nn.functional.softmax(logits * w, dim=1)
        return dice_loss(minigrad, probs, target, multiclass=True)

    logits = minigrad.tensor(rng.standard_normal((2, 3, 5, 4)), requires_grad=True)
    assert minigrad.testing.gradcheck(f, logits)


# ***** 3. the "translation with a sequence to sequence network and attention" tutorial *****

SOS_token, EOS_token, MAX_LENGTH = 0, 1, 6


def seq2seq_classes(torch, device):
    nn, F = torch.nn, torch.nn.functional

    class EncoderRNN(nn.Module):
        def __init__(self, input_size, hidden_size, dropout_p=0.1):
            super(EncoderRNN, self).__init__()
            self.hidden_size = hidden_size

            self.embedding = nn.Embedding(input_size, hidden_size)
            self.gru = nn.GRU(hidden_size, hidden_size, batch_first=True)
            self.dropout = nn.Dropout(dropout_p)

        def forward(self, input):
            embedded = self.dropout(self.embedding(input))
            output, hidden = self.gru(embedded)
            return output, hidden

    class BahdanauAttention(nn.Module):
        def __init__(self, hidden_size):
            super(BahdanauAttention, self).__init__()
            self.Wa = nn.Linear(hidden_size, hidden_size)
            self.Ua = nn.Linear(hidden_size, hidden_size)
            self.Va = nn.Linear(hidden_size, 1)

        def forward(self, query, keys):
            scores = self.Va(torch.tanh(self.Wa(query) + self.Ua(keys)))
            scores = scores.squeeze(2).unsqueeze(1)

            weights = F.softmax(scores, dim=-1)
            context = torch.bmm(weights, keys)

            return context, weights

    class AttnDecoderRNN(nn.Module):
        def __init__(self, hidden_size, output_size, dropout_p=0.1):
            super(AttnDecoderRNN, self).__init__()
            self.embedding = nn.Embedding(output_size, hidden_size)
            self.attention = BahdanauAttention(hidden_size)
            self.gru = nn.GRU(2 * hidden_size, hidden_size, batch_first=True)
            self.out = nn.Linear(hidden_size, output_size)
            self.dropout = nn.Dropout(dropout_p)

        def forward(self, encoder_outputs, encoder_hidden, target_tensor=None):
            batch_size = encoder_outputs.size(0)
            decoder_input = torch.empty(batch_size, 1, dtype=torch.long, device=device).fill_(SOS_token)
            decoder_hidden = encoder_hidden
            decoder_outputs = []
            attentions = []

            for i in range(MAX_LENGTH):
                decoder_output, decoder_hidden, attn_weights = self.forward_step(
                    decoder_input, decoder_hidden, encoder_outputs
                )
                decoder_outputs.append(decoder_output)
                attentions.append(attn_weights)

                if target_tensor is not None:
                    # Teacher forcing: Feed the target as the next input
                    decoder_input = target_tensor[:, i].unsqueeze(1)  # Teacher forcing
                else:
                    # Without teacher forcing: use its own predictions as the next input
                    _, topi = decoder_output.topk(1)
                    decoder_input = topi.squeeze(-1).detach()  # detach from history as input

            decoder_outputs = torch.cat(decoder_outputs, dim=1)
            decoder_outputs = F.log_softmax(decoder_outputs, dim=-1)
            attentions = torch.cat(attentions, dim=1)

            return decoder_outputs, decoder_hidden, attentions

        def forward_step(self, input, hidden, encoder_outputs):
            embedded = self.dropout(self.embedding(input))

            query = hidden.permute(1, 0, 2)
            context, attn_weights = self.attention(query, encoder_outputs)
            input_gru = torch.cat((embedded, context), dim=2)

            output, hidden = self.gru(input_gru, hidden)
            output = self.out(output)

            return output, hidden, attn_weights

    return EncoderRNN, AttnDecoderRNN


def seq2seq(torch, states, pairs, n_words, hidden_size=16, batch_size=4, n_epochs=4, dropout_p=0.0,
            learning_rate=0.01):
    nn, optim = torch.nn, torch.optim
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    EncoderRNN, AttnDecoderRNN = seq2seq_classes(torch, device)

    def get_dataloader(batch_size):
        n = len(pairs)
        input_ids = np.zeros((n, MAX_LENGTH), dtype=np.int32)
        target_ids = np.zeros((n, MAX_LENGTH), dtype=np.int32)

        for idx, (inp_ids, tgt_ids) in enumerate(pairs):
            inp_ids = list(inp_ids) + [EOS_token]
            tgt_ids = list(tgt_ids) + [EOS_token]
            input_ids[idx, :len(inp_ids)] = inp_ids
            target_ids[idx, :len(tgt_ids)] = tgt_ids

        train_data = torch.utils.data.TensorDataset(torch.LongTensor(input_ids).to(device),
                                                    torch.LongTensor(target_ids).to(device))

        train_sampler = torch.utils.data.SequentialSampler(train_data)  # port: RandomSampler
        train_dataloader = torch.utils.data.DataLoader(train_data, sampler=train_sampler, batch_size=batch_size)
        return train_dataloader

    def train_epoch(dataloader, encoder, decoder, encoder_optimizer, decoder_optimizer, criterion):
        total_loss = 0
        for data in dataloader:
            input_tensor, target_tensor = data

            encoder_optimizer.zero_grad()
            decoder_optimizer.zero_grad()

            encoder_outputs, encoder_hidden = encoder(input_tensor)
            decoder_outputs, _, _ = decoder(encoder_outputs, encoder_hidden, target_tensor)

            loss = criterion(
                decoder_outputs.view(-1, decoder_outputs.size(-1)),
                target_tensor.view(-1)
            )
            loss.backward()

            encoder_optimizer.step()
            decoder_optimizer.step()

            total_loss += loss.item()

        return total_loss / len(dataloader)

    def train(train_dataloader, encoder, decoder, n_epochs, learning_rate=0.001):
        plot_losses = []
        encoder_optimizer = optim.Adam(encoder.parameters(), lr=learning_rate)
        decoder_optimizer = optim.Adam(decoder.parameters(), lr=learning_rate)
        criterion = nn.NLLLoss()

        for epoch in range(1, n_epochs + 1):
            loss = train_epoch(train_dataloader, encoder, decoder, encoder_optimizer, decoder_optimizer, criterion)
            plot_losses.append(loss)
        return plot_losses

    def evaluate(encoder, decoder, input_ids):
        with torch.no_grad():
            input_tensor = torch.tensor(list(input_ids) + [EOS_token], dtype=torch.long,
                                        device=device).view(1, -1)

            encoder_outputs, encoder_hidden = encoder(input_tensor)
            decoder_outputs, decoder_hidden, decoder_attn = decoder(encoder_outputs, encoder_hidden)

            _, topi = decoder_outputs.topk(1)
            decoded_ids = topi.squeeze()

            decoded_words = []
            for idx in decoded_ids:
                if idx.item() == EOS_token:
                    decoded_words.append('<EOS>')
                    break
                decoded_words.append(idx.item())
        return decoded_words, decoder_attn

    train_dataloader = get_dataloader(batch_size)
    encoder = EncoderRNN(n_words, hidden_size, dropout_p).to(device).double()  # port: dropout_p, .double()
    decoder = AttnDecoderRNN(hidden_size, n_words, dropout_p).to(device).double()
    _load(torch, encoder, states["encoder"])
    _load(torch, decoder, states["decoder"])
    out = {"losses": train(train_dataloader, encoder, decoder, n_epochs, learning_rate=learning_rate)}
    encoder.eval()
    decoder.eval()
    words, attn = evaluate(encoder, decoder, pairs[0][0])
    out["decoded"] = np.array([-1 if w == '<EOS>' else w for w in words])
    out["attn"] = attn
    out["encoder"], out["decoder"] = encoder.state_dict(), decoder.state_dict()
    return out


def test_seq2seq_translation_with_attention():
    rng = np.random.default_rng(3)
    n_words = 9  # SOS, EOS and 7 "words"; each pair's target is its input reversed
    pairs = []
    for _ in range(8):
        src = list(rng.integers(2, n_words, rng.integers(2, MAX_LENGTH)))
        pairs.append((src, src[::-1]))
    EncoderRNN, AttnDecoderRNN = seq2seq_classes(minigrad, "cpu")
    states = {"encoder": _state(EncoderRNN(n_words, 16).double()),
              "decoder": _state(AttnDecoderRNN(16, n_words).double())}
    ours = _run_both(seq2seq, states, pairs, n_words)
    assert ours["losses"][-1] < ours["losses"][0]
    assert ours["attn"].shape == (1, MAX_LENGTH, MAX_LENGTH)
    np.testing.assert_allclose(ours["attn"].sum(-1), 1)
    assert 1 <= len(ours["decoded"]) <= MAX_LENGTH
    # with the tutorial's dropout (0.1), the same script trains on minigrad's own draws
    again = _np(seq2seq(minigrad, states, pairs, n_words, dropout_p=0.1, n_epochs=2))
    assert np.isfinite(again["losses"]).all()


# ***** 4. Word2Vec: skip-gram with negative sampling *****


def skipgram_classes(torch):
    nn, F = torch.nn, torch.nn.functional
    init = nn.init

    class SkipGramModel(nn.Module):
        def __init__(self, emb_size, emb_dimension, sparse=True):
            super(SkipGramModel, self).__init__()
            self.emb_size = emb_size
            self.emb_dimension = emb_dimension
            self.u_embeddings = nn.Embedding(emb_size, emb_dimension, sparse=sparse)
            self.v_embeddings = nn.Embedding(emb_size, emb_dimension, sparse=sparse)

            initrange = 1.0 / self.emb_dimension
            init.uniform_(self.u_embeddings.weight.data, -initrange, initrange)
            init.constant_(self.v_embeddings.weight.data, 0)

        def forward(self, pos_u, pos_v, neg_v):
            emb_u = self.u_embeddings(pos_u)
            emb_v = self.v_embeddings(pos_v)
            emb_neg_v = self.v_embeddings(neg_v)

            score = torch.sum(torch.mul(emb_u, emb_v), dim=1)
            score = torch.clamp(score, max=10, min=-10)
            score = -F.logsigmoid(score)

            neg_score = torch.bmm(emb_neg_v, emb_u.unsqueeze(2)).squeeze()
            neg_score = torch.clamp(neg_score, max=10, min=-10)
            neg_score = -torch.sum(F.logsigmoid(-neg_score), dim=1)

            return torch.mean(score + neg_score)

    return SkipGramModel


def word2vec(torch, state, batches, emb_size, emb_dimension=8, optimizer="sgd", initial_lr=0.5, iterations=2):
    SkipGramModel = skipgram_classes(torch)
    sparse = optimizer == "sgd"  # port: torch's Adam refuses sparse gradients
    model = SkipGramModel(emb_size, emb_dimension, sparse=sparse).double()  # port: .double()
    _load(torch, model, state)
    out = {"loss": []}
    for iteration in range(iterations):
        if optimizer == "sgd":  # port: optim.SparseAdam (minigrad has none); SGD takes sparse gradients too
            opt = torch.optim.SGD(list(model.parameters()), lr=initial_lr)
        else:  # port: optim.SparseAdam, on dense gradients
            opt = torch.optim.Adam(list(model.parameters()), lr=initial_lr)
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(opt, len(batches))

        running_loss = 0.0
        for i, sample_batched in enumerate(batches):
            if len(sample_batched[0]) > 1:
                pos_u = torch.tensor(sample_batched[0])
                pos_v = torch.tensor(sample_batched[1])
                neg_v = torch.tensor(sample_batched[2])

                scheduler.step()
                opt.zero_grad()
                loss = model.forward(pos_u, pos_v, neg_v)
                loss.backward()
                opt.step()

                running_loss = running_loss * 0.9 + loss.item() * 0.1
                out["loss"].append(loss.item())
        out[f"running_loss{iteration}"] = running_loss
    out["state"] = model.state_dict()
    # save_embedding: the u table, one row a word
    out["embedding"] = model.u_embeddings.weight.cpu().data.numpy()
    return out


def _skipgram_batches(rng, n_batches=6, batch_size=16, window=2, neg=5):
    """Centre/context pairs from a toy corpus, and negatives from the unigram^0.75 table
    (the data reader of Word2Vec implementations draws them with NumPy, as here)."""
    corpus = "the cat sat on the mat the dog sat on the log the cat saw the dog".split()
    vocab = sorted(set(corpus))
    ids = [vocab.index(w) for w in corpus]
    pairs = [(ids[i], ids[j]) for i in range(len(ids))
             for j in range(max(0, i - window), min(len(ids), i + window + 1)) if j != i]
    freq = np.bincount(ids) ** 0.75
    table = np.repeat(np.arange(len(vocab)), np.round(freq / freq.sum() * 1000).astype(int))
    rng.shuffle(table)
    batches = []
    for b in range(n_batches):
        chosen = [pairs[k] for k in rng.integers(0, len(pairs), batch_size)]
        u = np.array([p[0] for p in chosen])
        v = np.array([p[1] for p in chosen])
        batches.append((u, v, rng.choice(table, (batch_size, neg))))
    return batches, len(vocab)


@pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step\\(\\)` before")  # the script's order
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_word2vec_skipgram_negative_sampling(optimizer):
    batches, emb_size = _skipgram_batches(np.random.default_rng(2))
    state = _state(skipgram_classes(minigrad)(emb_size, 8).double())
    assert (state["v_embeddings.weight"] == 0).all() and np.abs(state["u_embeddings.weight"]).max() <= 1 / 8
    lr = 0.5 if optimizer == "sgd" else 0.05
    ours = _run_both(word2vec, state, batches, emb_size, optimizer=optimizer, initial_lr=lr)
    assert ours["loss"][0] == pytest.approx(math.log(2) * 6)  # the v table starts at zero
    assert ours["loss"][-1] < ours["loss"][0] and ours["embedding"].shape == (emb_size, 8)


def test_embedding_sparse_flag_gives_dense_gradients_of_torchs_values():
    """`nn.Embedding(..., sparse=True)` is accepted; the gradient is a dense tensor holding the
    values of torch's sparse one (rows never looked up are zero)."""
    emb = minigrad.nn.Embedding(6, 3, sparse=True).double()
    assert emb.sparse is True and "sparse=True" in repr(emb)
    idx = np.array([[1, 4, 1], [0, 4, 2]])
    gy = np.random.default_rng(1).standard_normal((2, 3, 3))
    emb(minigrad.tensor(idx)).backward(minigrad.tensor(gy))
    grad = emb.weight.grad.numpy()
    expected = np.zeros((6, 3))
    np.add.at(expected, idx, gy)
    np.testing.assert_allclose(grad, expected, rtol=0, atol=1e-15)
    assert not grad[[3, 5]].any()
    if torch is not None:
        temb = torch.nn.Embedding(6, 3, sparse=True).double()
        temb.weight.data = torch.tensor(emb.weight.numpy())
        temb(torch.tensor(idx)).backward(torch.tensor(gy))
        assert temb.weight.grad.is_sparse
        np.testing.assert_allclose(grad, temb.weight.grad.to_dense().numpy(), rtol=0, atol=1e-15)


# ***** 5. a convolutional autoencoder on MNIST, and its denoising variant *****


def autoencoder_classes(torch):
    nn = torch.nn

    class Autoencoder(nn.Module):  # strided convolutions down, ConvTranspose2d up
        def __init__(self):
            super().__init__()
            # N, 1, 28, 28
            self.encoder = nn.Sequential(
                nn.Conv2d(1, 8, 3, stride=2, padding=1),  # -> N, 8, 14, 14
                nn.ReLU(),
                nn.Conv2d(8, 16, 3, stride=2, padding=1),  # -> N, 16, 7, 7
                nn.ReLU(),
                nn.Conv2d(16, 32, 7)  # -> N, 32, 1, 1
            )

            self.decoder = nn.Sequential(
                nn.ConvTranspose2d(32, 16, 7),  # -> N, 16, 7, 7
                nn.ReLU(),
                nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1),  # N, 8, 14, 14
                nn.ReLU(),
                nn.ConvTranspose2d(8, 1, 3, stride=2, padding=1, output_padding=1),  # N, 1, 28, 28
                nn.Sigmoid()
            )

        def forward(self, x):
            encoded = self.encoder(x)
            decoded = self.decoder(encoded)
            return decoded

    class UpsampleAutoencoder(nn.Module):  # max-pooling down, nn.Upsample + convolutions up
        def __init__(self):
            super().__init__()
            self.encoder = nn.Sequential(
                nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),  # 8 x 14 x 14
                nn.Conv2d(8, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),  # 4 x 7 x 7
            )
            self.decoder = nn.Sequential(
                nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(),
                nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(8, 1, 3, padding=1), nn.Sigmoid(),
            )

        def forward(self, x):
            return self.decoder(self.encoder(x))

    return {"transpose": Autoencoder, "upsample": UpsampleAutoencoder}


def autoencoder(torch, kind, state, images, noise=None, num_epochs=2, batch_size=8, noise_factor=0.5):
    nn = torch.nn
    model = autoencoder_classes(torch)[kind]().double()  # port: .double()
    _load(torch, model, state)
    criterion = nn.MSELoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-5)
    data_loader = torch.utils.data.DataLoader(torch.tensor(images).unsqueeze(1), batch_size=batch_size,
                                              shuffle=False)  # port: shuffle=True
    outputs = []
    losses = []
    for epoch in range(num_epochs):
        for i, img in enumerate(data_loader):
            if noise is None and noise_factor == 0:
                inputs = img
            else:  # the denoising autoencoder: learn to give back the clean image
                draw = torch.randn_like(img) if noise is None else torch.tensor(noise[epoch][i])  # port: the draw
                inputs = img + noise_factor * draw
                inputs = torch.clip(inputs, 0., 1.)
            recon = model(inputs)
            loss = criterion(recon, img)

            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        outputs.append((epoch, img, recon))
    return {"loss": losses, "recon": outputs[-1][2], "state": model.state_dict(),
            "float64": outputs[-1][2].dtype == torch.float64}


@pytest.mark.parametrize("kind", ["transpose", "upsample"])
def test_mnist_conv_autoencoder(kind):
    images = _mnist(24, 0)[0]
    state = _state(autoencoder_classes(minigrad)[kind]().double())
    ours = _run_both(autoencoder, kind, state, images, noise_factor=0)
    assert ours["recon"].shape == (8, 1, 28, 28) and ((ours["recon"] > 0) & (ours["recon"] < 1)).all()
    assert np.mean(ours["loss"][-3:]) < np.mean(ours["loss"][:3])
    # denoising, with the test's noise in both libraries ...
    noise = np.random.default_rng(4).standard_normal((2, 3, 8, 1, 28, 28))
    denoise = _run_both(autoencoder, kind, state, images, noise=noise)
    assert np.mean(denoise["loss"][-3:]) < np.mean(denoise["loss"][:3])
    # ... and with torch.randn_like's own draws (minigrad's generator)
    minigrad.manual_seed(0)
    own = _np(autoencoder(minigrad, kind, state, images))
    assert own["float64"] and np.mean(own["loss"][-3:]) < np.mean(own["loss"][:3])


# ***** 6. "Learning PyTorch with examples": the polynomial fits and LegendrePolynomial3 *****


def polynomial(torch, init, dtype_name="float64", steps=200):
    """Fit y = sin(x) by a + b x + c x^2 + d x^3, each stage as the tutorial writes it."""
    dtype = getattr(torch, dtype_name)  # port: the tutorial's dtype = torch.float, as a parameter
    device = torch.device("cpu")
    out = {}

    # --- tensors, gradients by hand
    x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
    y = torch.sin(x)
    a, b, c, d = (torch.tensor(v, device=device, dtype=dtype) for v in init)  # port: torch.randn((), ...)
    learning_rate = 1e-6
    for t in range(steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum().item()
        grad_y_pred = 2.0 * (y_pred - y)
        grad_a = grad_y_pred.sum()
        grad_b = (grad_y_pred * x).sum()
        grad_c = (grad_y_pred * x ** 2).sum()
        grad_d = (grad_y_pred * x ** 3).sum()
        a -= learning_rate * grad_a
        b -= learning_rate * grad_b
        c -= learning_rate * grad_c
        d -= learning_rate * grad_d
    out["tensors"] = [loss, a, b, c, d]

    # --- autograd
    a, b, c, d = (torch.tensor(v, device=device, dtype=dtype, requires_grad=True) for v in init)
    for t in range(steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        loss.backward()
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad

            # Manually zero the gradients after updating weights
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    out["autograd"] = [loss, a, b, c, d]
    out["dtypes"] = [t.dtype == dtype for t in (x, y, a, loss)]

    # --- a custom autograd Function: y = a + b P3(c + d x)
    class LegendrePolynomial3(torch.autograd.Function):
        """P3(x) = (5 x^3 - 3 x) / 2, with its derivative 1.5 (5 x^2 - 1) written by hand."""

        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input ** 3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input ** 2 - 1)

    a = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
    b = torch.full((), -1.0, device=device, dtype=dtype, requires_grad=True)
    c = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
    d = torch.full((), 0.3, device=device, dtype=dtype, requires_grad=True)
    learning_rate = 5e-6
    for t in range(steps):
        P3 = LegendrePolynomial3.apply
        y_pred = a + b * P3(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        loss.backward()
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    out["legendre"] = [loss, a, b, c, d]
    result = f'Result: y = {a.item()} + {b.item()} * P3({c.item()} + {d.item()} x)'
    assert result.startswith("Result: y = ") and " * P3(" in result

    # --- nn: Linear(3, 1) on the powers, Flatten(0, 1), MSELoss(reduction='sum')
    p = torch.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)
    model = torch.nn.Sequential(
        torch.nn.Linear(3, 1),
        torch.nn.Flatten(0, 1)
    ).to(dtype)  # port: .to(dtype), as the tutorial's default dtype
    model[0].weight.data.copy_(torch.tensor([init[1:]], dtype=dtype))  # port: the shared start
    model[0].bias.data.fill_(init[0])
    loss_fn = torch.nn.MSELoss(reduction='sum')
    learning_rate = 1e-6
    for t in range(steps):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for param in model.parameters():
                param -= learning_rate * param.grad
    linear_layer = model[0]
    out["nn"] = [loss, linear_layer.bias, linear_layer.weight]
    result = (f'Result: y = {linear_layer.bias.item()} + {linear_layer.weight[:, 0].item()} x + '
                        f'{linear_layer.weight[:, 1].item()} x^2 + {linear_layer.weight[:, 2].item()} x^3')
    assert result.endswith(" x^3") and result.count(" + ") == 3
    out["xx"] = [xx.dtype == dtype, list(xx.shape), list(y_pred.shape)]

    # --- optim: RMSprop
    model[0].weight.data.copy_(torch.tensor([init[1:]], dtype=dtype))
    model[0].bias.data.fill_(init[0])
    learning_rate = 1e-3
    optimizer = torch.optim.RMSprop(model.parameters(), lr=learning_rate)
    for t in range(steps):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    out["optim"] = [loss, linear_layer.bias, linear_layer.weight]
    return out


def test_learning_pytorch_with_examples_polynomial_fits():
    init = [float(v) for v in np.random.default_rng(6).standard_normal(4)]
    ours = _run_both(polynomial, init)
    x = np.linspace(-math.pi, math.pi, 2000)
    a, b, c, d = init
    start = ((a + b * x + c * x ** 2 + d * x ** 3 - np.sin(x)) ** 2).sum()  # about 2e5
    start_p3 = ((-0.5 * (5 * (0.3 * x) ** 3 - 3 * 0.3 * x) - np.sin(x)) ** 2).sum()  # about 460
    for stage in ("tensors", "autograd", "nn"):
        assert ours[stage][0] < start / 100, stage
    assert ours["legendre"][0] < start_p3 / 2 and ours["optim"][0] < 0.8 * start  # RMSprop's small steps
    _assert_same(ours["tensors"], ours["autograd"], tol=1e-9)  # hand gradients = autograd's
    assert bool(ours["xx"][0]) and list(ours["xx"][1]) == [2000, 3] and list(ours["xx"][2]) == [2000]
    # the tutorial as written, in float32: every tensor and parameter stays float32
    f32 = _np(polynomial(minigrad, init, dtype_name="float32", steps=20))
    assert all(f32["dtypes"]) and f32["xx"][0] and f32["optim"][2].dtype == np.float32
    if torch is not None:
        theirs = _np(polynomial(torch, init, dtype_name="float32", steps=20))
        _assert_same(f32["optim"], theirs["optim"], tol=1e-4)


def test_legendre_function_gradcheck():
    """The tutorial's LegendrePolynomial3 against finite differences, through minigrad's Function."""

    class LegendrePolynomial3(minigrad.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input ** 3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input ** 2 - 1)

    x = minigrad.tensor(np.random.default_rng(7).standard_normal(9), requires_grad=True)
    assert minigrad.autograd.gradcheck(LegendrePolynomial3.apply, (x,))


# ***** the library gaps these ports found, each pinned on its own *****


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta"])
def test_every_optimizer_accepts_foreach_and_steps_the_same(name):
    """`foreach=True` (the U-Net's RMSprop) is recorded in the groups, as torch's, and changes no number."""
    rng = np.random.default_rng(1)
    w0, g = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    results = []
    for foreach in (None, True, False):
        w = minigrad.tensor(w0, requires_grad=True)
        kwargs = {"momentum": 0.9} if name in ("SGD", "RMSprop") else {}
        opt = getattr(minigrad.optim, name)([w], lr=0.1, foreach=foreach, **kwargs)
        assert opt.param_groups[0]["foreach"] is foreach
        for _ in range(2):
            w.grad = minigrad.tensor(g)
            opt.step()
        results.append(w.numpy())
    assert not np.array_equal(results[0], w0)
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_array_equal(results[0], results[2])
    if torch is not None:
        tw = torch.tensor(w0, requires_grad=True)
        topt = getattr(torch.optim, name)([tw], lr=0.1, foreach=True, **kwargs)
        for _ in range(2):
            tw.grad = torch.tensor(g)
            topt.step()
        np.testing.assert_allclose(results[1], tw.detach().numpy(), rtol=1e-12, atol=1e-12)


def test_memory_format_is_accepted_and_changes_no_value():
    """`x.to(memory_format=torch.channels_last)` and `model.to(memory_format=...)` run, keep the
    values, shape, dtype and the graph; something that is not a memory format is refused."""
    x = minigrad.tensor(np.random.default_rng(2).standard_normal((2, 3, 4, 5)), requires_grad=True)
    y = x.to(device="cpu", dtype=minigrad.float64, memory_format=minigrad.channels_last)
    assert y.shape == x.shape and y.dtype == x.dtype and np.array_equal(y.numpy(), x.numpy())
    z = x.contiguous(memory_format=minigrad.contiguous_format)
    gy = np.random.default_rng(3).standard_normal(x.shape)
    (y * z).backward(minigrad.tensor(gy))
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.numpy() * gy, rtol=1e-14)
    conv = minigrad.nn.Conv2d(3, 2, 3).double()
    assert conv.to(memory_format=minigrad.channels_last) is conv
    assert repr(minigrad.channels_last) == "minigrad.channels_last"
    assert isinstance(minigrad.preserve_format, minigrad.memory_format)
    with pytest.raises(TypeError, match="memory_format"):
        x.to(memory_format=minigrad.float32)
    with pytest.raises(TypeError, match="memory_format"):
        conv.to(memory_format="channels_last")
    if torch is not None:
        assert minigrad.channels_last_3d.name == repr(torch.channels_last_3d).split(".")[1]
