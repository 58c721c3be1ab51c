"""The form engine on a small form of its own (a visit note, as an officer's worksheet might
ask it), and the application's form on drafts saved before its answers were typed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import BaseModel

from bot.domain.application_form import (
    APPLICATION,
    ApplicationAnswers,
    ApplicationContext,
    ApplicationDraft,
    CardUse,
)
from bot.domain.forms.definition import Filled, Form, Invalid, NotOffered, Position, Question
from bot.domain.forms.engine import FormEngine
from bot.domain.plans import PLANS_BY_ID, RepaymentPlan


class Visit(BaseModel):
    shop: str | None = None
    stock: int | None = None
    seen: tuple[str, ...] | None = None
    mood: str | None = None
    note: str | None = None


def _stock(text: str, most: int) -> int:
    if not text.isdecimal() or int(text) > most:
        raise Invalid("stock")
    return int(text)


VISIT: FormEngine[Visit, int] = FormEngine(
    Form(
        Visit,
        (
            Question("shop", "place", read=lambda text, _most: text),
            Question("stock", "place", read=_stock),
            Question(
                "seen",
                "checks",
                options=lambda _most, _answers: ("books", "stock", "licence"),
                multiple=True,
                optional=True,
            ),
            Question("mood", "checks", options=lambda _most, _answers: ("good", "poor")),
            Question("note", "end", read=lambda text, _most: text, optional=True),
        ),
    )
)
MOST = 100  # the context: the largest stock count that reads


def at(step: str | None, **answers: object) -> Filled[Visit]:
    return Filled(Visit.model_validate(answers), Position(step=step))


def test_answers_go_forward_to_the_review() -> None:
    filled = VISIT.begin(Visit())
    assert filled.at.step == "shop" and VISIT.position(filled.at) == 1
    filled = VISIT.type(filled, "  Chen's grocery ", MOST)
    filled = VISIT.type(filled, "40", MOST)
    filled = VISIT.toggle(filled, "seen", "stock", MOST)
    filled = VISIT.toggle(filled, "seen", "books", MOST)
    assert VISIT.chosen(filled, "seen") == ("books", "stock")  # in the options' order
    filled = VISIT.done(filled, "seen")
    filled = VISIT.pick(filled, "mood", "good", MOST)
    filled = VISIT.skip(filled, "note")
    assert filled.reviewing and VISIT.position(filled.at) == VISIT.total == 5
    assert filled.answers == Visit(
        shop="Chen's grocery", stock=40, seen=("books", "stock"), mood="good"
    )


def test_a_wrong_answer_changes_nothing_and_says_why() -> None:
    filled = at("stock", shop="x")
    with pytest.raises(Invalid) as wrong:
        VISIT.type(filled, "a lot", MOST)
    assert wrong.value.code == "stock"
    with pytest.raises(Invalid):
        VISIT.type(filled, "101", MOST)  # the context decides
    assert VISIT.type(filled, "101", 200).answers.stock == 101


def test_text_at_a_buttons_only_question_is_refused_with_its_reason() -> None:
    with pytest.raises(Invalid) as wrong:
        VISIT.type(at("mood"), "good", MOST)
    assert wrong.value.code == "choose"


@pytest.mark.parametrize(
    ("filled", "action"),
    [
        (at("mood"), lambda f: VISIT.pick(f, "mood", "angry", MOST)),  # not offered
        (at("mood"), lambda f: VISIT.pick(f, "seen", "books", MOST)),  # another question
        (at("mood"), lambda f: VISIT.toggle(f, "mood", "good", MOST)),  # not multiple
        (at("mood"), lambda f: VISIT.skip(f, "mood")),  # not optional
        (at("mood"), lambda f: VISIT.done(f, "mood")),
        (at("shop"), lambda f: VISIT.back(f, "shop")),  # the first question
        (at("mood"), lambda f: VISIT.edit(f, "place")),  # editing is from the review
        (at(None), lambda f: VISIT.edit(f, "nowhere")),
        (at(None), lambda f: VISIT.type(f, "x", MOST)),
        (at("stock"), lambda f: VISIT.change(f, "stock", "5", MOST)),
        (at(None), lambda f: VISIT.change(f, "stock", "500", MOST)),  # does not read
    ],
)
def test_an_action_that_does_not_fit_where_the_user_is_is_not_offered(
    filled: Filled[Visit], action: object
) -> None:
    with pytest.raises(NotOffered):
        action(filled)  # type: ignore[operator]


def test_back_and_edit_from_the_review_stay_in_the_section() -> None:
    done = at(None, shop="s", stock=1, mood="good")
    editing = VISIT.edit(done, "checks")
    assert editing.at == Position(step="seen", editing="checks")
    assert VISIT.back(editing, "seen").reviewing  # back out of the section: the review
    editing = VISIT.done(editing, "seen")
    assert editing.at.step == "mood" and VISIT.back(editing, "mood").at.step == "seen"
    assert VISIT.pick(editing, "mood", "poor", MOST).reviewing  # the section's end
    assert VISIT.pick(editing, "mood", "poor", MOST).answers.stock == 1  # the rest is kept


def test_answers_given_before_the_form_are_not_asked_until_edited() -> None:
    filled = VISIT.begin(Visit(stock=5), given=frozenset({"stock"}))
    assert VISIT.type(filled, "shop", MOST).at.step == "seen"
    review = at(None, shop="s", stock=5, mood="good")
    assert VISIT.edit(review, "place").at.step == "shop"
    assert VISIT.type(VISIT.edit(review, "place"), "t", MOST).at.step == "stock"


def test_a_form_over_answers_it_does_not_have_is_refused() -> None:
    with pytest.raises(ValueError, match="distinct fields"):
        Form(Visit, (Question("colour", "x"),))


class Limits:
    plans: tuple[RepaymentPlan, ...] = (PLANS_BY_ID["equal_installments"],)

    def amount_fits(self, amount: Decimal) -> bool:
        return 5000 <= amount <= 500_000

    def months_fit(self, months: int) -> bool:
        return 1 <= months <= 24

    def plans_for(self, months: int) -> tuple[RepaymentPlan, ...]:
        return tuple(plan for plan in self.plans if plan.min_months <= months)


CONTEXT = ApplicationContext(Limits(), ("retail",), ("jinniu",))


def test_the_application_reads_a_term_as_calc_does_and_offers_what_fits() -> None:
    filled = Filled(ApplicationAnswers(), Position(step="months"))
    assert APPLICATION.type(filled, "12 months", CONTEXT).answers.months == 12
    assert APPLICATION.type(filled, "一年", CONTEXT).answers.months == 12
    with pytest.raises(Invalid):
        APPLICATION.type(filled, "36", CONTEXT)
    assert APPLICATION.options(filled, CONTEXT) == ("3", "6", "12", "18", "24")
    assert APPLICATION.pick(filled, "months", "18", CONTEXT).answers.months == 18


def test_a_draft_saved_as_strings_still_loads() -> None:
    saved = {
        "id": "abc123",
        "answers": {
            "consent": "yes",
            "phone": "+8613880000101",
            "months_operating": "36",
            "employees": "",
            "assets": "home,stock",
            "cards": "50000/10000",
            "daily_sales": "3000",
            "amount": "60000",
        },
        "referral": "K001",
        "prefill": {"amount": "60000", "months": "18", "plan": "equal_principal"},
        "step": "daily_sales",
        "editing": None,
    }
    draft = ApplicationDraft.model_validate(saved)
    assert draft.consented and draft.referral == "K001" and draft.id == "abc123"
    answers = draft.answers
    assert answers.months_operating == 36 and answers.employees is None
    assert answers.assets == ("home", "stock")
    assert answers.cards == CardUse(limit=Decimal(50000), used=Decimal(10000))
    assert answers.months == 18 and answers.plan == "equal_principal"
    assert draft.at == Position(step="daily_sales", given=frozenset({"amount", "months", "plan"}))
    at_summary = ApplicationDraft.model_validate({**saved, "step": "summary"})
    assert at_summary.at == Position()
    again = ApplicationDraft.model_validate(draft.model_dump(mode="json"))
    assert again == draft


def test_at_the_review_an_answer_no_longer_offered_is_asked_again_alone() -> None:
    fitting = VISIT.recheck(at(None, shop="A", stock=3, mood="good"), MOST)
    assert fitting.at == Position()
    stale = at(None, shop="A", stock=3, mood="so-so")
    assert VISIT.stale(stale, MOST) is VISIT.form.question("mood")
    asked = VISIT.recheck(stale, MOST)
    assert (asked.at.step, asked.at.editing) == ("mood", "checks")
    assert VISIT.pick(asked, "mood", "poor", MOST).at == Position()  # then the review
    assert VISIT.recheck(at("stock", mood="so-so"), MOST).at.step == "stock"  # not reviewing
