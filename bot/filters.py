"""Async filters. aiogram runs plain callables (magic filters included) in a worker thread,
which costs a thread hop on every update they see; these stay on the event loop."""

from __future__ import annotations

from aiogram.filters import Filter
from aiogram.types import Message
from babel.support import LazyProxy


class MenuButton(Filter):
    """The message is the text of a reply-keyboard button, in the user's current language."""

    def __init__(self, label: LazyProxy) -> None:
        self.label = label

    async def __call__(self, message: Message) -> bool:
        return message.text is not None and message.text == str(self.label)


class CommandOrMenuButton(Filter):
    """A root filter for routers of commands and menu buttons: one cheap check lets every
    other message skip the whole router instead of trying each handler's filters."""

    def __init__(self, *labels: LazyProxy) -> None:
        self.labels = labels

    async def __call__(self, message: Message) -> bool:
        text = message.text
        if not text:
            return False
        return text.startswith("/") or any(text == str(label) for label in self.labels)
