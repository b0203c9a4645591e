"""transformer experiment: at equal training steps, does the Transformer beat the LSTM seq2seq
baseline in BLEU on German→English, and at what training cost? (Vaswani et al. Table 2: better BLEU
"at a fraction of the training cost", the cost counted in FLOPs.)

Both models train for the same number of optimizer steps (``steps``) on the same data and batches;
the counted FLOPs of their training (:func:`papercraft.training.flops.step_flops` of a step ×
steps) are reported beside, so the BLEU comparison can be read against the cost. The baseline is
the ``seq2seq`` entry's model with reversed source (the paper's better setting), built and trained
as that entry trains it, by the same test-bed code.

Criteria (fixed before the runs; paired bootstrap over the test sentences, 95%):

- BLEU(Transformer) > BLEU(seq2seq) with beam search (beam ``beam``; the Transformer with the
  paper's length penalty α = 0.6, the LSTM with plain log-probability as in Sutskever et al.);
- the same with greedy decoding.

Each passes if the interval of the difference lies above 0, fails if it lies below 0, and is
inconclusive if it straddles 0. Secondary: beam search beats greedy for the Transformer.
"""

from __future__ import annotations

import torch

from papercraft.papers.seq2seq.model import GRAD_CLIP, Seq2SeqConfig, build_for_training
from papercraft.papers.transformer.model import (
    Transformer,
    TransformerConfig,
    label_smoothed_cross_entropy,
    noam_scheduler,
)
from papercraft.results import Criterion, Outcome, Table
from papercraft.testbeds.translation import (
    BOS_ID,
    EOS_ID,
    FLOP_BATCHES,
    PAD_ID,
    TranslationData,
    TranslationRun,
    bleu,
    load,
    paired_bleu_bootstrap,
    perplexity_interval,
    sentence_nll,
    train_translation,
    translate_split,
)


def train_transformer(ctx, data: TranslationData, p: dict) -> tuple[Transformer, TranslationRun]:
    """The Transformer arm: §5.3 Adam(β1 = 0.9, β2 = 0.98, ε = 1e-9) with the warm-up schedule of
    eq. (3), §5.4 label smoothing; no gradient clipping (the paper uses none)."""
    torch.manual_seed(ctx.seed)
    config = TransformerConfig(len(data.src_vocab), len(data.tgt_vocab), d_model=p["d_model"], n_heads=p["n_heads"],
                               d_ff=p["d_ff"], encoder_layers=p["layers"], decoder_layers=p["layers"],
                               dropout=p["dropout"], max_len=64, fused_norm=True)
    model = Transformer(config)
    optimizer = torch.optim.Adam(model.parameters(), lr=1.0, betas=(0.9, 0.98), eps=1e-9)
    scheduler = noam_scheduler(optimizer, d_model=p["d_model"], warmup=p["warmup"], factor=p["noam_factor"])

    def criterion(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return label_smoothed_cross_entropy(logits, target, smoothing=p["label_smoothing"], ignore_index=PAD_ID)

    trained = train_translation(ctx, "transformer", model, optimizer, data, steps=p["steps"],
                                batch_size=p["batch_size"], eval_every=p["eval_every"], seed=ctx.seed,
                                criterion=criterion, scheduler=scheduler)
    return model, trained


def run(ctx) -> Outcome:
    p = ctx.params
    data = load(max_train=p["max_train"] or None)
    ctx.log(f"data: {data.describe()}")
    test = data.head("test", p["test_limit"] or None)

    # The baseline: the seq2seq entry's model, reversed source, trained as that entry trains it.
    lstm, optimizer = build_for_training(
        Seq2SeqConfig(len(data.src_vocab), len(data.tgt_vocab), d_embed=p["lstm_d_embed"], hidden=p["lstm_hidden"],
                      layers=p["lstm_layers"], dropout=p["lstm_dropout"], reverse_source=True),
        lr=p["lstm_lr"], seed=ctx.seed)
    lstm_run = train_translation(ctx, "seq2seq", lstm, optimizer, data, steps=p["steps"], batch_size=p["batch_size"],
                                 eval_every=p["eval_every"], seed=ctx.seed, grad_clip=GRAD_CLIP)
    tf, tf_run = train_transformer(ctx, data, p)

    arms = {
        "seq2seq": (lstm, lstm_run, lambda src, beam, max_len: lstm.translate(src, beam=beam, max_len=max_len)),
        "transformer": (tf, tf_run, lambda src, beam, max_len: tf.translate(src, bos=BOS_ID, eos=EOS_ID, beam=beam,
                                                                            max_len=max_len, alpha=p["alpha"])),
    }
    numbers: dict = {}
    hyps, refs = {}, []
    for name, (model, trained, translate) in arms.items():
        ppl = perplexity_interval(*sentence_nll(model, test, "test"), seed=ctx.seed)
        for beam in (1, p["beam"]):
            hyps[(name, beam)], refs = translate_split(translate, test, "test", beam=beam, device=ctx.device)
        numbers[f"{name}_params"] = sum(t.numel() for t in model.parameters())
        numbers[f"{name}_steps"] = trained.steps
        numbers[f"{name}_step_flops"] = trained.step_flops
        numbers[f"{name}_flops"] = trained.flops
        numbers[f"{name}_test_ppl"] = round(ppl.estimate, 3)
        numbers[f"{name}_bleu_greedy"] = round(bleu(hyps[(name, 1)], refs), 2)
        numbers[f"{name}_bleu_beam"] = round(bleu(hyps[(name, p["beam"])], refs), 2)
        ctx.log(f"{name}: {trained.steps} steps, {trained.flops:.3g} FLOPs, ppl {numbers[f'{name}_test_ppl']}, "
                f"BLEU greedy {numbers[f'{name}_bleu_greedy']}, beam {numbers[f'{name}_bleu_beam']}")

    beam_gain = paired_bleu_bootstrap(hyps[("seq2seq", p["beam"])], hyps[("transformer", p["beam"])], refs,
                                      seed=ctx.seed)
    greedy_gain = paired_bleu_bootstrap(hyps[("seq2seq", 1)], hyps[("transformer", 1)], refs, seed=ctx.seed)
    tf_beam_gain = paired_bleu_bootstrap(hyps[("transformer", 1)], hyps[("transformer", p["beam"])], refs,
                                         seed=ctx.seed)
    flops_ratio = tf_run.flops / lstm_run.flops
    numbers.update({
        "bleu_transformer_beam": numbers["transformer_bleu_beam"],
        "bleu_gain_over_seq2seq_beam": round(beam_gain.estimate, 2),
        "bleu_gain_over_seq2seq_beam_95": [round(beam_gain.low, 2), round(beam_gain.high, 2)],
        "bleu_gain_over_seq2seq_greedy": round(greedy_gain.estimate, 2),
        "bleu_gain_over_seq2seq_greedy_95": [round(greedy_gain.low, 2), round(greedy_gain.high, 2)],
        "transformer_bleu_gain_from_beam_95": [round(tf_beam_gain.low, 2), round(tf_beam_gain.high, 2)],
        "flops_ratio_transformer_to_seq2seq": round(flops_ratio, 3),
        "test_sentences": len(refs),
        **{f"data_{k}": v for k, v in data.describe().items()},
    })
    criteria = [
        Criterion.interval_above("Transformer beats seq2seq (beam)",
                                 f"BLEU(Transformer) - BLEU(seq2seq), beam {p['beam']}, equal steps: 95% "
                                 "paired-bootstrap interval above 0", beam_gain, part="a"),
        Criterion.interval_above("Transformer beats seq2seq (greedy)",
                                 "BLEU(Transformer) - BLEU(seq2seq), greedy, equal steps: 95% paired-bootstrap "
                                 "interval above 0", greedy_gain, part="a"),
        Criterion.interval_above("beam beats greedy (Transformer)",
                                 f"BLEU(beam {p['beam']}, α={p['alpha']}) - BLEU(greedy) for the Transformer: 95% "
                                 "paired-bootstrap interval above 0", tf_beam_gain, part="b", primary=False),
    ]
    table = Table("Test set (German→English), equal training steps",
                  ["model", "parameters", "steps", "training FLOPs", "perplexity", "BLEU greedy",
                   f"BLEU beam {p['beam']}"],
                  [[name, numbers[f"{name}_params"], numbers[f"{name}_steps"], f"{numbers[f'{name}_flops']:.3g}",
                    numbers[f"{name}_test_ppl"], numbers[f"{name}_bleu_greedy"], numbers[f"{name}_bleu_beam"]]
                   for name in arms])
    examples = Table("Example translations (beam)", ["German", "reference", "Transformer", "seq2seq"],
                     [[" ".join(test.pairs["test"][i][0]), " ".join(refs[i]),
                       " ".join(hyps[("transformer", p["beam"])][i]), " ".join(hyps[("seq2seq", p["beam"])][i])]
                      for i in range(min(8, len(refs)))])
    with ctx.figure("valid_nll.png", "Validation NLL per target token (unsmoothed cross-entropy for both models) "
                    "against optimizer steps (left) and against counted training FLOPs, steps × FLOPs of a step "
                    "(right).", ncols=2, sharey=True) as (_, (by_step, by_flops)):
        for name, (_, trained, _) in arms.items():
            steps, nll = trained.valid_curve()
            by_step.plot(steps, nll, marker=".", label=name)
            by_flops.plot([s * trained.step_flops for s in steps], nll, marker=".", label=name)
        by_step.set_xlabel("optimizer step")
        by_flops.set_xlabel("training FLOPs (counted)")
        by_step.set_ylabel("validation NLL per token (nats)")
        for ax in (by_step, by_flops):
            ax.legend()
            ax.grid(alpha=0.3)
    epochs = p["steps"] * p["batch_size"] / numbers["data_train_pairs"]
    notes = [
        f"Both models trained for the same {p['steps']} optimizer steps ({epochs:.2g} epochs) on the same batches. "
        f"Counted training FLOPs (matrix products of forward and backward, the mean of the first {FLOP_BATCHES} "
        f"training batches × steps): Transformer {tf_run.flops:.3g}, seq2seq {lstm_run.flops:.3g}, a ratio of "
        f"{flops_ratio:.2f}.",
        f"Transformer: {p['layers']}+{p['layers']} layers, d_model {p['d_model']}, {p['n_heads']} heads, d_ff "
        f"{p['d_ff']}, dropout {p['dropout']}, label smoothing {p['label_smoothing']}, Adam(0.9, 0.98, 1e-9) with "
        f"the warm-up schedule (warmup {p['warmup']} steps, factor {p['noam_factor']}); paper base: 6+6 layers, "
        "d_model 512, 8 heads, d_ff 2048, warmup 4000.",
        f"seq2seq baseline: reversed source, {p['lstm_layers']} layers of {p['lstm_hidden']} LSTM cells, Adam lr "
        f"{p['lstm_lr']}, gradient-norm clipping at {GRAD_CLIP:g}; beam search without length penalty.",
        "Perplexities are not comparable with the paper's (different data and vocabularies), and the "
        "Transformer's is raised by label smoothing by design (§5.4).",
        "BLEU: sacrebleu corpus BLEU on lower-cased tokenized text (tokenize='none'); intervals: paired bootstrap "
        "over test sentences (1000 resamples); training-seed noise is not measured.",
    ]
    return Outcome(numbers=numbers, criteria=criteria, tables=[table, examples], notes=notes)
