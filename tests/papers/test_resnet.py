"""resnet: blocks, shortcuts, ImageNet- and CIFAR-style networks against torchvision and the paper."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from papercraft.papers.cnn_case_study import count_macs, count_parameters
from papercraft.papers.resnet import (
    BasicBlock,
    Bottleneck,
    ResNet,
    ZeroPadShortcut,
    cifar_resnet,
    from_torchvision_state_dict,
    imagenet_resnet,
    resnet18,
    resnet50,
)
from test_cnn_case_study_helpers import check_parity, randomize_batchnorm

torchvision = pytest.importorskip("torchvision")


def _meta(fn, *args, **kwargs):
    with torch.device("meta"):
        return fn(*args, **kwargs)


@pytest.mark.parametrize("depth,size", [(18, 112), (50, 64)])
def test_resnet_matches_torchvision(depth, size):
    torch.manual_seed(0)
    ref = getattr(torchvision.models, f"resnet{depth}")(weights=None)
    randomize_batchnorm(ref)
    ours = _meta(imagenet_resnet, depth, stride_in_3x3=True)  # torchvision is "v1.5": stride on the 3×3
    ours.load_state_dict(from_torchvision_state_dict(ref.state_dict()), assign=True)
    check_parity(ours, ref, torch.randn(2, 3, size, size))


def test_published_parameter_counts_and_flops():
    # Table 1 FLOPs (multiply-adds): 1.8, 3.6, 3.8, 7.6, 11.3 ×10^9 at 224×224.
    flops = {18: 1.8e9, 34: 3.6e9, 50: 3.8e9, 101: 7.6e9, 152: 11.3e9}
    for depth, expected in flops.items():
        macs = count_macs(_meta(imagenet_resnet, depth), (1, 3, 224, 224))
        assert abs(macs - expected) <= 0.03 * expected, (depth, macs)
    # Parameter counts (torchvision publishes 11,689,512 and 25,557,032; the paper says 25.6M for 50).
    assert count_parameters(_meta(resnet18)) == 11_689_512
    assert count_parameters(_meta(resnet50)) == 25_557_032
    # Table 6: CIFAR nets of 20/32/44/56/110 layers have 0.27/0.46/0.66/0.85/1.7 M parameters.
    cifar = {20: 0.27e6, 32: 0.46e6, 44: 0.66e6, 56: 0.85e6, 110: 1.7e6}
    for depth, expected in cifar.items():
        assert abs(count_parameters(_meta(cifar_resnet, depth)) - expected) <= 0.03 * expected, depth


def test_cifar_resnet_layout_and_shapes():
    model = cifar_resnet(20)
    weight_layers = sum(isinstance(m, (nn.Conv2d, nn.Linear)) for m in model.modules())
    assert weight_layers == 20  # 6n+2 with option A: no projection convolutions
    x = torch.randn(2, 3, 32, 32)
    assert model.forward_features(x).shape == (2, 64, 8, 8)  # §4.2: maps 32, 16, 8 with 16, 32, 64 filters
    assert model(x).shape == (2, 10)
    with pytest.raises(ValueError, match="6n\\+2"):
        cifar_resnet(21)
    with pytest.raises(ValueError, match="expects"):
        model(torch.randn(2, 1, 32, 32))


def test_plain_network_has_no_shortcut_and_same_weights():
    plain, residual = cifar_resnet(20, plain=True), cifar_resnet(20)
    assert count_parameters(plain) == count_parameters(residual)  # option A adds no parameters
    assert all(not b.residual and b.downsample is None for b in plain.modules() if isinstance(b, BasicBlock))
    # With identical weights, zeroing the residual branch (last BN γ=β=0) makes a residual block the
    # identity (after the ReLU of non-negative inputs), but a plain block output zero.
    residual.load_state_dict(plain.state_dict())
    for net in (plain, residual):
        block = net.layer1[0]
        nn.init.zeros_(block.bn2.weight), nn.init.zeros_(block.bn2.bias)
        net.eval()
    x = torch.relu(torch.randn(2, 16, 8, 8))
    torch.testing.assert_close(residual.layer1[0](x), x)
    assert plain.layer1[0](x).abs().max() == 0


def test_option_a_shortcut_pads_zeros_and_subsamples():
    x = torch.randn(2, 4, 6, 6)
    y = ZeroPadShortcut(4, 8, 2)(x)
    assert y.shape == (2, 8, 3, 3)
    torch.testing.assert_close(y[:, :4], x[:, :, ::2, ::2])
    assert y[:, 4:].abs().max() == 0
    with pytest.raises(ValueError):
        ZeroPadShortcut(8, 4, 1)


@pytest.mark.parametrize("shortcut,projections", [("A", 0), ("B", 2), ("C", 9)])
def test_shortcut_options_count_projections(shortcut, projections):
    model = cifar_resnet(20, shortcut=shortcut)
    n = sum(1 for m in model.modules() if isinstance(m, (BasicBlock, Bottleneck)) and isinstance(m.downsample, nn.Sequential))
    assert n == projections


def test_bottleneck_stride_placement():
    paper = Bottleneck(64, 16, stride=2)
    v15 = Bottleneck(64, 16, stride=2, stride_in_3x3=True)
    assert paper.conv1.stride == (2, 2) and paper.conv2.stride == (1, 1)
    assert v15.conv1.stride == (1, 1) and v15.conv2.stride == (2, 2)
    x = torch.randn(1, 64, 8, 8)
    assert paper(x).shape == v15(x).shape == (1, 64, 4, 4)


def test_imagenet_plain_counterparts_build():
    for depth in (18, 34, 50, 101, 152):
        model = _meta(imagenet_resnet, depth, plain=True)
        assert isinstance(model, ResNet) and not model.residual
        assert model(torch.zeros(1, 3, 224, 224, device="meta")).shape == (1, 1000)


def test_quick_preset_runs_end_to_end(tmp_path):
    from papercraft.runner import run_entry

    try:
        _, result = run_entry("resnet", preset="quick", out=tmp_path)
    except Exception as exc:  # noqa: BLE001 - only a missing data set may skip
        if type(exc).__name__ == "DataMissingError":
            pytest.skip(str(exc))
        raise
    assert result["verdict"] in ("reproduced", "not reproduced", "inconclusive")
    exp = result["experiments"]["degradation"]
    assert {c["name"] for c in exp["criteria"]} == {"plain_degrades", "residual_improves", "residual_beats_plain_deep"}
    assert (tmp_path / "degradation" / "degradation.png").stat().st_size > 0
    assert 0 <= exp["numbers"]["plain8_train_error"] <= 1
