"""Paper-agnostic training infrastructure: the trainer, checkpoints, batching and DDP."""

from papercraft.training.checkpoint import load_checkpoint, save_checkpoint
from papercraft.training.loader import TensorBatches
from papercraft.training.trainer import Trainer, TrainConfig, TrainResult

__all__ = ["Trainer", "TrainConfig", "TrainResult", "TensorBatches", "save_checkpoint", "load_checkpoint"]
