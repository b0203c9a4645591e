"""Errors that reach the user as a one-line message, never as a traceback.

Every error papercraft raises on bad input derives from :class:`PapercraftError`. The CLI catches it,
prints ``papercraft: error: <message>`` and exits with the error's ``exit_code``: 2 for usage errors
(unknown ids, presets, options), 1 for everything else (missing data, corrupt checkpoints, diverged
training).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class PapercraftError(Exception):
    """Base class of every error meant for a user: its message says what was expected."""

    exit_code = 1


class UsageError(PapercraftError):
    """Bad command-line input: unknown entry id, preset, data set name or option value."""

    exit_code = 2


class DataMissingError(PapercraftError):
    """A data set is not in the cache; the message names the `papercraft data get` command."""


class DataIntegrityError(PapercraftError):
    """A cached data file does not match the checksum recorded when it was fetched."""


class FetchError(PapercraftError):
    """A package client (apt-get, npm, pip) failed to obtain a data set."""


class CheckpointError(PapercraftError):
    """A checkpoint is truncated, corrupt, or belongs to another run or model."""


class NonFiniteLossError(PapercraftError):
    """Training produced a NaN or infinite loss; the last good checkpoint is kept."""


def unknown_choice(kind: str, value: str, choices: Iterable[str]) -> UsageError:
    """A :class:`UsageError` for an unknown ``value`` that names the closest match and the choices.

    >>> str(unknown_choice("preset", "ful", ["quick", "full"]))
    "unknown preset 'ful' (did you mean 'full'?); valid choices: quick, full"
    """
    choices = list(choices)
    close = difflib.get_close_matches(value, choices, n=1, cutoff=0.5)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return UsageError(f"unknown {kind} '{value}'{hint}; valid choices: {', '.join(choices)}")
