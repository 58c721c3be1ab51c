"""Drive the real Dispatcher as chat users would: text, button presses, contacts, locations.

The demo's terminal and script mode and the journey tests all talk to the bot through this.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from aiogram import Bot, Dispatcher
from aiogram.types import (
    CallbackQuery,
    Chat,
    Contact,
    Document,
    Location,
    Message,
    PhotoSize,
    Update,
    User,
)

from bot.local_session import Button, LocalSession, Shown, compressed_photo


class DriverError(Exception):
    """The action cannot be carried out (no such button, no such user)."""


@dataclass(frozen=True)
class ChatUser:
    name: str
    user_id: int
    first_name: str
    language_code: str
    phone: str

    def as_telegram_user(self) -> User:
        return User(
            id=self.user_id,
            is_bot=False,
            first_name=self.first_name,
            language_code=self.language_code,
        )

    def chat(self) -> Chat:
        return Chat(id=self.user_id, type="private", first_name=self.first_name)


class ChatDriver:
    def __init__(
        self,
        dispatcher: Dispatcher,
        bot: Bot,
        session: LocalSession,
        settle: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        """`settle` runs after each update: the tests deliver what the handlers queued."""
        self.dispatcher = dispatcher
        self.bot = bot
        self.session = session
        self.settle = settle
        self._next_update_id = secrets.randbelow(2**30)
        self._next_message_id = 1

    async def send(self, user: ChatUser, text: str) -> None:
        await self._feed(
            Update(update_id=self._update_id(), message=self._message(user, text=text))
        )

    async def share_contact(
        self, user: ChatUser, phone: str | None = None, owner_id: int | None = None
    ) -> None:
        """Share a contact: by default the user's own; another phone or owner for bad cases."""
        contact = Contact(
            phone_number=phone or user.phone,
            first_name=user.first_name,
            user_id=user.user_id if owner_id is None else owner_id,
        )
        await self._feed(
            Update(update_id=self._update_id(), message=self._message(user, contact=contact))
        )

    async def share_location(self, user: ChatUser, latitude: float, longitude: float) -> None:
        location = Location(latitude=latitude, longitude=longitude)
        await self._feed(
            Update(update_id=self._update_id(), message=self._message(user, location=location))
        )

    async def send_photo(self, user: ChatUser, content: bytes) -> None:
        """A photo sent as a photo: Telegram compresses it and drops its EXIF."""
        content = compressed_photo(content)
        file_id = self.session.keep_file(content)
        size = PhotoSize(
            file_id=file_id, file_unique_id=file_id, width=32, height=24, file_size=len(content)
        )
        await self._feed(
            Update(update_id=self._update_id(), message=self._message(user, photo=[size]))
        )

    async def send_file(
        self, user: ChatUser, content: bytes, file_name: str, mime_type: str = "image/jpeg"
    ) -> None:
        """A file sent as a file (a photo so keeps its EXIF)."""
        file_id = self.session.keep_file(content)
        document = Document(
            file_id=file_id,
            file_unique_id=file_id,
            file_name=file_name,
            mime_type=mime_type,
            file_size=len(content),
        )
        await self._feed(
            Update(update_id=self._update_id(), message=self._message(user, document=document))
        )

    async def share_live_location(self, user: ChatUser, latitude: float, longitude: float) -> int:
        """The shared message's number: `move_live_location` edits it."""
        location = Location(latitude=latitude, longitude=longitude, live_period=900)
        message = self._message(user, location=location)
        await self._feed(Update(update_id=self._update_id(), message=message))
        return message.message_id

    async def move_live_location(
        self, user: ChatUser, message_id: int, latitude: float, longitude: float
    ) -> None:
        """What Telegram sends as a live location moves: an edit of the shared message."""
        location = Location(latitude=latitude, longitude=longitude, live_period=900)
        now = datetime.now(UTC)
        moved = Message(
            message_id=message_id, date=now, edit_date=int(now.timestamp()), chat=user.chat(),
            from_user=user.as_telegram_user(), location=location,
        )  # fmt: skip
        await self._feed(Update(update_id=self._update_id(), edited_message=moved))

    async def press(self, user: ChatUser, label: str, message_id: int | None = None) -> None:
        """`label`: part of a button's text, or `#N` for the N-th button in reading order.

        Inline buttons of the latest message that has any come first; then the reply keyboard.
        With `message_id`, a button of that (older) message instead.
        """
        if message_id is not None:
            await self._press_on(user, label, message_id)
            return
        view = self.session.chat(user.user_id)
        shown = view.last_with_buttons()
        inline = shown.flat_buttons() if shown else []
        keyboard = [button for row in view.keyboard for button in row]
        for candidates in (inline, keyboard):
            button = _find(candidates, label)
            if button is None:
                continue
            if candidates is inline and shown is not None:
                await self._press_inline(user, shown, button)
            elif button.request_contact:
                await self.share_contact(user)
            else:
                await self.send(user, button.text)
            return
        raise DriverError(f"no button matching {label!r} for {user.name}")

    async def press_ending(self, user: ChatUser, ending: str) -> None:
        """Press the button of the latest message with buttons whose data ends so (a choice
        named by its code, whatever the user's language)."""
        shown = self.session.chat(user.user_id).last_with_buttons()
        buttons = shown.flat_buttons() if shown else []
        button = next((b for b in buttons if (b.callback_data or "").endswith(ending)), None)
        if shown is None or button is None:
            raise DriverError(f"no button for {ending.lstrip('-')!r} for {user.name}")
        await self._press_inline(user, shown, button)

    async def _press_on(self, user: ChatUser, label: str, message_id: int) -> None:
        shown = self.session.chat(user.user_id).messages.get(message_id)
        if shown is None:
            raise DriverError(f"{user.name} has no message #{message_id}")
        button = _find(shown.flat_buttons(), label)
        if button is None:
            raise DriverError(f"no button matching {label!r} on message #{message_id}")
        await self._press_inline(user, shown, button)

    async def deliver(self, update: Update) -> None:
        """Feed a prepared update, e.g. the same one twice to test dedupe."""
        await self._feed(update)

    def text_update(self, user: ChatUser, text: str) -> Update:
        return Update(update_id=self._update_id(), message=self._message(user, text=text))

    def message_back(self, user: ChatUser, count: int) -> int:
        """The number of the user's `count`-th latest message (1: the latest)."""
        numbers = list(self.session.chat(user.user_id).messages)
        if not 1 <= count <= len(numbers):
            raise DriverError(f"{user.name} has {len(numbers)} messages, not {count} back")
        return numbers[-count]

    def seen(self, user: ChatUser) -> list[Shown]:
        return list(self.session.chat(user.user_id).messages.values())

    def last(self, user: ChatUser) -> Shown:
        shown = self.session.chat(user.user_id).last()
        if shown is None:
            raise DriverError(f"{user.name} has no messages")
        return shown

    async def _press_inline(self, user: ChatUser, shown: Shown, button: Button) -> None:
        if button.callback_data is None:
            raise DriverError(f"button {button.text!r} opens a link; nothing to press")
        message = Message(
            message_id=shown.message_id, date=datetime.now(UTC), chat=user.chat(), text=shown.text
        )
        query = CallbackQuery(
            id=str(self._update_id()),
            from_user=user.as_telegram_user(),
            chat_instance=str(user.user_id),
            message=message,
            data=button.callback_data,
        )
        await self._feed(Update(update_id=self._update_id(), callback_query=query))

    def _message(self, user: ChatUser, **content: object) -> Message:
        self._next_message_id += 1
        return Message(
            message_id=self._next_message_id,
            date=datetime.now(UTC),
            chat=user.chat(),
            from_user=user.as_telegram_user(),
            **content,  # type: ignore[arg-type]
        )

    async def settle_until(self, condition: Callable[[], bool], timeout: float) -> None:
        """Deliver what was queued (as a worker would) until `condition` holds."""
        async with asyncio.timeout(timeout):
            while not condition():
                if self.settle is not None:
                    await self.settle()
                await asyncio.sleep(0.05)

    def _update_id(self) -> int:
        self._next_update_id += 1
        return self._next_update_id

    async def _feed(self, update: Update) -> None:
        await self.dispatcher.feed_update(self.bot, update)
        if self.settle is not None:
            await self.settle()


def _find(buttons: list[Button], label: str) -> Button | None:
    if label.startswith("#") and label[1:].isdigit():
        index = int(label[1:]) - 1
        return buttons[index] if 0 <= index < len(buttons) else None
    wanted = label.casefold()
    return next((b for b in buttons if wanted in b.text.casefold()), None)
