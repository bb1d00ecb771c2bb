"""Documents are private: a PDF read in a page or through the API carries
`Cache-Control: no-store`, so no shared cache nor the browser's history keeps it."""

import pytest

from ispgest.accounts.models import ApiToken
from ispgest.billing import services
from ispgest.billing.services import LineInput
from ispgest.billing.tests.factories import make_client, method, setup_billing

pytestmark = pytest.mark.django_db


def test_invoice_and_receipt_pdfs_are_no_store_in_pages_and_api(client, admin_client, admin_user):
    customer = make_client(setup_billing())
    invoice = services.document_create(
        actor=None, client=customer, lines=[LineInput("Servicio", "1", "100")], notify=False
    )
    payment = services.payment_register(
        actor=None,
        client=customer,
        method=method("cash"),
        amount="100",
        invoices=[invoice],
        notify=False,
    )
    _, raw = ApiToken.issue(user=admin_user, name="t")
    responses = [
        admin_client.get(f"/facturacion/documentos/{invoice.pk}/pdf/"),
        admin_client.get(f"/facturacion/pagos/{payment.pk}/recibo.pdf"),
        client.get(
            f"/api/v1/billing/invoices/{invoice.pk}/pdf", HTTP_AUTHORIZATION=f"Bearer {raw}"
        ),
    ]
    for response in responses:
        assert response.status_code == 200, response.request["PATH_INFO"]
        assert response["Content-Type"] == "application/pdf"
        assert response["Cache-Control"] == "no-store", response.request["PATH_INFO"]
