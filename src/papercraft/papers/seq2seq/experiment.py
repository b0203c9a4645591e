"""seq2seq experiment: does reversing the source help (§3.3), and does beam search beat greedy (§3.2)?

Two identical LSTM encoder-decoders are trained on the German→English pairs, one reading the
source in order and one reversed, from the same initial weights, on the same batches, for the same
number of optimizer steps (``steps``). Both are scored on the test split: perplexity (teacher
forced), BLEU with greedy decoding and with beam search.

Criteria (fixed before the runs; paired bootstrap over the test sentences, 95%):

- (a) reversed source gives a lower test perplexity than normal order;
- (a) reversed source gives a higher beam-search BLEU than normal order;
- (b) beam search gives a higher BLEU than greedy decoding (reversed model).

A criterion passes if the 95% interval of the difference lies above 0, fails if it lies below 0,
and is inconclusive if it straddles 0 (a difference inside resampling noise). Only test-set
resampling noise is measured; training-seed noise is not (one seed per arm).
"""

from __future__ import annotations

from papercraft.papers.seq2seq.model import GRAD_CLIP, Seq2SeqConfig, build_for_training
from papercraft.results import Criterion, Outcome, Table
from papercraft.testbeds.translation import (
    bleu,
    load,
    paired_bleu_bootstrap,
    paired_perplexity_bootstrap,
    perplexity_interval,
    sentence_nll,
    train_translation,
    translate_split,
)


def run(ctx) -> Outcome:
    p = ctx.params
    data = load(max_train=p["max_train"] or None)
    ctx.log(f"data: {data.describe()}")
    test = data.head("test", p["test_limit"] or None)

    # The two arms: same seed (initial weights and batches), same steps; only the source order differs.
    arms = {}
    for name, reverse in (("normal", False), ("reversed", True)):
        config = Seq2SeqConfig(len(data.src_vocab), len(data.tgt_vocab), d_embed=p["d_embed"], hidden=p["hidden"],
                               layers=p["layers"], dropout=p["dropout"], reverse_source=reverse)
        model, optimizer = build_for_training(config, lr=p["lr"], seed=ctx.seed)
        trained = train_translation(ctx, name, model, optimizer, data, steps=p["steps"], batch_size=p["batch_size"],
                                    eval_every=p["eval_every"], seed=ctx.seed, grad_clip=GRAD_CLIP,
                                    flop_batches=0)  # equal architectures: equal cost per step
        arms[name] = (model, trained)

    numbers: dict = {}
    nlls, hyps = {}, {}
    refs: list[list[str]] = []
    for name, (model, trained) in arms.items():
        nlls[name] = sentence_nll(model, test, "test")
        ppl = perplexity_interval(*nlls[name], seed=ctx.seed)
        for beam in (1, p["beam"]):
            hyps[(name, beam)], refs = translate_split(
                lambda src, b, max_len, m=model: m.translate(src, beam=b, max_len=max_len), test, "test", beam=beam,
                device=ctx.device)
        numbers[f"{name}_steps"] = trained.steps
        numbers[f"{name}_test_ppl"] = round(ppl.estimate, 3)
        numbers[f"{name}_test_ppl_95"] = [round(ppl.low, 3), round(ppl.high, 3)]
        numbers[f"{name}_bleu_greedy"] = round(bleu(hyps[(name, 1)], refs), 2)
        numbers[f"{name}_bleu_beam"] = round(bleu(hyps[(name, p["beam"])], refs), 2)
        ctx.log(f"{name}: {trained.steps} steps, ppl {numbers[f'{name}_test_ppl']}, "
                f"BLEU greedy {numbers[f'{name}_bleu_greedy']}, beam {numbers[f'{name}_bleu_beam']}")

    ppl_gain = paired_perplexity_bootstrap(nlls["normal"], nlls["reversed"], seed=ctx.seed)
    bleu_gain = paired_bleu_bootstrap(hyps[("normal", p["beam"])], hyps[("reversed", p["beam"])], refs, seed=ctx.seed)
    beam_gain = paired_bleu_bootstrap(hyps[("reversed", 1)], hyps[("reversed", p["beam"])], refs, seed=ctx.seed)
    numbers.update({
        "log_ppl_gain_from_reversal": round(ppl_gain.estimate, 4),
        "log_ppl_gain_from_reversal_95": [round(ppl_gain.low, 4), round(ppl_gain.high, 4)],
        "bleu_gain_from_reversal": round(bleu_gain.estimate, 2),
        "bleu_gain_from_reversal_95": [round(bleu_gain.low, 2), round(bleu_gain.high, 2)],
        "bleu_gain_from_beam": round(beam_gain.estimate, 2),
        "bleu_gain_from_beam_95": [round(beam_gain.low, 2), round(beam_gain.high, 2)],
        "test_sentences": len(refs),
        **{f"data_{k}": v for k, v in data.describe().items()},
    })
    criteria = [
        Criterion.interval_above("reversal lowers perplexity",
                                 "test log-perplexity(normal) - log-perplexity(reversed) at equal steps: 95% "
                                 "paired-bootstrap interval above 0", ppl_gain, part="a"),
        Criterion.interval_above("reversal raises BLEU",
                                 f"beam-{p['beam']} BLEU(reversed) - BLEU(normal) at equal steps: 95% "
                                 "paired-bootstrap interval above 0", bleu_gain, part="a"),
        Criterion.interval_above("beam search beats greedy",
                                 f"BLEU(beam {p['beam']}) - BLEU(greedy) for the reversed model: 95% paired-bootstrap "
                                 "interval above 0", beam_gain, part="b"),
    ]

    table = Table("Test set (German→English), equal steps", ["source order", "steps", "perplexity", "BLEU greedy",
                                                               f"BLEU beam {p['beam']}"],
                  [[name, numbers[f"{name}_steps"], numbers[f"{name}_test_ppl"], numbers[f"{name}_bleu_greedy"],
                    numbers[f"{name}_bleu_beam"]] for name in arms])
    examples = Table("Example translations (reversed model, beam)", ["German", "reference", "ours"],
                     [[" ".join(test.pairs["test"][i][0]), " ".join(refs[i]),
                       " ".join(hyps[("reversed", p["beam"])][i])] for i in range(min(8, len(refs)))])
    with ctx.figure("valid_nll.png", "Validation NLL per target token during training, normal vs reversed source, "
                    "against optimizer steps (both arms train the same steps on the same batches).",
                    size=(5.5, 3.5)) as (_, ax):
        for name, (_, trained) in arms.items():
            ax.plot(*trained.valid_curve(), marker=".", label=f"{name} source")
        ax.set_xlabel("optimizer step")
        ax.set_ylabel("validation NLL per token (nats)")
        ax.legend()
        ax.grid(alpha=0.3)
    epochs = p["steps"] * p["batch_size"] / numbers["data_train_pairs"]
    notes = [
        f"Same initial weights, batches and number of optimizer steps ({p['steps']}, {epochs:.2g} epochs of the "
        f"{numbers['data_train_pairs']} training pairs) for both arms.",
        "Deviation: Adam (lr %.0e) instead of plain SGD at lr 0.7 with halving (§3.4), which needs far more "
        "steps than a CPU budget allows; gradient-norm clipping at 5 as in the paper." % p["lr"],
        f"Model: {p['layers']} LSTM layers of {p['hidden']} cells, {p['d_embed']}-dim embeddings, dropout "
        f"{p['dropout']} (paper: 4 layers of 1000, no dropout), word vocabularies of "
        f"{len(data.src_vocab)}/{len(data.tgt_vocab)} (paper: 160k/80k).",
        "BLEU: sacrebleu corpus BLEU on lower-cased tokenized text (tokenize='none'); intervals are paired "
        "bootstrap over test sentences (1000 resamples); training-seed noise is not measured.",
    ]
    return Outcome(numbers=numbers, criteria=criteria, tables=[table, examples], notes=notes)
