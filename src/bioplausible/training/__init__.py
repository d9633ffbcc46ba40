"""Training support shared by every paper: resumable checkpoints and batched evaluation."""

from .checkpoint import Checkpointer, CheckpointMismatch, load_checkpoint, save_checkpoint
from .evaluate import accuracy, eval_mode, mean_loss, predict

__all__ = [
    "Checkpointer",
    "CheckpointMismatch",
    "accuracy",
    "eval_mode",
    "load_checkpoint",
    "mean_loss",
    "predict",
    "save_checkpoint",
]
