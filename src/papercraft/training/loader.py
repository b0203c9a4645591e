"""Mini-batches over in-memory tensors: seeded, resumable mid-epoch, and shardable across ranks.

The data sets papercraft trains on fit in memory, so a batch is an index into tensors. The order
of epoch ``e`` is ``randperm(n)`` drawn from a generator seeded with ``(seed, e)`` alone, which
makes the position ``(epoch, batch)`` the loader's whole state: a resumed run sees exactly the
batches the killed run would have seen. Under DDP every rank draws the same global batch and keeps
its contiguous slice.
"""

from __future__ import annotations

from typing import Any

import torch


class EpochPosition:
    """The resumable state of a loader whose epoch ``e`` is drawn from ``(seed, e)`` alone.

    The position ``(epoch, batch)`` is then the loader's whole state. Subclasses set ``epoch``,
    ``batch``, ``seed`` and ``batch_size`` and drop whatever they cached for the current epoch in
    :meth:`_forget_epoch`.
    """

    epoch: int
    batch: int
    seed: int
    batch_size: int

    def _forget_epoch(self) -> None:
        """Drop the cached order (and anything else) of the current epoch."""

    def state_dict(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "batch": self.batch, "seed": self.seed, "batch_size": self.batch_size}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from a :meth:`state_dict` of a loader with the same batch size and seed."""
        if state.get("batch_size") != self.batch_size or state.get("seed") != self.seed:
            raise ValueError(f"loader state is for batch_size={state.get('batch_size')}, seed={state.get('seed')}; "
                             f"this loader has batch_size={self.batch_size}, seed={self.seed}")
        self.epoch, self.batch = int(state["epoch"]), int(state["batch"])
        self._forget_epoch()


class TensorBatches(EpochPosition):
    """Endless iterator of mini-batches ``tuple[Tensor, ...]`` over tensors sharing dimension 0.

    Args:
        *tensors: ``[N, ...]`` tensors (inputs, labels, ...).
        batch_size: the *global* batch size (summed over DDP ranks).
        shuffle: draw a new permutation every epoch (else keep the order).
        seed: seed of the permutations.
        drop_last: drop the last incomplete batch of each epoch (keeps every step the same size).
    """

    def __init__(self, *tensors: torch.Tensor, batch_size: int, shuffle: bool = True, seed: int = 0,
                 drop_last: bool = True) -> None:
        if not tensors:
            raise ValueError("TensorBatches needs at least one tensor")
        n = tensors[0].shape[0]
        for t in tensors:
            if t.shape[0] != n:
                raise ValueError(f"all tensors must share dimension 0; got {[tuple(t.shape) for t in tensors]}")
        if batch_size < 1 or (drop_last and batch_size > n):
            raise ValueError(f"batch_size must be in [1, {n}] for {n} examples, got {batch_size}")
        self.tensors = tensors
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.drop_last = drop_last
        self.epoch = 0
        self.batch = 0
        self.rank, self.world_size = 0, 1
        self._order: torch.Tensor | None = None

    def __len__(self) -> int:
        """Batches per epoch."""
        n = self.tensors[0].shape[0]
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def shard(self, rank: int, world_size: int) -> None:
        """Keep this rank's slice of every global batch."""
        if self.batch_size % world_size:
            raise ValueError(f"global batch size {self.batch_size} is not divisible by {world_size} processes")
        self.rank, self.world_size = rank, world_size

    def _epoch_order(self) -> torch.Tensor:
        if self._order is None:
            n = self.tensors[0].shape[0]
            if self.shuffle:
                generator = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
                self._order = torch.randperm(n, generator=generator)
            else:
                self._order = torch.arange(n)
        return self._order

    def __iter__(self) -> TensorBatches:
        return self

    def __next__(self) -> tuple[torch.Tensor, ...]:
        if self.batch >= len(self):
            self.epoch, self.batch, self._order = self.epoch + 1, 0, None
        order = self._epoch_order()
        index = order[self.batch * self.batch_size:(self.batch + 1) * self.batch_size]
        self.batch += 1
        if self.world_size > 1:
            per_rank = len(index) // self.world_size
            index = index[self.rank * per_rank:(self.rank + 1) * per_rank]
        return tuple(t[index] for t in self.tensors)

    def _forget_epoch(self) -> None:
        self._order = None
