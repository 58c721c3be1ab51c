"""An in-process Telegram: records what the bot sends and keeps each chat as the user sees it.

Used by the demo (which prints it) and by the tests (which assert on it). Telegram is
replaced only here, at the HTTP session boundary; everything above runs for real.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteMessage,
    EditMessageCaption,
    EditMessageReplyMarkup,
    EditMessageText,
    GetFile,
    GetMe,
    SendContact,
    SendDocument,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import (
    Chat,
    Contact,
    Document,
    File,
    InlineKeyboardMarkup,
    Message,
    PhotoSize,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    User,
)
from PIL import Image

SENDS_WITH_CAPTION = (SendDocument, SendPhoto)


@dataclass
class Button:
    text: str
    callback_data: str | None = None
    request_contact: bool = False
    request_location: bool = False
    url: str | None = None
    web_app: str | None = None  # the Mini App's address, for a web_app button


@dataclass
class Shown:
    """One message as the user currently sees it."""

    message_id: int
    text: str
    buttons: list[list[Button]] = field(default_factory=list)
    keyboard: list[list[Button]] = field(default_factory=list)
    file_name: str | None = None
    file_bytes: bytes | None = None
    contact: Contact | None = None
    edits: int = 0

    def flat_buttons(self) -> list[Button]:
        return [button for row in self.buttons for button in row]


@dataclass
class ChatView:
    messages: dict[int, Shown] = field(default_factory=dict)
    keyboard: list[list[Button]] = field(default_factory=list)

    def last(self) -> Shown | None:
        return next(reversed(self.messages.values()), None)

    def last_with_buttons(self) -> Shown | None:
        return next((m for m in reversed(self.messages.values()) if m.buttons), None)


class LocalSession(BaseSession):
    def __init__(
        self,
        bot_user: User | None = None,
        observer: Callable[[TelegramMethod[Any], Any], None] | None = None,
    ) -> None:
        """`observer` sees every request and its result as it is made (the demo prints
        them, with the number of the message each became)."""
        super().__init__()
        self.observer = observer
        self.bot_user = bot_user or User(id=42, is_bot=True, first_name="Bot", username="bot")
        self.calls: list[TelegramMethod[Any]] = []
        self.chats: dict[int, ChatView] = {}
        self.failures: list[Exception] = []
        self.alerts: list[str] = []
        self.files: dict[str, bytes] = {}  # what users sent, by file_id, for getFile
        self._ids = itertools.count(1000)

    def twin(self) -> LocalSession:
        """Another session onto the same chats, with its own request middlewares: the
        Sender's Bot (no flood-control waits) beside the Bot that answers users."""
        twin = LocalSession(self.bot_user, self.observer)
        twin.calls, twin.chats, twin.failures, twin.alerts, twin.files = (
            self.calls,
            self.chats,
            self.failures,
            self.alerts,
            self.files,
        )
        twin._ids = self._ids
        return twin

    def chat(self, chat_id: int) -> ChatView:
        return self.chats.setdefault(chat_id, ChatView())

    def fail_next(self, error: Exception) -> None:
        """The next request raises this error instead of reaching the chat."""
        self.failures.append(error)

    async def close(self) -> None:
        return None

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        yield self.files.get(url.rsplit("/", 1)[-1], b"")

    def keep_file(self, content: bytes) -> str:
        """Hold a file a user sends; its file_id."""
        file_id = f"upload{next(self._ids)}"
        self.files[file_id] = content
        return file_id

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        if self.failures:
            raise self.failures.pop(0)
        self.calls.append(method)
        result = self._apply(method)
        if self.observer is not None:
            self.observer(method, result)
        return cast(TelegramType, result)

    def _apply(self, method: TelegramMethod[Any]) -> Any:
        if isinstance(method, GetMe):
            return self.bot_user
        if isinstance(method, GetFile):
            size = len(self.files.get(method.file_id, b""))
            path = f"documents/{method.file_id}"
            return File(
                file_id=method.file_id,
                file_unique_id=method.file_id,
                file_size=size,
                file_path=path,
            )
        if isinstance(method, SendMessage):
            return self._show(int(method.chat_id), method.text, method.reply_markup)
        if isinstance(method, SENDS_WITH_CAPTION):
            return self._show_file(method)
        if isinstance(method, SendContact):
            return self._show_contact(method)
        if isinstance(method, EditMessageText | EditMessageCaption | EditMessageReplyMarkup):
            return self._edit(method)
        if isinstance(method, DeleteMessage):
            self.chat(int(method.chat_id)).messages.pop(method.message_id, None)
        if isinstance(method, AnswerCallbackQuery) and method.text:
            self.alerts.append(method.text)
        return True

    def _show(self, chat_id: int, text: str, markup: Any, file: Any = None) -> Message:
        view = self.chat(chat_id)
        shown = Shown(next(self._ids), text, buttons=_inline_buttons(markup))
        if isinstance(markup, ReplyKeyboardMarkup):
            view.keyboard = [[_reply_button(b) for b in row] for row in markup.keyboard]
        elif isinstance(markup, ReplyKeyboardRemove):
            view.keyboard = []
        shown.keyboard = view.keyboard
        if file is not None:
            shown.file_name = getattr(file, "filename", None)
            shown.file_bytes = getattr(file, "data", None)
        view.messages[shown.message_id] = shown
        return self._message(chat_id, shown, markup)

    def _show_file(self, method: SendDocument | SendPhoto) -> Message:
        file = method.document if isinstance(method, SendDocument) else method.photo
        message = self._show(int(method.chat_id), method.caption or "", method.reply_markup, file)
        file_id = f"file{message.message_id}"
        if isinstance(method, SendDocument):
            name = getattr(file, "filename", None)
            document = Document(file_id=file_id, file_unique_id=file_id, file_name=name)
            return message.model_copy(update={"document": document})
        photo = PhotoSize(file_id=file_id, file_unique_id=file_id, width=800, height=600)
        return message.model_copy(update={"photo": [photo]})

    def _show_contact(self, method: SendContact) -> Message:
        contact = Contact(phone_number=method.phone_number, first_name=method.first_name)
        message = self._show(int(method.chat_id), "", method.reply_markup)
        self.chat(int(method.chat_id)).messages[message.message_id].contact = contact
        return message.model_copy(update={"contact": contact, "text": None})

    def _edit(
        self, method: EditMessageText | EditMessageCaption | EditMessageReplyMarkup
    ) -> Message | bool:
        if method.chat_id is None or method.message_id is None:
            return True
        shown = self.chat(int(method.chat_id)).messages.get(method.message_id)
        if shown is None:
            return True
        if isinstance(method, EditMessageText):
            shown.text = method.text or ""
        elif isinstance(method, EditMessageCaption):
            shown.text = method.caption or ""
        shown.buttons = _inline_buttons(method.reply_markup)
        shown.edits += 1
        return self._message(int(method.chat_id), shown, method.reply_markup)

    def _message(self, chat_id: int, shown: Shown, markup: Any) -> Message:
        inline = markup if isinstance(markup, InlineKeyboardMarkup) else None
        return Message(
            message_id=shown.message_id,
            date=datetime.now(UTC),
            chat=Chat(id=chat_id, type="private"),
            from_user=self.bot_user,
            text=shown.text,
            reply_markup=inline,
        )


def _inline_buttons(markup: Any) -> list[list[Button]]:
    if not isinstance(markup, InlineKeyboardMarkup):
        return []
    return [
        [
            Button(
                b.text,
                callback_data=b.callback_data,
                url=b.url,
                web_app=b.web_app.url if b.web_app else None,
            )
            for b in row
        ]
        for row in markup.inline_keyboard
    ]


def _reply_button(button: Any) -> Button:
    if isinstance(button, str):
        return Button(button)
    return Button(
        button.text,
        request_contact=bool(button.request_contact),
        request_location=bool(button.request_location),
    )


def compressed_photo(content: bytes) -> bytes:
    """What Telegram makes of a photo sent as a photo, not as a file: re-encoded, its EXIF
    (camera time, GPS) gone."""
    with Image.open(io.BytesIO(content)) as image:
        out = io.BytesIO()
        image.convert("RGB").save(out, "JPEG", quality=80)
    return out.getvalue()
