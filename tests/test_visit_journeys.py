"""The officer's visit on the phone, in Chinese and English: a check-in too far (refused,
then accepted with a reason), evidence with its EXIF kept (sent as a file) and missing
(sent as a photo), the same photo on two leads told to both officers, the checklist with
notes, and forged buttons refused."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from test_application_journeys import CHEN, SOUND, reference_of, seen_by, start_application, texts
from test_officer_buttons import press_data
from test_officer_journeys import OFFICER2_ZH, OFFICER_EN, OFFICER_ZH, Desk, bind

from bot.demo.driver import ChatDriver, ChatUser
from bot.domain.fieldwork import ExifVerdict, Point
from bot.factory import App
from integrations.bank.models import LeadStatus, LeadSubmission, RepaymentMethod
from integrations.bank.protocol import BankAdapter
from integrations.bank.sandbox import seed
from integrations.sms.outbound import RecordingSmsSender
from tests.support.photos import photo

JINNIU = Point(30.6913, 104.0516)  # the district's centre in the seed
OFFICER2_EN = replace(OFFICER2_ZH, language_code="en")
STAFF_CODES = {OFFICER_ZH.user_id: seed.OFFICER_STAFF_CODE, OFFICER2_ZH.user_id: "K002"}
SAYS = {
    "zh": {
        "check_in": "到场签到", "evidence": "现场资料", "checklist": "调查清单",
        "claim": "认领", "visit": "预约上门", "premises": "经营场所", "stock": "存货",
        "done": "完成", "far": "1.5 公里", "limit": "500 米", "checked": "已于",
        "ok": "拍摄时间和地点与走访相符", "no_exif": "无 EXIF", "tax": "查纳税凭证",
        "open": "还有 11 个必做项未完成", "open_after": "还有 10 个必做项未完成",
        "not_yours": "这条线索不归您处理", "kind_q": "这个文件拍的是什么",
        "type": "只接受照片", "expired": "已不在待保存列表中", "finished": "现场资料已完成",
        "camera": "09:50",
    },
    "en": {
        "check_in": "Check in", "evidence": "Evidence", "checklist": "Checklist",
        "claim": "Claim", "visit": "Book visit", "premises": "Premises", "stock": "Stock",
        "done": "Done", "far": "1.5 km", "limit": "500 m", "checked": "Checked in on lead",
        "ok": "camera time and place fit the visit", "no_exif": "no EXIF", "tax": "Tax receipts",
        "open": "11 required items still open", "open_after": "10 required items still open",
        "not_yours": "This lead is not yours to act on.", "kind_q": "What does this file show?",
        "type": "photos (JPEG, PNG, WebP) and PDF documents only",
        "expired": "no longer waiting to be saved", "finished": "Evidence finished",
        "camera": "Camera time Nov 22, 2026, 9:50\u202fAM",
    },
}  # fmt: skip
LANGUAGES = [(OFFICER_ZH, "zh"), (OFFICER_EN, "en")]


@pytest.fixture
def desk(app: App, background: object) -> Desk:
    return Desk(app.services.officers, background)  # type: ignore[arg-type]


def north(point: Point, metres: float) -> Point:
    return Point(point.latitude + metres / 111_195, point.longitude)


async def new_lead(bank: BankAdapter, amount: str, district: str = "JINNIU") -> str:
    submission = LeadSubmission(
        applicant_name="张伟", phone="+8613911112222", district_code=district,
        industry_code="retail", amount=Decimal(amount), term_months=12,
        method=RepaymentMethod.EQUAL_INSTALLMENT, purpose="进货",
    )  # fmt: skip
    lead = await bank.submit_lead(submission, idempotency_key=f"visit-{amount}-{district}")
    return lead.id


async def claimed_with_visit(
    driver: ChatDriver, sms: RecordingSmsSender, bank: BankAdapter, desk: Desk,
    user: ChatUser, says: dict[str, str], amount: str = "50000", district: str = "JINNIU",
    book: bool = True,
) -> str:  # fmt: skip
    await bind(driver, sms, user, STAFF_CODES[user.user_id])
    lead_id = await new_lead(bank, amount, district)
    await desk.deliver()
    lead = await bank.get_lead(lead_id)
    assert lead.officer_id is not None
    await driver.press(user, says["claim"])
    if book:
        await driver.press(user, says["visit"])
        await driver.press(user, "#1")
        await driver.press(user, "10:00")
    return lead_id


@pytest.mark.parametrize(("user", "lang"), LANGUAGES)
async def test_a_check_in_too_far_is_refused_then_accepted_with_a_reason(
    driver: ChatDriver, sms: RecordingSmsSender, bank: BankAdapter, desk: Desk,
    user: ChatUser, lang: str,
) -> None:  # fmt: skip
    says = SAYS[lang]
    lead_id = await claimed_with_visit(driver, sms, bank, desk, user, says)

    await driver.press(user, says["check_in"])
    keyboard = [button for row in driver.session.chat(user.user_id).keyboard for button in row]
    assert keyboard[0].request_location
    far = north(JINNIU, 1500)
    await driver.share_location(user, far.latitude, far.longitude)
    refused = driver.last(user).text
    assert says["far"] in refused and says["limit"] in refused
    assert await bank.list_check_ins(lead_id) == []

    await driver.send(user, "店在市场后门，信号差")
    accepted = driver.last(user).text
    assert says["checked"] in accepted and "店在市场后门，信号差" in accepted
    [check_in] = await bank.list_check_ins(lead_id)
    assert not check_in.within_limit and check_in.distance_m == 1500
    assert check_in.reason == "店在市场后门，信号差"
    assert (await bank.get_lead(lead_id)).status is LeadStatus.VISITED
    assert driver.session.chat(user.user_id).keyboard == []


async def test_a_live_location_near_the_shop_checks_in_at_once(
    driver: ChatDriver, sms: RecordingSmsSender, bank: BankAdapter, desk: Desk
) -> None:
    says = SAYS["en"]
    lead_id = await claimed_with_visit(driver, sms, bank, desk, OFFICER_EN, says)
    await driver.press(OFFICER_EN, says["check_in"])
    near = north(JINNIU, 120)
    await driver.share_live_location(OFFICER_EN, near.latitude, near.longitude)

    assert "120 m from the district's centre" in driver.last(OFFICER_EN).text
    [check_in] = await bank.list_check_ins(lead_id)
    assert check_in.live and check_in.within_limit


@pytest.mark.parametrize(("user", "lang"), LANGUAGES)
async def test_a_live_location_too_far_checks_in_once_it_comes_within_the_limit(
    driver: ChatDriver, sms: RecordingSmsSender, bank: BankAdapter, desk: Desk,
    user: ChatUser, lang: str,
) -> None:  # fmt: skip
    says = SAYS[lang]
    lead_id = await claimed_with_visit(driver, sms, bank, desk, user, says)
    await driver.press(user, says["check_in"])
    far = north(JINNIU, 1500)
    shared = await driver.share_live_location(user, far.latitude, far.longitude)
    assert says["far"] in driver.last(user).text
    refusals = len(driver.seen(user))

    closer = north(JINNIU, 900)  # still too far: no new refusal, nothing recorded
    await driver.move_live_location(user, shared, closer.latitude, closer.longitude)
    near = north(JINNIU, 100)
    await driver.move_live_location(user, shared - 1, near.latitude, near.longitude)  # not it
    assert len(driver.seen(user)) == refusals and await bank.list_check_ins(lead_id) == []

    await driver.move_live_location(user, shared, near.latitude, near.longitude)
    assert says["checked"] in driver.last(user).text
    [check_in] = await bank.list_check_ins(lead_id)
    assert check_in.live and check_in.within_limit and check_in.distance_m == 100
    assert check_in.reason == ""
    await driver.move_live_location(user, shared, far.latitude, far.longitude)  # after: ignored
    assert len(await bank.list_check_ins(lead_id)) == 1


async def test_a_reason_after_the_live_location_moved_goes_with_the_latest_position(
    driver: ChatDriver, sms: RecordingSmsSender, bank: BankAdapter, desk: Desk
) -> None:
    says = SAYS["en"]
    lead_id = await claimed_with_visit(driver, sms, bank, desk, OFFICER_EN, says)
    await driver.press(OFFICER_EN, says["check_in"])
    far = north(JINNIU, 1500)
    shared = await driver.share_live_location(OFFICER_EN, far.latitude, far.longitude)
    closer = north(JINNIU, 800)
    await driver.move_live_location(OFFICER_EN, shared, closer.latitude, closer.longitude)

    await driver.send(OFFICER_EN, "The shop is behind the market")
    [check_in] = await bank.list_check_ins(lead_id)
    assert (check_in.distance_m, check_in.within_limit) == (800, False)
    assert check_in.reason == "The shop is behind the market"


async def test_check_in_waits_for_a_booked_visit(
    driver: ChatDriver, sms: RecordingSmsSender, bank: BankAdapter, desk: Desk
) -> None:
    says = SAYS["en"]
    lead_id = await claimed_with_visit(driver, sms, bank, desk, OFFICER_EN, says, book=False)
    buttons = [
        b.text for b in driver.session.chat(OFFICER_EN.user_id).last_with_buttons().flat_buttons()
    ]  # type: ignore[union-attr]
    assert "📷 Evidence" in buttons and "📍 Check in" not in buttons
    alert = await press_data(driver, OFFICER_EN, f"vc:in:{lead_id}:")
    assert alert == "Book the visit first; then check in at the business."


@pytest.mark.parametrize(("user", "lang"), LANGUAGES)
async def test_exif_kept_when_sent_as_a_file_and_missing_when_compressed(
    driver: ChatDriver, sms: RecordingSmsSender, bank: BankAdapter, desk: Desk, app: App,
    user: ChatUser, lang: str,
) -> None:  # fmt: skip
    says = SAYS[lang]
    lead_id = await claimed_with_visit(driver, sms, bank, desk, user, says)
    zone = app.services.officers.policy.calendar.zone
    taken = app.services.clock.now().astimezone(zone) - timedelta(minutes=10)
    camera = photo(taken_at=taken, place=north(JINNIU, 60), shade=11)

    await driver.press(user, says["evidence"])
    await driver.send_file(user, camera, "IMG_0001.jpg")
    assert says["kind_q"] in driver.last(user).text
    await driver.press(user, says["premises"])
    saved = driver.last(user).text
    assert says["ok"] in saved and says["camera"] in saved

    await driver.send_photo(user, camera)
    await driver.press(user, says["stock"])
    assert says["no_exif"] in driver.last(user).text

    await driver.press(user, says["done"])
    finished = [shown.text for shown in driver.seen(user) if says["finished"] in shown.text]
    assert finished and "2" in finished[0]
    verdicts = [document.exif_verdict for document in await bank.list_documents(lead_id)]
    assert verdicts == [ExifVerdict.OK, ExifVerdict.NO_EXIF]


async def test_an_unknown_file_is_refused_in_words(
    driver: ChatDriver, sms: RecordingSmsSender, bank: BankAdapter, desk: Desk
) -> None:
    says = SAYS["zh"]
    lead_id = await claimed_with_visit(driver, sms, bank, desk, OFFICER_ZH, says)
    await driver.press(OFFICER_ZH, says["evidence"])
    await driver.send_file(
        OFFICER_ZH, b"MZ\x90\x00 a program", "tool.exe", "application/x-msdownload"
    )
    await driver.press(OFFICER_ZH, says["premises"])

    assert says["type"] in driver.last(OFFICER_ZH).text
    assert await bank.list_documents(lead_id) == []


async def test_the_same_photo_on_two_leads_is_told_to_both_officers(
    driver: ChatDriver, sms: RecordingSmsSender, bank: BankAdapter, desk: Desk
) -> None:
    zh, en = SAYS["zh"], SAYS["en"]
    first = await claimed_with_visit(driver, sms, bank, desk, OFFICER_ZH, zh, book=False)
    second = await claimed_with_visit(
        driver, sms, bank, desk, OFFICER2_EN, en, amount="60000", district="WUHOU", book=False
    )
    assert (await bank.get_lead(second)).officer_id != (await bank.get_lead(first)).officer_id
    shop = photo(shade=99)

    await driver.press(OFFICER_ZH, zh["evidence"])
    await driver.send_file(OFFICER_ZH, shop, "shop.jpg")
    await driver.press(OFFICER_ZH, zh["premises"])
    await driver.press(OFFICER2_EN, en["evidence"])
    await driver.send_file(OFFICER2_EN, shop, "shop.jpg")
    await driver.press(OFFICER2_EN, en["premises"])

    told_second = driver.last(OFFICER2_EN).text
    assert f"The same file is on lead {first}." in told_second
    told_first = driver.last(OFFICER_ZH).text
    assert f"您的线索 {first} 上的一个文件" in told_first and second in told_first
    await press_data(driver, OFFICER_ZH, f"vc:ev:{first}:")  # the card's button, again
    assert f"🚩 线索 {second} 上有同一文件" in driver.last(OFFICER_ZH).text


@pytest.mark.parametrize(("user", "lang"), LANGUAGES)
async def test_the_checklist_ticked_with_a_note_and_taken_back(
    driver: ChatDriver, sms: RecordingSmsSender, bank: BankAdapter, desk: Desk,
    user: ChatUser, lang: str,
) -> None:  # fmt: skip
    says = SAYS[lang]
    lead_id = await claimed_with_visit(driver, sms, bank, desk, user, says, book=False)

    await driver.press(user, says["checklist"])
    assert says["open"] in driver.last(user).text
    await driver.press(user, says["tax"])
    await driver.send(user, "近6个月完税凭证齐全")
    shown = driver.last(user).text
    assert f"✅ {says['tax']} * — 近6个月完税凭证齐全" in shown and says["open_after"] in shown
    checklist = await bank.get_checklist(lead_id)
    assert [item.note for item in checklist.items if item.code == "tax"] == ["近6个月完税凭证齐全"]

    await driver.press(user, says["tax"])
    await driver.press(user, "↩️")
    assert says["open"] in driver.last(user).text
    assert "tax" in {item.code for item in (await bank.get_checklist(lead_id)).missing}


async def test_forged_visit_buttons_are_refused_and_change_nothing(
    driver: ChatDriver, sms: RecordingSmsSender, bank: BankAdapter, desk: Desk
) -> None:
    zh, en = SAYS["zh"], SAYS["en"]
    first = await claimed_with_visit(driver, sms, bank, desk, OFFICER_ZH, zh)
    second = await claimed_with_visit(
        driver, sms, bank, desk, OFFICER2_EN, en, amount="60000", district="WUHOU"
    )
    stranger = ChatUser("stranger", 5099, "Stranger", "en", "+8613900000099")

    for data in (f"vc:in:{first}:", f"vc:ev:{first}:", f"vc:cl:{first}:", f"vc:plain:{first}:tax"):
        assert await press_data(driver, OFFICER2_EN, data) == en["not_yours"], data
    assert "/officer" in (await press_data(driver, stranger, f"vc:in:{first}:") or "")

    await driver.press(OFFICER_ZH, zh["evidence"])
    await driver.send_file(OFFICER_ZH, photo(shade=5), "a.jpg")
    key = driver.last(OFFICER_ZH).flat_buttons()[0].callback_data.split(":")[-1].split("-")[0]  # type: ignore[union-attr]
    assert zh["expired"] in (
        await press_data(driver, OFFICER_ZH, f"vc:kind:{first}:9999-premises") or ""
    )
    assert zh["expired"] in (
        await press_data(driver, OFFICER_ZH, f"vc:kind:{second}:{key}-premises") or ""
    )
    out_of_date = "此按钮已失效。"
    for data in (f"vc:kind:{first}:{key}-lazy", f"vc:item:{first}:bogus", f"vc:plain:{first}:bogus",
                 "vc:nonsense", f"vc:in:{first}/../x:"):  # fmt: skip
        assert await press_data(driver, OFFICER_ZH, data) == out_of_date, data

    assert await bank.list_documents(first) == [] and await bank.list_documents(second) == []
    assert await bank.list_check_ins(first) == []
    assert (await bank.get_checklist(first)).missing == (await bank.get_checklist(second)).missing
    assert all(not item.ticked for item in (await bank.get_checklist(first)).items)


async def test_a_check_in_is_measured_from_where_the_merchant_shared_the_shop(
    driver: ChatDriver, sms: RecordingSmsSender, bank: BankAdapter, desk: Desk
) -> None:
    shop = north(JINNIU, 2000)  # in 金牛区, 2 km from its centre
    await start_application(driver, CHEN)
    await driver.send(CHEN, SOUND["name"])
    await driver.press(CHEN, seen_by(CHEN, SOUND["industry"]))
    await driver.share_location(CHEN, shop.latitude, shop.longitude)
    assert "📍 最近的区：金牛区" in texts(driver, CHEN)
    await answer_rest(driver, CHEN)
    await driver.press(CHEN, "#7")  # submit
    lead = await bank.get_lead(reference_of(driver, CHEN))
    assert lead.details["location"] == {"latitude": shop.latitude, "longitude": shop.longitude}

    await bind(driver, sms, OFFICER_EN, seed.OFFICER_STAFF_CODE)
    await desk.deliver()
    await driver.press(OFFICER_EN, "Claim", message_id=card_message(driver, OFFICER_EN, lead.id))
    await driver.press(OFFICER_EN, "Book visit")
    await driver.press(OFFICER_EN, "#1")
    await driver.press(OFFICER_EN, "10:00")
    await driver.press(OFFICER_EN, "Check in")
    near = north(shop, -50)
    await driver.share_location(OFFICER_EN, near.latitude, near.longitude)

    assert "50 m from the location the merchant shared" in driver.last(OFFICER_EN).text


async def answer_rest(driver: ChatDriver, user: ChatUser) -> None:
    """After the district, the sound answers (as `answer_all` gives them)."""
    await driver.send(user, SOUND["months_operating"])
    await driver.send(user, SOUND["employees"])
    await driver.press(user, "#1")  # premises owned
    for key in ("daily_sales", "monthly_sales", "monthly_costs", "household_spending"):
        await driver.send(user, SOUND[key])
    await driver.press(user, "#1")  # assets: home
    await driver.press(user, "#4")  # done
    for key in ("debt_payments", "cards", "amount", "months"):
        await driver.send(user, SOUND[key])
    await driver.press(user, "#1")  # equal installments
    await driver.send(user, SOUND["purpose"])
    await driver.press(user, "#2")  # guarantor: spouse
    await driver.press(user, "#1")  # call in the morning


def card_message(driver: ChatDriver, user: ChatUser, lead_id: str) -> int:
    return next(
        s.message_id for s in reversed(driver.seen(user)) if lead_id in s.text and s.buttons
    )
