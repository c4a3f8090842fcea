"""The household card editor (明白卡): all sections of one household, keyboard first."""

from desktop.ui.card_editor.editor import CardEditor

__all__ = ["CardEditor"]
