"""Unit tests of checkpoints, the batch loader and trainer options."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
from torch import nn

from papercraft.errors import CheckpointError
from papercraft.training import TensorBatches, Trainer, TrainConfig
from papercraft.training.checkpoint import list_checkpoints, load_checkpoint, save_checkpoint


class Tied(nn.Module):
    """Embedding and output layer share one weight, as in GPT-2."""

    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(11, 4)
        self.out = nn.Linear(4, 11, bias=False)
        self.out.weight = self.emb.weight
        self.register_buffer("count", torch.tensor(3))


def test_roundtrip_restores_model_optimizer_scheduler_and_every_rng(tmp_path):
    torch.manual_seed(0)
    model = Tied()
    opt = torch.optim.Adam(model.parameters(), lr=0.1, betas=(0.8, 0.9))
    sched = torch.optim.lr_scheduler.StepLR(opt, 2, 0.5)
    for _ in range(3):
        opt.zero_grad()
        model.out(model.emb(torch.arange(5))).sum().backward()
        opt.step()
        sched.step()
    path = save_checkpoint(tmp_path / "c.safetensors", model=model, step=3, optimizer=opt, scheduler=sched,
                           extra={"data": {"epoch": 2, "batch": 1}, "finished": False}, identity={"x": 1})
    expected = (torch.rand(3), np.random.rand(3), random.random())
    model2 = Tied()
    opt2 = torch.optim.Adam(model2.parameters(), lr=0.1, betas=(0.8, 0.9))
    sched2 = torch.optim.lr_scheduler.StepLR(opt2, 2, 0.5)
    step, extra = load_checkpoint(path, model=model2, optimizer=opt2, scheduler=sched2, identity={"x": 1})
    assert step == 3 and extra == {"data": {"epoch": 2, "batch": 1}, "finished": False}
    assert model2.out.weight is model2.emb.weight  # tying survives
    torch.testing.assert_close(model2.emb.weight, model.emb.weight, rtol=0, atol=0)
    assert model2.count.item() == 3
    for a, b in zip(opt.state.values(), opt2.state.values()):
        torch.testing.assert_close(a["exp_avg_sq"], b["exp_avg_sq"], rtol=0, atol=0)
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"] and sched2.last_epoch == 3
    got = (torch.rand(3), np.random.rand(3), random.random())
    torch.testing.assert_close(got[0], expected[0], rtol=0, atol=0)
    np.testing.assert_array_equal(got[1], expected[1])
    assert got[2] == expected[2]


def test_no_temporary_file_is_left_and_only_complete_names_are_listed(tmp_path):
    model = nn.Linear(2, 2)
    save_checkpoint(tmp_path / "step-00000004.safetensors", model=model, step=4)
    (tmp_path / "step-00000008.safetensors.tmp").write_bytes(b"half")
    assert [s for s, _ in list_checkpoints(tmp_path)] == [4]
    assert not (tmp_path / "step-00000004.safetensors.tmp").exists()


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_damaged_checkpoint_raises_checkpoint_error_without_touching_the_model(tmp_path, damage):
    model = nn.Linear(3, 2)
    path = save_checkpoint(tmp_path / "c.safetensors", model=model, step=1)
    data = path.read_bytes()
    path.write_bytes({"truncate": data[: len(data) - 20], "garbage": b"\x00" * 64, "empty": b""}[damage])
    other = nn.Linear(3, 2)
    before = other.weight.detach().clone()
    with pytest.raises(CheckpointError, match="truncated or corrupt"):
        load_checkpoint(path, model=other)
    torch.testing.assert_close(other.weight, before, rtol=0, atol=0)


def test_checkpoint_of_another_shape_names_the_parameter_and_both_shapes(tmp_path):
    path = save_checkpoint(tmp_path / "c.safetensors", model=nn.Linear(3, 2), step=1)
    with pytest.raises(CheckpointError, match=r"'weight' is \[2, 3\] in the checkpoint but \[4, 3\] in the model"):
        load_checkpoint(path, model=nn.Linear(3, 4))
    with pytest.raises(CheckpointError, match="missing from the checkpoint: 0.bias"):
        load_checkpoint(path, model=nn.Sequential(nn.Linear(3, 2)))


def test_checkpoint_of_another_run_is_refused(tmp_path):
    path = save_checkpoint(tmp_path / "c.safetensors", model=nn.Linear(3, 2), step=1, identity={"lr": 0.1})
    with pytest.raises(CheckpointError, match="lr: checkpoint has 0.1, this run has 0.2"):
        load_checkpoint(path, model=nn.Linear(3, 2), identity={"lr": 0.2})


def test_a_foreign_safetensors_file_is_not_taken_for_a_checkpoint(tmp_path):
    from safetensors.torch import save_file

    save_file({"w": torch.zeros(2)}, str(tmp_path / "x.safetensors"))
    with pytest.raises(CheckpointError, match="not a papercraft checkpoint"):
        load_checkpoint(tmp_path / "x.safetensors", model=nn.Linear(1, 1))


def test_loader_resumes_mid_epoch_and_shards_the_global_batch():
    x = torch.arange(20).float()
    full = TensorBatches(x, batch_size=4, seed=3)
    seq = [next(full)[0] for _ in range(12)]  # 3 epochs of 5 batches, crossing epoch boundaries
    assert torch.equal(torch.sort(torch.cat(seq[:5])).values, x)  # an epoch is a permutation
    assert not torch.equal(torch.cat(seq[:5]), torch.cat(seq[5:10]))  # epochs are reshuffled
    part = TensorBatches(x, batch_size=4, seed=3)
    for _ in range(7):
        next(part)
    restored = TensorBatches(x, batch_size=4, seed=3)
    restored.load_state_dict(part.state_dict())
    assert all(torch.equal(next(restored)[0], seq[i]) for i in range(7, 12))
    shards = [TensorBatches(x, batch_size=4, seed=3) for _ in range(2)]
    for rank, s in enumerate(shards):
        s.shard(rank, 2)
    for i in range(6):
        assert torch.equal(torch.cat([next(shards[0])[0], next(shards[1])[0]]), seq[i])
    with pytest.raises(ValueError, match="not divisible by 3"):
        TensorBatches(x, batch_size=4).shard(0, 3)
    with pytest.raises(ValueError, match="batch_size=4, seed=3"):
        TensorBatches(x, batch_size=5, seed=3).load_state_dict(part.state_dict())


def test_loader_rejects_bad_arguments():
    with pytest.raises(ValueError, match="share dimension 0"):
        TensorBatches(torch.zeros(3), torch.zeros(4), batch_size=1)
    with pytest.raises(ValueError, match="batch_size must be in"):
        TensorBatches(torch.zeros(3), batch_size=4)


def test_gradient_clipping_bounds_the_update():
    torch.manual_seed(0)
    x, y = torch.randn(8, 4) * 100, torch.randn(8, 1) * 100
    model = nn.Linear(4, 1)
    start = [p.detach().clone() for p in model.parameters()]
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    loss_fn = lambda m, b: (((m(b[0]) - b[1]) ** 2).mean(), {})  # noqa: E731
    Trainer(model, opt, loss_fn, TensorBatches(x, y, batch_size=8, shuffle=False),
            TrainConfig(max_steps=1, grad_clip=0.5)).fit()
    step = torch.cat([(p.detach() - s).flatten() for p, s in zip(model.parameters(), start)])
    assert step.norm().item() == pytest.approx(0.5, rel=1e-5)  # lr 1 × clipped norm 0.5


def test_stop_when_ends_training_early_and_history_records_evals():
    torch.manual_seed(0)
    x = torch.randn(64, 2)
    y = (x[:, 0] > 0).long()
    model = nn.Linear(2, 2)
    opt = torch.optim.Adam(model.parameters(), lr=0.1)
    loss_fn = lambda m, b: (nn.functional.cross_entropy(m(b[0]), b[1]), {})  # noqa: E731
    evaluate = lambda m: {"acc": (m(x).argmax(1) == y).float().mean().item()}  # noqa: E731
    result = Trainer(model, opt, loss_fn, TensorBatches(x, y, batch_size=16), TrainConfig(max_steps=500, eval_every=5),
                     evaluate=evaluate, stop_when=lambda r: r["acc"] >= 0.95).fit()
    assert result.stopped_early and result.step < 500 and result.step % 5 == 0
    assert result.last_eval()["acc"] >= 0.95
    assert [r["step"] for r in result.evals()] == list(range(5, result.step + 1, 5))


def test_train_config_validates():
    with pytest.raises(ValueError, match="max_steps"):
        TrainConfig(max_steps=-1)
    with pytest.raises(ValueError, match="grad_clip"):
        TrainConfig(max_steps=1, grad_clip=0)
    with pytest.raises(ValueError, match="unit"):
        TrainConfig(max_steps=1, unit="words")


def test_progress_bar_is_shown_on_request_and_quiet_otherwise(monkeypatch, capsys):
    x, y = torch.randn(32, 3), torch.randint(0, 2, (32,))
    loss_fn = lambda m, b: (nn.functional.cross_entropy(m(b[0]), b[1]), {})  # noqa: E731
    for flag, expect in (("1", True), ("0", False)):
        monkeypatch.setenv("PAPERCRAFT_PROGRESS", flag)
        model = nn.Linear(3, 2)
        Trainer(model, torch.optim.SGD(model.parameters(), lr=0.1), loss_fn, TensorBatches(x, y, batch_size=8),
                TrainConfig(max_steps=3, desc="toy-progress")).fit()
        err = capsys.readouterr().err
        assert ("toy-progress" in err) is expect  # the bar (postfix throttled by tqdm.mininterval)
