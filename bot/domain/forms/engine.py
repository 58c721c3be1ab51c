"""The form engine: one input at the current question gives the next place in the form.

Answers go forward in the form's order, past questions given before the form began; after
the last (or, while editing one section from the review, after that section's last) comes
the review. Back goes to the previous question (from an edited section's first question,
back to the review). Every method either returns the new `Filled` or raises `Invalid` (a
wrong answer: nothing changes) or `NotOffered` (the action does not fit where the user is).
"""

from __future__ import annotations

from typing import Generic

from bot.domain.forms.definition import A, C, Filled, Form, Invalid, NotOffered, Position, Question


class FormEngine(Generic[A, C]):
    def __init__(self, form: Form[A, C]) -> None:
        self.form = form

    @property
    def total(self) -> int:
        return len(self.form.questions)

    def begin(self, answers: A, given: frozenset[str] = frozenset()) -> Filled[A]:
        """The first question not given; the review when every one was."""
        return self._from(Filled(answers, Position(given=given)), -1)

    def position(self, at: Position) -> int:
        """The question's number, from 1; the total at the review."""
        return self.form.index(at.step) + 1 if at.step is not None else self.total

    def current(self, filled: Filled[A]) -> Question[A, C]:
        if filled.at.step is None:
            raise NotOffered("at the review")
        return self.form.question(filled.at.step)

    def options(self, filled: Filled[A], context: C) -> tuple[str, ...]:
        question = self.current(filled)
        return question.options(context, filled.answers) if question.options else ()

    def chosen(self, filled: Filled[A], key: str) -> tuple[str, ...]:
        """The options toggled so far at a multiple-choice question."""
        value = getattr(filled.answers, key)
        return tuple(value) if isinstance(value, tuple | list | frozenset) else ()

    def can_go_back(self, at: Position) -> bool:
        return at.step is not None and self.form.index(at.step) > 0

    def type(self, filled: Filled[A], text: str, context: C) -> Filled[A]:
        """A typed answer; raises Invalid when it does not read or does not check out."""
        question = self.current(filled)
        if question.read is None:
            raise Invalid(question.refusal)
        return self._answered(filled, question.read(text.strip(), context))

    def pick(self, filled: Filled[A], key: str, value: str, context: C) -> Filled[A]:
        question = self._at(filled, key)
        if question.multiple or value not in self.options(filled, context):
            raise NotOffered(value)
        try:
            answer = question.read(value, context) if question.read else value
        except Invalid:
            raise NotOffered(value) from None  # an offered value always reads
        return self._answered(filled, answer)

    def toggle(self, filled: Filled[A], key: str, value: str, context: C) -> Filled[A]:
        question = self._at(filled, key)
        options = self.options(filled, context)
        if not question.multiple or value not in options:
            raise NotOffered(value)
        chosen = set(self.chosen(filled, key)) ^ {value}
        answer = tuple(option for option in options if option in chosen)
        return Filled(filled.answers.model_copy(update={key: answer}), filled.at)

    def done(self, filled: Filled[A], key: str) -> Filled[A]:
        if not self._at(filled, key).multiple:
            raise NotOffered(key)
        return self._next(filled)

    def skip(self, filled: Filled[A], key: str) -> Filled[A]:
        if not self._at(filled, key).optional:
            raise NotOffered(key)
        return self._answered(filled, None)

    def give(self, filled: Filled[A], key: str, answer: object) -> Filled[A]:
        """An answer given another way than text or buttons (a shared contact, a location),
        read and checked by the caller."""
        self._at(filled, key)
        return self._answered(filled, answer)

    def back(self, filled: Filled[A], key: str) -> Filled[A]:
        self._at(filled, key)
        if not self.can_go_back(filled.at):
            raise NotOffered(key)
        previous = self.form.questions[self.form.index(key) - 1]
        if filled.at.editing is not None and previous.section != filled.at.editing:
            return self._review(filled)
        return Filled(filled.answers, filled.at.model_copy(update={"step": previous.key}))

    def edit(self, filled: Filled[A], section: str) -> Filled[A]:
        """From the review: the section's questions, then the review again."""
        if not filled.reviewing or section not in self.form.sections:
            raise NotOffered(section)
        first = next(q.key for q in self.form.questions if q.section == section)
        return Filled(filled.answers, Position(step=first, editing=section))

    def change(self, filled: Filled[A], key: str, text: str, context: C) -> Filled[A]:
        """At the review: one answer replaced (e.g. a loan that fits, offered by a button)."""
        if not filled.reviewing:
            raise NotOffered(key)
        read = self.form.question(key).read
        if read is None:
            raise NotOffered(key)
        try:
            answer = read(text, context)
        except Invalid:
            raise NotOffered(text) from None
        return Filled(filled.answers.model_copy(update={key: answer}), filled.at)

    def stale(self, filled: Filled[A], context: C) -> Question[A, C] | None:
        """The first answer chosen by button that its question no longer offers (a
        repayment plan that does not fit a term changed since, a product changed by the
        bank), else None."""
        for question in self.form.questions:
            value = getattr(filled.answers, question.key)
            if question.read or not question.options or question.multiple or value is None:
                continue
            if value not in question.options(context, filled.answers):
                return question
        return None

    def recheck(self, filled: Filled[A], context: C) -> Filled[A]:
        """At the review: a stale answer is asked again, alone, then the review."""
        question = self.stale(filled, context) if filled.reviewing else None
        if question is None:
            return filled
        others = frozenset(self.form.question_keys) - {question.key}
        return Filled(
            filled.answers, Position(step=question.key, editing=question.section, given=others)
        )

    def _at(self, filled: Filled[A], key: str) -> Question[A, C]:
        question = self.current(filled)
        if question.key != key:
            raise NotOffered(key)
        return question

    def _answered(self, filled: Filled[A], answer: object) -> Filled[A]:
        key = self.current(filled).key
        return self._next(Filled(filled.answers.model_copy(update={key: answer}), filled.at))

    def _next(self, filled: Filled[A]) -> Filled[A]:
        return self._from(filled, self.form.index(self.current(filled).key))

    def _from(self, filled: Filled[A], index: int) -> Filled[A]:
        """The first question after `index` that is to be asked, else the review."""
        at = filled.at
        for question in self.form.questions[index + 1 :]:
            if at.editing is not None and question.section != at.editing:
                break
            if question.key not in at.given:
                return Filled(filled.answers, at.model_copy(update={"step": question.key}))
        return self._review(filled)

    def _review(self, filled: Filled[A]) -> Filled[A]:
        # Given answers are asked like any other once the merchant edits them.
        return Filled(filled.answers, Position())
