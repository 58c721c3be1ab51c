"""Async filters. aiogram runs plain callables (magic filters included) in a worker thread,
which costs a thread hop on every update they see; these stay on the event loop."""

from __future__ import annotations

from aiogram.filters import Filter
from aiogram.fsm.state import StatesGroup
from aiogram.types import Message
from babel.support import LazyProxy


class MenuButton(Filter):
    """The message is the text of a reply-keyboard button, in the user's current language."""

    def __init__(self, label: LazyProxy) -> None:
        self.label = label

    async def __call__(self, message: Message) -> bool:
        return message.text is not None and message.text == str(self.label)


class RouterEntry(Filter):
    """A router's root filter: one cheap check lets every other message skip the router's
    handlers instead of trying each one's filters in turn.

    A message enters when it is one of the router's commands, one of its menu buttons (in
    the user's language), or sent while the user is in one of the router's forms.
    """

    def __init__(
        self,
        commands: tuple[str, ...] = (),
        labels: tuple[LazyProxy, ...] = (),
        forms: tuple[type[StatesGroup], ...] = (),
    ) -> None:
        self.commands = tuple(f"/{command}" for command in commands)
        self.labels = labels
        self.form_prefixes = tuple(f"{form.__full_group_name__}:" for form in forms)

    async def __call__(self, message: Message, raw_state: str | None = None) -> bool:
        if raw_state is not None and raw_state.startswith(self.form_prefixes):
            return True
        text = message.text
        if not text:
            return False
        if text.startswith(self.commands):
            return True
        return any(text == str(label) for label in self.labels)
