"""``papercraft bert tokenize | embed | similarity`` through the real CLI entry point: the exact output
formats (one JSON line per input line, in order; blank line = empty sentence; float32 values that
read back exactly), equality with the library (WordPieceTokenizer, SentenceEncoder and the cosine of
its embeddings), truncation to MiniLM's 256 tokens, model directories, and the error exits (1 for
an unreadable vocabulary / input or a directory that is not a BERT checkpoint, 2 for a bad option),
never with a traceback. Two commands run in a real ``python -m papercraft`` process; the rest
in-process through :func:`papercraft.cli.main`."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from papercraft.cli import main as cli_main

LINES = ["Hello world", "", "Café [MASK] 日本語 — naïve 😀", "The quick brown fox jumps over the lazy dog."]


@pytest.fixture(scope="module")
def minilm() -> Path:
    from papercraft import data

    if not data.is_available("minilm"):
        pytest.fail("data set 'minilm' is not downloaded; run: papercraft data get minilm", pytrace=False)
    return data.minilm_dir()


@pytest.fixture(scope="module")
def encoder(minilm):
    from papercraft.papers.bert.sentence import SentenceEncoder

    return SentenceEncoder.from_pretrained(minilm)


def run(monkeypatch, capsys, argv: list[str], stdin: bytes | str = b"") -> tuple[int, str, str]:
    """``papercraft ARGV`` in this process with ``stdin`` as its (binary-backed) standard input."""
    data = stdin.encode("utf-8") if isinstance(stdin, str) else stdin
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    code = cli_main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def json_lines(out: str) -> list:
    assert out == "" or out.endswith("\n")
    return [json.loads(line) for line in out.splitlines()]


# ------------------------------------------------------------------------------------------------
# tokenize
# ------------------------------------------------------------------------------------------------

def test_tokenize_prints_one_json_list_of_ids_per_line(monkeypatch, capsys, minilm):
    from papercraft.papers.bert.wordpiece import WordPieceTokenizer

    tok = WordPieceTokenizer.from_file(minilm / "vocab.txt")
    long_line = "word " * 600  # nothing is truncated
    stdin = "\n".join(LINES + [long_line]) + "\n"
    code, out, _ = run(monkeypatch, capsys, ["bert", "tokenize"], stdin)
    assert code == 0
    assert json_lines(out) == [tok.encode(line) for line in LINES + [long_line]]
    assert out.splitlines()[0] == "[101, 7592, 2088, 102]" and out.splitlines()[1] == "[101, 102]"
    assert len(json_lines(out)[-1]) == 602

    code, out, _ = run(monkeypatch, capsys, ["bert", "tokenize", "--no-special"], "Hello world\n\nno final newline")
    assert code == 0 and out == "[7592, 2088]\n[]\n[2053, 2345, 2047, 4179]\n"
    code, out, _ = run(monkeypatch, capsys, ["bert", "tokenize", "--cased", "--no-special"], "Hello world")
    assert out == "[100, 2088]\n"  # 'Hello' is not in the uncased vocabulary


def test_tokenize_with_a_vocab_file(monkeypatch, capsys, tmp_path):
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "Hello", "##s", "é", "e"]) + "\n",
                     encoding="utf-8")
    code, out, _ = run(monkeypatch, capsys, ["bert", "tokenize", "--vocab", str(vocab)], "Hellos é\n")
    assert code == 0 and out == "[2, 5, 7, 9, 3]\n"  # lower-cased and accents stripped by default
    code, out, _ = run(monkeypatch, capsys, ["bert", "tokenize", "--vocab", str(vocab), "--cased"], "Hellos é\n")
    assert code == 0 and out == "[2, 6, 7, 8, 3]\n"


def test_empty_stdin_prints_nothing(monkeypatch, capsys):
    for command in ("tokenize", "embed"):
        assert run(monkeypatch, capsys, ["bert", command], b"") == (0, "", "")


# ------------------------------------------------------------------------------------------------
# embed and similarity
# ------------------------------------------------------------------------------------------------

def test_embed_equals_the_sentence_encoder_and_round_trips_float32(monkeypatch, capsys, encoder):
    code, out, _ = run(monkeypatch, capsys, ["bert", "embed"], "\n".join(LINES) + "\n")
    assert code == 0
    rows = json_lines(out)
    assert len(rows) == len(LINES) and all(len(r) == 384 for r in rows)
    printed = torch.tensor(rows, dtype=torch.float64)
    as_float32 = printed.float()
    assert torch.equal(as_float32.double(), printed)  # every printed value is exactly a float32
    assert torch.equal(as_float32, encoder.encode(LINES))
    torch.testing.assert_close(as_float32.norm(dim=1), torch.ones(len(LINES)))  # L2-normalized (modules.json)


def test_embed_truncates_to_the_models_256_tokens(monkeypatch, capsys, encoder):
    assert encoder.max_seq_length == 256  # sentence_bert_config.json
    stdin = "word " * 300 + "\n" + "word " * 600 + " tail\n" + "word " * 100 + "\n"
    code, out, _ = run(monkeypatch, capsys, ["bert", "embed"], stdin)
    first, second, short = json_lines(out)
    assert code == 0 and first == second != short  # both cut to [CLS] + 254 x 'word' + [SEP]


def test_similarity_is_the_cosine_of_the_embeddings(monkeypatch, capsys, encoder):
    a, b = "A man is playing a guitar.", "Someone plays an instrument."
    code, out, _ = run(monkeypatch, capsys, ["bert", "similarity", a, b])
    assert code == 0 and out.endswith("\n") and len(out.splitlines()) == 1
    ea, eb = encoder.encode([a, b]).double()
    assert float(out) == pytest.approx(float(ea @ eb / (ea.norm() * eb.norm())), abs=1e-12)
    code, unrelated, _ = run(monkeypatch, capsys, ["bert", "similarity", a, "The stock market fell sharply."])
    assert code == 0 and 0.3 < float(out) and float(unrelated) < float(out)


def test_model_directory_without_sentence_transformers_files(monkeypatch, capsys, minilm, encoder, tmp_path):
    """A plain Hugging Face BERT directory: mean pooling + L2 normalization, MiniLM's own choices."""
    plain = tmp_path / "plain"
    plain.mkdir()
    for name in ("config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json"):
        (plain / name).symlink_to(minilm / name)
    code, out, _ = run(monkeypatch, capsys, ["bert", "embed", "--model", str(plain)], "\n".join(LINES) + "\n")
    assert code == 0
    torch.testing.assert_close(torch.tensor(json_lines(out)), encoder.encode(LINES), rtol=0, atol=1e-6)


# ------------------------------------------------------------------------------------------------
# errors: exit 1 for failures, 2 for usage, one line, no traceback
# ------------------------------------------------------------------------------------------------

def test_failures_exit_1_naming_the_problem(monkeypatch, capsys, tmp_path):
    bad_vocab = tmp_path / "latin1.txt"
    bad_vocab.write_bytes("[PAD]\ncaf\xe9\n".encode("latin-1"))
    not_bert = tmp_path / "gpt2"
    not_bert.mkdir()
    (not_bert / "config.json").write_text(json.dumps({"model_type": "gpt2", "n_embd": 8}))
    cases = [
        (["bert", "tokenize", "--vocab", str(tmp_path / "missing.txt")], b"x\n", "no such vocabulary file"),
        (["bert", "tokenize", "--vocab", str(bad_vocab)], b"x\n", "not UTF-8"),
        (["bert", "tokenize", "--vocab", str(tmp_path)], b"x\n", "is a directory"),
        (["bert", "tokenize"], b"fine\n\xff\xfe\n", "stdin line 2 is not UTF-8"),
        (["bert", "embed", "--model", str(tmp_path / "nowhere")], b"x\n", "is not a directory"),
        (["bert", "embed", "--model", str(tmp_path)], b"x\n", "config.json"),
        (["bert", "embed", "--model", str(not_bert)], b"x\n", "gpt2"),
        (["bert", "similarity", "--model", str(not_bert), "a", "b"], b"", "gpt2"),
    ]
    for argv, stdin, message in cases:
        code, _, err = run(monkeypatch, capsys, argv, stdin)
        assert code == 1, (argv, err)
        assert err.startswith("papercraft: error: ") and message in err and len(err.splitlines()) == 1, (argv, err)


def test_bad_options_exit_2(monkeypatch, capsys):
    cases = [
        (["bert", "tokenize", "--vocb", "minilm"], "did you mean '--vocab'"),
        (["bert", "embed", "--no-special"], "unknown option '--no-special'"),
        (["bert", "embedd"], "did you mean 'embed'"),
        (["bert"], "required"),
        (["bert", "similarity", "only one"], "required: B"),
    ]
    for argv, message in cases:
        code, out, err = run(monkeypatch, capsys, argv)
        assert code == 2 and out == "" and message in err, (argv, err)


# ------------------------------------------------------------------------------------------------
# a real process
# ------------------------------------------------------------------------------------------------

def test_real_process_tokenize_and_error_exit(minilm):
    proc = subprocess.run([sys.executable, "-m", "papercraft", "bert", "tokenize"],
                          input="Hello world\n\nÇa va?".encode("utf-8"), capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode("utf-8") == "[101, 7592, 2088, 102]\n[101, 102]\n[101, 6187, 12436, 1029, 102]\n"
    proc = subprocess.run([sys.executable, "-m", "papercraft", "bert", "tokenize", "--vocab", "/nonexistent/vocab.txt"],
                          input=b"x\n", capture_output=True, timeout=120)
    err = proc.stderr.decode("utf-8")
    assert proc.returncode == 1 and proc.stdout == b"" and "Traceback" not in err
    assert err == "papercraft: error: no such vocabulary file: /nonexistent/vocab.txt\n"
