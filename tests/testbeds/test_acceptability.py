"""The acceptability test bed: determinism, balance, no leakage between splits, corruptions that
differ from every original, and the sentence splitter."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from papercraft.testbeds.acceptability import (
    CORRUPTED,
    CORRUPTIONS,
    ORIGINAL,
    build_acceptability,
    shuffle_words,
    split_sentences,
    swap_adjacent,
)

SENTENCES = [
    "It was a truth universally acknowledged.",
    "She had been forced into prudence in her youth.",
    "Sir Walter Elliot never took up any book but the Baronetage.",
    "The  cat sat\non the mat.",
    "a b a b a b",
    "Yes.",  # one word: cannot be corrupted
    "no no no",  # every word equal: cannot be corrupted
    "It was a truth universally acknowledged.",  # duplicate
    "She had been forced into prudence in her youth.",  # duplicate
    "Anne hoped she had outlived the age of blushing.",
    "He was not a man to be trifled with.",
    "They walked on in silence for some time.",
]


def _all(dataset):
    return [*dataset.train, *dataset.test]


@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_deterministic_for_a_seed_and_different_across_seeds(corruption):
    a = build_acceptability(SENTENCES, seed=3, corruption=corruption)
    b = build_acceptability(list(SENTENCES), seed=3, corruption=corruption)
    assert a == b
    others = [build_acceptability(SENTENCES, seed=s, corruption=corruption) for s in range(4, 12)]
    assert any(o.test != a.test for o in others)  # the seed does something


@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_balanced_pairs_and_skipped_sentences(corruption):
    data = build_acceptability(SENTENCES, seed=0, corruption=corruption, test_fraction=0.3)
    assert data.skipped == 4  # two duplicates, "Yes.", "no no no"
    assert len(data.sentences) == len(SENTENCES) - 4
    for split in (data.train, data.test):
        labels = Counter(e.label for e in split)
        assert labels[ORIGINAL] == labels[CORRUPTED] > 0
        per_sentence = Counter(e.sentence for e in split)
        assert set(per_sentence.values()) == {2}
    assert len(data.test) // 2 == round(0.3 * len(data.sentences))
    # the originals are the normalized input sentences, each exactly once
    originals = sorted(e.text for e in _all(data) if e.label == ORIGINAL)
    assert originals == sorted(data.sentences)
    assert "The cat sat on the mat." in data.sentences  # whitespace normalized


@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_no_sentence_on_both_sides_of_the_split(corruption):
    data = build_acceptability(SENTENCES, seed=1, corruption=corruption)
    train_sentences = {e.sentence for e in data.train}
    test_sentences = {e.sentence for e in data.test}
    assert not train_sentences & test_sentences
    assert not {e.text for e in data.train} & {e.text for e in data.test}
    assert train_sentences | test_sentences == set(range(len(data.sentences)))


@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_corruptions_differ_from_every_original_and_keep_the_words(corruption):
    data = build_acceptability(SENTENCES, seed=2, corruption=corruption)
    originals = set(data.sentences)
    corrupted = [e for e in _all(data) if e.label == CORRUPTED]
    assert len({e.text for e in corrupted}) == len(corrupted)
    for e in corrupted:
        source = data.sentences[e.sentence]
        assert e.text != source and e.text not in originals
        assert sorted(e.text.split(" ")) == sorted(source.split(" "))  # a reordering, no word added or lost
        if corruption == "swap":
            diff = [i for i, (x, y) in enumerate(zip(e.text.split(" "), source.split(" "))) if x != y]
            assert len(diff) == 2 and diff[1] == diff[0] + 1


def test_a_corruption_never_equals_another_sentence():
    # The only swap of "a b" is "b a", itself a sentence of the set (and vice versa): both must go.
    data = build_acceptability(["a b", "b a", "one two three four", "five six seven"], seed=0)
    assert data.sentences == ("one two three four", "five six seven") and data.skipped == 2
    texts = Counter(e.text for e in _all(data))
    assert max(texts.values()) == 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from("a b c d e f".split()), min_size=1, max_size=6).map(" ".join),
                min_size=2, max_size=30),
       st.integers(0, 10**6), st.sampled_from(sorted(CORRUPTIONS)))
def test_properties_on_random_sentence_lists(sentences, seed, corruption):
    try:
        data = build_acceptability(sentences, seed, corruption=corruption)
    except ValueError as exc:
        assert "at least two" in str(exc)
        return
    examples = _all(data)
    assert sum(e.label for e in examples) * 2 == len(examples)
    assert not {e.sentence for e in data.train} & {e.sentence for e in data.test}
    texts = [e.text for e in examples]
    assert len(set(texts)) == len(texts)  # no text twice (so none with both labels)
    assert data.skipped + len(data.sentences) == len(sentences)


def test_corruption_functions():
    rng = random.Random(0)
    assert swap_adjacent(["x", "x", "x"], rng) is None
    assert shuffle_words(["x", "x"], rng) is None
    assert swap_adjacent(["x", "x", "y"], rng) == ["x", "y", "x"]
    words = "one two three four five".split()
    for _ in range(50):
        out = shuffle_words(words, rng)
        assert out != words and sorted(out) == sorted(words)


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="unknown corruption"):
        build_acceptability(SENTENCES, 0, corruption="delete")
    with pytest.raises(ValueError, match="test_fraction"):
        build_acceptability(SENTENCES, 0, test_fraction=1.0)
    with pytest.raises(ValueError, match="at least two"):
        build_acceptability(["Yes.", "no no", "one two"], 0)
    with pytest.raises(ValueError, match="not one string"):
        build_acceptability("a whole text", 0)


def test_split_sentences():
    text = ('"I am not tired," said Anne. She walked on!  Was it far?\nMr. Elliot smiled at her '
            'and said nothing at all. yes')
    assert split_sentences(text, min_words=3) == [
        '"I am not tired," said Anne.', "She walked on!", "Was it far?", "Elliot smiled at her and said nothing at all. yes"]
    assert split_sentences("One two three four five.", max_words=4) == []
    with pytest.raises(ValueError):
        split_sentences("x", min_words=0)
