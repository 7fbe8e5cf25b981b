"""The printable service contract (manual 001, 5.4.1.1.1.2): the template filled in, as a PDF.

The template's body (catalog, "modelo") names fields in braces, e.g. `{contract_number}`; only
the names below are filled, anything else is left as written.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer
from sqlalchemy.ext.asyncio import AsyncSession

from domain.actions.plan_common import require_for_plan
from domain.errors import NotFound
from domain.i18n import Message, _
from domain.identity import Identity, Permission
from domain.models import Address, ContractTemplate, Customer, Plan, PlanOffer
from domain.models.enums import CustomerKind
from domain.reads import plans as reads

_FIELD = re.compile(r"\{([a-z_]+)\}")


def _day() -> str:
    """How a date is written in the reader's language (a strftime format)."""
    return str(_("%Y-%m-%d"))


def brl(amount: Decimal) -> str:
    """An amount as written in Brazil: 1.234,56."""
    text = f"{amount:,.2f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def format_document(kind: CustomerKind, document: str) -> str:
    if kind is CustomerKind.PERSON and len(document) == 11:
        return f"{document[:3]}.{document[3:6]}.{document[6:9]}-{document[9:]}"
    if len(document) == 14:
        return f"{document[:2]}.{document[2:5]}.{document[5:8]}/{document[8:12]}-{document[12:]}"
    return document


def fill(body: str, values: dict[str, str]) -> str:
    """The template with each known `{name}` replaced; unknown names stay as written."""
    return _FIELD.sub(lambda match: values.get(match.group(1), match.group(0)), body)


def render_pdf(title: str, text: str) -> bytes:
    """A one-column A4 PDF of `text`, one paragraph per line; the same input gives the same
    bytes (reportlab's invariant mode), so documents can be compared and cached."""
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=title,
        author="ISP gateway",
        leftMargin=2.5 * cm,
        rightMargin=2.5 * cm,
        topMargin=2.5 * cm,
        bottomMargin=2.5 * cm,
        invariant=1,
    )
    styles = getSampleStyleSheet()
    story: list[object] = [Paragraph(escape(title), styles["Title"]), Spacer(1, 0.5 * cm)]
    for line in text.splitlines():
        story.append(Paragraph(escape(line) or "&nbsp;", styles["BodyText"]))
    document.build(story)
    return buffer.getvalue()


def _address(address: Address | None) -> str:
    if address is None:
        return ""
    complement = f", {address.complement}" if address.complement else ""
    return (
        f"{address.street}, {address.number}{complement} - {address.district}, "
        f"{address.city}/{address.state}, CEP {address.cep[:5]}-{address.cep[5:]}"
    )


async def contract_pdf(session: AsyncSession, *, plan_id: int, actor: Identity) -> bytes:
    """The plan's contract as a PDF; staff with PLAN_ADMIN or the plan's own subscriber."""
    plan = await session.get(Plan, plan_id)
    if plan is None:
        raise NotFound("Plan", plan_id)
    require_for_plan(actor, plan, Permission.PLAN_ADMIN)
    contract = await reads.contract_of_plan(session, plan.id)
    if contract is None:
        raise NotFound("Contract", plan_id)
    template = (
        await session.get(ContractTemplate, contract.template_id)
        if contract.template_id is not None
        else None
    )
    customer = await session.get(Customer, plan.customer_id)
    offer = await session.get(PlanOffer, plan.offer_id)
    assert customer is not None and offer is not None  # foreign keys guarantee them
    values = {
        "contract_number": contract.number,
        "customer_name": customer.name,
        "document_kind": "CPF" if customer.kind is CustomerKind.PERSON else "CNPJ",
        "document": format_document(customer.kind, customer.document),
        "offer_name": offer.name,
        "price": brl(offer.price),
        "validity_months": str(contract.validity_months),
        "sale_date": f"{contract.sale_date:{_day()}}",
        "installation_fee": brl(contract.installation_fee),
        "installments": str(contract.installation_installments),
        "installation_address": _address(await session.get(Address, plan.installation_address_id)),
        "today": f"{dt.date.today():{_day()}}",
    }
    if template is not None:
        return render_pdf(template.name, fill(template.body, values))
    return render_pdf(str(_("Service Contract")), str(_default_body(values)))


def _default_body(values: dict[str, str]) -> Message:
    """The contract of a plan whose contract names no template (the ISP's own templates are
    its own words, in one language)."""
    return _(
        "CONTRACT No. {contract_number}\nCUSTOMER: {customer_name}, {document_kind} {document}\n"
        "PLAN: {offer_name} - R$ {price}/month\nTERM: {validity_months} months from "
        "{sale_date}.\nINSTALLATION FEE: R$ {installation_fee} in {installments} instalments.\n"
        "INSTALLATION ADDRESS: {installation_address}",
        **values,
    )
