"""GPT's two claims at toy scale, on Jane Austen's novels (:mod:`.corpus`).

(a) **GPT-2 (Fig. 4 / Kaplan et al. 2020)**: held-out language-modelling loss falls smoothly --
    log-linearly -- with model size. Models of >= 4 sizes (GPT-2 architecture: pre-LN, final LN,
    scaled residual init, tied embeddings) are trained for the same number of steps on the same
    text; their loss on a novel none of them saw is fitted with ``L(N) = a * N^(-alpha)`` (a straight
    line in log-log), N = non-embedding parameters.
(b) **GPT-1 (§3.2, Table 5)**: generative pre-training then fine-tuning (with the auxiliary LM
    loss, Eq. 3, lambda = 0.5) beats the same classifier trained from scratch on a small labelled
    task. Task: which of the five training novels a 64-token passage comes from, with a few labels
    per class; test passages come from the end of each novel, which pre-training never saw.
    The pre-trained model is the largest model of (a).

Criteria, fixed before the first run:

- (a1) the held-out loss falls with every increase in size (strictly). A scaling law that is
  "smooth" cannot go up between neighbouring sizes.
- (a2) the log-log straight line explains the losses: R^2 >= 0.90 in log space. With 4-5 points a
  curve with a visible kink (e.g. saturation at the largest sizes) gives R^2 of ~0.8; 0.9 demands a
  clean power law while allowing the scatter of single-seed runs.
- (b1) mean test accuracy over fine-tuning seeds, pre-trained minus scratch, >= 0.05. GPT-1's gains
  are large (Table 5: 14.8 points average without pre-training); 5 points is well above the
  binomial noise of a 5-class accuracy on the test passages (sd ~0.02-0.03 at 300-500 passages).
"""

from __future__ import annotations

import copy
import json
import math
import time
from pathlib import Path
from typing import Any

import torch

from papercraft.papers.gpt.corpus import AustenCorpus, load_corpus, windows
from papercraft.papers.gpt.model import GPT, GPTClassifier, GPTConfig
from papercraft.results import Criterion, Outcome, Plot, Table
from papercraft.training import TensorBatches, Trainer, TrainConfig

MIN_R2 = 0.90  # (a2)
MIN_FINETUNE_GAIN = 0.05  # (b1)
CONFIG_FILE = "gpt_config.json"
TOKENIZER_DIR = "tokenizer"


def warmup_cosine(optimizer: torch.optim.Optimizer, steps: int, warmup: int, floor: float = 0.1):
    """Linear warm-up (GPT-1 §4.1: "increased linearly from zero over the first 2000 updates"), then
    cosine annealing to ``floor`` x the peak rate."""

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = min(1.0, (step - warmup) / max(1, steps - warmup))
        return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


@torch.no_grad()
def mean_lm_loss(model: GPT, data: torch.Tensor, batch_size: int = 32) -> float:
    """Mean next-token loss over windows ``data`` ``[W, T+1]``, token-weighted."""
    was = model.training
    model.eval()
    total, count = 0.0, 0
    for i in range(0, data.shape[0], batch_size):
        x = data[i : i + batch_size]
        total += model.lm_loss(x[:, :-1], x[:, 1:]).item() * x[:, 1:].numel()
        count += x[:, 1:].numel()
    model.train(was)
    return total / count


def train_lm(ctx: Any, name: str, cfg: GPTConfig, train_data: torch.Tensor, eval_data: torch.Tensor, *, steps: int,
             batch_size: int, lr: float, seed: int, eval_every: int = 0, weight_decay: float = 0.01,
             final_eval_data: torch.Tensor | None = None) -> dict[str, Any]:
    """Train a :class:`GPT` language model with the Trainer; return the model and its losses.

    ``train_data``/``eval_data``: windows ``[W, T+1]`` of token ids. Returns ``{"model", "result",
    "heldout_loss", "train_s", "params"}``; the run's files go to ``ctx.subdir(name)``.
    """
    torch.manual_seed(seed)
    model = GPT(cfg)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=weight_decay)
    scheduler = warmup_cosine(optimizer, steps, warmup=max(1, steps // 10))
    tokens_per_batch = batch_size * (train_data.shape[1] - 1)

    def loss_fn(m: GPT, batch: tuple[torch.Tensor, ...]):
        x = batch[0]
        return m.lm_loss(x[:, :-1], x[:, 1:]), {"tokens": tokens_per_batch}

    out_dir = ctx.subdir(name)
    trainer = Trainer(model, optimizer, loss_fn, TensorBatches(train_data, batch_size=batch_size, seed=seed),
                      TrainConfig(max_steps=steps, eval_every=eval_every, log_every=max(1, steps // 50), grad_clip=1.0,
                                  desc=name, unit="tokens"),
                      out_dir=out_dir, scheduler=scheduler, evaluate=lambda m: {"heldout_loss": mean_lm_loss(m, eval_data)},
                      device=ctx.device, resume=ctx.resume, identity={"name": name, "cfg": cfg.to_dict(), "seed": seed,
                                                                     "steps": steps, "lr": lr})
    result = trainer.fit()
    final = final_eval_data if final_eval_data is not None else eval_data
    heldout = mean_lm_loss(model, final)
    (out_dir / CONFIG_FILE).write_text(json.dumps(cfg.to_dict(), indent=2) + "\n", encoding="utf-8")
    return {"model": model, "result": result, "heldout_loss": heldout, "train_s": result.wall_s,
            "params": model.num_parameters(non_embedding=True)}


def fit_power_law(params: list[float], losses: list[float]) -> tuple[float, float, float]:
    """Least squares of ``log L = log a - alpha log N``; returns ``(a, alpha, R^2 in log space)``."""
    x = torch.tensor(params, dtype=torch.float64).log()
    y = torch.tensor(losses, dtype=torch.float64).log()
    xm, ym = x.mean(), y.mean()
    slope = ((x - xm) * (y - ym)).sum() / ((x - xm) ** 2).sum()
    intercept = ym - slope * xm
    residual = ((y - (intercept + slope * x)) ** 2).sum()
    total = ((y - ym) ** 2).sum()
    r2 = 1.0 - (residual / total).item() if total > 0 else float("nan")
    return math.exp(intercept.item()), -slope.item(), r2


def classification_data(corpus: AustenCorpus, length: int, labels_per_class: int, test_per_class: int,
                        seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Few labelled passages per novel from the pre-training part, test passages from the held-back tails."""
    g = torch.Generator().manual_seed(seed)
    xs, ys, xt, yt = [], [], [], []
    for label, (head, tail) in enumerate(zip(corpus.novel_heads, corpus.novel_tails, strict=True)):
        train_w = windows(head, length)
        test_w = windows(tail, length)
        if len(train_w) < labels_per_class or len(test_w) < test_per_class:
            raise ValueError(f"{corpus.novels[label]} has too few passages of {length} tokens "
                             f"({len(train_w)} train, {len(test_w)} test)")
        xs.append(train_w[torch.randperm(len(train_w), generator=g)[:labels_per_class]])
        xt.append(test_w[torch.randperm(len(test_w), generator=g)[:test_per_class]])
        ys.append(torch.full((labels_per_class,), label))
        yt.append(torch.full((test_per_class,), label))
    return torch.cat(xs), torch.cat(ys), torch.cat(xt), torch.cat(yt)


def finetune(ctx: Any, name: str, gpt: GPT, data: tuple[torch.Tensor, ...], n_classes: int, *, steps: int,
             batch_size: int, lr: float, lm_weight: float, seed: int, pool: str = "last") -> dict[str, float]:
    """GPT-1 §3.2 fine-tuning of ``gpt`` (pre-trained or fresh) as a passage classifier."""
    x_train, y_train, x_test, y_test = data
    torch.manual_seed(seed)
    clf = GPTClassifier(gpt, n_classes, dropout=0.1, pool=pool)
    optimizer = torch.optim.AdamW(clf.parameters(), lr=lr, weight_decay=0.01)
    scheduler = warmup_cosine(optimizer, steps, warmup=max(1, steps // 10), floor=0.0)

    def loss_fn(model: GPTClassifier, batch: tuple[torch.Tensor, ...]):
        loss, logits = model.loss(batch[0], batch[1], lm_weight=lm_weight)
        return loss, {"accuracy": (logits.argmax(-1) == batch[1]).float().mean().item()}

    @torch.no_grad()
    def evaluate(model: GPTClassifier) -> dict[str, float]:
        preds = torch.cat([model(x_test[i : i + 64]).argmax(-1) for i in range(0, len(x_test), 64)])
        return {"test_accuracy": (preds == y_test).float().mean().item()}

    trainer = Trainer(clf, optimizer, loss_fn, TensorBatches(x_train, y_train, batch_size=batch_size, seed=seed),
                      TrainConfig(max_steps=steps, log_every=max(1, steps // 20), grad_clip=1.0, desc=name),
                      out_dir=ctx.subdir(name), scheduler=scheduler, evaluate=evaluate, device=ctx.device,
                      resume=ctx.resume, identity={"name": name, "seed": seed, "steps": steps, "lr": lr})
    result = trainer.fit()
    return {"test_accuracy": result.last_eval()["test_accuracy"], "wall_s": result.wall_s}


def run(ctx: Any) -> Outcome:
    p = ctx.params
    t0 = time.perf_counter()
    corpus = load_corpus(p["vocab_size"], heldout=p["heldout"], max_chars=p.get("max_chars") or None)
    ctx.log(f"corpus: {corpus.train_ids.numel():,} training tokens, {corpus.heldout_ids.numel():,} held-out tokens "
            f"({corpus.heldout_title}), vocabulary {corpus.vocab_size} ({time.perf_counter() - t0:.1f}s)")
    T = p["context"]
    train_w = windows(corpus.train_ids, T + 1, stride=T)
    held_w = windows(corpus.heldout_ids, T + 1, stride=T)
    eval_w = held_w[torch.randperm(len(held_w), generator=torch.Generator().manual_seed(0))[: p["eval_windows"]]]

    # ---------------------------------------------------------------- (a) loss vs size
    runs = []
    for n_layer, d_model, n_head in p["sizes"]:
        cfg = GPTConfig(vocab_size=corpus.vocab_size, max_length=max(T, p["ft_length"]), n_layer=n_layer,
                        n_head=n_head, d_model=d_model, variant="gpt2", dropout=0.0, fast=True, loss_chunk=0)
        name = f"lm-L{n_layer}-d{d_model}"
        ctx.log(f"(a) training {name}")
        out = train_lm(ctx, name, cfg, train_w, eval_w, steps=p["steps"], batch_size=p["batch_size"], lr=p["lr"],
                       seed=ctx.seed, eval_every=p["eval_every"], final_eval_data=held_w[: p["final_eval_windows"]])
        out["name"], out["cfg"] = name, cfg
        runs.append(out)
        ctx.log(f"    {out['params']:,} non-embedding parameters: held-out loss {out['heldout_loss']:.4f} "
                f"({out['train_s']:.0f}s)")
    params = [r["params"] for r in runs]
    losses = [r["heldout_loss"] for r in runs]
    a, alpha, r2 = fit_power_law(params, losses)
    falls = all(l2 < l1 for l1, l2 in zip(losses, losses[1:]))
    largest = runs[-1]
    largest_dir = ctx.subdir(largest["name"])
    corpus.tokenizer.save(largest_dir / TOKENIZER_DIR)

    # ---------------------------------------------------------------- (b) pre-training + fine-tuning
    cls_data = classification_data(corpus, p["ft_length"], p["labels_per_class"], p["test_per_class"], seed=ctx.seed)
    accs: dict[str, list[float]] = {"pretrained": [], "scratch": []}
    for seed in ctx.seeds(p["ft_seeds"]):
        for arm in ("pretrained", "scratch"):
            if arm == "pretrained":
                gpt = copy.deepcopy(largest["model"])
            else:
                torch.manual_seed(seed)
                gpt = GPT(largest["cfg"])
            res = finetune(ctx, f"ft-{arm}-seed{seed}", gpt, cls_data, len(corpus.novels), steps=p["ft_steps"],
                           batch_size=p["ft_batch_size"], lr=p["ft_lr"], lm_weight=p["lm_weight"], seed=seed)
            accs[arm].append(res["test_accuracy"])
            ctx.log(f"(b) {arm} seed {seed}: test accuracy {res['test_accuracy']:.3f}")
    mean = {k: sum(v) / len(v) for k, v in accs.items()}
    gain = mean["pretrained"] - mean["scratch"]

    sample = _sample(largest["model"], corpus, p.get("sample_tokens", 60), seed=ctx.seed)

    criteria = [
        Criterion("loss falls with size", "held-out loss strictly decreases with every increase in model size",
                  [round(x, 4) for x in losses], "strictly decreasing", falls, part="a"),
        Criterion.at_least("power-law fit R^2", f"log-log straight-line fit of held-out loss vs non-embedding "
                           f"parameters has R^2 >= {MIN_R2}", round(r2, 4), MIN_R2, part="a"),
        Criterion.at_least("fine-tuning gain", f"pre-trained + fine-tuned accuracy minus from-scratch accuracy "
                           f">= {MIN_FINETUNE_GAIN} (mean over {p['ft_seeds']} seeds)", round(gain, 4),
                           MIN_FINETUNE_GAIN, part="b"),
    ]
    numbers = {
        "sizes": [list(s) for s in p["sizes"]],
        "non_embedding_params": params,
        "heldout_loss": [round(x, 4) for x in losses],
        "train_s": [round(r["train_s"], 1) for r in runs],
        "power_law_a": round(a, 4),
        "power_law_alpha": round(alpha, 4),
        "power_law_r2": round(r2, 4),
        "tokens_seen": p["steps"] * p["batch_size"] * T,
        "finetune_accuracy_pretrained": [round(x, 4) for x in accs["pretrained"]],
        "finetune_accuracy_scratch": [round(x, 4) for x in accs["scratch"]],
        "finetune_accuracy_pretrained_mean": round(mean["pretrained"], 4),
        "finetune_accuracy_scratch_mean": round(mean["scratch"], 4),
        "finetune_gain": round(gain, 4),
        "chance_accuracy": round(1 / len(corpus.novels), 4),
        "vocab_size": corpus.vocab_size,
        "training_tokens": corpus.train_ids.numel(),
        "heldout_tokens": corpus.heldout_ids.numel(),
        "checkpoint_dir": str(Path(ctx.experiment.name) / largest["name"]) if hasattr(ctx, "experiment") else largest["name"],
    }
    plots = _plots(ctx, runs, params, losses, a, alpha, r2, accs)
    tables = [
        Table("Held-out loss vs model size (GPT-2 architecture, same steps and data)",
              ["model", "layers", "width", "heads", "non-embedding params", f"held-out loss ({corpus.heldout_title})",
               "train s"],
              [[r["name"], *s, r["params"], round(r["heldout_loss"], 4), round(r["train_s"], 1)]
               for r, s in zip(runs, p["sizes"], strict=True)]),
        Table("Which novel? (5 classes) test accuracy after fine-tuning",
              ["seed", "pre-trained + fine-tuned", "from scratch"],
              [[s, round(a1, 4), round(a2, 4)] for s, a1, a2 in zip(ctx.seeds(p["ft_seeds"]), accs["pretrained"],
                                                                     accs["scratch"], strict=True)]),
    ]
    notes = [
        f"Power-law fit L(N) = {a:.3g} * N^-{alpha:.3f} over non-embedding parameters N (R^2 = {r2:.3f} in log "
        f"space). Kaplan et al. 2020 report alpha_N ~ 0.076 for converged-data-unlimited models; ours are trained "
        f"for a fixed {p['steps']} steps ({numbers['tokens_seen']:,} tokens), so the exponent mixes size and "
        f"sample efficiency.",
        f"Classification: {p['labels_per_class']} labelled {p['ft_length']}-token passages per novel; "
        f"{p['test_per_class']} test passages per novel from the last 10% of each novel, which pre-training never "
        f"saw. Chance = {1 / len(corpus.novels):.2f}.",
        f"Sample from the largest model (temperature 0.8, top-k 40): {sample!r}",
        f"`papercraft generate {numbers['checkpoint_dir']}` (under the run directory) continues a prompt with the "
        f"largest model.",
    ]
    return Outcome(numbers=numbers, criteria=criteria, plots=plots, tables=tables, notes=notes)


def _sample(model: GPT, corpus: AustenCorpus, n: int, seed: int) -> str:
    prompt = torch.tensor([corpus.tokenizer.encode_ordinary("It was a truth")], dtype=torch.long)
    n = min(n, model.cfg.max_length - prompt.shape[1])
    out = model.eval().generate(prompt, n, temperature=0.8, top_k=40, generator=torch.Generator().manual_seed(seed))
    return corpus.tokenizer.decode(out[0].tolist())


def _plots(ctx: Any, runs, params, losses, a, alpha, r2, accs) -> list[Plot]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 2, figsize=(10, 4))
    ax[0].loglog(params, losses, "o", label="measured")
    grid = torch.logspace(math.log10(min(params) / 1.5), math.log10(max(params) * 1.5), 50).tolist()
    ax[0].loglog(grid, [a * n ** (-alpha) for n in grid], "--", label=f"L = {a:.2f} N^-{alpha:.3f} (R²={r2:.3f})")
    ax[0].set_xlabel("non-embedding parameters N")
    ax[0].set_ylabel("held-out loss (nats/token)")
    ax[0].legend()
    ax[0].set_title("(a) held-out loss vs model size")
    for r in runs:
        ev = r["result"].evals()
        ax[1].plot([e["step"] for e in ev], [e["heldout_loss"] for e in ev], label=f"{r['name']} ({r['params']:,})")
    ax[1].set_xlabel("step")
    ax[1].set_ylabel("held-out loss")
    ax[1].legend(fontsize=7)
    ax[1].set_title("training curves")
    fig.tight_layout()
    fig.savefig(ctx.path("loss_vs_size.png"), dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(4.5, 3.5))
    names = list(accs)
    ax.bar(names, [sum(v) / len(v) for v in accs.values()], color=["tab:blue", "tab:gray"])
    for i, v in enumerate(accs.values()):
        ax.plot([i] * len(v), v, "k.")
    ax.axhline(0.2, color="red", ls=":", label="chance")
    ax.set_ylabel("test accuracy")
    ax.set_title("(b) which novel? few labels")
    ax.legend()
    fig.tight_layout()
    fig.savefig(ctx.path("finetune.png"), dpi=110)
    plt.close(fig)
    return [Plot("loss_vs_size.png", "(a) Held-out loss on the unseen novel against non-embedding parameters, with "
                 "the fitted power law; right: held-out loss during training."),
            Plot("finetune.png", "(b) Test accuracy of the novel classifier: pre-trained then fine-tuned vs the same "
                 "classifier trained from scratch (dots: seeds).")]
