"""segmentation: FCN-32s/16s/8s and U-Net shapes and alignment, the bilinear initialization against
``F.interpolate``, the metrics against hand-computed cases and a brute-force boundary F, and the
quick preset.

No oracle: torchvision's ``fcn_resnet50`` has a ResNet backbone with dilated convolutions and no
skips, and nothing in the allowed packages implements FCN-8s or U-Net, so the bilinear
initialization and the metrics are tested exactly instead."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from papercraft.papers.segmentation import (
    FCN8s,
    FCN16s,
    FCN32s,
    BilinearUpsampling,
    UNet,
    bilinear_kernel,
    bilinear_ramp,
    boundary_f_per_image,
    boundary_f_score,
    boundary_prf,
    confusion_matrix,
    iou_per_class,
    mask_boundary,
    mean_iou,
    per_image_confusion,
    pixel_accuracy,
)


# ------------------------------------------------------------------------------- upsampling (§3.3)

def test_bilinear_kernel_values():
    # factor 2: kernel 4, centre 1.5: 1 - |i - 1.5| / 2 = 0.25, 0.75, 0.75, 0.25 (Caffe's filler).
    ramp = torch.tensor([0.25, 0.75, 0.75, 0.25], dtype=torch.float64)
    torch.testing.assert_close(bilinear_kernel(2), ramp[:, None] * ramp[None, :], rtol=0, atol=0)
    # factor 3: kernel 5, centre 2: 1/3, 2/3, 1, 2/3, 1/3.
    ramp3 = torch.tensor([1, 2, 3, 2, 1], dtype=torch.float64) / 3
    torch.testing.assert_close(bilinear_kernel(3), ramp3[:, None] * ramp3[None, :], rtol=0, atol=1e-15)
    assert bilinear_kernel(32).shape == (64, 64)
    with pytest.raises(ValueError, match="factor"):
        bilinear_kernel(0)
    torch.testing.assert_close(bilinear_ramp(2), ramp, rtol=0, atol=0)


@pytest.mark.parametrize("factor", [2, 3, 8, 32])
@pytest.mark.parametrize("learnable", [True, False])
def test_bilinear_initialization_is_interpolate_with_half_pixel_centres(factor, learnable):
    """At initialization the transposed convolution, cropped, is exactly bilinear interpolation with
    ``align_corners=False`` (half-pixel centres), borders included; ``align_corners=True`` differs."""
    torch.set_default_dtype(torch.float64)
    try:
        up = BilinearUpsampling(4, factor, learnable=learnable)
    finally:
        torch.set_default_dtype(torch.float32)
    x = torch.randn(2, 4, 5, 7, dtype=torch.float64)
    expected = F.interpolate(x, scale_factor=factor, mode="bilinear", align_corners=False)
    torch.testing.assert_close(up(x), expected, rtol=0, atol=1e-12)
    # A requested smaller size is the top-left crop: cell i stays centred on pixel f·i + (f-1)/2.
    torch.testing.assert_close(up(x, (3 * factor - 1, 5 * factor + 1)), expected[..., :3 * factor - 1, :5 * factor + 1],
                               rtol=0, atol=1e-12)
    corners = F.interpolate(x, size=(5 * factor, 7 * factor), mode="bilinear", align_corners=True)
    assert (up(x) - corners).abs().max() > 1e-2
    assert len(list(up.parameters())) == int(learnable)


@pytest.mark.parametrize("factor", [3, 32])
def test_fixed_upsampling_matrices_are_the_transposed_convolution(factor):
    """The fixed layer's ``U_H x U_Wᵀ`` is the per-channel transposed convolution with the 2-D
    bilinear kernel on the replicate-padded input, cropped at the layer's offset."""
    torch.set_default_dtype(torch.float64)
    try:
        up = BilinearUpsampling(2, factor, learnable=False)
    finally:
        torch.set_default_dtype(torch.float32)
    x = torch.randn(1, 2, 4, 3, dtype=torch.float64)
    kernel = bilinear_kernel(factor)
    full = F.conv_transpose2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), kernel.expand(2, 1, *kernel.shape),
                              stride=factor, groups=2)
    o = up.offset
    torch.testing.assert_close(up(x, (10, 7)), full[..., o:o + 10, o:o + 7], rtol=0, atol=1e-12)


def test_bilinear_upsampling_learns_a_full_filter_bank_and_rejects_bad_sizes():
    up = BilinearUpsampling(3, 2)
    assert up.weight.shape == (3, 3, 4, 4)
    assert up.weight[0, 1].abs().max() == 0  # channel c → c only at initialization (surgery.interp)
    up(torch.randn(1, 3, 4, 4)).square().sum().backward()
    assert up.weight.grad is not None and up.weight.grad[0, 1].abs().max() > 0
    with pytest.raises(ValueError, match="at most factor"):
        up(torch.randn(1, 3, 4, 4), (9, 8))
    with pytest.raises(ValueError, match=r"\[B, 3, h, w\]"):
        up(torch.randn(1, 2, 4, 4))


# ------------------------------------------------------------------------------------- the models

@pytest.mark.parametrize("model_class", [FCN32s, FCN16s, FCN8s])
@pytest.mark.parametrize("size", [(72, 88), (71, 89), (20, 13)])
def test_fcn_outputs_scores_at_any_input_size(model_class, size):
    model = model_class(5, stages=((1, 4), (1, 6), (1, 8), (1, 8), (1, 10)), fc_width=12).eval()
    out = model(torch.randn(2, 3, *size))
    assert out.shape == (2, 5, *size)
    assert out.isfinite().all()
    with pytest.raises(ValueError, match=r"\[B, 3, H, W\]"):
        model(torch.randn(2, 1, *size))


def test_fcn_variants_differ_only_by_their_skips():
    keys = {name: set(m(6).state_dict()) for name, m in (("32s", FCN32s), ("16s", FCN16s), ("8s", FCN8s))}
    shared = {k for k in keys["32s"] if k.startswith(("backbone.", "classifier."))}
    assert shared and all(shared <= ks for ks in keys.values())
    assert keys["32s"] - shared == {"upscore.ramp"}
    assert keys["16s"] - shared == {"score_pool4.weight", "score_pool4.bias", "upscore2.weight", "upscore16.ramp"}
    assert keys["8s"] - shared == {"score_pool4.weight", "score_pool4.bias", "score_pool3.weight", "score_pool3.bias",
                                   "upscore2.weight", "upscore_pool4.weight", "upscore8.ramp"}
    # Learned: the 2× steps; fixed to bilinear (a buffer, no parameters): the final upsampling (§4.2).
    fcn8 = FCN8s(6)
    assert fcn8.upscore2.weight.requires_grad and fcn8.upscore_pool4.weight.requires_grad
    assert not list(fcn8.upscore8.parameters()) and not list(FCN32s(6).upscore.parameters())


@pytest.mark.parametrize("size", [(64, 96), (72, 88), (45, 37)])
def test_fcn8s_at_initialization_is_chained_bilinear_upsampling_of_the_coarse_scores(size):
    """The skips' score layers start at zero (§4.2), so FCN-8s starts as its stride-32 scores
    upsampled 2×, 2× and 8× bilinearly, each step cropped to the finer map (the crop layers)."""
    torch.manual_seed(0)
    model = FCN8s(4, stages=((1, 4), (1, 6), (1, 8), (1, 8), (1, 10)), fc_width=12).eval()
    x = torch.randn(2, 3, *size)
    pool3, pool4, pool5 = model.backbone(x)
    assert pool3.shape[-2:] == tuple(math.ceil(s / 8) for s in size)
    assert pool5.shape[-2:] == tuple(math.ceil(s / 32) for s in size)

    def up(t: torch.Tensor, factor: int, shape) -> torch.Tensor:
        return F.interpolate(t, scale_factor=factor, mode="bilinear", align_corners=False)[..., :shape[0], :shape[1]]

    scores = model.classifier(pool5)
    expected = up(up(up(scores, 2, pool4.shape[-2:]), 2, pool3.shape[-2:]), 8, size)
    torch.testing.assert_close(model(x), expected, rtol=1e-5, atol=1e-5)


def test_unet_shapes_and_its_tile_constraint():
    model = UNet(5, width=4, depth=3).eval()
    assert model(torch.randn(2, 3, 72, 88)).shape == (2, 5, 72, 88)  # 72 and 88 are multiples of 2^3
    assert UNet(5, in_channels=1, width=3, depth=1)(torch.randn(1, 1, 6, 10)).shape == (1, 5, 6, 10)
    with pytest.raises(ValueError, match=r"divisible by 2\^depth = 16"):
        UNet(5, width=4, depth=4)(torch.randn(1, 3, 72, 88))
    with pytest.raises(ValueError, match=r"\[B, 3, H, W\]"):
        model(torch.randn(1, 1, 64, 64))
    with pytest.raises(ValueError, match="num_classes"):
        UNet(1)


def test_unet_concatenates_the_contracting_path_at_every_level():
    """Fig. 1: each expanding step up-convolves 2c → c channels, concatenates the contracting
    path's c-channel map of the same size, and convolves the 2c channels back to c."""
    model = UNet(3, width=4, depth=3)
    assert [step.up.in_channels for step in model.up] == [32, 16, 8]
    assert [step.up.out_channels for step in model.up] == [16, 8, 4]
    assert [step.conv[0].in_channels for step in model.up] == [32, 16, 8]
    seen = []
    handles = [step.conv.register_forward_hook(lambda m, i, o: seen.append(tuple(i[0].shape))) for step in model.up]
    model(torch.randn(1, 3, 16, 24))
    for handle in handles:
        handle.remove()
    assert seen == [(1, 32, 4, 6), (1, 16, 8, 12), (1, 8, 16, 24)]


# ---------------------------------------------------------------------------------------- metrics

def test_perfect_prediction_scores_one():
    target = torch.randint(0, 4, (3, 17, 23))
    conf = confusion_matrix(target, target, 4)
    assert mean_iou(conf) == 1.0 and pixel_accuracy(conf) == 1.0
    assert boundary_f_score(target, target, 4, tolerance=0) == 1.0


def test_known_confusion_matrix_gives_known_miou():
    # Rows are the ground truth: n = [[3, 1, 0], [0, 2, 0], [1, 0, 1], [0, 0, 0]] (class 3 absent).
    target = torch.tensor([0, 0, 0, 0, 1, 1, 2, 2])
    pred = torch.tensor([0, 0, 0, 1, 1, 1, 0, 2])
    conf = confusion_matrix(pred, target, 4)
    assert conf.tolist() == [[3, 1, 0, 0], [0, 2, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]]
    # IoU: 3/(4+4-3) = 0.6, 2/(2+3-2) = 2/3, 1/(2+1-1) = 0.5; class 3 (empty union) left out.
    iou = iou_per_class(conf)
    torch.testing.assert_close(iou[:3], torch.tensor([0.6, 2 / 3, 0.5], dtype=torch.float64))
    assert math.isnan(iou[3])
    assert mean_iou(conf) == pytest.approx((0.6 + 2 / 3 + 0.5) / 3, abs=1e-15)
    assert pixel_accuracy(conf) == 6 / 8
    # A class predicted but absent from the ground truth has IoU 0 and counts.
    assert mean_iou(confusion_matrix(torch.tensor([0, 3]), torch.tensor([0, 0]), 4)) == pytest.approx(0.25)


def test_per_image_confusion_sums_to_the_dataset_matrix():
    g = torch.Generator().manual_seed(1)
    pred, target = torch.randint(0, 5, (4, 9, 11), generator=g), torch.randint(0, 5, (4, 9, 11), generator=g)
    per_image = per_image_confusion(pred, target, 5)
    assert per_image.shape == (4, 5, 5)
    assert torch.equal(per_image.sum(0), confusion_matrix(pred, target, 5))
    assert torch.equal(per_image[2], confusion_matrix(pred[2], target[2], 5))


def test_boundary_f_of_a_shifted_square():
    """An 8×8 square shifted right by one pixel. Its boundary (28 pixels) and the background's
    (the 32 pixels 4-adjacent to it) overlap on the top and bottom rows only (7 + 7 pixels), so at
    tolerance 0: square P = R = 14/28, background P = R = 14/32, BF = (0.5 + 0.4375)/2; every
    boundary pixel is within 1 pixel of the other mask's, so at tolerance 1 BF = 1."""
    target = torch.zeros(1, 16, 16, dtype=torch.long)
    target[0, 4:12, 4:12] = 1
    pred = torch.zeros_like(target)
    pred[0, 4:12, 5:13] = 1
    assert mask_boundary(target[0] == 1).sum() == 28 and mask_boundary(target[0] == 0).sum() == 32
    prf = boundary_prf(pred, target, 3, tolerance=0)
    torch.testing.assert_close(prf[0, 0], torch.full((3,), 14 / 32, dtype=torch.float64))
    torch.testing.assert_close(prf[0, 1], torch.full((3,), 0.5, dtype=torch.float64))
    assert prf[0, 2].isnan().all()  # class 2 is in neither mask: left out
    assert boundary_f_score(pred, target, 3, tolerance=0) == pytest.approx((0.5 + 0.4375) / 2)
    assert boundary_f_score(pred, target, 3, tolerance=1) == 1.0
    # The square missed entirely: its F is 0; the background's boundary has nothing to match.
    empty = torch.zeros_like(target)
    torch.testing.assert_close(boundary_prf(empty, target, 2, tolerance=3)[0, :, 2],
                               torch.zeros(2, dtype=torch.float64))


def _brute_force_bf(pred: np.ndarray, target: np.ndarray, num_classes: int, tolerance: float) -> np.ndarray:
    """Per-class (P, R, F) of one image by direct pixel loops and Euclidean distances."""

    def boundary(mask: np.ndarray) -> list[tuple[int, int]]:
        h, w = mask.shape
        out = []
        for i in range(h):
            for j in range(w):
                if mask[i, j]:
                    neighbours = [(min(max(i + di, 0), h - 1), min(max(j + dj, 0), w - 1))
                                  for di, dj in ((-1, 0), (1, 0), (0, -1), (0, 1))]
                    if any(not mask[a, b] for a, b in neighbours):
                        out.append((i, j))
        return out

    def matched(points, others) -> int:
        return sum(any((p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2 <= tolerance ** 2 for q in others) for p in points)

    result = np.full((num_classes, 3), np.nan)
    for c in range(num_classes):
        if not ((pred == c).any() or (target == c).any()):
            continue
        bp, bg = boundary(pred == c), boundary(target == c)
        p = matched(bp, bg) / len(bp) if bp else float(not bg)
        r = matched(bg, bp) / len(bg) if bg else float(not bp)
        result[c] = (p, r, 2 * p * r / (p + r) if p + r > 0 else 0.0)
    return result


@pytest.mark.parametrize("tolerance", [0, 1, 1.5, 2.3])
def test_boundary_prf_matches_a_brute_force_reference(tolerance):
    g = torch.Generator().manual_seed(3)
    # Blobby masks: random coarse labels upsampled, so that boundaries are long and irregular.
    coarse = torch.randint(0, 4, (3, 1, 5, 6), generator=g).float()
    target = F.interpolate(coarse, size=(19, 23), mode="nearest")[:, 0].long()
    pred = target.clone()
    noise = torch.rand(pred.shape, generator=g) < 0.08
    pred[noise] = torch.randint(0, 4, (int(noise.sum()),), generator=g)
    pred[1] = torch.roll(pred[1], shifts=(1, 2), dims=(0, 1))
    pred[2, pred[2] == 3] = 0  # a class missed entirely
    ours = boundary_prf(pred, target, 5, tolerance=tolerance).numpy()
    for n in range(3):
        np.testing.assert_allclose(ours[n], _brute_force_bf(pred[n].numpy(), target[n].numpy(), 5, tolerance),
                                   rtol=0, atol=1e-12)
    per_image = boundary_f_per_image(pred, target, 5, tolerance=tolerance)
    np.testing.assert_allclose(per_image.numpy(), np.nanmean(ours[..., 2], axis=1), rtol=0, atol=1e-12)


def test_metrics_reject_bad_input():
    a = torch.zeros(2, 4, 4, dtype=torch.long)
    with pytest.raises(ValueError, match="same shape"):
        confusion_matrix(a, a[:1], 3)
    with pytest.raises(ValueError, match="integer class masks"):
        confusion_matrix(a.float(), a, 3)
    with pytest.raises(ValueError, match=r"outside \[0, 3\)"):
        confusion_matrix(a + 3, a, 3)
    with pytest.raises(ValueError, match="tolerance"):
        boundary_prf(a, a, 3, tolerance=-1)
    with pytest.raises(ValueError, match=r"\[N, H, W\]"):
        boundary_prf(a[0], a[0], 3)
    with pytest.raises(ValueError, match="square"):
        mean_iou(torch.zeros(2, 3))


# ------------------------------------------------------------------------------ the experiment

def _runs_from(per_image: dict[tuple[str, int], tuple[list, list]]) -> dict:
    """Synthetic runs: per (arm, seed), a list of per-image confusion matrices and BF values."""
    from papercraft.papers.segmentation.experiment import miou_of

    runs = {}
    for key, (confusions, bf) in per_image.items():
        conf = np.asarray(confusions, dtype=float)
        runs[key] = {"confusion": conf, "bf_images": np.asarray(bf, dtype=float), "miou": miou_of(conf.sum(0)),
                     "bf": float(np.mean(bf))}
    return runs


def test_gain_statistics_and_the_seed_rule():
    from papercraft.papers.segmentation.experiment import gain_statistics, per_seed_gains, seeds_agree
    from papercraft.statistics import Interval, paired_bootstrap

    good, bad = [[8, 2], [1, 9]], [[6, 4], [3, 7]]  # IoU (8/11, 9/12) vs (6/13, 7/14)
    runs = _runs_from({("fcn8s", 0): ([good] * 6, [0.9] * 6), ("fcn32s", 0): ([bad] * 6, [0.4] * 6),
                       ("fcn8s", 1): ([good] * 6, [0.8] * 6), ("fcn32s", 1): ([bad] * 6, [0.5] * 6)})
    stats = gain_statistics(runs, "fcn8s", "fcn32s", [0, 1])
    d_miou = (8 / 11 + 9 / 12) / 2 - (6 / 13 + 7 / 14) / 2
    everything = np.arange(6)
    assert stats["miou"](everything) == pytest.approx(d_miou)
    assert stats["bf"](everything) == pytest.approx(0.4)  # mean over seeds of 0.5 and 0.3
    assert stats["bf_minus_miou"](everything) == pytest.approx(0.4 - d_miou)
    per_seed = per_seed_gains(runs, "fcn8s", "fcn32s", [0, 1])
    assert per_seed["miou"] == pytest.approx([d_miou, d_miou]) and per_seed["bf"] == pytest.approx([0.5, 0.3])
    # Identical images: every resample gives the same difference, so the interval is a point.
    interval = paired_bootstrap(6, stats["miou"], samples=50)
    assert interval.low == pytest.approx(d_miou) and interval.high == pytest.approx(d_miou)
    assert seeds_agree(interval, per_seed["miou"]) is True
    # An interval above 0 with a seed below 0 is inconclusive; below 0 with every seed below is a failure.
    assert seeds_agree(Interval(0.1, 0.05, 0.15), [0.2, -0.01]) is None
    assert seeds_agree(Interval(-0.1, -0.15, -0.05), [-0.2, -0.01]) is False
    assert seeds_agree(Interval(0.0, -0.1, 0.1), [0.2, 0.1]) is None


def test_quick_preset_numbers_match_an_independent_recomputation(tmp_path):
    """At the quick scale (30 steps) every model is near chance, so the claim cannot show; instead
    each model's numbers are recomputed from its final checkpoint, with an independent numpy mean
    IoU, and every verdict is recomputed from its interval and per-seed differences."""
    from papercraft.papers.segmentation.experiment import build_model, load_data, predict
    from papercraft.runner import run_entry
    from papercraft.training.checkpoint import list_checkpoints, load_checkpoint

    try:
        _, result = run_entry("segmentation", preset="quick", out=tmp_path)
    except Exception as exc:  # noqa: BLE001 - only a missing data set may skip
        if type(exc).__name__ == "DataMissingError":
            pytest.skip(str(exc))
        raise
    exp = result["experiments"]["skips"]
    p, numbers, run_dir = exp["params"], exp["numbers"], tmp_path / "skips"
    assert [plot["path"] for plot in exp["plots"]] == ["skips/masks.png", "skips/scores.png", "skips/curves.png"]
    assert all((tmp_path / plot["path"]).stat().st_size > 0 for plot in exp["plots"])
    data = load_data(p)
    y_test = data["y_test"].numpy()
    k = len(p["categories"]) + 1
    seed = result["seed"]
    for name in p["models"]:
        sub = f"{name}-seed{seed}"
        assert exp["subruns"][sub]["steps"] == p["steps"]
        model = build_model(name, k, p)
        step, path = list_checkpoints(run_dir / sub / "checkpoints")[-1]
        load_checkpoint(path, model=model, restore_rng=False)
        assert step == p["steps"]
        pred = predict(model, data["x_test"]).numpy()
        ious = [((pred == c) & (y_test == c)).sum() / ((pred == c) | (y_test == c)).sum()
                for c in range(k) if ((pred == c) | (y_test == c)).any()]
        assert numbers[f"{name}_miou"] == pytest.approx(float(np.mean(ious)), abs=1e-5)
        assert numbers[f"{name}_pixel_acc"] == pytest.approx(float((pred == y_test).mean()), abs=1e-5)
        fg = ((pred > 0) & (y_test > 0)).sum() / ((pred > 0) | (y_test > 0)).sum()
        assert numbers[f"{name}_foreground_iou"] == pytest.approx(float(fg), abs=1e-5)
        bf = boundary_f_score(torch.from_numpy(pred), data["y_test"], k, p["boundary_tolerance"])
        assert numbers[f"{name}_bf"] == pytest.approx(bf, abs=1e-5)
        # The last evaluation in metrics.jsonl is the same model on the same test set.
        records = [json.loads(line) for line in (run_dir / sub / "metrics.jsonl").read_text().splitlines()]
        last = [r for r in records if r["split"] == "eval"][-1]
        assert last["step"] == p["steps"] and last["miou"] == pytest.approx(numbers[f"{name}_miou"], abs=1e-5)
    majority = [((y_test == 0).sum() / y_test.size)] + [0.0] * (len(np.unique(y_test)) - 1)
    assert numbers["majority_miou"] == pytest.approx(float(np.mean(majority)), abs=1e-5)
    criteria = {c["name"]: c for c in exp["criteria"]}
    for arm in [m for m in p["models"] if m != "fcn32s"]:
        gain = numbers[f"{arm}_minus_fcn32s_miou"]
        assert gain["estimate"] == pytest.approx(numbers[f"{arm}_miou"] - numbers["fcn32s_miou"], abs=2e-5)
        for name, key in ((f"{arm}_beats_fcn32s_miou", "miou"),
                          (f"{arm}_boundary_gain_exceeds_miou_gain", "bf_minus_miou")):
            c, interval = criteria[name], numbers[f"{arm}_minus_fcn32s_{key}"]
            per_seed = c["measured"]["per_seed"]
            expected = (True if interval["low"] > 0 and all(d > 0 for d in per_seed)
                        else False if interval["high"] < 0 and all(d < 0 for d in per_seed) else None)
            assert c["passed"] is expected, name
    lowest = min(numbers[f"{m}_miou"] for m in p["models"]) - numbers["majority_miou"]
    assert criteria["no_arm_at_chance"]["passed"] is (True if lowest >= p["chance_margin"] else None)


@pytest.mark.parametrize("change,message", [
    ({"models": ["fcn8s", "unet"]}, "models: .* including fcn32s"),
    ({"categories": ["hexagon"]}, "categories"),
    ({"fcn_widths": [8, 8, 8, 8]}, "five positive integers"),
    ({"size": 72}, "divisible by 16"),
    ({"steps": 0}, "steps: expected a positive integer"),
])
def test_bad_parameters_are_usage_errors(change, message):
    from papercraft.errors import UsageError
    from papercraft.papers.segmentation.experiment import check_params
    from papercraft.registry import registry

    params = dict(registry().get("segmentation").experiment("skips").preset("quick").params)
    check_params(params)
    with pytest.raises(UsageError, match=message):
        check_params({**params, **change})
