"""Invoicing benchmark: how long issuing an invoice takes (number, totals, the PDF and its
Factur-X e-invoice checked against the XSD, stored), one after another and from several
threads at once on one gapless series; rendering alone; and listing every invoice with
what is owed on it.

On a fresh SQLite database in a temp folder it prints the milliseconds per invoice
(median and p95) sequentially, the invoices per second with ``--threads`` issuing at
once (and that the numbers have no gap), and the render time of the PDF and of the
e-invoice PDF without the database, and the time to list every invoice issued with its
status and what is owed, one invoice at a time and as one list (the receivables page).

    python bench/invoicing.py [--invoices 60] [--threads 4]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import defer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from interpreta.accounts.models import Organisation
from interpreta.billing import contracts, invoices
from interpreta.billing.einvoice import factur_x_pdf
from interpreta.billing.invoices import LineInput
from interpreta.billing.models import Invoice
from interpreta.billing.pdf import render_pdf
from interpreta.clock import SystemClock
from interpreta.config import Settings
from interpreta.platform import Platform

LINES = (
    LineInput("Plan Standard, December 2026", Decimal(1), "MON", Decimal("490")),
    LineInput("Listener hours over the plan", Decimal("312.5"), "HUR", Decimal("0.40")),
    LineInput("Interpreter hours over the plan", Decimal(6), "HUR", Decimal(45)),
)


def _p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--invoices", type=int, default=60)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="interpreta-invoicing-bench-"))
    settings = Settings(data_dir=data_dir, _env_file=None)  # type: ignore[call-arg]
    platform = Platform.start(settings, clock=SystemClock())
    with platform.transaction() as db:
        organisation = Organisation(
            name="Bench Konferenzen GmbH",
            billing_contact_name="Bea Bench",
            billing_contact_email="bea@example.org",
            plan="standard",
            created_at=platform.clock.now(),
        )
        db.add(organisation)
        db.flush()
        contracts.set_billing_address(
            db,
            organisation,
            street="Musterweg 1",
            postcode="50667",
            city="Köln",
            country="DE",
            vat_id=None,
            language="de",
            now=platform.clock.now(),
        )
        organisation_id = organisation.id

    def issue() -> float:
        started = time.perf_counter()
        with platform.transaction() as db:
            found = db.get(Organisation, organisation_id)
            assert found is not None
            invoices.issue(db, settings, found, LINES, now=platform.clock.now())
        return (time.perf_counter() - started) * 1000

    sequential = [issue() for _ in range(args.invoices)]
    started = time.perf_counter()
    with ThreadPoolExecutor(args.threads) as pool:
        list(pool.map(lambda _n: issue(), range(args.invoices)))
    concurrent = time.perf_counter() - started
    with platform.sessions() as db:
        numbers = sorted(int(n.split("-")[1]) for n in db.scalars(select(Invoice.number)))
        sample = db.scalars(select(Invoice)).first()
        assert sample is not None
        document = invoices.document_of(db, settings, sample)
    gapless = numbers == list(range(1, 2 * args.invoices + 1))
    renders = []
    for _ in range(10):
        started = time.perf_counter()
        render_pdf(document)
        renders.append((time.perf_counter() - started) * 1000)
    facturx = []
    for _ in range(10):
        started = time.perf_counter()
        factur_x_pdf(document)
        facturx.append((time.perf_counter() - started) * 1000)
    print(
        f"issue, one at a time: median {statistics.median(sequential):.0f} ms, "
        f"p95 {_p95(sequential):.0f} ms ({args.invoices} invoices)"
    )
    print(
        f"issue, {args.threads} threads at once: {args.invoices / concurrent:.1f} invoices/s; "
        f"numbers 1..{len(numbers)} without a gap: {gapless}"
    )
    print(
        f"render the PDF alone: median {statistics.median(renders):.0f} ms; "
        f"with the e-invoice (XSD, PDF/A-3): median {statistics.median(facturx):.0f} ms"
    )
    print(f"document size: {len(sample.pdf) / 1024:.0f} KiB")
    today = platform.clock.now().date()
    with platform.sessions() as db:
        listed = db.scalars(select(Invoice).options(defer(Invoice.pdf))).all()
        started = time.perf_counter()
        one_by_one = [(invoices.status(db, i, today), invoices.outstanding(db, i)) for i in listed]
        single = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        standing = invoices.standings(db, listed, today)
        together = (time.perf_counter() - started) * 1000
    assert [(s.status, s.outstanding) for s in standing.values()] == one_by_one
    print(
        f"list {len(listed)} invoices with their standing: one at a time {single:.0f} ms, "
        f"as one list {together:.0f} ms"
    )
    platform.close()


if __name__ == "__main__":
    main()
