"""``papercraft bpe``: train a byte-level BPE vocabulary, encode and decode (stdin → stdout).

    papercraft bpe train FILE... --vocab-size N --out DIR [--pattern gpt2|cl100k] [--special TOKEN]...
    papercraft bpe encode [--vocab gpt2|DIR] [--allow-special]   < text  > ids
    papercraft bpe decode [--vocab gpt2|DIR]                      < ids   > text

``--vocab gpt2`` (the default) is GPT-2's real vocabulary (``papercraft data get gpt2-bpe``); a
directory is one written by ``bpe train``. Token ids are written space-separated on one line.
The CLI module calls :func:`add_parser` to register the subcommand; the parser sets ``func=main``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TextIO

from papercraft.errors import UsageError


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``bpe`` with its ``train``, ``encode`` and ``decode`` sub-subcommands."""
    parser = subparsers.add_parser("bpe", help="byte-level BPE tokenizer: train a vocabulary, encode, decode",
                                   description=__doc__.split("\n\n")[0])
    parser.set_defaults(func=main)
    sub = parser.add_subparsers(dest="bpe_command", metavar="{train,encode,decode}")
    sub.required = True

    train = sub.add_parser("train", help="learn a vocabulary from text files")
    train.add_argument("files", nargs="+", type=Path, metavar="FILE", help="UTF-8 text files")
    train.add_argument("--vocab-size", type=int, required=True, metavar="N",
                       help="tokens in the vocabulary: 256 bytes + merges + special tokens")
    train.add_argument("--out", type=Path, required=True, metavar="DIR",
                       help="directory for tokenizer.tiktoken, vocab.json, merges.txt, tokenizer.json")
    train.add_argument("--pattern", choices=["gpt2", "cl100k"], default="gpt2", help="pre-tokenization pattern")
    train.add_argument("--special", action="append", default=[], metavar="TOKEN",
                       help="a special token, e.g. '<|endoftext|>' (repeatable)")
    train.add_argument("--quiet", action="store_true", help="no progress bar")

    for name, text in (("encode", "text on stdin → token ids on stdout"), ("decode", "token ids on stdin → text on stdout")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--vocab", default="gpt2", metavar="gpt2|DIR",
                       help="'gpt2' for GPT-2's real vocabulary (default) or a directory written by `bpe train`")
        if name == "encode":
            p.add_argument("--allow-special", action="store_true",
                           help="encode special tokens such as <|endoftext|> as their ids (default: refuse them)")
    return parser


def load_vocabulary(vocab: str):
    """``gpt2`` or a directory saved by ``bpe train``."""
    from papercraft.papers.bpe.gpt2 import gpt2_tokenizer
    from papercraft.papers.bpe.tokenizer import Tokenizer

    if vocab == "gpt2":
        return gpt2_tokenizer()
    if not Path(vocab).is_dir():
        raise UsageError(f"--vocab expects 'gpt2' or a directory written by `papercraft bpe train`; "
                         f"{vocab!r} is neither")
    return Tokenizer.load(vocab)


def _read_stdin(stdin: TextIO | None) -> str:
    if stdin is not None:
        return stdin.read()
    data = sys.stdin.buffer.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"stdin is not UTF-8 text ({exc})") from None


def main(args: argparse.Namespace, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    """Run ``papercraft bpe ...``; returns the exit status. Errors are PapercraftErrors."""
    out = stdout or sys.stdout
    if args.bpe_command == "train":
        return _train(args)
    tokenizer = load_vocabulary(args.vocab)
    text = _read_stdin(stdin)
    if args.bpe_command == "encode":
        from papercraft.papers.bpe.tokenizer import DisallowedSpecialTokenError

        try:
            ids = tokenizer.encode(text, allowed_special="all" if args.allow_special else ())
        except DisallowedSpecialTokenError as exc:
            raise UsageError(f"{exc} (use --allow-special)") from None
        out.write(" ".join(map(str, ids)) + "\n")
        return 0
    fields = text.split()
    try:
        ids = [int(f) for f in fields]
    except ValueError:
        bad = next(f for f in fields if not f.lstrip("-").isdigit())
        raise UsageError(f"decode expects whitespace-separated integer token ids on stdin; got {bad[:20]!r}") from None
    try:
        out.write(tokenizer.decode(ids))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return 0


def _train(args: argparse.Namespace) -> int:
    from papercraft.papers.bpe.train import train_bpe

    texts = []
    for path in args.files:
        try:
            texts.append(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise UsageError(f"no such file: {path}") from None
        except UnicodeDecodeError as exc:
            raise UsageError(f"{path} is not UTF-8 text ({exc})") from None
        except IsADirectoryError:
            raise UsageError(f"{path} is a directory; give text files") from None
    if args.vocab_size < 256 + len(args.special):
        raise UsageError(f"--vocab-size must be at least 256 (the bytes) + {len(args.special)} special tokens, "
                         f"got {args.vocab_size}")
    start = time.perf_counter()
    tokenizer = train_bpe(texts, args.vocab_size, pattern=args.pattern, special_tokens=args.special,
                          progress=not args.quiet)
    tokenizer.save(args.out)
    print(f"papercraft bpe: {len(tokenizer.merges)} merges, vocabulary {tokenizer.vocab_size}, "
          f"{sum(map(len, texts)):,} characters in {time.perf_counter() - start:.1f} s -> {args.out}", file=sys.stderr)
    return 0
