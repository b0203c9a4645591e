"""transformer experiment: at the same training time, does the Transformer beat the LSTM seq2seq
baseline in BLEU on German→English? (Vaswani et al. Table 2: better BLEU "at a fraction of the
training cost".)

Both models get the same wall-clock training budget (``train_seconds``, measured as training time
only: the periodic validation passes are excluded) on the same data, batches and machine, trained
one after the other; the steps each reached are recorded. The baseline is the ``seq2seq`` entry's
model with reversed source (the paper's better setting), trained by the same code.

Criteria (fixed before the runs; paired bootstrap over the test sentences, 95%):

- BLEU(Transformer) > BLEU(seq2seq) with beam search (beam ``beam``; the Transformer with the
  paper's length penalty α = 0.6, the LSTM with plain log-probability as in Sutskever et al.);
- the same with greedy decoding.

Each passes if the interval of the difference is above 0, fails if the observed difference is <= 0,
and is undecided (inconclusive) otherwise. Secondary: beam search beats greedy for the Transformer.
"""

from __future__ import annotations

import torch

from papercraft.papers.seq2seq.experiment import _set_threads, seq2seq_translate, train_seq2seq
from papercraft.testbeds.translation import (
    BOS_ID,
    EOS_ID,
    PAD_ID,
    TranslationData,
    bleu,
    decide_better,
    load,
    paired_bootstrap,
    perplexity_with_interval,
    sentence_nll,
    train_translation_model,
    translate_split,
)
from papercraft.papers.transformer.model import (
    Transformer,
    TransformerConfig,
    label_smoothed_cross_entropy,
    noam_scheduler,
)
from papercraft.results import Criterion, Outcome, Plot, Table


def train_transformer(ctx, data: TranslationData, p: dict, *, seconds: float | None):
    torch.manual_seed(ctx.seed)
    config = TransformerConfig(len(data.src_vocab), len(data.tgt_vocab), d_model=p["d_model"], n_heads=p["n_heads"],
                               d_ff=p["d_ff"], encoder_layers=p["layers"], decoder_layers=p["layers"],
                               dropout=p["dropout"], max_len=64, fused_norm=True)
    model = Transformer(config)
    # §5.3: Adam with β1 = 0.9, β2 = 0.98, ε = 1e-9 and the warm-up schedule of eq. (3).
    optimizer = torch.optim.Adam(model.parameters(), lr=1.0, betas=(0.9, 0.98), eps=1e-9)
    scheduler = noam_scheduler(optimizer, d_model=p["d_model"], warmup=p["warmup"], factor=p["noam_factor"])
    result, clock = train_translation_model(
        model, data, optimizer=optimizer, scheduler=scheduler, out_dir=ctx.subdir("transformer"),
        max_steps=p["max_steps"], seconds=seconds, batch_size=p["batch_size"], seed=ctx.seed,
        criterion=lambda logits, target: label_smoothed_cross_entropy(
            logits, target, smoothing=p["label_smoothing"], ignore_index=PAD_ID),
        eval_every=p["eval_every"], grad_clip=None, device=ctx.device,
        resume=ctx.resume, identity={"entry": "transformer", "arm": "transformer", **p}, desc="transformer")
    return model, result, clock


def run(ctx) -> Outcome:
    p = dict(ctx.params)
    _set_threads(p)
    data = load(max_train=p["max_train"] or None)
    ctx.log(f"data: {data.describe()}")
    limit = p["test_limit"] or None
    seconds = p["train_seconds"] or None

    baseline_p = {"d_embed": p["lstm_d_embed"], "hidden": p["lstm_hidden"], "layers": p["lstm_layers"],
                  "dropout": p["lstm_dropout"], "lr": p["lstm_lr"], "batch_size": p["batch_size"],
                  "eval_every": p["eval_every"]}
    lstm, res_l, clock_l = train_seq2seq(ctx, data, baseline_p, reverse=True, name="seq2seq",
                                         max_steps=p["max_steps"], seconds=seconds)
    ctx.log(f"seq2seq: {res_l.step} steps in {clock_l.training_seconds():.0f} s")
    tf, res_t, clock_t = train_transformer(ctx, data, p, seconds=seconds)
    ctx.log(f"transformer: {res_t.step} steps in {clock_t.training_seconds():.0f} s")

    translators = {
        "seq2seq": lambda src, beam, max_len: lstm.translate(src, beam=beam, max_len=max_len),
        "transformer": lambda src, beam, max_len: tf.translate(src, bos=BOS_ID, eos=EOS_ID, beam=beam,
                                                               max_len=max_len, alpha=p["alpha"]),
    }
    runs = {"seq2seq": (lstm, res_l, clock_l), "transformer": (tf, res_t, clock_t)}
    sub = TranslationData(data.src_vocab, data.tgt_vocab, {"test": data.pairs["test"][:limit]},
                          {"test": data.src["test"][:limit]}, {"test": data.tgt["test"][:limit]})
    numbers: dict = {}
    hyps, refs = {}, None
    for name, (model, result, clock) in runs.items():
        ppl = perplexity_with_interval(*sentence_nll(model, sub, "test"))
        for beam in (1, p["beam"]):
            hyps[(name, beam)], refs = translate_split(translators[name], data, "test", beam=beam, limit=limit)
        numbers[f"{name}_params"] = sum(t.numel() for t in model.parameters())
        numbers[f"{name}_steps"] = result.step
        numbers[f"{name}_train_s"] = round(clock.training_seconds(), 1)
        numbers[f"{name}_test_ppl"] = round(ppl["ppl"], 3)
        numbers[f"{name}_bleu_greedy"] = round(bleu(hyps[(name, 1)], refs), 2)
        numbers[f"{name}_bleu_beam"] = round(bleu(hyps[(name, p["beam"])], refs), 2)
        ctx.log(f"{name}: ppl {numbers[f'{name}_test_ppl']}, BLEU greedy {numbers[f'{name}_bleu_greedy']}, "
                f"beam {numbers[f'{name}_bleu_beam']}")

    beam_cmp = paired_bootstrap(hyps[("seq2seq", p["beam"])], hyps[("transformer", p["beam"])], refs, seed=ctx.seed)
    greedy_cmp = paired_bootstrap(hyps[("seq2seq", 1)], hyps[("transformer", 1)], refs, seed=ctx.seed)
    tf_beam_cmp = paired_bootstrap(hyps[("transformer", 1)], hyps[("transformer", p["beam"])], refs, seed=ctx.seed)
    numbers.update({
        "bleu_transformer_beam": numbers["transformer_bleu_beam"],
        "bleu_gain_over_seq2seq_beam": round(beam_cmp["diff"], 2),
        "bleu_gain_over_seq2seq_beam_95": [round(beam_cmp["low"], 2), round(beam_cmp["high"], 2)],
        "bleu_gain_over_seq2seq_greedy": round(greedy_cmp["diff"], 2),
        "bleu_gain_over_seq2seq_greedy_95": [round(greedy_cmp["low"], 2), round(greedy_cmp["high"], 2)],
        "transformer_bleu_gain_from_beam_95": [round(tf_beam_cmp["low"], 2), round(tf_beam_cmp["high"], 2)],
        "train_seconds_budget": p["train_seconds"],
        "test_sentences": len(refs),
        **{f"data_{k}": v for k, v in data.describe().items()},
    })
    criteria = [
        Criterion("Transformer beats seq2seq (beam)",
                  f"BLEU(Transformer) - BLEU(seq2seq), beam {p['beam']}, same training time: 95% paired-bootstrap "
                  "interval above 0", numbers["bleu_gain_over_seq2seq_beam_95"], "> 0", decide_better(beam_cmp),
                  part="a"),
        Criterion("Transformer beats seq2seq (greedy)",
                  "BLEU(Transformer) - BLEU(seq2seq), greedy, same training time: 95% interval above 0",
                  numbers["bleu_gain_over_seq2seq_greedy_95"], "> 0", decide_better(greedy_cmp), part="a"),
        Criterion("beam beats greedy (Transformer)",
                  f"BLEU(beam {p['beam']}, α={p['alpha']}) - BLEU(greedy) for the Transformer: 95% interval above 0",
                  numbers["transformer_bleu_gain_from_beam_95"], "> 0", decide_better(tf_beam_cmp), part="b",
                  primary=False),
    ]
    table = Table("Test set (German→English), same training wall time",
                  ["model", "parameters", "steps", "train s", "perplexity", "BLEU greedy", f"BLEU beam {p['beam']}"],
                  [[name, numbers[f"{name}_params"], numbers[f"{name}_steps"], numbers[f"{name}_train_s"],
                    numbers[f"{name}_test_ppl"], numbers[f"{name}_bleu_greedy"], numbers[f"{name}_bleu_beam"]]
                   for name in runs])
    examples = Table("Example translations (beam)", ["German", "reference", "Transformer", "seq2seq"],
                     [[" ".join(data.pairs["test"][i][0]), " ".join(refs[i]),
                       " ".join(hyps[("transformer", p["beam"])][i]), " ".join(hyps[("seq2seq", p["beam"])][i])]
                      for i in range(min(8, len(refs)))])
    notes = [
        "Same training budget in wall-clock seconds (validation passes excluded) for both models, trained one "
        "after the other on the same machine; the steps each reached are in the table. Timings on a shared, "
        "loaded machine vary from run to run.",
        f"Transformer: {p['layers']}+{p['layers']} layers, d_model {p['d_model']}, {p['n_heads']} heads, d_ff "
        f"{p['d_ff']}, dropout {p['dropout']}, label smoothing {p['label_smoothing']}, Adam(0.9, 0.98, 1e-9) with "
        f"the warm-up schedule (warmup {p['warmup']} steps, factor {p['noam_factor']}); paper base: 6+6 layers, "
        "d_model 512, 8 heads, d_ff 2048, warmup 4000.",
        f"seq2seq baseline: reversed source, {p['lstm_layers']} layers of {p['lstm_hidden']} LSTM cells, Adam lr "
        f"{p['lstm_lr']}; beam search without length penalty.",
        "Perplexities are not comparable with the paper's (different data and vocabularies), and the "
        "Transformer's is raised by label smoothing by design (§5.4).",
        "BLEU: sacrebleu corpus BLEU on lower-cased tokenized text (tokenize='none'); intervals: paired bootstrap "
        "over test sentences (1000 resamples); training-seed noise is not measured.",
    ]
    plot = _plot_curves(ctx, {name: clock.curve for name, (_, _, clock) in runs.items()})
    return Outcome(numbers=numbers, criteria=criteria, plots=[plot], tables=[table, examples], notes=notes)


def _plot_curves(ctx, curves: dict[str, list[dict[str, float]]]) -> Plot:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    for name, curve in curves.items():
        ax.plot([c["train_s"] for c in curve], [c["valid_nll"] for c in curve], marker=".", label=name)
    ax.set_xlabel("training wall time (s)")
    ax.set_ylabel("validation NLL per token (nats)")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(ctx.path("valid_nll_vs_time.png"), dpi=120)
    plt.close(fig)
    return Plot("valid_nll_vs_time.png", "Validation NLL per target token against training wall time "
                "(unsmoothed cross-entropy for both models).")
