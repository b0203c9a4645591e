"""resnet: blocks, shortcuts, ImageNet- and CIFAR-style networks against torchvision and the paper."""

from __future__ import annotations

import json

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
from cnn_parity import check_parity, randomize_batchnorm
from oracles import oracle


def _meta(fn, *args, **kwargs):
    with torch.device("meta"):
        return fn(*args, **kwargs)


@pytest.mark.parametrize("depth,size", [(18, 112), (50, 64)])
def test_resnet_matches_torchvision(depth, size):
    torchvision = oracle("torchvision")
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


def test_quick_preset_numbers_match_an_independent_recomputation(tmp_path):
    """At the quick scale (7 steps per net) every net is near chance, so degradation cannot show;
    instead the result's numbers are recomputed from each net's final checkpoint and metrics."""
    from papercraft.papers.resnet.experiment import load_fashion_32
    from papercraft.runner import run_entry
    from papercraft.training.checkpoint import list_checkpoints, load_checkpoint

    try:
        _, result = run_entry("resnet", preset="quick", out=tmp_path)
    except Exception as exc:  # noqa: BLE001 - only a missing data set may skip
        if type(exc).__name__ == "DataMissingError":
            pytest.skip(str(exc))
        raise
    exp = result["experiments"]["degradation"]
    p, numbers, run_dir = exp["params"], exp["numbers"], tmp_path / "degradation"
    assert {c["name"] for c in exp["criteria"]} == {"plain_degrades_8_to_14", "residual_improves",
                                                     "residual_beats_plain_deep"}
    assert (run_dir / "degradation.png").stat().st_size > 0
    assert [plot["path"] for plot in exp["plots"]] == ["degradation/degradation.png"]
    x_train, y_train, _, _ = load_fashion_32(p["n_train"], p["n_test"])
    steps = p["epochs"] * (len(x_train) // p["batch_size"])
    seed = result["seed"]
    for family in ("plain", "resnet"):
        for depth in p["depths"]:
            name = f"{family}-{depth}-seed{seed}"
            assert exp["subruns"][name]["steps"] == steps
            # Final training error: the net's last checkpoint re-evaluated in eval mode on the whole subset.
            model = cifar_resnet(depth, plain=family == "plain", in_channels=1, width=p["width"])
            step, path = list_checkpoints(run_dir / name / "checkpoints")[-1]
            load_checkpoint(path, model=model, restore_rng=False)
            assert step == steps
            model.eval()
            with torch.no_grad():
                error = (model(x_train).argmax(1) != y_train).float().mean().item()
            assert numbers[f"{family}{depth}_train_error"] == pytest.approx(error, abs=1e-4)
            # Test error: the last evaluation in the net's metrics.jsonl; every step logs a training error.
            records = [json.loads(line) for line in (run_dir / name / "metrics.jsonl").read_text().splitlines()]
            evals = [r for r in records if r["split"] == "eval"]
            assert evals[-1]["step"] == steps
            assert numbers[f"{family}{depth}_test_error"] == pytest.approx(evals[-1]["test_error"], abs=1e-4)
            assert [r["step"] for r in records if r["split"] == "train"] == list(range(1, steps + 1))
    shallow, deep = min(p["depths"]), max(p["depths"])
    plain = numbers[f"plain{deep}_train_error"] - numbers[f"plain{shallow}_train_error"]
    residual = numbers[f"resnet{shallow}_train_error"] - numbers[f"resnet{deep}_train_error"]
    assert numbers["plain_deep_minus_shallow_train_error"] == pytest.approx(plain, abs=2e-4)
    assert numbers["resnet_shallow_minus_deep_train_error"] == pytest.approx(residual, abs=2e-4)
    measured = {c["name"]: c["measured"] for c in exp["criteria"]}
    assert measured["plain_degrades_8_to_14"]["estimate"] == pytest.approx(plain, abs=2e-4)
    assert measured["residual_improves"]["estimate"] == pytest.approx(residual, abs=2e-4)
    # One seed has no spread: its interval is unbounded, so no comparison is decided by it.
    assert p["seeds"] == 1 and all(c["passed"] is None for c in exp["criteria"])
    assert any(f"plain-{deep} minus plain-{shallow}" in note for note in exp["notes"])


def test_margin_notes_compare_margins_with_the_seed_spread():
    from papercraft.papers.resnet.experiment import margin_notes

    def run(error: float) -> dict:
        return {"train_error": error}

    runs = {("plain", 8, 0): run(0.20), ("plain", 8, 1): run(0.22), ("plain", 20, 0): run(0.21),
            ("plain", 20, 1): run(0.225), ("resnet", 8, 0): run(0.30), ("resnet", 8, 1): run(0.31),
            ("resnet", 20, 0): run(0.20), ("resnet", 20, 1): run(0.215)}
    plain_notes, residual_notes, summary = margin_notes(runs, [8, 20], [0, 1], [0.01, 0.005], [0.10, 0.095])
    # plain: margin 0.75 points against plain-8's sd 1.41 points: within the spread, interval includes 0.
    assert "+0.75 points" in plain_notes and "within the seed spread" in plain_notes and "(includes 0)" in plain_notes
    # residual: 9.75 points, far outside resnet-8's sd of 0.71 points; t-interval 9.75 ± 12.706·0.25.
    assert "outside the seed spread" in residual_notes and "[+6.57, +12.93]" in residual_notes
    assert "(excludes 0)" in residual_notes
    assert "plain-8 (the shallowest)" in summary and "20.0-31.0%" in summary
