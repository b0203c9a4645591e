"""normalization: each layer against its torch module (train and eval, outputs and gradients)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from papercraft.papers.normalization import BatchNorm, GroupNorm, InstanceNorm, LayerNorm, RMSNorm

torch.set_default_dtype(torch.float32)
TOL = dict(rtol=1e-5, atol=1e-6)


def _randomize(*modules: nn.Module, seed: int = 0) -> None:
    """Give the oracle non-trivial affine parameters and copy them into ours (names match)."""
    g = torch.Generator().manual_seed(seed)
    oracle, ours = modules
    with torch.no_grad():
        for name, p in oracle.named_parameters():
            p.copy_(torch.randn(p.shape, generator=g))
    ours.load_state_dict(oracle.state_dict())


def _assert_same_outputs_and_grads(ours: nn.Module, oracle: nn.Module, x: torch.Tensor) -> None:
    """Same output, same input gradient, same parameter gradients for a random upstream gradient."""
    x1 = x.clone().requires_grad_(True)
    x2 = x.clone().requires_grad_(True)
    y1, y2 = ours(x1), oracle(x2)
    torch.testing.assert_close(y1, y2, **TOL)
    upstream = torch.randn_like(y1)
    (y1 * upstream).sum().backward()
    (y2 * upstream).sum().backward()
    torch.testing.assert_close(x1.grad, x2.grad, rtol=1e-4, atol=1e-5)
    for (n1, p1), (n2, p2) in zip(ours.named_parameters(), oracle.named_parameters(), strict=True):
        assert n1 == n2
        torch.testing.assert_close(p1.grad, p2.grad, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("shape,oracle_cls", [((6, 5), nn.BatchNorm1d), ((4, 5, 7), nn.BatchNorm1d),
                                              ((3, 5, 4, 6), nn.BatchNorm2d)])
def test_batchnorm_train_eval_and_running_stats(shape, oracle_cls, affine, momentum):
    torch.manual_seed(0)
    oracle = oracle_cls(5, affine=affine, momentum=momentum)
    ours = BatchNorm(5, affine=affine, momentum=momentum)
    if affine:
        _randomize(oracle, ours)
    for step in range(3):  # several steps so the running averages move away from their init
        x = torch.randn(shape) * 3 + 1.5
        _assert_same_outputs_and_grads(ours, oracle, x)
        torch.testing.assert_close(ours.running_mean, oracle.running_mean, **TOL)
        torch.testing.assert_close(ours.running_var, oracle.running_var, **TOL)
        assert int(ours.num_batches_tracked) == int(oracle.num_batches_tracked) == step + 1
    ours.eval(), oracle.eval()
    for m in (ours, oracle):
        m.zero_grad()
    _assert_same_outputs_and_grads(ours, oracle, torch.randn(shape))
    # In evaluation an example's output must not depend on its batch-mates.
    x = torch.randn(shape)
    torch.testing.assert_close(ours(x)[:1], ours(x[:1]), **TOL)


def test_batchnorm_without_running_stats_uses_batch_stats_in_eval():
    oracle, ours = nn.BatchNorm2d(3, track_running_stats=False), BatchNorm(3, track_running_stats=False)
    oracle.eval(), ours.eval()
    _assert_same_outputs_and_grads(ours, oracle, torch.randn(4, 3, 5, 5))


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("shape", [(2, 7, 16), (3, 4, 5, 16)])
def test_layernorm(shape, affine):
    oracle, ours = nn.LayerNorm(16, elementwise_affine=affine), LayerNorm(16, elementwise_affine=affine)
    if affine:
        _randomize(oracle, ours)
    for mode in (True, False):
        oracle.train(mode), ours.train(mode)
        oracle.zero_grad(), ours.zero_grad()
        _assert_same_outputs_and_grads(ours, oracle, torch.randn(shape) * 2 + 3)


def test_layernorm_over_two_dims_and_fused_path_agree():
    oracle, ours = nn.LayerNorm((4, 6)), LayerNorm((4, 6))
    _randomize(oracle, ours)
    _assert_same_outputs_and_grads(ours, oracle, torch.randn(3, 4, 6))
    fused = LayerNorm((4, 6), fused=True)
    fused.load_state_dict(ours.state_dict())
    ours.zero_grad()
    _assert_same_outputs_and_grads(fused, ours, torch.randn(3, 4, 6))


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("shape,oracle_cls", [((3, 5, 9), nn.InstanceNorm1d), ((2, 5, 4, 6), nn.InstanceNorm2d)])
def test_instancenorm(shape, oracle_cls, affine):
    oracle, ours = oracle_cls(5, affine=affine), InstanceNorm(5, affine=affine)
    if affine:
        _randomize(oracle, ours)
    for mode in (True, False):
        oracle.train(mode), ours.train(mode)
        oracle.zero_grad(), ours.zero_grad()
        _assert_same_outputs_and_grads(ours, oracle, torch.randn(shape) * 2 - 1)


@pytest.mark.parametrize("groups", [1, 2, 6])
@pytest.mark.parametrize("affine", [True, False])
def test_groupnorm(groups, affine):
    oracle, ours = nn.GroupNorm(groups, 6, affine=affine), GroupNorm(groups, 6, affine=affine)
    if affine:
        _randomize(oracle, ours)
    for mode in (True, False):
        oracle.train(mode), ours.train(mode)
        oracle.zero_grad(), ours.zero_grad()
        _assert_same_outputs_and_grads(ours, oracle, torch.randn(3, 6, 5, 4) + 2)


def test_groupnorm_extremes_are_layernorm_and_instancenorm():
    x = torch.randn(2, 4, 3, 3)
    torch.testing.assert_close(GroupNorm(1, 4, affine=False)(x), LayerNorm((4, 3, 3), elementwise_affine=False)(x), **TOL)
    torch.testing.assert_close(GroupNorm(4, 4, affine=False)(x), InstanceNorm(4)(x), **TOL)


@pytest.mark.parametrize("affine", [True, False])
def test_rmsnorm(affine):
    oracle, ours = nn.RMSNorm(16, eps=1e-6, elementwise_affine=affine), RMSNorm(16, eps=1e-6, elementwise_affine=affine)
    if affine:
        _randomize(oracle, ours)
    for mode in (True, False):
        oracle.train(mode), ours.train(mode)
        oracle.zero_grad(), ours.zero_grad()
        _assert_same_outputs_and_grads(ours, oracle, torch.randn(3, 5, 16) * 4)


def test_rmsnorm_is_layernorm_on_zero_mean_inputs():
    x = torch.randn(4, 8)
    x = x - x.mean(-1, keepdim=True)
    torch.testing.assert_close(RMSNorm(8, eps=1e-5)(x), LayerNorm(8)(x), **TOL)


def test_gradcheck_float64():
    x = torch.randn(3, 4, 5, dtype=torch.float64, requires_grad=True)
    for layer in (BatchNorm(4), LayerNorm(5), InstanceNorm(4, affine=True), GroupNorm(2, 4), RMSNorm(5)):
        layer = layer.double()
        assert torch.autograd.gradcheck(lambda t: layer(t), (x,))


@pytest.mark.parametrize("layer,x", [
    (BatchNorm(4), torch.randn(2, 3, 5)),
    (BatchNorm(4), torch.randn(1, 4)),  # one value per channel cannot be batch-normalized in training
    (LayerNorm(8), torch.randn(2, 7)),
    (InstanceNorm(4), torch.randn(2, 4)),
    (GroupNorm(2, 4), torch.randn(2, 6, 3)),
    (RMSNorm(8), torch.randn(2, 6)),
])
def test_bad_shapes_raise_value_error(layer, x):
    with pytest.raises(ValueError, match="expects|needs"):
        layer(x)


def test_groupnorm_rejects_indivisible_groups():
    with pytest.raises(ValueError, match="divisible"):
        GroupNorm(3, 4)


# --------------------------------------------------------------------------- the LSTM cell of experiment (c)


def test_lstm_cell_matches_torch_lstm():
    from papercraft.papers.normalization.lstm import LSTMCell

    torch.manual_seed(0)
    oracle = nn.LSTM(5, 7, batch_first=True)
    cell = LSTMCell(5, 7)
    cell.load_state_dict({k.removesuffix("_l0"): v for k, v in oracle.state_dict().items()})
    x = torch.randn(3, 6, 5)
    x1, x2 = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    expected, (h_n, c_n) = oracle(x1)
    h, c = torch.zeros(3, 7), torch.zeros(3, 7)
    outs = []
    for t in range(6):
        h, c = cell(x2[:, t], (h, c))
        outs.append(h)
    got = torch.stack(outs, 1)
    torch.testing.assert_close(got, expected, **TOL)
    torch.testing.assert_close(c, c_n[0], **TOL)
    upstream = torch.randn_like(got)
    (expected * upstream).sum().backward()
    (got * upstream).sum().backward()
    torch.testing.assert_close(x2.grad, x1.grad, rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(cell.weight_hh.grad, oracle.weight_hh_l0.grad, rtol=1e-4, atol=1e-6)


def test_layernorm_lstm_cell_follows_eq_20_22():
    from papercraft.papers.normalization.layers import layer_norm
    from papercraft.papers.normalization.lstm import LSTMCell

    torch.manual_seed(0)
    cell = LSTMCell(4, 3, layer_norm=True)
    with torch.no_grad():
        for p in cell.parameters():
            p.add_(0.1 * torch.randn_like(p))
    x, h, c = torch.randn(2, 4), torch.randn(2, 3), torch.randn(2, 3)
    gates = (layer_norm(h @ cell.weight_hh.t(), cell.ln_hh.weight, None, 1e-5)
             + layer_norm(x @ cell.weight_ih.t(), cell.ln_ih.weight, None, 1e-5) + cell.bias_ih + cell.bias_hh)
    i, f, g, o = gates.chunk(4, 1)
    c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    h_new = torch.sigmoid(o) * torch.tanh(layer_norm(c_new, cell.ln_c.weight, cell.ln_c.bias, 1e-5))
    got_h, got_c = cell(x, (h, c))
    torch.testing.assert_close(got_c, c_new)
    torch.testing.assert_close(got_h, h_new)
    # the normalized cell's pre-activations are invariant to a rescaling of the recurrent weights (§6)
    with torch.no_grad():
        cell.weight_hh.mul_(5.0)
    torch.testing.assert_close(cell(x, (h, c))[0], h_new, rtol=1e-4, atol=1e-5)


# --------------------------------------------------------------------------- experiments


T95 = (12.706, 4.303, 3.182, 2.776, 2.571)  # two-sided 95% Student-t quantiles, df = 1..5


def _records(run_dir, experiment: str, sub_run: str) -> list[dict]:
    import json

    return [json.loads(line) for line in (run_dir / experiment / sub_run / "metrics.jsonl").read_text().splitlines()]


def _last_evals(run_dir, experiment: str, sub_run: str) -> list[dict]:
    return [r for r in _records(run_dir, experiment, sub_run) if r["split"] == "eval"]


def _criterion(result: dict, experiment: str, name: str) -> dict:
    return next(c for c in result["experiments"][experiment]["criteria"] if c["name"] == name)


@pytest.mark.slow
def test_quick_preset_numbers_recomputed_from_checkpoints_and_logs(tmp_path):
    import torch.nn.functional as F

    from papercraft.errors import DataMissingError
    from papercraft.papers.gpt.corpus import load_corpus, windows
    from papercraft.papers.gpt.model import GPT, GPTConfig
    from papercraft.registry import registry
    from papercraft.runner import run_entry
    from papercraft.training.checkpoint import list_checkpoints, load_checkpoint

    try:
        from papercraft.data import load_austen, load_fashion_mnist

        load_austen(), load_fashion_mnist()
    except DataMissingError as exc:  # names `papercraft data get ...`; CI fetches the data
        pytest.skip(str(exc))
    run_dir, result = run_entry("normalization", preset="quick", out=tmp_path)
    assert set(result["experiments"]) == {"rmsnorm_gpt", "small_batch", "lstm_layernorm"}
    entry = registry().get("normalization")
    for name, exp in result["experiments"].items():
        assert exp["criteria"], name
        for plot in exp["plots"]:
            assert (run_dir / plot["path"]).is_file()

    # (a) each GPT rebuilt with its norm from its final checkpoint, re-evaluated with a plain cross-entropy
    p = entry.experiment("rmsnorm_gpt").preset("quick").params
    numbers = result["experiments"]["rmsnorm_gpt"]["numbers"]
    corpus = load_corpus(p["vocab_size"], max_chars=p["max_chars"])
    held = windows(corpus.heldout_ids, p["context"] + 1, stride=p["context"])[: p["eval_windows"]]
    cfg = GPTConfig(vocab_size=corpus.vocab_size, max_length=p["context"], n_layer=p["n_layer"], n_head=p["n_head"],
                    d_model=p["d_model"], dropout=0.0)
    for norm, factory in (("layernorm", lambda d: LayerNorm(d)), ("rmsnorm", lambda d: RMSNorm(d, eps=1e-5))):
        model = GPT(cfg, norm=factory)
        load_checkpoint(list_checkpoints(run_dir / "rmsnorm_gpt" / f"gpt-{norm}" / "checkpoints")[-1][1], model=model,
                        restore_rng=False)
        with torch.no_grad():
            loss = F.cross_entropy(model.eval()(held[:, :-1]).flatten(0, 1), held[:, 1:].flatten()).item()
        assert loss == pytest.approx(numbers[f"heldout_loss_{norm}"], abs=1e-4), norm
    assert numbers["loss_difference_interval"]["estimate"] == pytest.approx(numbers["loss_difference"], abs=2e-4)
    assert numbers["step_time_ratio"] == pytest.approx(numbers["step_ms_rmsnorm"] / numbers["step_ms_layernorm"],
                                                       rel=1e-2)
    # the time ratio's interval: Student-t over the repeated timing blocks of the log ratio, recomputed
    blocks = np.log(numbers["step_time_ratio_blocks"])
    assert len(blocks) == p["timing_blocks"]
    half = T95[len(blocks) - 2] * blocks.std(ddof=1) / np.sqrt(len(blocks))
    interval = numbers["step_time_ratio_interval"]
    assert interval["estimate"] == pytest.approx(np.exp(blocks.mean()), rel=1e-3)
    assert interval["low"] == pytest.approx(np.exp(blocks.mean() - half), rel=2e-3)
    assert interval["high"] == pytest.approx(np.exp(blocks.mean() + half), rel=2e-3)
    passed = _criterion(result, "rmsnorm_gpt", "RMSNorm step faster")["passed"]
    assert passed == (True if interval["high"] < 1 else False if interval["low"] > 1 else None)

    # (b) every per-seed test error is its sub-run's last evaluation, after the same number of epochs
    # at every batch size, with the learning rate scaled linearly (reached at the end of the warm-up)
    p = entry.experiment("small_batch").preset("quick").params
    numbers = result["experiments"]["small_batch"]["numbers"]
    seeds = numbers["seeds"]
    assert len(seeds) == p["seeds"]
    n_train = 10 * (p["n_train"] // 10)  # the class-balanced subset
    per_seed = {}
    for norm in p["norms"]:
        for bs in p["batch_sizes"]:
            errors = []
            for seed in seeds:
                records = _records(run_dir, "small_batch", f"{norm}-bs{bs}-s{seed}")
                evals = [r for r in records if r["split"] == "eval"]
                assert evals[-1]["step"] == p["epochs"] * (n_train // bs)
                assert max(r["lr"] for r in records if r["split"] == "train") == pytest.approx(
                    p["base_lr"] * bs / p["base_batch"])
                errors.append(evals[-1]["test_error"])
            per_seed[norm, bs] = errors
            assert numbers[f"test_error_{norm}_bs{bs}_per_seed"] == [round(e, 4) for e in errors]
            assert numbers[f"test_error_{norm}_bs{bs}"] == pytest.approx(np.mean(errors), abs=1e-4)
    # each norm's change from the largest to the smallest batch, and its Student-t interval over seeds
    small, large = min(p["batch_sizes"]), max(p["batch_sizes"])
    criteria = {c["name"]: c for c in result["experiments"]["small_batch"]["criteria"]}
    for norm in p["norms"]:
        d = np.subtract(per_seed[norm, small], per_seed[norm, large])
        half = T95[len(d) - 2] * d.std(ddof=1) / np.sqrt(len(d))
        interval = numbers[f"degradation_{norm}_interval"]
        assert interval["estimate"] == pytest.approx(d.mean(), abs=1e-4)
        assert interval["low"] == pytest.approx(d.mean() - half, abs=1e-4)
        assert interval["high"] == pytest.approx(d.mean() + half, abs=1e-4)
        assert numbers[f"degradation_{norm}_pooled_bootstrap"]["estimate"] == pytest.approx(d.mean(), abs=1e-4)
        low, high = interval["low"], interval["high"]
        if norm == "batchnorm":
            expected = True if low > 0.02 else False if high < 0.02 else None
            assert criteria["BatchNorm degrades at tiny batches"]["passed"] == expected
        else:
            expected = True if -0.02 <= low and high <= 0.02 else False if low > 0.02 or high < -0.02 else None
            assert criteria[f"{'GroupNorm' if norm == 'groupnorm' else 'LayerNorm'} unaffected"]["passed"] == expected

    # (c) for each seed, steps to that seed's plain LSTM's final loss, read again from the evaluation logs
    p = entry.experiment("lstm_layernorm").preset("quick").params
    numbers = result["experiments"]["lstm_layernorm"]["numbers"]
    ratios = []
    for k, seed in enumerate(result["seed"] + 1000 * i for i in range(p["seeds"])):  # RunContext.seeds
        base, ln = (_last_evals(run_dir, "lstm_layernorm", f"{n}-s{seed}") for n in ("lstm", "lstm-layernorm"))
        target = base[-1]["val_loss"]
        assert numbers["final_val_loss_lstm_per_seed"][k] == round(target, 4)
        base_steps = next(r["step"] for r in base if r["val_loss"] <= target)
        ln_steps = next((r["step"] for r in ln if r["val_loss"] <= target), None)
        assert numbers["steps_to_target_lstm_per_seed"][k] == base_steps
        assert numbers["steps_to_target_lstm_layernorm_per_seed"][k] == ln_steps
        ratios.append(ln_steps / base_steps if ln_steps is not None else float("inf"))
    assert (numbers["steps_to_target_lstm"], numbers["steps_to_target_lstm_layernorm"]) == (
        numbers["steps_to_target_lstm_per_seed"][0], numbers["steps_to_target_lstm_layernorm_per_seed"][0])
    below = [r <= 0.8 for r in ratios]
    passed = _criterion(result, "lstm_layernorm", "LN-LSTM reaches the target in fewer steps")["passed"]
    assert passed == (True if all(below) else False if not any(below) else None)
