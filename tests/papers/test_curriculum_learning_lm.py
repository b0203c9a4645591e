"""curriculum-learning-lm: the competence schedules, the sampler (only admitted examples, all of them
from step T, deterministic and resumable), the difficulty scorers on hand-computed examples, bad
arguments, and the quick preset's numbers recomputed independently (perplexity from a checkpoint,
the paired intervals and their decisions, the competence logged at every step)."""

from __future__ import annotations

import json
import math

import pytest
import torch

from papercraft.papers.curriculum_learning_lm import (
    CompetenceBatches,
    competence,
    difficulty_cdf,
    ngram_surprise,
    ngrams,
    random_difficulty,
    score_difficulty,
    sequence_length,
)

# ---------------------------------------------------------------------------- competence


def test_competence_square_root_and_linear_schedules():
    c0, T = 0.01, 100
    assert competence(0, T, c0) == pytest.approx(c0)
    assert competence(T, T, c0) == 1.0 and competence(3 * T, T, c0) == 1.0
    # Platanios eq. 5 by hand at t = T/4: sqrt(0.25 * (1 - 1e-4) + 1e-4) = sqrt(0.250075)
    assert competence(25, T, c0) == pytest.approx(0.5000749944, abs=1e-9)
    values = [competence(t, T, c0) for t in range(T + 1)]
    assert all(b > a for a, b in zip(values, values[1:]))  # strictly increasing up to T
    for t in range(T + 1):  # c(t)^2 is linear in t (the square-root form), c(t) itself is linear for p = 1
        assert values[t] ** 2 == pytest.approx(t * (1 - c0**2) / T + c0**2, rel=1e-12)
        assert competence(t, T, c0, power=1.0) == pytest.approx(c0 + t * (1 - c0) / T, rel=1e-12)
    # the square root admits data faster early on than the linear schedule
    assert competence(10, T, c0) > competence(10, T, c0, power=1.0)
    assert competence(0, T, 1.0) == 1.0


@pytest.mark.parametrize("kwargs, match", [
    ({"initial_competence": 0.0}, "c0"), ({"initial_competence": 1.5}, "c0"), ({"initial_competence": -0.1}, "c0"),
    ({"curriculum_steps": 0}, "T"), ({"curriculum_steps": -5}, "T"), ({"power": 0.0}, "power"),
    ({"step": -1}, "step"),
])
def test_competence_rejects_bad_arguments(kwargs, match):
    args = {"step": 1, "curriculum_steps": 10, "initial_competence": 0.1, "power": 2.0, **kwargs}
    with pytest.raises(ValueError, match=match):
        competence(**args)


# ---------------------------------------------------------------------------- the sampler


def _sampler(n=50, batch_size=4, T=20, c0=0.1, schedule="sqrt", seed=3, scores=None):
    data = torch.arange(n) * 10
    if scores is None:  # integer scores with many ties
        scores = torch.randint(0, 7, (n,), generator=torch.Generator().manual_seed(0)).double()
    return CompetenceBatches(data, difficulty=scores, batch_size=batch_size, curriculum_steps=T, initial_competence=c0,
                             schedule=schedule, seed=seed), data, scores


@pytest.mark.parametrize("schedule", ["sqrt", "linear"])
def test_sampler_draws_only_within_competence_and_reaches_everything_at_T(schedule):
    n, T, c0 = 50, 20, 0.1
    sampler, data, scores = _sampler(n=n, T=T, c0=c0, schedule=schedule)
    power = 2.0 if schedule == "sqrt" else 1.0
    cdf = sampler.cdf
    # The CDF is a permutation of (1..N)/N that respects the scores (ties in any order).
    assert sorted((cdf * n).round().long().tolist()) == list(range(1, n + 1))
    for i in range(n):
        for j in range(n):
            if scores[i] < scores[j]:
                assert cdf[i] < cdf[j]
    for t in (0, 1, 5, T // 2, T - 1, T, 2 * T):
        c = competence(t, T, c0, power)
        admitted = set(sampler.admitted(t).tolist())
        # exhaustive: the admitted set is exactly {i : cdf_i <= c(t)}
        assert admitted == {i for i in range(n) if cdf[i] <= c + 1e-12} or (len(admitted) == 1 and c * n < 1)
        for _ in range(30):  # every draw at step t lies in it
            assert set(sampler.indices(t).tolist()) <= admitted
    assert len(sampler.admitted(0)) == round(c0 * n)
    assert len(sampler.admitted(T)) == n
    # from T on, many batches cover the whole data set
    seen = set()
    for t in range(T, T + 200):
        seen |= set(sampler.indices(t).tolist())
    assert seen == set(range(n))
    # iterating yields the data rows of those indices, batch after batch, without repeats in a batch
    batch = next(iter(sampler))[0]
    assert torch.equal(batch, data[sampler.indices(0)]) and len(set(batch.tolist())) == batch.numel()


def test_sampler_with_fewer_admitted_than_a_batch_draws_with_replacement():
    sampler, _, _ = _sampler(n=100, batch_size=8, T=10, c0=0.02)  # 2 examples admitted at t = 0
    assert len(sampler.admitted(0)) == 2
    drawn = sampler.indices(0)
    assert drawn.numel() == 8 and set(drawn.tolist()) <= set(sampler.admitted(0).tolist())


def test_sampler_is_deterministic_and_resumes_exactly():
    a, _, _ = _sampler(seed=5)
    b, _, _ = _sampler(seed=5)
    c, _, _ = _sampler(seed=6)
    batches_a = [next(a)[0] for _ in range(25)]
    assert all(torch.equal(x, next(b)[0]) for x in batches_a)
    assert any(not torch.equal(x, next(c)[0]) for x in batches_a)
    resumed, _, _ = _sampler(seed=5)
    fresh, _, _ = _sampler(seed=5)
    for _ in range(7):
        next(fresh)
    resumed.load_state_dict(fresh.state_dict())
    assert all(torch.equal(next(resumed)[0], next(fresh)[0]) for _ in range(10))
    other, _, _ = _sampler(seed=5, T=30)
    with pytest.raises(ValueError, match="curriculum_steps"):
        other.load_state_dict(fresh.state_dict())


def test_sampler_rejects_bad_arguments():
    x = torch.arange(10)
    ok = {"difficulty": torch.rand(10), "batch_size": 2, "curriculum_steps": 5}
    with pytest.raises(ValueError, match="at least one tensor"):
        CompetenceBatches(**ok)
    with pytest.raises(ValueError, match="empty"):
        CompetenceBatches(torch.arange(0), difficulty=torch.rand(0), batch_size=2, curriculum_steps=5)
    with pytest.raises(ValueError, match=r"difficulty must have shape \[10\]"):
        CompetenceBatches(x, **{**ok, "difficulty": torch.rand(9)})
    with pytest.raises(ValueError, match="share dimension 0"):
        CompetenceBatches(x, torch.arange(9), **ok)
    with pytest.raises(ValueError, match="batch_size"):
        CompetenceBatches(x, **{**ok, "batch_size": 0})
    with pytest.raises(ValueError, match="schedule"):
        CompetenceBatches(x, **ok, schedule="cubic")
    with pytest.raises(ValueError, match="c0"):
        CompetenceBatches(x, **ok, initial_competence=0.0)
    with pytest.raises(ValueError, match="T"):
        CompetenceBatches(x, **{**ok, "curriculum_steps": 0})
    with pytest.raises(ValueError, match="finite"):
        CompetenceBatches(x, **{**ok, "difficulty": torch.tensor([float("nan")] * 10)})


# ---------------------------------------------------------------------------- difficulty


def test_ngram_surprise_by_hand():
    seqs = [["a", "b"], ["a", "a", "c"]]
    log = math.log
    # unigram: a 3, b 1, c 1 of M = 5 tokens
    u = ngram_surprise(seqs, 1)
    assert u.tolist() == pytest.approx([(-log(3 / 5) - log(1 / 5)) / 2, (-2 * log(3 / 5) - log(1 / 5)) / 3])
    assert ngram_surprise(seqs, 1, reduction="sum").tolist() == pytest.approx(
        [-log(3 / 5) - log(1 / 5), -2 * log(3 / 5) - log(1 / 5)])
    # bigram, left-padded with a begin marker B: (B,a) 2, (a,b) 1, (a,a) 1, (a,c) 1 of M = 5
    assert ngram_surprise(seqs, 2).tolist() == pytest.approx(
        [(-log(2 / 5) - log(1 / 5)) / 2, (-log(2 / 5) - 2 * log(1 / 5)) / 3])
    # trigram: (B,B,a) 2, (B,a,b) 1, (B,a,a) 1, (a,a,c) 1
    assert ngram_surprise(seqs, 3).tolist() == pytest.approx(
        [(-log(2 / 5) - log(1 / 5)) / 2, (-log(2 / 5) - 2 * log(1 / 5)) / 3])
    assert len(ngrams(["x", "y", "z"], 3)) == 3 and ngrams(["x", "y", "z"], 3)[-1] == ("x", "y", "z")
    # token ids work the same, and the begin marker equals no token (not even None)
    assert ngram_surprise([[0, 1], [0, 0, 2]], 2).tolist() == pytest.approx(ngram_surprise(seqs, 2).tolist())
    assert ngram_surprise([[None, 1], [1]], 2).tolist() == pytest.approx([log(3), log(3)])
    assert sequence_length(seqs).tolist() == [2.0, 3.0]
    assert torch.equal(score_difficulty("trigram", seqs), ngram_surprise(seqs, 3))


def test_random_difficulty_and_cdf_are_seeded():
    assert torch.equal(random_difficulty(20, seed=1), random_difficulty(20, seed=1))
    assert not torch.equal(random_difficulty(20, seed=1), random_difficulty(20, seed=2))
    assert torch.equal(score_difficulty("random", [[1]] * 20, seed=4), random_difficulty(20, seed=4))
    ties = torch.zeros(30)
    assert torch.equal(difficulty_cdf(ties, seed=1), difficulty_cdf(ties, seed=1))
    assert not torch.equal(difficulty_cdf(ties, seed=1), difficulty_cdf(ties, seed=2))
    assert difficulty_cdf(torch.tensor([3.0, 1.0, 2.0])).tolist() == pytest.approx([1.0, 1 / 3, 2 / 3])


def test_difficulty_rejects_bad_arguments():
    with pytest.raises(ValueError, match="at least one sequence"):
        ngram_surprise([], 1)
    with pytest.raises(ValueError, match="at least one sequence"):
        sequence_length([])
    with pytest.raises(ValueError, match="n must be >= 1"):
        ngram_surprise([[1, 2]], 0)
    with pytest.raises(ValueError, match="sequence 1 is empty"):
        ngram_surprise([[1], []], 1)
    assert ngram_surprise([[1], []], 1, reduction="sum").tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match="reduction"):
        ngram_surprise([[1]], 1, reduction="max")
    with pytest.raises(ValueError, match="difficulty must be one of"):
        score_difficulty("syntax", [[1]])
    with pytest.raises(ValueError, match="n_examples"):
        random_difficulty(0)
    with pytest.raises(ValueError, match="non-empty 1-D"):
        difficulty_cdf(torch.zeros(2, 2))
    with pytest.raises(ValueError, match="finite"):
        difficulty_cdf(torch.tensor([1.0, float("inf")]))


# ---------------------------------------------------------------------------- the quick preset


def test_quick_preset_numbers_recomputed(tmp_path):
    import numpy as np
    import torch.nn.functional as F

    from papercraft.errors import DataMissingError
    from papercraft.papers.curriculum_learning_lm.experiment import MARGIN, load_sentences
    from papercraft.papers.gpt import GPT, GPTConfig
    from papercraft.registry import registry
    from papercraft.runner import run_entry
    from papercraft.training.checkpoint import list_checkpoints, load_checkpoint

    try:
        from papercraft.data import load_austen

        load_austen()
    except DataMissingError as exc:
        pytest.skip(str(exc))
    run_dir, result = run_entry("curriculum-learning-lm", preset="quick", out=tmp_path / "run")
    p = registry().get("curriculum-learning-lm").experiment("curricula_vs_baseline").preset("quick").params
    exp = result["experiments"]["curricula_vs_baseline"]
    numbers, criteria = exp["numbers"], {c["name"]: c for c in exp["criteria"]}
    seeds = numbers["seeds"]
    assert len(seeds) == p["seeds"] >= 3
    arms = ["no curriculum", "random difficulty", *p["curricula"]]
    assert list(numbers["val_ppl"]) == arms

    # The paired relative changes and their 95% t-intervals (t_{0.975, 2} = 4.303), recomputed.
    base = np.array(numbers["val_ppl"]["no curriculum"])
    t975 = {2: 4.303, 3: 3.182, 4: 2.776}[len(seeds) - 1]
    for arm in arms[1:]:
        r = np.array(numbers["val_ppl"][arm]) / base - 1
        half = t975 * r.std(ddof=1) / math.sqrt(len(r))
        iv = numbers["relative_change_interval"][arm]
        assert iv["estimate"] == pytest.approx(r.mean(), abs=1e-4)
        assert (iv["low"], iv["high"]) == pytest.approx((r.mean() - half, r.mean() + half), abs=1e-4)
        expected = True if iv["low"] > -MARGIN else False if iv["high"] < -MARGIN else None
        name = f"{arm}: no gain beyond 2%" if arm == "random difficulty" else f"{arm} curriculum: no gain beyond 2%"
        assert criteria[name]["passed"] is expected
        assert criteria[name]["primary"] is (arm != "random difficulty")
    worst = max(numbers["val_ppl_mean"].values())
    assert criteria["every arm learned beyond word frequencies"]["passed"] is (True if worst < numbers["unigram_ppl"]
                                                                               else None)
    # Ordering by length spends the curriculum phase on short sentences: fewer tokens at equal steps.
    assert all(a < b for a, b in zip(numbers["tokens_seen"]["length"], numbers["tokens_seen"]["no curriculum"],
                                      strict=True))
    best = min(p["curricula"], key=lambda a: numbers["relative_change_interval"][a]["estimate"])
    assert numbers["best_curriculum"] == best
    assert numbers["baseline_epochs"] == pytest.approx(
        p["steps"] * p["batch_size"] / numbers["training_sentences"], abs=1e-3)

    # One sub-run's final validation perplexity, recomputed from its checkpoint sentence by sentence.
    data = load_sentences(p["vocab_size"], p["heldout"], p["max_tokens"], p["max_chars"], p["max_train_sentences"])
    arm, seed = p["curricula"][0], seeds[1]
    sub = run_dir / "curricula_vs_baseline" / f"{arm}-seed{seed}"
    cfg = GPTConfig(vocab_size=numbers["vocab_size"], max_length=p["max_tokens"] + 1, n_layer=p["n_layer"],
                    n_head=p["n_head"], d_model=p["d_model"], variant="gpt2", dropout=0.0)
    model = GPT(cfg).eval()
    step, extra = load_checkpoint(list_checkpoints(sub / "checkpoints")[-1][1], model=model, restore_rng=False)
    assert step == p["steps"] and extra["data"]["step"] == p["steps"]
    total, count = 0.0, 0
    with torch.no_grad():
        for row, n in zip(data.val_rows, data.val_lengths.tolist(), strict=True):
            x = row[:n]
            total += F.cross_entropy(model(x[None, :-1])[0], x[1:], reduction="sum").item()
            count += n - 1
    assert math.exp(total / count) == pytest.approx(numbers["val_ppl"][arm][1], rel=1e-4)

    # Every logged training step of a curriculum drew from exactly the examples within c(t).
    n_train = numbers["training_sentences"]
    records = [json.loads(line) for line in (sub / "metrics.jsonl").read_text().splitlines()]
    train = [r for r in records if r["split"] == "train"]
    assert len(train) >= p["steps"] // 2
    for r in train:
        t = r["step"] - 1
        c = min(1.0, math.sqrt(t * (1 - p["initial_competence"] ** 2) / p["curriculum_steps"]
                               + p["initial_competence"] ** 2))
        assert r["competence"] == pytest.approx(c, rel=1e-6)  # logged as float32
        assert r["admitted"] == max(1, math.floor(c * n_train + 1e-9))
    # The curves are the exp of the logged evaluation losses, averaged over seeds.
    evals = {s: [r for r in map(json.loads, (run_dir / "curricula_vs_baseline" / f"no-curriculum-seed{s}" /
                                             "metrics.jsonl").read_text().splitlines()) if r["split"] == "eval"]
             for s in seeds}
    assert numbers["eval_steps"] == [r["step"] for r in evals[seeds[0]]]
    mean_curve = [sum(math.exp(evals[s][i]["val_loss"]) for s in seeds) / len(seeds)
                  for i in range(len(evals[seeds[0]]))]
    assert numbers["val_ppl_curves_mean"]["no curriculum"] == pytest.approx(mean_curve, abs=2e-3)
    for plot in exp["plots"]:
        assert (run_dir / plot["path"]).is_file()
