"""The operator's billing (P08, P10, P11): plans, contracts and their closure, billing
addresses, invoices and credit notes in one gapless series a year with VAT (the EU's
reverse charge included), rendered as PDF with an EN 16931 e-invoice inside (Factur-X),
and payments known by their processor's reference."""
