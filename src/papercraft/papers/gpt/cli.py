"""``papercraft generate``: continue a prompt with a GPT trained by the ``gpt`` experiment.

    papercraft generate RUN_DIR [--prompt TEXT] [--max-new-tokens N] [--temperature T]
                                [--top-k K] [--top-p P] [--greedy] [--seed S] [--no-cache]

``RUN_DIR`` is a run directory of ``papercraft run gpt`` (or any directory below it): the newest
model directory inside holding ``gpt_config.json``, a ``tokenizer/`` and ``checkpoints/`` is used.
The generated text (prompt included) is written to stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from papercraft.errors import CheckpointError, UsageError

CONFIG_FILE = "gpt_config.json"  # a model directory's GPTConfig, written by the gpt experiment
TOKENIZER_DIR = "tokenizer"  # and its BPE tokenizer


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``generate``; the parser sets ``func=main``."""
    p = subparsers.add_parser("generate", help="continue a prompt with a trained GPT checkpoint",
                              description=__doc__.split("\n\n")[0])
    p.add_argument("path", type=Path, metavar="RUN_DIR", help="a `papercraft run gpt` run directory (or a model dir)")
    p.add_argument("--prompt", default="It was", help="text to continue (default: 'It was')")
    p.add_argument("--max-new-tokens", type=int, default=None, metavar="N",
                   help="tokens to add (default: 100, or as many as fit in the model's context)")
    p.add_argument("--temperature", type=float, default=0.8, help="sampling temperature (default: 0.8)")
    p.add_argument("--top-k", type=int, default=40, metavar="K", help="keep the K most likely tokens (0: all)")
    p.add_argument("--top-p", type=float, default=None, metavar="P", help="nucleus sampling threshold")
    p.add_argument("--greedy", action="store_true", help="always take the most likely token")
    p.add_argument("--seed", type=int, default=0, help="random seed of the sampler")
    p.add_argument("--no-cache", action="store_true", help="recompute the prefix every step (no KV cache)")
    p.set_defaults(func=main)
    return p


def find_model_dir(path: Path) -> Path:
    """The newest directory under ``path`` (itself included) with a GPT config, tokenizer and checkpoint."""
    path = Path(path)
    if not path.exists():
        raise UsageError(f"{path} does not exist (expected a `papercraft run gpt` run directory)")
    candidates = [c.parent for c in ([path / CONFIG_FILE] if (path / CONFIG_FILE).exists() else [])]
    candidates += [c.parent for c in path.rglob(CONFIG_FILE)]
    usable = [d for d in dict.fromkeys(candidates) if (d / TOKENIZER_DIR).is_dir() and any((d / "checkpoints").glob("step-*.safetensors"))]
    if not usable:
        raise CheckpointError(f"no trained GPT checkpoint under {path} (looked for a directory with {CONFIG_FILE}, "
                              f"{TOKENIZER_DIR}/ and checkpoints/; run `papercraft run gpt` first)")
    return max(usable, key=lambda d: (d / CONFIG_FILE).stat().st_mtime)


def load_trained(model_dir: Path):
    """``(GPT in eval mode, Tokenizer)`` from a model directory written by the experiment."""
    from papercraft.papers.bpe import Tokenizer
    from papercraft.papers.gpt.model import GPT, GPTConfig
    from papercraft.training.checkpoint import list_checkpoints, load_checkpoint

    fields = json.loads((model_dir / CONFIG_FILE).read_text(encoding="utf-8"))
    # Configs written before the norm became a factory carry norm="layernorm", norm_eps=1e-5: GPT's default.
    if fields.pop("norm", "layernorm") != "layernorm" or fields.pop("norm_eps", 1e-5) != 1e-5:
        raise CheckpointError(f"{model_dir / CONFIG_FILE} describes a GPT with another normalization than "
                              f"LayerNorm (eps 1e-5), which `papercraft generate` cannot rebuild")
    cfg = GPTConfig(**fields)
    model = GPT(cfg)
    _, newest = list_checkpoints(model_dir / "checkpoints")[-1]
    load_checkpoint(newest, model=model, restore_rng=False)
    return model.eval(), Tokenizer.load(model_dir / TOKENIZER_DIR)


def main(args: argparse.Namespace) -> int:
    import torch

    if args.max_new_tokens is not None and args.max_new_tokens < 0:
        raise UsageError(f"--max-new-tokens must be >= 0, got {args.max_new_tokens}")
    model_dir = find_model_dir(args.path)
    model, tokenizer = load_trained(model_dir)
    ids = tokenizer.encode_ordinary(args.prompt)
    if not ids:
        raise UsageError("--prompt must not be empty")
    room = model.cfg.max_length - len(ids)
    if args.max_new_tokens is None:  # the default: 100, or what fits in the context
        if room < 1:
            raise UsageError(f"the model's context is {model.cfg.max_length} tokens and the prompt already has "
                             f"{len(ids)}: shorten the prompt")
        args.max_new_tokens = min(100, room)
    if room < args.max_new_tokens:
        raise UsageError(f"the model's context is {model.cfg.max_length} tokens; the prompt has {len(ids)}, so at most "
                         f"{max(room, 0)} new tokens fit (got --max-new-tokens {args.max_new_tokens})")
    try:
        out = model.generate(torch.tensor([ids]), args.max_new_tokens, temperature=args.temperature,
                             top_k=args.top_k or None, top_p=args.top_p, greedy=args.greedy,
                             use_cache=not args.no_cache, generator=torch.Generator().manual_seed(args.seed))
    except ValueError as exc:  # bad sampling options
        raise UsageError(str(exc)) from None
    sys.stdout.write(tokenizer.decode(out[0].tolist()) + "\n")
    return 0
