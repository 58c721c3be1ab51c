"""Wording a product owner stopped on: Chinese sentences run on without ASCII spaces and
take full-width colons, a bare money command says what is missing with an example, /forget
words what the bank keeps in the user's language; in zh_Hans, en and ru."""

from __future__ import annotations

import pytest

from bot.demo.driver import ChatDriver, ChatUser
from integrations.bank.sandbox import seed
from integrations.sms.outbound import RecordingSmsSender
from tests.test_accounts_journeys import LIU_EN, latest_code
from tests.test_application_journeys import answer_all, start_application

MERCHANT = {
    language: ChatUser("merchant", seed.MERCHANT_CHAT_USER_ID, name, language, seed.MERCHANT_PHONE)
    for language, name in (("zh-hans", "陈小梅"), ("en", "Mei"), ("ru", "Мэй"))
}


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("zh-hans", "超过单笔限额。当前最多可付 ¥50,000.00。未发生任何扣款。"),
        (
            "en",
            "That is above the limit per transaction. You can send up to CN¥50,000.00 now. "
            "Nothing was sent.",
        ),
        (
            "ru",
            "Это выше лимита на одну операцию. Сейчас можно отправить не больше "
            "50\xa0000,00\xa0CN¥. Деньги не отправлены.",
        ),
    ],
)
async def test_sentences_of_a_refusal_follow_each_language(
    driver: ChatDriver, language: str, said: str
) -> None:
    await driver.send(MERCHANT[language], "ZZ 张三 999999")
    assert driver.last(MERCHANT[language]).text == said


@pytest.mark.parametrize(
    ("language", "balances", "missing"),
    [
        (
            "zh-hans",
            "余额：\n****0001 活期结算户：¥5,098.04",
            {
                "ZZ": "请在 ZZ 后面写上收款人和金额。\n示例：ZZ 张三 100",
                "ZZ 张三": "请在收款人后面写上金额。\n示例：ZZ 张三 100",
                "QR": "请在 QR 后面写上短信中的 6 位验证码。\n示例：QR 123456",
            },
        ),
        (
            "en",
            "Balances:\n****0001 current: CN¥5,098.04",
            {
                "ZZ": "Write whom to pay and how much after ZZ.\nExample: ZZ 张三 100",
                "JF": "Write the biller, the bill account and the amount after JF.\n"
                "Example: JF ELEC 1234567 236.50",
                "HK": "Write the amount after HK, or ALL to repay everything.\nExample: HK 500",
            },
        ),
        (
            "ru",
            "Остатки:\n****0001 текущий: 5\xa0098,04\xa0CN¥",
            {
                "ZZ": "Напишите после ZZ, кому и сколько перевести.\nПример: ZZ 张三 100",
                "转账 张三": "Напишите сумму после получателя.\nПример: ZZ 张三 100",
                "CZ": "Напишите сумму после CZ.\nПример: CZ 50",
            },
        ),
    ],
)
async def test_a_command_without_its_parts_says_what_to_write(
    driver: ChatDriver,
    sms: RecordingSmsSender,
    language: str,
    balances: str,
    missing: dict[str, str],
) -> None:
    user = MERCHANT[language]
    await driver.send(user, "YE")
    assert driver.last(user).text == balances
    for text, said in missing.items():
        await driver.send(user, text)
        assert driver.last(user).text == said, text
    assert sms.messages_to(user.phone) == []


async def test_forget_words_what_the_bank_keeps_in_each_language(
    driver: ChatDriver, sms: RecordingSmsSender
) -> None:
    olga = ChatUser("olga", 6004, "Ольга", "ru", seed.CUSTOMER_WITHOUT_LOAN_PHONES[1])
    for user in (LIU_EN, olga):
        await driver.send(user, "/balance")
        await driver.share_contact(user)
        await driver.send(user, latest_code(sms, user))
    kept = {
        MERCHANT["zh-hans"]: "已完成，我保存的您的信息已全部删除。\n"
        "银行依法必须保留：\n• 您的客户档案、账户和交易记录",
        LIU_EN: "Done. I have deleted everything I kept about you.\n"
        "The bank must keep by law:\n• your customer record, accounts and transactions",
        olga: "Готово. Я удалил всё, что о вас хранил.\n"
        "Банк обязан хранить по закону:\n• ваша карточка клиента, счета и операции",
    }
    for user, said in kept.items():
        await driver.send(user, "/forget")
        await driver.press(user, "#1")
        assert driver.last(user).text == said


async def test_the_summary_takes_full_width_colons_and_russian_units(driver: ChatDriver) -> None:
    chen = ChatUser("chen", 5301, "陈", "zh-hans", "+8613880000301")
    olga = ChatUser("olga", 5302, "Ольга", "ru", "+8613800000302")
    for user, months_operating in ((chen, "3年"), (olga, "3 года")):
        await start_application(driver, user)
        await answer_all(
            driver, user, industry="#1", district="#1", months_operating=months_operating
        )
    chinese = driver.last(chen).text
    assert "平日营业额：¥3,000.00" in chinese and "日常日" not in chinese
    assert ": " not in chinese
    assert "Работает: 36 месяцев" in driver.last(olga).text
