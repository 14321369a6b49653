"""Invoice numbers: one gapless series a year, under concurrent issuing and failures."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import select

from interpreta.billing import invoices
from interpreta.billing.invoices import LineInput
from interpreta.billing.models import Invoice
from interpreta.billing.numbering import format_number, next_number
from interpreta.clock import FrozenClock
from interpreta.platform import Platform
from tests.billing.conftest import Customer
from tests.billing.test_invoices import HOURS

THREADS = 4
EACH = 5


class Abandoned(Exception):
    """A transaction given up after its invoice took a number."""


def test_numbers_count_up_and_start_again_each_year(
    platform: Platform, customer: Customer, clock: FrozenClock
) -> None:
    customer.address("DE")
    first, second = customer.invoice(), customer.invoice()
    year = clock.now().year
    assert [customer.issued(n).number for n in (first, second)] == [
        f"{year}-00001",
        f"{year}-00002",
    ]
    clock.advance(timedelta(days=366))
    assert customer.issued(customer.invoice()).number == f"{year + 1}-00001"
    assert format_number(2031, 123456) == "2031-123456"


def test_a_rolled_back_number_is_used_again(platform: Platform) -> None:
    with platform.transaction() as db:
        assert next_number(db, 2027) == "2027-00001"
    try:
        with platform.transaction() as db:
            assert next_number(db, 2027) == "2027-00002"
            raise Abandoned
    except Abandoned:
        pass
    with platform.transaction() as db:
        assert next_number(db, 2027) == "2027-00002"


def test_concurrent_issuing_leaves_no_gap(platform: Platform, customer: Customer) -> None:
    """Threads issue at once, and every third transaction fails after its invoice took a
    number: the numbers kept are 1 to n, each once."""
    customer.address("DE")

    def issue(worker: int) -> int:
        kept = 0
        for n in range(EACH):
            try:
                with platform.transaction() as db:
                    invoices.issue(
                        db,
                        platform.settings,
                        customer.organisation(db),
                        [
                            LineInput(
                                f"Worker {worker}, item {n}",
                                HOURS.quantity,
                                "HUR",
                                HOURS.unit_price,
                            )
                        ],
                        now=platform.clock.now(),
                    )
                    if (worker + n) % 3 == 0:
                        raise Abandoned
                kept += 1
            except Abandoned:
                pass
        return kept

    with ThreadPoolExecutor(THREADS) as pool:
        kept = sum(pool.map(issue, range(THREADS)))
    with platform.sessions() as db:
        numbers = db.scalars(select(Invoice.number)).all()
    year = platform.clock.now().year
    assert 0 < kept < THREADS * EACH
    assert sorted(numbers) == [format_number(year, n) for n in range(1, kept + 1)]
