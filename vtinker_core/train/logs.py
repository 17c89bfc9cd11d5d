"""Training logs: a log file and the console (rank 0 only), and TensorBoard when installed.

Console lines go through ``tqdm.write`` so they do not break the progress bar::

    log = open_log(out_dir, enabled=context.is_main)
    log.info("step 100: loss 0.0312")           # console + out_dir/train.log
    board = open_tensorboard(out_dir / "tensorboard", log, enabled=context.is_main)
    board.scalar("train/loss", 0.0312, 100)     # a no-op without tensorboard
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from tqdm import tqdm

__all__ = ["LOG_FILE_NAME", "Board", "close_log", "open_log", "open_tensorboard"]

LOG_FILE_NAME = "train.log"
_LOGGER = "vtinker_core.train"


class _TqdmHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            tqdm.write(self.format(record))
        except Exception:  # a broken console must not stop training
            self.handleError(record)


def open_log(out_dir: Path, *, enabled: bool) -> logging.Logger:
    """The training logger: ``out_dir/train.log`` and the console when ``enabled``."""
    logger = logging.getLogger(_LOGGER)
    close_log(logger)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    if not enabled:
        logger.addHandler(logging.NullHandler())
        return logger
    file_handler = logging.FileHandler(out_dir / LOG_FILE_NAME)
    file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    console = _TqdmHandler()
    console.setFormatter(logging.Formatter("vtinker train: %(message)s"))
    logger.addHandler(file_handler)
    logger.addHandler(console)
    return logger


def close_log(logger: logging.Logger) -> None:
    """Close and remove the logger's handlers."""
    for handler in list(logger.handlers):
        handler.close()
        logger.removeHandler(handler)


class Board:
    """A TensorBoard writer, or nothing when TensorBoard is unavailable or disabled."""

    def __init__(self, writer: Any = None) -> None:
        self.writer = writer

    @property
    def active(self) -> bool:
        return self.writer is not None

    def scalar(self, tag: str, value: float, step: int) -> None:
        if self.writer is not None:
            self.writer.add_scalar(tag, value, step)

    def flush(self) -> None:
        if self.writer is not None:
            self.writer.flush()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def open_tensorboard(log_dir: Path, log: logging.Logger, *, enabled: bool) -> Board:
    """A :class:`Board` writing to ``log_dir``; says once why there is none when it cannot."""
    if not enabled:
        return Board()
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        log.info(
            "TensorBoard is not installed (pip install 'vtinker[train]'): no TensorBoard "
            "logs; losses are written to %s",
            LOG_FILE_NAME,
        )
        return Board()
    return Board(SummaryWriter(str(log_dir)))
