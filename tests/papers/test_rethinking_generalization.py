"""Tests of the rethinking-generalization entry (Zhang et al. 2017): randomizations, models, the fit
of random labels, and the quick preset end to end."""

from __future__ import annotations

import json
import math

import pytest
import torch

from papercraft.papers.rethinking_generalization import (
    MLP,
    ShiftAugmentedBatches,
    SmallCNN,
    build_model,
    corrupt_labels,
    fixed_pixel_permutation,
    gaussian_inputs,
    random_pixels,
    random_shift,
    randomize_inputs,
    shuffle_pixels,
)
from papercraft.papers.rethinking_generalization import experiment as E
from papercraft.training import TensorBatches


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# --------------------------------------------------------------------------- label corruption


@pytest.mark.parametrize("p", [0.0, 0.1, 0.25, 0.5, 0.999, 1.0])
def test_corrupt_labels_redraws_exact_fraction_and_keeps_the_rest(p):
    labels = torch.randint(0, 10, (1000,), generator=gen(1))
    new, redrawn = corrupt_labels(labels, p, 10, gen(2))
    assert int(redrawn.sum()) == round(p * 1000)
    assert torch.equal(new[~redrawn], labels[~redrawn])
    assert new.dtype == torch.int64 and new.min() >= 0 and new.max() < 10
    assert torch.equal(labels, torch.randint(0, 10, (1000,), generator=gen(1)))  # input untouched


def test_corrupt_labels_draws_uniform_labels_that_may_equal_the_true_one():
    n, c = 20_000, 10
    labels = torch.zeros(n, dtype=torch.int64)  # all class 0: a re-drawn label keeps 0 w.p. 1/c
    new, redrawn = corrupt_labels(labels, 1.0, c, gen(3))
    assert redrawn.all()
    counts = torch.bincount(new, minlength=c).double()
    expected = n / c
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    assert chi2 < 27.9  # chi-square, 9 d.o.f., p = 0.001
    unchanged = float((new == labels).double().mean())
    assert abs(unchanged - 1 / c) < 4 * math.sqrt(0.1 * 0.9 / n)  # semantics: uniform over ALL classes


def test_corrupt_labels_is_reproducible_and_nested_across_p():
    labels = torch.randint(0, 10, (500,), generator=gen(0))
    a, ra = corrupt_labels(labels, 0.4, 10, gen(7))
    b, rb = corrupt_labels(labels, 0.4, 10, gen(7))
    assert torch.equal(a, b) and torch.equal(ra, rb)
    _, r_small = corrupt_labels(labels, 0.2, 10, gen(7))
    assert bool((r_small <= ra).all())  # the same generator re-draws a superset at larger p


@pytest.mark.parametrize("bad", [
    dict(p=-0.1), dict(p=1.5), dict(num_classes=1),
    dict(labels=torch.tensor([0, 10])), dict(labels=torch.tensor([[0, 1]])), dict(labels=torch.tensor([0.0, 1.0])),
])
def test_corrupt_labels_rejects_bad_input(bad):
    kwargs = dict(labels=torch.tensor([0, 1, 2]), p=0.5, num_classes=10)
    kwargs.update(bad)
    with pytest.raises(ValueError):
        corrupt_labels(kwargs["labels"], kwargs["p"], kwargs["num_classes"], gen())


# --------------------------------------------------------------------------- input randomizations


def test_shuffle_pixels_applies_one_permutation_to_every_image():
    images = torch.rand(5, 4, 6, generator=gen(0))
    perm = fixed_pixel_permutation(24, gen(1))
    assert torch.equal(perm.sort().values, torch.arange(24))
    out = shuffle_pixels(images, perm)
    for n in range(5):
        assert torch.equal(out[n].flatten(), images[n].flatten()[perm])
    inverse = perm.argsort()
    assert torch.equal(shuffle_pixels(out, inverse), images)
    with pytest.raises(ValueError):
        shuffle_pixels(images, torch.zeros(24, dtype=torch.int64))  # not a permutation
    with pytest.raises(ValueError):
        shuffle_pixels(images, torch.arange(23))


def test_random_pixels_permutes_each_image_independently():
    images = torch.arange(3 * 64, dtype=torch.float32).reshape(3, 8, 8)  # distinct values
    out = random_pixels(images, gen(0))
    for n in range(3):
        assert torch.equal(out[n].flatten().sort().values, images[n].flatten())  # same multiset
    # Recover each image's permutation: they differ between images and are not the identity.
    perms = [(out[n].flatten() - 64 * n).long() for n in range(3)]
    assert not torch.equal(perms[0], perms[1]) and not torch.equal(perms[1], perms[2])
    assert not torch.equal(perms[0], torch.arange(64))


def test_gaussian_inputs_match_the_data_mean_and_std():
    x_train = torch.rand(2000, 28, 28, generator=gen(0)) ** 3  # skewed, mean 0.25, std ~0.28
    x_test = torch.rand(300, 28, 28, generator=gen(1))
    g_train, g_test = randomize_inputs(x_train, x_test, "gaussian", gen(2))
    assert g_train.shape == x_train.shape and g_test.shape == x_test.shape
    mean, std = x_train.mean().item(), x_train.std().item()
    assert abs(g_train.mean().item() - mean) < 1e-3 and abs(g_train.std().item() - std) < 1e-3
    assert abs(g_test.mean().item() - mean) < 3e-3 and abs(g_test.std().item() - std) < 3e-3
    # Pixels are independent of each other and of the images.
    flat = g_train.reshape(2000, -1)
    assert abs(torch.corrcoef(flat[:, :2].T)[0, 1].item()) < 0.1
    z = gaussian_inputs((100_000,), 1.5, 2.0, gen(3))
    assert abs(z.mean().item() - 1.5) < 0.03 and abs(z.std().item() - 2.0) < 0.03
    kurtosis = (((z - z.mean()) / z.std()) ** 4).mean().item()
    assert abs(kurtosis - 3.0) < 0.1  # Gaussian, not uniform (1.8)


def test_randomize_inputs_kinds():
    x_train, x_test = torch.rand(10, 28, 28, generator=gen(0)), torch.rand(4, 28, 28, generator=gen(1))
    a, b = randomize_inputs(x_train, x_test, "none", gen())
    assert a is x_train and b is x_test
    a, b = randomize_inputs(x_train, x_test, "shuffled_pixels", gen(5))
    perm = fixed_pixel_permutation(784, gen(5))  # the same draw: one permutation for both sets
    assert torch.equal(a, shuffle_pixels(x_train, perm)) and torch.equal(b, shuffle_pixels(x_test, perm))
    a, b = randomize_inputs(x_train, x_test, "random_pixels", gen(5))
    assert torch.equal(a.reshape(10, -1).sort(1).values, x_train.reshape(10, -1).sort(1).values)
    assert torch.equal(b.reshape(4, -1).sort(1).values, x_test.reshape(4, -1).sort(1).values)
    with pytest.raises(ValueError, match="unknown input randomization"):
        randomize_inputs(x_train, x_test, "noise", gen())
    with pytest.raises(ValueError, match="float tensor"):
        randomize_inputs(torch.zeros(2, 28, 28, dtype=torch.uint8), x_test, "none", gen())


# --------------------------------------------------------------------------- augmentation


def test_random_shift_moves_content_within_bounds():
    images = torch.zeros(200, 9, 9)
    images[:, 4, 4] = 1.0  # one bright pixel in the centre
    out = random_shift(images, 2, gen(0))
    assert out.shape == images.shape
    assert torch.equal(out.sum((1, 2)), torch.ones(200))  # nothing falls off: shift <= 2 from centre
    where = out.reshape(200, -1).argmax(1)
    rows, cols = where // 9, where % 9
    assert rows.min() == 2 and rows.max() == 6 and cols.min() == 2 and cols.max() == 6  # all 5 offsets seen
    assert torch.equal(random_shift(images, 0, gen(0)), images)
    with pytest.raises(ValueError):
        random_shift(images, -1, gen(0))


def test_shift_augmented_batches_resume_exactly():
    x, y = torch.rand(40, 6, 6, generator=gen(0)), torch.arange(40)
    loader = ShiftAugmentedBatches(TensorBatches(x, y, batch_size=8, seed=1), max_shift=1, seed=9)
    first = [next(loader) for _ in range(7)]
    state = loader.state_dict()
    rest = [next(loader) for _ in range(4)]
    resumed = ShiftAugmentedBatches(TensorBatches(x, y, batch_size=8, seed=1), max_shift=1, seed=9)
    resumed.load_state_dict(state)
    for (a, la), (b, lb) in zip(rest, [next(resumed) for _ in range(4)]):
        assert torch.equal(a, b) and torch.equal(la, lb)
    assert not torch.equal(first[0][0], x[first[0][1]])  # shifts are applied
    with pytest.raises(ValueError):
        ShiftAugmentedBatches(TensorBatches(x, y, batch_size=8, seed=1), max_shift=2, seed=9).load_state_dict(state)


# --------------------------------------------------------------------------- models


def test_models_shapes_and_parameter_counts():
    x = torch.rand(3, 28, 28)
    mlp = MLP()
    assert mlp(x).shape == (3, 10) and mlp(x.unsqueeze(1)).shape == (3, 10)
    assert sum(p.numel() for p in mlp.parameters()) == 784 * 512 + 512 + 512 * 10 + 10
    cnn = SmallCNN()
    assert cnn(x).shape == (3, 10) and cnn(x.unsqueeze(1)).shape == (3, 10)
    with pytest.raises(ValueError, match="784 pixels"):
        mlp(torch.rand(3, 20, 20))
    with pytest.raises(ValueError, match="SmallCNN expects"):
        cnn(torch.rand(3, 32, 32))
    with pytest.raises(ValueError):
        build_model("resnet")
    with pytest.raises(ValueError):
        MLP(dropout=1.0)


@pytest.mark.parametrize("name", ["mlp", "cnn"])
def test_dropout_switch(name):
    x = torch.rand(4, 28, 28)
    torch.manual_seed(0)
    plain = build_model(name, dropout=0.0)
    torch.manual_seed(0)
    dropped = build_model(name, dropout=0.5)
    plain.train(), dropped.train()
    assert torch.equal(plain(x), plain(x))  # no dropout: deterministic in training mode
    assert not torch.allclose(dropped(x), dropped(x))  # dropout on: stochastic in training mode
    dropped.eval()
    assert torch.allclose(dropped(x), plain(x))  # same weights; eval mode turns dropout off


def test_mlp_memorizes_random_labels_quickly():
    """The paper's phenomenon in miniature: 64 random images with random labels fitted to 100%."""
    torch.manual_seed(0)
    x = torch.rand(64, 28, 28)
    y, _ = corrupt_labels(torch.zeros(64, dtype=torch.int64), 1.0, 10, gen(1))
    model = MLP()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for step in range(300):
        loss = torch.nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if (model(x).argmax(1) == y).all():
            break
    assert (model(x).argmax(1) == y).float().mean() == 1.0, f"not fitted after {step + 1} steps"


# --------------------------------------------------------------------------- experiment logic


def _summary(name, p, train_acc, test_acc, steps_to_fit, inputs="none", **spec):
    s = E.RunSpec(name, "mlp", p, inputs=inputs, max_steps=1000, **spec)
    from dataclasses import asdict

    return {"spec": asdict(s), "train_acc": train_acc, "test_acc": test_acc, "steps_to_fit": steps_to_fit,
            "steps": steps_to_fit or 1000}


def test_criteria_verdicts_on_made_up_summaries():
    from papercraft.results import verdict_of

    good = {
        "mlp-p0.0": _summary("mlp-p0.0", 0.0, 1.0, 0.95, 200),
        "mlp-p0.5": _summary("mlp-p0.5", 0.5, 1.0, 0.60, 500),
        "mlp-p1.0": _summary("mlp-p1.0", 1.0, 0.995, 0.11, 800),
        "reg": _summary("reg", 1.0, 0.99, 0.10, 900, weight_decay=1e-4, dropout=0.1),
        "aug": _summary("aug", 1.0, 0.6, 0.10, None, weight_decay=1e-4, dropout=0.1, augment_shift=1),
        "g": _summary("g", 0.0, 0.5, 0.1, None, inputs="gaussian"),
    }
    criteria = E.criteria_for(good)
    assert verdict_of(criteria) == "reproduced"  # the unfitted Gaussian and augmented runs are secondary
    assert [c.primary for c in criteria if c.part == "d"] == [True, False]
    assert {c.part for c in criteria if c.primary} == {"a", "b", "c", "d"}
    assert E.slowdown(good) == 4.0

    slow = dict(good, **{"mlp-p1.0": _summary("mlp-p1.0", 1.0, 0.995, 0.11, 2001)})
    assert verdict_of(E.criteria_for(slow)) == "not reproduced"  # ratio 10.005 > 10
    generalizes = dict(good, **{"mlp-p1.0": _summary("mlp-p1.0", 1.0, 0.995, 0.135, 800)})
    assert verdict_of(E.criteria_for(generalizes)) == "not reproduced"  # 0.135 is beyond chance ± 0.03
    dip = dict(good, **{"mlp-p0.5": _summary("mlp-p0.5", 0.5, 1.0, 0.975, 500)})
    assert verdict_of(E.criteria_for(dip)) == "not reproduced"  # error drops 0.025 from p=0 to 0.5
    unfitted_true = dict(good, **{"mlp-p0.0": _summary("mlp-p0.0", 0.0, 0.98, 0.95, None)})
    assert verdict_of(E.criteria_for(unfitted_true)) == "inconclusive"  # ratio undecidable
    stopped = dict(good, reg=_summary("reg", 1.0, 0.7, 0.10, None, weight_decay=1e-4, dropout=0.1))
    assert verdict_of(E.criteria_for(stopped)) == "not reproduced"  # regularization stopped the fit


def test_plan_runs_validates_params():
    params = {"corruption_levels": [0.0, 1.0], "input_randomizations": ["gaussian"], "regularized": True,
              "augmented": True, "augmented_max_steps": 12,
              "weight_decay": 1e-4, "dropout": 0.1, "augment_shift": 1, "regularized_max_steps": 10,
              "cnn_levels": [1.0], "cnn_max_steps": 5, "max_steps": 7, "fit_threshold": 1.0,
              "regularized_fit_threshold": 0.99}
    names = [r.name for r in E.plan_runs(params)]
    assert names == ["mlp-p0.0", "mlp-p1.0", "mlp-gaussian", "mlp-p1.0-regularized",
                     "mlp-p1.0-regularized-augmented", "cnn-p1.0"]
    runs = E.plan_runs(params)
    assert [r.fit_threshold for r in runs] == [1.0, 1.0, 1.0, 0.99, 0.99, 1.0]
    assert (runs[3].augment_shift, runs[4].augment_shift, runs[4].max_steps) == (0, 1, 12)
    with pytest.raises(ValueError, match="include 0 and 1"):
        E.plan_runs(dict(params, corruption_levels=[0.0, 0.5]))
    with pytest.raises(ValueError, match="unknown input"):
        E.plan_runs(dict(params, input_randomizations=["blur"]))


# --------------------------------------------------------------------------- quick preset end to end


def _mnist_or_skip():
    from papercraft.errors import DataMissingError

    try:
        from papercraft.data import load_mnist

        load_mnist()
    except DataMissingError as exc:
        pytest.skip(f"MNIST is not downloaded ({exc}); run: papercraft data get mnist")


@pytest.mark.slow
def test_quick_preset_end_to_end(tmp_path):
    _mnist_or_skip()
    from papercraft.runner import run_entry

    run_dir, result = run_entry("rethinking-generalization", preset="quick", out=tmp_path / "run")
    exp = result["experiments"]["randomization"]
    for plot in exp["plots"]:
        assert (run_dir / plot["path"]).is_file(), plot
    assert len(exp["plots"]) == 3
    numbers = exp["numbers"]
    assert result["headline"]["key"] == "train_acc_random_labels"
    assert result["threads"] == {"randomization": 1}
    assert not {"torch_threads", "seeds", "n_train", "fit_threshold", "training_wall_s"} & set(numbers)
    on_disk = json.loads((run_dir / "result.json").read_text())
    assert on_disk["verdict"] == result["verdict"]
    assert set(exp["subruns"]) == {"mlp-p0.0", "mlp-p1.0", "mlp-p1.0-regularized"}
    # The claim itself at quick scale: random labels are fitted, slower than the true ones but by a
    # small factor, the test accuracy is near chance, and the true labels generalize.
    assert numbers["train_acc_random_labels"] >= 0.99
    assert abs(numbers["test_acc_random_labels"] - 0.1) <= 0.05
    assert numbers["test_acc_true_labels"] >= 0.8
    assert 1.0 < numbers["time_to_fit_ratio"] <= 10.0
    # The numbers recomputed from each sub-run's metrics.jsonl (independently of the experiment).
    for name, run in numbers["runs"].items():
        records = [json.loads(line) for line in (run_dir / "randomization" / name / "metrics.jsonl").open()]
        evals = [r for r in records if r["split"] == "eval"]
        threshold = 0.99 if "regularized" in name else 1.0
        assert run["steps_to_fit"] == next(r["step"] for r in evals if r["train_acc"] >= threshold)
        assert (run["train_acc"], run["test_acc"], run["steps"]) == (evals[-1]["train_acc"], evals[-1]["test_acc"],
                                                                      evals[-1]["step"])
        assert exp["subruns"][name]["steps"] == run["steps"]
    assert numbers["time_to_fit_ratio"] == numbers["runs"]["mlp-p1.0"]["steps_to_fit"] / numbers["runs"]["mlp-p0.0"]["steps_to_fit"]

    # Resuming a finished run re-uses every sub-run and gives the same numbers.
    _, again = run_entry("rethinking-generalization", preset="quick", out=tmp_path / "run", resume=True)
    assert again["experiments"]["randomization"]["numbers"]["runs"] == numbers["runs"]


def test_seed_streams_are_distinct():
    streams = E.seed_streams(0)
    assert len(set(streams.values())) == len(streams) == 5
    assert streams["corruption"] != streams["init"]
    assert E.seed_streams(7)["subset"] == 7


def _context(tmp_path, params):
    from papercraft.registry import registry
    from papercraft.runner import RunContext

    entry = registry().get("rethinking-generalization")
    return RunContext(entry=entry, experiment=entry.experiment("randomization"), preset="quick", params=params,
                      seed=0, device=torch.device("cpu"), out_dir=tmp_path, resume=True)


def test_identity_mismatch_is_refused_on_resume(tmp_path):
    """A checkpoint of one sub-run configuration must not be resumed under another."""
    from papercraft.errors import CheckpointError

    x, y = torch.rand(64, 28, 28, generator=gen(0)), torch.randint(0, 10, (64,), generator=gen(1))
    base = (x, y, x[:16], y[:16])
    params = {"batch_size": 16, "lr": 1e-3, "eval_every": 2, "checkpoint_every": 2}
    seeds = E.seed_streams(0)
    spec = E.RunSpec("mlp-p1.0", "mlp", 1.0, max_steps=6, fit_threshold=1.01)
    data = E.randomized_data(spec, base, seeds["corruption"])
    first = E.fit(_context(tmp_path, params), spec, data, seeds)
    assert first["steps"] == 6 and first["steps_to_fit"] is None
    again = E.fit(_context(tmp_path, params), spec, data, seeds)  # the same configuration resumes
    assert {k: v for k, v in again.items() if k != "wall_s"} == {k: v for k, v in first.items() if k != "wall_s"}
    other = E.RunSpec("mlp-p1.0", "mlp", 1.0, max_steps=6, fit_threshold=1.01, dropout=0.5)
    with pytest.raises(CheckpointError):
        E.fit(_context(tmp_path, params), other, data, seeds)
