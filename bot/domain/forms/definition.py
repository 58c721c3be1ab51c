"""What a form is: questions in sections, how a typed answer is read and checked, which
choices a question offers. Questions are generic in the answers `A` and the context `C`
their readers and choices need (the product's bounds, the bank's reference data...); a
question's choices may depend on earlier answers (the plans that fit the chosen term)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict

A = TypeVar("A", bound=BaseModel)
C = TypeVar("C")


class Invalid(ValueError):
    """A wrong answer: `code` names the reason (the views word it), `cause` the error
    underneath when it has its own wording (e.g. an amount that does not parse)."""

    def __init__(self, code: str, cause: Exception | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.cause = cause


class NotOffered(ValueError):
    """An action that does not fit where the user is (an old or forged button)."""


@dataclass(frozen=True)
class Question(Generic[A, C]):
    key: str  # the field of the answers model it fills
    section: str
    read: Callable[[str, C], object] | None = None  # typed text (or a picked value) -> answer
    options: Callable[[C, A], tuple[str, ...]] | None = None  # its buttons' values
    multiple: bool = False  # several options toggled, then Done
    optional: bool = False  # offers Skip
    refusal: str = "choose"  # why typed text is refused where there is no reader


@dataclass(frozen=True)
class Form(Generic[A, C]):
    answers: type[A]
    questions: tuple[Question[A, C], ...]
    sections: tuple[str, ...] = field(init=False)
    question_keys: tuple[str, ...] = field(init=False)
    _index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        keys = tuple(question.key for question in self.questions)
        unknown = set(keys) - set(self.answers.model_fields)
        if len(set(keys)) != len(keys) or unknown:
            raise ValueError(f"question keys must be distinct fields of the answers: {unknown}")
        sections = dict.fromkeys(question.section for question in self.questions)
        object.__setattr__(self, "sections", tuple(sections))
        object.__setattr__(self, "question_keys", keys)
        object.__setattr__(self, "_index", {key: i for i, key in enumerate(keys)})

    def question(self, key: str) -> Question[A, C]:
        return self.questions[self._index[key]]

    def index(self, key: str) -> int:
        return self._index[key]


class Position(BaseModel):
    """Where the user is in a form."""

    model_config = ConfigDict(frozen=True)

    step: str | None = None  # the question being asked; None once at the review
    editing: str | None = None  # the section being edited from the review
    given: frozenset[str] = frozenset()  # answered before the form began: not asked


@dataclass(frozen=True)
class Filled(Generic[A]):
    answers: A
    at: Position

    @property
    def reviewing(self) -> bool:
        return self.at.step is None
