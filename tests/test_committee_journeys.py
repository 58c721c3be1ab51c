"""The credit committee in the chat, in Chinese and English: a case blocked until ready, the
members' votes (changed, not counted twice), the presenter refused a vote, approval with
changed terms after the preview, a decline with its reason, a question back to the
presenter who answers and resubmits, the case pack, reminders in working hours and forged
presses."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import pytest
from committee_support import ready_rows, worksheet_row
from test_officer_journeys import OFFICER_EN, OFFICER_ZH, Desk, bind, forge, submit

from bot.background import Background
from bot.clock import SimulatedClock
from bot.demo.driver import ChatDriver, ChatUser
from bot.factory import App
from bot.views.committee_pack import pack_lines, pack_photos
from integrations.bank.committee_models import CaseStatus, CommitteeCase
from integrations.bank.fieldwork_models import DocumentKind, DocumentUpload
from integrations.bank.models import LeadStatus
from integrations.bank.protocol import BankAdapter
from integrations.bank.sandbox import SandboxBank
from integrations.sms.outbound import RecordingSmsSender
from tests.support.photos import photo

CHAIR_ZH = ChatUser("chair", 7101, "陈主任", "zh-hans", "+8613800000201")
MEMBER_EN = ChatUser("member", 7102, "Liu", "en", "+8613800000202")
MEMBER3_ZH = ChatUser("member3", 7103, "周审批", "zh-hans", "+8613800000203")
HEAD_CHAIR_EN = ChatUser("head", 7201, "Sun", "en", "+8613800000211")
CHAIR_EN = replace(CHAIR_ZH, language_code="en")
MONDAY_1301 = datetime(2026, 11, 23, 5, 1, tzinfo=UTC)  # 13:01 in Shanghai
MONDAY_1701 = datetime(2026, 11, 23, 9, 1, tzinfo=UTC)

SEND = {"zh-hans": "提交贷审会", "en": "Send to committee"}
NOT_READY = {"zh-hans": "尚不能提交贷审会", "en": "Not ready for the committee yet"}
WORKSHEET = {"zh-hans": "调查表", "en": "the worksheet"}
SENT = {"zh-hans": "已作为案件 CC000001 提交贷审会", "en": "went to the committee as case CC000001"}
APPROVE = {"zh-hans": "同意", "en": "Approve"}
CHANGE_LABEL = {"zh-hans": "修改后同意", "en": "Approve with changes"}
DECLINE = {"zh-hans": "否决", "en": "Decline"}
ASK = {"zh-hans": "补充材料", "en": "Ask for more"}
PACK = {"zh-hans": "案件材料", "en": "Case pack"}
NOT_YOURS = {"zh-hans": "不由您处理", "en": "This case is not yours to act on."}
APPROVED = {"zh-hans": "贷审会已批准案件 CC000001", "en": "The committee approved case CC000001"}
DECLINED = {"zh-hans": "贷审会已否决案件 CC000001", "en": "The committee declined case CC000001"}
CAN_CHANGE = {"zh-hans": "在贷审会作出决定前", "en": "You can change it until"}


@dataclass(frozen=True)
class Committee:
    bank: SandboxBank
    desk: Desk
    driver: ChatDriver

    async def ready(self, lead_id: str, officer_id: str = "OF000002") -> None:
        await self.bank.run(ready_rows(lead_id, officer_id))

    async def case(self, case_id: str = "CC000001") -> CommitteeCase:
        return await self.bank.get_committee_case(case_id)


@pytest.fixture
async def committee(
    driver: ChatDriver, sms: RecordingSmsSender, bank: BankAdapter, app: App, background: Background
) -> Committee:
    assert isinstance(bank, SandboxBank)
    for user, code in ((CHAIR_ZH, "C101"), (MEMBER_EN, "C102"), (MEMBER3_ZH, "C103")):
        await bind(driver, sms, user, code)
    return Committee(bank, Desk(app.services.officers, background), driver)


async def claimed_lead(committee: Committee, sms: RecordingSmsSender, presenter: ChatUser) -> str:
    await bind(committee.driver, sms, presenter, "K001")
    lead_id = await submit(committee.bank)
    await committee.desk.deliver()
    await committee.driver.press(presenter, "✅")  # claim
    await committee.desk.deliver()
    return lead_id


async def sent_case(
    committee: Committee, sms: RecordingSmsSender, presenter: ChatUser = OFFICER_EN
) -> str:
    lead_id = await claimed_lead(committee, sms, presenter)
    await committee.ready(lead_id)
    await committee.driver.press(presenter, SEND[presenter.language_code])
    await committee.driver.send(presenter, "经营稳定，建议批准")
    await committee.desk.deliver()
    return lead_id


def case_message_id(driver: ChatDriver, user: ChatUser, case_id: str = "CC000001") -> int:
    shown = [s for s in driver.seen(user) if case_id in s.text and s.buttons]
    assert shown, f"{user.name} has no case message for {case_id}"
    return shown[0].message_id


async def vote(driver: ChatDriver, user: ChatUser, label: str, case_id: str = "CC000001") -> None:
    await driver.press(user, label, case_message_id(driver, user, case_id))


@pytest.mark.parametrize("presenter", [OFFICER_ZH, OFFICER_EN])
async def test_the_case_is_blocked_until_ready_then_reaches_every_member(
    committee: Committee, sms: RecordingSmsSender, presenter: ChatUser
) -> None:
    driver, language = committee.driver, presenter.language_code
    lead_id = await claimed_lead(committee, sms, presenter)

    await driver.press(presenter, SEND[language])
    refusal = driver.last(presenter).text
    assert NOT_READY[language] in refusal and WORKSHEET[language] in refusal
    assert (await committee.bank.get_lead(lead_id)).status == LeadStatus.CLAIMED

    await committee.ready(lead_id)
    await driver.press(presenter, SEND[language])
    await driver.send(presenter, "经营稳定，建议批准")
    assert SENT[language] in driver.last(presenter).text
    await committee.desk.deliver()

    for member in (CHAIR_ZH, MEMBER_EN, MEMBER3_ZH):
        message = driver.last(member)
        assert "CC000001" in message.text and lead_id in message.text
        assert "经营稳定，建议批准" in message.text
        labels = [button.text for button in message.flat_buttons()]
        assert any(APPROVE[member.language_code] in label for label in labels)
    assert "¥50,000.00" in driver.last(CHAIR_ZH).text
    assert "CN¥50,000.00" in driver.last(MEMBER_EN).text
    assert (await committee.bank.get_lead(lead_id)).status == LeadStatus.COMMITTEE


@pytest.mark.parametrize(
    ("presenter", "item"), [(OFFICER_ZH, "查银行账户"), (OFFICER_EN, "Bank accounts")]
)
async def test_a_missing_checklist_item_is_named_in_words(
    committee: Committee, sms: RecordingSmsSender, presenter: ChatUser, item: str
) -> None:
    lead_id = await claimed_lead(committee, sms, presenter)
    await committee.bank.run(worksheet_row(lead_id, "OF000002"))  # no checklist ticked

    await committee.driver.press(presenter, SEND[presenter.language_code])

    refusal = committee.driver.last(presenter).text
    assert NOT_READY[presenter.language_code] in refusal
    assert item in refusal and "bank_accounts" not in refusal


async def test_a_member_who_votes_twice_has_one_ballot_until_the_decision(
    committee: Committee, sms: RecordingSmsSender
) -> None:
    driver = committee.driver
    lead_id = await sent_case(committee, sms)

    await vote(driver, MEMBER_EN, "Decline")
    await driver.press(MEMBER_EN, "Debts too high")
    await driver.send(MEMBER_EN, "-")
    await vote(driver, MEMBER_EN, "Approve")  # changed
    assert CAN_CHANGE["en"] in driver.last(MEMBER_EN).text
    await vote(driver, CHAIR_ZH, APPROVE["zh-hans"])
    assert CAN_CHANGE["zh-hans"] in driver.last(CHAIR_ZH).text
    case = await committee.case()
    assert case.status is CaseStatus.VOTING  # two members, not three ballots
    assert len([v for v in case.votes if v.current]) == 2

    await vote(driver, MEMBER3_ZH, APPROVE["zh-hans"])
    await committee.desk.deliver()

    case = await committee.case()
    assert case.status is CaseStatus.APPROVED and case.offer_id is not None
    assert (await committee.bank.get_lead(lead_id)).status == LeadStatus.APPROVED
    for member in (CHAIR_ZH, MEMBER_EN, MEMBER3_ZH, OFFICER_EN):
        decision = [s.text for s in driver.seen(member) if APPROVED[member.language_code] in s.text]
        assert len(decision) == 1, member.name
    assert "Liu" not in decision[0] and "刘审批" in decision[0]  # the bank's names, each vote
    assert "Nov 22, 2026, 10:00" in decision[0]  # the bank's time zone
    await vote(driver, MEMBER_EN, "Decline")  # after the decision: nothing changes
    assert "the committee has decided" in driver.session.alerts[-1]
    kinds = [event.kind for event in await committee.bank.list_lead_events(lead_id)]
    assert kinds.count("committee_vote") == 4 and kinds[-1] == "committee_decision"


@pytest.mark.parametrize("presenter", [OFFICER_ZH, OFFICER_EN])
async def test_the_presenter_cannot_vote(
    committee: Committee, sms: RecordingSmsSender, presenter: ChatUser
) -> None:
    await sent_case(committee, sms, presenter)
    await committee.bank.run(
        lambda connection, _context: connection.execute(
            "INSERT INTO committee_members VALUES ('BRANCH', 'OF000002', 0)"
        )
    )

    await forge(committee.driver, presenter, "kv:ok:CC000001:")

    assert NOT_YOURS[presenter.language_code] in committee.driver.session.alerts[-1]
    assert (await committee.case()).votes == []


async def test_approve_with_changes_shows_the_new_installment_before_the_vote(
    committee: Committee, sms: RecordingSmsSender
) -> None:
    driver = committee.driver
    await sent_case(committee, sms)

    await vote(driver, MEMBER_EN, "Approve with changes")
    assert "proposed: CN¥50,000.00" in driver.last(MEMBER_EN).text
    await driver.send(MEMBER_EN, "40000")
    await driver.send(MEMBER_EN, "18")
    await driver.press(MEMBER_EN, "Equal principal")
    preview = driver.last(MEMBER_EN).text
    assert "CN¥40,000.00, 18 months, Equal principal" in preview
    assert "(proposed: CN¥4,442.44)" in preview
    assert "Affordable: within the repayment budget of CN¥6,000.00 a month." in preview
    assert "Largest affordable amount for this term" in preview
    assert (await committee.case()).votes == []  # nothing cast before the confirmation

    await driver.press(MEMBER_EN, "Vote for these terms")

    [cast] = (await committee.case()).votes
    assert (cast.amount, cast.term_months, cast.method) == (40000, 18, "equal_principal")
    assert "approve with changes" in driver.last(MEMBER_EN).text


async def test_a_decline_by_the_chair_with_a_reason_declines_the_lead(
    committee: Committee, sms: RecordingSmsSender
) -> None:
    driver = committee.driver
    lead_id = await sent_case(committee, sms)

    await vote(driver, CHAIR_ZH, DECLINE["zh-hans"])
    await driver.press(CHAIR_ZH, "负债过高")
    await driver.send(CHAIR_ZH, "现有负债已超过净资产")
    await vote(driver, MEMBER_EN, "Approve")
    await vote(driver, MEMBER3_ZH, APPROVE["zh-hans"])
    await committee.desk.deliver()

    case = await committee.case()
    assert (case.status, case.decline_reason, case.shared_note) == (
        CaseStatus.DECLINED, "debt_too_high", "现有负债已超过净资产",
    )  # fmt: skip
    assert (await committee.bank.get_lead(lead_id)).status == LeadStatus.DECLINED
    assert "Debts too high" in driver.last(OFFICER_EN).text
    assert DECLINED["zh-hans"] in driver.last(CHAIR_ZH).text


async def test_ask_for_more_goes_to_the_presenter_who_answers_and_resubmits(
    committee: Committee, sms: RecordingSmsSender
) -> None:
    driver = committee.driver
    await sent_case(committee, sms, OFFICER_ZH)

    await vote(driver, MEMBER_EN, "Ask for more")
    await driver.send(MEMBER_EN, "How much stock is there?")
    await committee.desk.deliver()
    question = driver.last(OFFICER_ZH)
    assert "How much stock is there?" in question.text and "刘审批" in question.text

    await driver.press(OFFICER_ZH, "补充答复")
    await driver.send(OFFICER_ZH, "库存约八万元")
    assert "CC000002" in driver.last(OFFICER_ZH).text
    await committee.desk.deliver()

    again = await committee.case("CC000002")
    assert again.status is CaseStatus.VOTING and again.recommendation.endswith("库存约八万元")
    assert "库存约八万元" in driver.last(CHAIR_ZH).text
    await vote(driver, CHAIR_ZH, APPROVE["zh-hans"], "CC000001")  # the old case is closed
    assert (await committee.case()).status is CaseStatus.MORE_INFO


async def test_the_case_pack_is_a_pdf_with_thumbnails_of_the_photos(
    committee: Committee, sms: RecordingSmsSender, app: App
) -> None:
    driver = committee.driver
    lead_id = await claimed_lead(committee, sms, OFFICER_EN)
    for content, kind in (
        (photo(shade=5), DocumentKind.PREMISES),
        (b"%PDF-1.4\n%%EOF\n", DocumentKind.LICENCE),
    ):
        upload = DocumentUpload(officer_id="OF000002", kind=kind, content=content)
        await committee.bank.upload_document(lead_id, upload)
    await committee.ready(lead_id)
    await driver.press(OFFICER_EN, SEND["en"])
    await driver.send(OFFICER_EN, "经营稳定，建议批准")
    await committee.desk.deliver()

    await vote(driver, CHAIR_ZH, PACK["zh-hans"])

    preview, document = driver.seen(CHAIR_ZH)[-2:]
    assert preview.file_bytes is not None and preview.file_bytes.startswith(b"\x89PNG")
    assert document.file_name == "CC000001.pdf"
    pdf = document.file_bytes or b""
    assert pdf.startswith(b"%PDF") and b"WenQuanYi" in pdf  # the CJK font is embedded
    assert pdf.count(b"/Subtype /Image") == 1  # the photo's thumbnail; the PDF is only named
    member = await app.services.officers.directory.by_chat(CHAIR_ZH.user_id)
    assert member is not None
    facts = await app.services.committee.desk.pack(member, "CC000001")
    with app.services.i18n.context(), app.services.i18n.use_locale("zh_Hans"):
        captions = [shown.caption for shown in pack_photos(facts)]
    assert captions[0].startswith("经营场所 DC000001；无 EXIF") and "DC000002" in captions[1]


@pytest.mark.parametrize(
    ("locale", "shown", "hidden"),
    [
        ("en", ["✓ Tax receipts (required) — 已核实", "Rent: CN¥3,000.00",
                "Monthly sales: CN¥60,000.00", "Stock at cost: CN¥80,000.00"],
         ["✓ tax", "good_day", "stock /"]),
        ("ru", ["✓ Налоговые квитанции (обязательно)", "Аренда: 3\u00a0000,00\u00a0CN¥"],
         ["✓ tax", "rent"]),
        ("zh_Hans", ["✓ 查纳税凭证", "租金：¥3,000.00", "月销售额：¥60,000.00"], ["✓ tax"]),
    ],
)  # fmt: skip
async def test_the_case_pack_names_checklist_items_and_figures_in_the_readers_language(
    committee: Committee, sms: RecordingSmsSender, app: App, locale: str,
    shown: list[str], hidden: list[str],
) -> None:  # fmt: skip
    await sent_case(committee, sms)
    services = app.services
    member = await services.officers.directory.by_chat(MEMBER_EN.user_id)
    assert member is not None
    facts = await services.committee.desk.pack(member, "CC000001")

    with services.i18n.context(), services.i18n.use_locale(locale):
        lines = pack_lines(facts, "CNY", "Asia/Shanghai", locale)
    text = "\n".join(line.text for line in lines)
    for expected in shown:
        assert expected in text
    for code in hidden:
        assert code not in text


async def test_reminders_in_working_hours_to_members_then_the_chair(
    committee: Committee, sms: RecordingSmsSender, clock: SimulatedClock
) -> None:
    driver = committee.driver
    await sent_case(committee, sms)  # Sunday: the SLA runs from Monday 09:00
    await vote(driver, MEMBER_EN, "Approve")

    clock.move_to(MONDAY_1301)
    await committee.desk.deliver()
    assert "⏰" in driver.last(MEMBER3_ZH).text
    assert "⏰" not in driver.last(MEMBER_EN).text  # voted already

    clock.move_to(MONDAY_1701)
    await committee.desk.deliver()
    chair = [s.text for s in driver.seen(CHAIR_ZH) if s.text.startswith("⏰")]
    assert len(chair) == 2 and "2" in chair[-1]  # reminded as a member, then as chair


async def test_forged_presses_change_nothing(committee: Committee, sms: RecordingSmsSender) -> None:
    driver = committee.driver
    await sent_case(committee, sms)
    await bind(driver, sms, HEAD_CHAIR_EN, "C201")

    await forge(driver, HEAD_CHAIR_EN, "kv:ok:CC000001:")  # another committee's member
    assert driver.session.alerts[-1] == "This case is not yours to act on."
    await forge(driver, MEMBER_EN, "kv:why:CC000001:bogus")
    assert driver.session.alerts[-1] == "This button is no longer active."
    await forge(driver, MEMBER_EN, "kv:yes:CC000001:")  # no changed terms in the form
    assert driver.session.alerts[-1] == "This button is no longer active."
    await forge(driver, MEMBER_EN, "kv:ok:CC999999:")
    assert driver.session.alerts[-1] == "This case is not yours to act on."
    await forge(driver, MEMBER_EN, "kc:send:LD000001")  # not the presenter
    assert driver.session.alerts[-1] == "This case is not yours to act on."
    await forge(driver, MEMBER_EN, "kv:zz")
    assert driver.session.alerts[-1] == "This button is no longer active."

    assert (await committee.case()).votes == []
    assert not re.search(r"Traceback", " ".join(s.text for s in driver.seen(MEMBER_EN)))
