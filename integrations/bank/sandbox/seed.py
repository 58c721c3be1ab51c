"""Demo and test data for a fresh sandbox: Chengdu merchants, officers and their supervisor.

History (deposits, a payout, spending, repayments) is posted through the same operations
the bank uses, at past times relative to the clock, so balances, statements and schedules
are consistent: the merchant has a payment due within the next month, the second customer
is about 40 days overdue.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal

from integrations.bank.models import (
    Biller,
    BillPaymentRequest,
    District,
    Industry,
    LoanProduct,
    LocalizedName,
    RepaymentMethod,
    RepaymentRequest,
    RepaymentTerms,
    StaffRole,
    TaskKind,
    TransferRequest,
)
from integrations.bank.money import to_fen
from integrations.bank.sandbox import admin, fieldwork, loans, payments, repayments
from integrations.bank.sandbox.binding import bind_directly
from integrations.bank.sandbox.committee_seed import seed_committees
from integrations.bank.sandbox.context import Context, SandboxConfig
from integrations.bank.sandbox.tasks import create_task

MERCHANT_PHONE = "+8613800000001"
OVERDUE_CUSTOMER_PHONE = "+8613800000002"
CUSTOMER_WITHOUT_LOAN_PHONES = ("+8613800000003", "+8613800000004", "+8613800000005")
NEWCOMER_PHONE = "+8613800000009"  # not a customer of the bank
MERCHANT_CHAT_USER_ID = 10001  # the demo's merchant, bound at seeding

OFFICER_STAFF_CODE = "K001"
OFFICER2_STAFF_CODE = "K002"
SUPERVISOR_STAFF_CODE = "S001"
OFFICER_PHONE = "+8613800000101"
OFFICER2_PHONE = "+8613800000102"
SUPERVISOR_PHONE = "+8613800000900"

NORTH, SOUTH, HEADQUARTERS = "CD-N", "CD-S", "HQ"
RETAIL_TEAM, FOOD_TEAM = "RETAIL", "FOOD"
PAYEE_ALIAS = "张三"
PAYEE_ACCOUNT = "6217000010001234"
NEW_PAYEE_ALIAS = "李四"  # saved but never paid: the first payment gets the lower limit
NEW_PAYEE_ACCOUNT = "6217000010005678"
ELECTRICITY_BILL_ACCOUNT = "1234567"
MICRO_LOAN = "MICRO"


def _names(en: str, ru: str) -> list[LocalizedName]:
    return [LocalizedName(locale="en", name=en), LocalizedName(locale="ru", name=ru)]


DISTRICTS = (
    District(code="JINNIU", name="金牛区", names=_names("Jinniu District", "район Цзиньню"),
             city="成都市", province="四川省", territory_code=NORTH,
             latitude=30.6913, longitude=104.0516),
    District(code="CHENGHUA", name="成华区", names=_names("Chenghua District", "район Чэнхуа"),
             city="成都市", province="四川省", territory_code=NORTH,
             latitude=30.6599, longitude=104.1015),
    District(code="WUHOU", name="武侯区", names=_names("Wuhou District", "район Ухоу"),
             city="成都市", province="四川省", territory_code=SOUTH,
             latitude=30.6421, longitude=104.0432),
    District(code="JINJIANG", name="锦江区", names=_names("Jinjiang District", "район Цзиньцзян"),
             city="成都市", province="四川省", territory_code=SOUTH,
             latitude=30.6566, longitude=104.0834),
    District(code="QINGYANG", name="青羊区", names=_names("Qingyang District", "район Цинъян"),
             city="成都市", province="四川省", territory_code=SOUTH,
             latitude=30.6740, longitude=104.0614),
)  # fmt: skip
INDUSTRIES = (
    Industry(code="retail", name="零售", names=_names("Retail", "Розничная торговля"),
             team_code=RETAIL_TEAM),
    Industry(code="wholesale", name="批发", names=_names("Wholesale", "Оптовая торговля"),
             team_code=RETAIL_TEAM),
    Industry(code="manufacturing", name="加工制造", names=_names("Manufacturing", "Производство"),
             team_code=RETAIL_TEAM),
    Industry(code="catering", name="餐饮", names=_names("Catering", "Общепит"),
             team_code=FOOD_TEAM),
    Industry(code="services", name="生活服务", names=_names("Everyday services", "Бытовые услуги"),
             team_code=FOOD_TEAM),
    Industry(code="farm_produce", name="农副产品", names=_names("Farm produce", "Сельхозпродукция"),
             team_code=FOOD_TEAM),
)  # fmt: skip
BILLERS = (
    Biller(code="ELEC", name="电费", names=_names("electricity", "электричество"),
           bill_account_pattern=r"[0-9]{7,12}"),
    Biller(code="WATER", name="水费", names=_names("water", "вода"),
           bill_account_pattern=r"[0-9]{7,12}"),
    Biller(code="GAS", name="燃气", names=_names("gas", "газ"),
           bill_account_pattern=r"[0-9]{7,12}"),
    Biller(code="PHONE", name="话费", names=_names("phone", "телефон"),
           bill_account_pattern=r"1[0-9]{10}"),
)  # fmt: skip
EXTERNAL_ACCOUNTS = (
    (PAYEE_ACCOUNT, "张三"),
    (NEW_PAYEE_ACCOUNT, "李四"),
    ("6217000010009012", "成都鑫源商贸有限公司"),
)


def micro_loan_product(
    annual_rate: Decimal, repayment: RepaymentTerms | None = None
) -> LoanProduct:
    return LoanProduct(
        code=MICRO_LOAN,
        name="小微商户经营贷",
        min_amount=Decimal("5000.00"),
        max_amount=Decimal("500000.00"),
        min_term_months=1,
        max_term_months=24,
        annual_rate=annual_rate,
        allowed_methods=list(RepaymentMethod),
        repayment=repayment or RepaymentTerms(),
    )


@dataclass(frozen=True)
class SeededWorld:
    merchant_id: str
    merchant_account_id: str
    merchant_loan_id: str
    overdue_customer_id: str
    overdue_loan_id: str
    customers_without_loans: tuple[str, ...]
    officer_id: str
    officer2_id: str
    supervisor_id: str


@dataclass(frozen=True)
class Staff:
    officer_id: str
    officer2_id: str
    supervisor_id: str


def is_seeded(connection: sqlite3.Connection) -> bool:
    return connection.execute("SELECT 1 FROM products LIMIT 1").fetchone() is not None


def seed_if_empty(connection: sqlite3.Connection, context: Context) -> SeededWorld | None:
    return None if is_seeded(connection) else seed(connection, context)


def seed(connection: sqlite3.Connection, context: Context) -> SeededWorld:
    """Fill a fresh sandbox database; run it as one transaction (`SandboxBank.run`)."""
    _reference_data(connection, context.config)
    fieldwork.seed_fieldwork(connection, context.config.product_code)
    staff = _staff(connection)
    seed_committees(connection, context.config, HEADQUARTERS, RETAIL_TEAM)
    merchant_id, account_id, loan_id = _merchant(connection, context, staff.officer_id)
    overdue_id, overdue_loan_id = _overdue_customer(connection, context, staff.officer_id)
    customers_without_loans = _customers_without_loans(connection, context, staff)
    connection.execute("DELETE FROM bank_events")  # history is in the ledger, not news
    return SeededWorld(
        merchant_id=merchant_id,
        merchant_account_id=account_id,
        merchant_loan_id=loan_id,
        overdue_customer_id=overdue_id,
        overdue_loan_id=overdue_loan_id,
        customers_without_loans=customers_without_loans,
        officer_id=staff.officer_id,
        officer2_id=staff.officer2_id,
        supervisor_id=staff.supervisor_id,
    )


def _reference_data(connection: sqlite3.Connection, config: SandboxConfig) -> None:
    admin.open_bank_accounts(connection)
    admin.add_territory(connection, NORTH, "成都北片")
    admin.add_territory(connection, SOUTH, "成都南片")
    admin.add_territory(connection, HEADQUARTERS, "总部")
    for district in DISTRICTS:
        admin.add_district(connection, district)
    admin.add_industry_team(connection, RETAIL_TEAM, "零售批发组")
    admin.add_industry_team(connection, FOOD_TEAM, "餐饮服务组")
    for industry in INDUSTRIES:
        admin.add_industry(connection, industry)
    for biller in BILLERS:
        admin.add_biller(connection, biller)
    for number, holder in EXTERNAL_ACCOUNTS:
        admin.add_external_account(connection, number, holder)
    admin.add_product(
        connection, micro_loan_product(config.product_annual_rate, config.product_repayment)
    )


def _staff(connection: sqlite3.Connection) -> Staff:
    supervisor_id = admin.add_officer(
        connection,
        staff_code=SUPERVISOR_STAFF_CODE,
        name="赵主管",
        phone=SUPERVISOR_PHONE,
        territory_code=HEADQUARTERS,
        team_code=RETAIL_TEAM,
        role=StaffRole.SUPERVISOR,
    )
    officer_id = admin.add_officer(
        connection,
        staff_code=OFFICER_STAFF_CODE,
        name="李经理",
        phone=OFFICER_PHONE,
        territory_code=NORTH,
        team_code=RETAIL_TEAM,
        supervisor_id=supervisor_id,
    )
    officer2_id = admin.add_officer(
        connection,
        staff_code=OFFICER2_STAFF_CODE,
        name="王经理",
        phone=OFFICER2_PHONE,
        territory_code=SOUTH,
        team_code=FOOD_TEAM,
        supervisor_id=supervisor_id,
    )
    return Staff(officer_id, officer2_id, supervisor_id)


def _days_ago(context: Context, days: int) -> Context:
    return replace(context, now=context.now - timedelta(days=days))


def _merchant(
    connection: sqlite3.Connection, context: Context, officer_id: str
) -> tuple[str, str, str]:
    customer_id, account_id = admin.add_customer(
        connection,
        name="陈小梅",
        phone=MERCHANT_PHONE,
        district_code="JINNIU",
        industry_code="retail",
        officer_id=officer_id,
    )
    admin.add_payee(connection, customer_id, PAYEE_ALIAS, PAYEE_ACCOUNT)
    admin.add_payee(connection, customer_id, NEW_PAYEE_ALIAS, NEW_PAYEE_ACCOUNT)
    bind_directly(connection, context, MERCHANT_CHAT_USER_ID, customer_id)
    admin.deposit(connection, _days_ago(context, 60), account_id, Decimal("6000"))
    loan_id = _payout(
        connection, _days_ago(context, 45), customer_id, account_id, officer_id, Decimal("30000")
    )
    admin.withdraw(connection, _days_ago(context, 44), account_id, Decimal("25000"))
    payments.transfer(
        connection,
        _days_ago(context, 43),
        TransferRequest(
            customer_id=customer_id, destination=PAYEE_ALIAS, amount=Decimal("3000"), memo="货款"
        ),
    )
    payments.pay_bill(
        connection,
        _days_ago(context, 20),
        BillPaymentRequest(
            customer_id=customer_id,
            biller_code="ELEC",
            bill_account=ELECTRICITY_BILL_ACCOUNT,
            amount=Decimal("236.50"),
        ),
    )
    _repay_next_installment(connection, _days_ago(context, 18), customer_id, loan_id)
    create_task(
        connection,
        officer_id,
        TaskKind.MONTHLY_MONITORING,
        loan_id,
        customer_id,
        context.today + timedelta(days=3),
    )
    return customer_id, account_id, loan_id


def _overdue_customer(
    connection: sqlite3.Connection, context: Context, officer_id: str
) -> tuple[str, str]:
    customer_id, account_id = admin.add_customer(
        connection,
        name="刘大勇",
        phone=OVERDUE_CUSTOMER_PHONE,
        district_code="CHENGHUA",
        industry_code="catering",
        officer_id=officer_id,
    )
    admin.deposit(connection, _days_ago(context, 140), account_id, Decimal("2000"))
    loan_id = _payout(
        connection, _days_ago(context, 130), customer_id, account_id, officer_id, Decimal("50000")
    )
    admin.withdraw(connection, _days_ago(context, 129), account_id, Decimal("49500"))
    for days_ago in (102, 72):  # the first two installments, paid in cash just before due
        admin.deposit(connection, _days_ago(context, days_ago), account_id, Decimal("4500"))
        _repay_next_installment(connection, _days_ago(context, days_ago), customer_id, loan_id)
    return customer_id, loan_id


def _customers_without_loans(
    connection: sqlite3.Connection, context: Context, staff: Staff
) -> tuple[str, ...]:
    people = (
        ("周敏", "WUHOU", "catering", staff.officer2_id, Decimal("1200")),
        ("吴刚", "JINJIANG", "retail", None, Decimal("800")),
        ("郑丽", "QINGYANG", "services", None, Decimal("3000")),
    )
    customer_ids = []
    for phone, (name, district, industry, officer_id, balance) in zip(
        CUSTOMER_WITHOUT_LOAN_PHONES, people, strict=True
    ):
        customer_id, account_id = admin.add_customer(
            connection,
            name=name,
            phone=phone,
            district_code=district,
            industry_code=industry,
            officer_id=officer_id,
        )
        admin.deposit(connection, _days_ago(context, 30), account_id, balance)
        customer_ids.append(customer_id)
    return tuple(customer_ids)


def _payout(
    connection: sqlite3.Connection,
    context: Context,
    customer_id: str,
    account_id: str,
    officer_id: str,
    principal: Decimal,
) -> str:
    return loans.create_loan(
        connection, context, loans.NewLoan(
            customer_id, account_id, officer_id, to_fen(principal),
            context.config.product_annual_rate, term_months=12,
        ),
    )  # fmt: skip


def _repay_next_installment(
    connection: sqlite3.Connection, context: Context, customer_id: str, loan_id: str
) -> None:
    next_due = loans.get_loan(connection, context, loan_id).next_due
    if next_due is None:
        raise RuntimeError(f"seeded loan {loan_id} has nothing left to repay")
    repayments.repay(
        connection,
        context,
        RepaymentRequest(customer_id=customer_id, loan_id=loan_id, amount=next_due.amount),
    )
