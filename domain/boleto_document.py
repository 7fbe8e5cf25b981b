"""The printable second copy of a boleto: the slip's fields, digitable line and barcode as a PDF."""

from __future__ import annotations

import io

from reportlab.graphics.barcode.common import I2of5
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm, mm
from reportlab.pdfgen.canvas import Canvas

from domain.actions.portal import SecondCopy
from domain.contract_document import brl
from domain.i18n import _


def boleto_pdf(copy: SecondCopy) -> bytes:
    """One A4 page: the payer's receipt fields, the digitable line and the ITF barcode."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=True)  # invariant: same bytes for same data
    receivable, customer = copy.receivable, copy.customer
    width, height = A4
    top = height - 2 * cm
    canvas.setFont("Helvetica-Bold", 14)
    canvas.drawString(2 * cm, top, f"{copy.bank.code} | {copy.bank.name}")
    canvas.setFont("Helvetica-Bold", 11)
    canvas.drawRightString(width - 2 * cm, top, copy.slip.digitable_line)
    canvas.setFont("Helvetica", 10)
    lines = [
        _("Payer: {payer}", payer=f"{customer.name} - {customer.document}"),
        _("Description: {description}", description=receivable.description),
        _("Due date: {due_date:%Y-%m-%d}", due_date=receivable.due_date),
        _("Document amount: R$ {amount}", amount=brl(receivable.amount)),
        _("Our number: {our_number}", our_number=copy.our_number),
        _("Place of payment: payable at any bank until the due date."),
        _("Second copy"),
    ]
    y = top - 1.2 * cm
    for line in lines:
        canvas.drawString(2 * cm, y, str(line))
        y -= 0.7 * cm
    barcode = I2of5(
        copy.slip.barcode, barWidth=0.33 * mm, ratio=3, barHeight=13 * mm, checksum=0, bearers=0
    )
    barcode.drawOn(canvas, 2 * cm, y - 1.5 * cm)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
