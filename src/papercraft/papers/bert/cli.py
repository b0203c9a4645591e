"""``papercraft bert``: WordPiece ids, sentence embeddings and cosine similarity (stdin -> stdout).

    papercraft bert tokenize [--vocab minilm|FILE] [--no-special] [--cased]   < lines  > one JSON list of ints per line
    papercraft bert embed [--model minilm|DIR]                               < lines  > one JSON list of floats per line
    papercraft bert similarity [--model minilm|DIR] "A" "B"                  > the cosine of the two embeddings

Input is UTF-8; a line ends at ``\\n`` and a blank line is an empty sentence; the output has one
JSON line per input line, in order, and an empty stdin prints nothing. ``tokenize`` includes
``[CLS]`` and ``[SEP]`` unless ``--no-special`` and truncates nothing; ``--vocab FILE`` reads a
``vocab.txt`` and lower-cases (and strips accents) unless ``--cased``. ``embed`` truncates each line
to the model's maximum length (256 tokens for MiniLM) and writes every float32 component with
Python's ``repr`` of its exact value, so that it reads back to the same float32. ``--model minilm``
(the default) is all-MiniLM-L6-v2 (``papercraft data get minilm``); a directory is a Hugging Face
BERT checkpoint, with the sentence-transformers files for pooling and normalization when present
(else mean pooling and L2 normalization). An unreadable vocabulary or a directory that is not a
BERT checkpoint exits with status 1; a bad option with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, TextIO

from papercraft.errors import PapercraftError

EMBED_CHUNK = 256  # lines embedded per call of SentenceEncoder.encode (which batches them by 32)


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``bert`` with its ``tokenize``, ``embed`` and ``similarity`` sub-subcommands."""
    parser = subparsers.add_parser("bert", help="tokenize, embed and compare sentences with BERT / MiniLM",
                                   description=__doc__.split("\n\n")[0])
    parser.set_defaults(func=main)
    sub = parser.add_subparsers(dest="bert_command", metavar="{tokenize,embed,similarity}",
                                parser_class=_strict(type(parser)))
    sub.required = True

    tokenize = sub.add_parser("tokenize", help="WordPiece ids of each stdin line, one JSON list of ints per line")
    tokenize.add_argument("--vocab", default="minilm", metavar="minilm|FILE",
                          help="'minilm' (default: all-MiniLM-L6-v2's uncased vocabulary) or a vocab.txt file")
    tokenize.add_argument("--no-special", action="store_true", help="leave out [CLS] and [SEP]")
    tokenize.add_argument("--cased", action="store_true", help="do not lower-case or strip accents")

    embed = sub.add_parser("embed", help="sentence embedding of each stdin line, one JSON list of floats per line")
    similarity = sub.add_parser("similarity", help="cosine similarity of two sentences' embeddings")
    similarity.add_argument("a", metavar="A", help="the first sentence")
    similarity.add_argument("b", metavar="B", help="the second sentence")
    for p in (embed, similarity):
        p.add_argument("--model", default="minilm", metavar="minilm|DIR",
                       help="'minilm' (default: all-MiniLM-L6-v2) or a Hugging Face / sentence-transformers BERT directory")
    return parser


def _strict(parser_class: type[argparse.ArgumentParser]) -> type[argparse.ArgumentParser]:
    """A parser class whose sub-subcommands reject unknown options themselves, so that the message
    names the options of ``tokenize``/``embed``/``similarity`` (a usage error: exit status 2)."""

    class StrictParser(parser_class):  # type: ignore[misc, valid-type]
        def parse_known_args(self, args=None, namespace=None):  # type: ignore[override]
            namespace, extras = super().parse_known_args(args, namespace)
            if extras:
                if hasattr(self, "unknown_option"):  # papercraft's CLI parser: a closest-match message
                    raise self.unknown_option(extras[0])
                self.error(f"unrecognized arguments: {' '.join(extras)}")
            return namespace, extras

    return StrictParser


def load_tokenizer(vocab: str, *, cased: bool = False):
    """``minilm`` (the data set's ``vocab.txt``) or a ``vocab.txt`` path."""
    from papercraft.papers.bert.wordpiece import WordPieceTokenizer

    path = _minilm() / "vocab.txt" if vocab == "minilm" else Path(vocab)
    return WordPieceTokenizer.from_file(path, lowercase=not cased)


def load_encoder(model: str):
    """``minilm`` or a model directory, as a :class:`~papercraft.papers.bert.sentence.SentenceEncoder`."""
    from papercraft.papers.bert.sentence import SentenceEncoder

    directory = _minilm() if model == "minilm" else Path(model)
    if not directory.is_dir():
        raise PapercraftError(f"--model expects 'minilm' or a BERT model directory; {model!r} is not a directory")
    return SentenceEncoder.from_pretrained(directory)


def _minilm() -> Path:
    from papercraft.data import minilm_dir

    return minilm_dir()


def read_lines(stream: BinaryIO | TextIO) -> Iterator[str]:
    """The lines of ``stream`` without their ``\\n`` (a final line without one counts too); a binary
    stream must be UTF-8 (else a failure naming the line)."""
    for number, line in enumerate(stream, start=1):
        if isinstance(line, bytes):
            try:
                line = line.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise PapercraftError(f"stdin line {number} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        yield line[:-1] if line.endswith("\n") else line


def _chunks(lines: Iterable[str], size: int) -> Iterator[list[str]]:
    chunk: list[str] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def format_embedding(vector) -> str:
    """A float32 vector as a JSON list: each value's exact float32 value, written by Python's float repr."""
    return json.dumps(vector.float().tolist())


def main(args: argparse.Namespace, stdin: BinaryIO | TextIO | None = None, stdout: TextIO | None = None) -> int:
    """Run ``papercraft bert ...``; returns the exit status. Errors are PapercraftErrors."""
    out = stdout or sys.stdout
    if args.bert_command == "similarity":
        return _similarity(args, out)
    lines = read_lines(stdin if stdin is not None else sys.stdin.buffer)
    if args.bert_command == "tokenize":
        tokenizer = load_tokenizer(args.vocab, cased=args.cased)
        for line in lines:
            out.write(json.dumps(tokenizer.encode(line, add_special_tokens=not args.no_special)) + "\n")
        return 0
    encoder = load_encoder(args.model)
    for chunk in _chunks(lines, EMBED_CHUNK):
        for vector in encoder.encode(chunk):
            out.write(format_embedding(vector) + "\n")
    return 0


def _similarity(args: argparse.Namespace, out: TextIO) -> int:
    import torch

    encoder = load_encoder(args.model)
    a, b = encoder.encode([args.a, args.b]).double()
    cosine = torch.dot(a, b) / (a.norm() * b.norm()).clamp(min=1e-12)
    out.write(repr(float(cosine)) + "\n")
    return 0
