"""The settings panel's sections in one column or two, so the panel fits the screen.

Example::

    columns = SectionColumns([source, timing, output, colour, cuts, engine], left=3)
    columns.set_columns(2)            # source, timing, output | colour, cuts, engine
    columns.height_for(1)             # the height one column would need, at the size hints

A 1920×1080 screen cannot show every section in one column; two fit. The preview window
picks the count from the height it has (see :meth:`SectionColumns.height_for`).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget


class SectionColumns(QWidget):
    """Holds the sections and lays them out in one or two columns.

    Args:
        sections: the section widgets, top to bottom (left column first).
        left: with two columns, how many sections go in the left one.
        columns: 1 or 2 to start with.
    """

    def __init__(
        self,
        sections: Sequence[QWidget],
        *,
        left: int,
        columns: int = 1,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._sections = list(sections)
        self._left = left
        self._row = QHBoxLayout(self)
        self._row.setContentsMargins(0, 0, 0, 0)
        self._stacks: list[QVBoxLayout] = []
        self._columns = 0
        self.set_columns(columns)

    def columns(self) -> int:
        return self._columns

    def _groups(self, columns: int) -> list[list[QWidget]]:
        if columns == 2:
            return [self._sections[: self._left], self._sections[self._left :]]
        return [self._sections]

    def set_columns(self, columns: int) -> None:
        """Lay the sections out in ``columns`` (1 or 2)."""
        if columns not in (1, 2):
            raise ValueError(f"the sections go in 1 or 2 columns, not {columns}")
        if columns == self._columns:
            return
        for stack in self._stacks:
            while stack.count():
                stack.takeAt(0)
            self._row.removeItem(stack)
            stack.deleteLater()
        self._stacks = []
        for group in self._groups(columns):
            stack = QVBoxLayout()
            stack.setContentsMargins(0, 0, 0, 0)
            for section in group:
                stack.addWidget(section)
            stack.addStretch(1)
            self._row.addLayout(stack, 1)
            self._stacks.append(stack)
        self._columns = columns
        self.updateGeometry()

    def height_for(self, columns: int) -> int:
        """The height the sections need in ``columns`` (1 or 2), at their size hints."""
        spacing = max(self._row.spacing(), 0)
        return max(
            sum(s.sizeHint().height() for s in group if not s.isHidden())
            + spacing * max(len(group) - 1, 0)
            for group in self._groups(columns)
        )


__all__ = ["SectionColumns"]
