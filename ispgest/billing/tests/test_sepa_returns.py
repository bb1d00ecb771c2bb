"""Import of the bank's return files (pain.002, camt.054) against real remittances."""

import base64
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from ispgest.accounts.models import ApiToken
from ispgest.billing import services
from ispgest.billing.models import (
    ClientBalance,
    InvoiceStatus,
    Payment,
    SepaBatchItem,
    SepaReturnFile,
    SepaState,
)
from ispgest.billing.sepa import sepa_batch_create
from ispgest.billing.sepa_returns import sepa_return_file_check, sepa_return_file_import
from ispgest.billing.services import LineInput
from ispgest.billing.tests.factories import make_client, mandate, method, setup_billing
from ispgest.clients.models import ClientEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch(settings):
    """A real pain.008 remittance of two debits (45.99 and 20.00)."""
    entity = setup_billing()
    settings.ISPGEST_COUNTRY = "ES"
    dd = method("direct_debit")
    for name, amount in (("Ana Pérez", "45.99"), ("Luis Gómez", "20.00")):
        client = make_client(entity, payment_method=dd, name=name)
        mandate(client)
        services.document_create(
            actor=None, client=client, lines=[LineInput("Servicio", "1", amount)], notify=False
        )
    today = timezone.localdate()
    batch, _ = sepa_batch_create(
        actor=None,
        entity=entity,
        due_until=today + timedelta(days=30),
        collection_date=today + timedelta(days=5),
    )
    return batch


def _items(batch):
    return list(batch.items.select_related("invoice").order_by("amount"))


def pain002(batch, txs, msg_id="STS-0001"):
    """txs: [(end_to_end_id, amount, reason_code)] all rejected."""
    rows = "".join(
        f"<TxInfAndSts><OrgnlEndToEndId>{e2e}</OrgnlEndToEndId><TxSts>RJCT</TxSts>"
        f"<StsRsnInf><Rsn><Cd>{code}</Cd></Rsn></StsRsnInf>"
        f'<OrgnlTxRef><Amt><InstdAmt Ccy="EUR">{amount}</InstdAmt></Amt></OrgnlTxRef>'
        "</TxInfAndSts>"
        for e2e, amount, code in txs
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt>'
        f"<GrpHdr><MsgId>{msg_id}</MsgId><CreDtTm>2026-12-02T10:00:00</CreDtTm></GrpHdr>"
        f"<OrgnlGrpInfAndSts><OrgnlMsgId>{batch.message_id}</OrgnlMsgId>"
        "<OrgnlMsgNmId>pain.008.001.02</OrgnlMsgNmId><GrpSts>PART</GrpSts></OrgnlGrpInfAndSts>"
        f"<OrgnlPmtInfAndSts><OrgnlPmtInfId>PMT-1</OrgnlPmtInfId>{rows}</OrgnlPmtInfAndSts>"
        "</CstmrPmtStsRpt></Document>"
    ).encode()


def camt054(batch, txs, version="02", msg_id="NTF-0001"):
    """A debit notification with one returned entry per (end_to_end_id, amount, code)."""
    entries = []
    for e2e, amount, code in txs:
        status = "<Sts>BOOK</Sts>" if version == "02" else "<Sts><Cd>BOOK</Cd></Sts>"
        tx_amount = (
            f'<AmtDtls><TxAmt><Amt Ccy="EUR">{amount}</Amt></TxAmt></AmtDtls>'
            if version == "02"
            else f'<Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>DBIT</CdtDbtInd>'
        )
        entries.append(
            f'<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>DBIT</CdtDbtInd>'
            f"<RvslInd>true</RvslInd>{status}<BookgDt><Dt>2026-12-01</Dt></BookgDt>"
            "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RDDT</Cd><SubFmlyCd>UPDD</SubFmlyCd>"
            "</Fmly></Domn></BkTxCd><NtryDtls><TxDtls>"
            f"<Refs><MsgId>{batch.message_id}</MsgId><EndToEndId>{e2e}</EndToEndId></Refs>"
            f"{tx_amount}<RtrInf><Rsn><Cd>{code}</Cd></Rsn></RtrInf></TxDtls></NtryDtls></Ntry>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.{version}">'
        f"<BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>{msg_id}</MsgId>"
        "<CreDtTm>2026-12-02T08:00:00</CreDtTm></GrpHdr>"
        "<Ntfctn><Id>N1</Id><CreDtTm>2026-12-02T08:00:00</CreDtTm>"
        "<Acct><Id><IBAN>ES9121000418450200051332</IBAN></Id></Acct>"
        f"{''.join(entries)}</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>"
    ).encode()


def _state():
    return (
        Payment.objects.count(),
        ClientEvent.objects.filter(action="sepa.returned").count(),
        SepaReturnFile.objects.count(),
        list(SepaBatchItem.objects.order_by("id").values_list("status", flat=True)),
    )


def _assert_returned(item, reason):
    item.refresh_from_db()
    item.invoice.refresh_from_db()
    assert item.status == SepaBatchItem.Status.RETURNED
    assert item.invoice.status == InvoiceStatus.PENDING
    assert item.invoice.sepa_state == SepaState.RETURNED
    reversal = Payment.objects.get(reverses=item.payment)
    assert reversal.amount == -item.amount
    assert ClientBalance.objects.get(client_id=item.invoice.client_id).unpaid_total == item.amount
    event = ClientEvent.objects.get(client_id=item.invoice.client_id, action="sepa.returned")
    assert reason in event.summary


@pytest.mark.parametrize(
    ("build", "code", "meaning"),
    [
        (lambda b, t: pain002(b, t), "AM04", "AM04 fondos insuficientes"),
        (lambda b, t: camt054(b, t, "02"), "MD06", "MD06 devolución solicitada por el deudor"),
        (lambda b, t: camt054(b, t, "08"), "AC04", "AC04 cuenta cerrada"),
    ],
)
def test_it_returns_the_matched_debit_and_refuses_the_same_file_twice(batch, build, code, meaning):
    small, big = _items(batch)
    content = build(batch, [(f"ISPG{big.invoice_id}", "45.99", code)])
    record = sepa_return_file_import(actor=None, content=content, file_name="banco.xml")
    assert (record.matched_count, record.unmatched_count) == (1, 0)
    assert record.matched_total == Decimal("45.99")
    _assert_returned(big, meaning)
    small.refresh_from_db()
    assert small.status == SepaBatchItem.Status.SUBMITTED

    before = _state()
    with pytest.raises(ValidationError, match="ya se importó"):
        sepa_return_file_import(actor=None, content=content)
    assert _state() == before


def test_it_refuses_another_file_with_the_same_message_id(batch):
    small, big = _items(batch)
    sepa_return_file_import(
        actor=None, content=pain002(batch, [(f"ISPG{big.invoice_id}", "45.99", "AM04")])
    )
    before = _state()
    other = pain002(batch, [(f"ISPG{small.invoice_id}", "20.00", "MS02")])
    with pytest.raises(ValidationError, match="identificador de mensaje «STS-0001»"):
        sepa_return_file_import(actor=None, content=other)
    assert _state() == before


def test_a_file_failing_its_xsd_is_refused_in_spanish_and_changes_nothing(batch):
    _, big = _items(batch)
    content = pain002(batch, [(f"ISPG{big.invoice_id}", "45.99", "AM04")]).replace(
        b"<TxSts>RJCT</TxSts>", b"<TxSts>NOPE</TxSts>"
    )
    before = _state()
    with pytest.raises(ValidationError, match="no valida contra el esquema XSD pain.002.001.03"):
        sepa_return_file_import(actor=None, content=content)
    assert _state() == before
    for bad, message in (
        (b"", "está vacío"),
        (b"PK\x03\x04 zip", "no es un documento XML"),
        (b"<a>", "no es un XML bien formado"),
        (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "y">]><d>&x;</d>', "DTD"),
        (
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"/>',
            "no es un fichero de devoluciones",
        ),
    ):
        with pytest.raises(ValidationError, match=message):
            sepa_return_file_import(actor=None, content=bad)
    assert _state() == before


def test_an_unknown_end_to_end_id_is_listed_unmatched_and_the_matched_part_applies(batch):
    small, big = _items(batch)
    content = camt054(
        batch,
        [
            (f"ISPG{big.invoice_id}", "45.99", "AM04"),
            ("OTRO-BANCO-1", "12.00", "MD06"),
            (f"ISPG{small.invoice_id}", "19.00", "MS02"),  # amount differs: not guessed
        ],
    )
    check = sepa_return_file_check(content=content)
    assert [r.item for r in check.matched] == [big]
    assert [r.problem for r in check.unmatched] == [
        "Referencia extremo a extremo desconocida.",
        "El importe 19.00 no coincide con el del adeudo (20.00).",
    ]
    assert SepaReturnFile.objects.count() == 0  # the check writes nothing

    record = sepa_return_file_import(actor=None, content=content)
    assert (record.matched_count, record.unmatched_count) == (1, 2)
    assert record.unmatched[0]["end_to_end_id"] == "OTRO-BANCO-1"
    assert record.unmatched[0]["reason"] == "MD06 devolución solicitada por el deudor"
    _assert_returned(big, "AM04 fondos insuficientes")
    small.refresh_from_db()
    assert small.status == SepaBatchItem.Status.SUBMITTED
    assert not Payment.objects.filter(reverses=small.payment).exists()


def test_a_group_rejected_without_details_returns_every_debit_of_its_batch(batch):
    small, big = _items(batch)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt>'
        "<GrpHdr><MsgId>STS-GRP</MsgId><CreDtTm>2026-12-02T10:00:00</CreDtTm></GrpHdr>"
        f"<OrgnlGrpInfAndSts><OrgnlMsgId>{batch.message_id}</OrgnlMsgId>"
        "<OrgnlMsgNmId>pain.008.001.02</OrgnlMsgNmId><GrpSts>RJCT</GrpSts>"
        "<StsRsnInf><Rsn><Cd>FF01</Cd></Rsn></StsRsnInf></OrgnlGrpInfAndSts>"
        "</CstmrPmtStsRpt></Document>"
    ).encode()
    record = sepa_return_file_import(actor=None, content=content)
    assert (record.matched_count, record.unmatched_count) == (2, 0)
    _assert_returned(small, "FF01 formato de fichero no válido")
    _assert_returned(big, "FF01 formato de fichero no válido")


def test_a_debit_returned_by_hand_is_listed_not_returned_twice(batch):
    from ispgest.billing.sepa import sepa_return_record

    _, big = _items(batch)
    sepa_return_record(actor=None, item=big, reason="AM04 a mano")
    record = sepa_return_file_import(
        actor=None, content=pain002(batch, [(f"ISPG{big.invoice_id}", "45.99", "AM04")])
    )
    assert record.matched_count == 0
    assert record.unmatched[0]["problem"] == "El adeudo ya está registrado como devuelto."
    assert Payment.objects.filter(reverses=big.payment).count() == 1


def test_page_previews_then_applies_and_api_imports(batch, client, make_user):
    small, big = _items(batch)
    client.force_login(make_user("Facturación"))
    url = reverse("billing:sepa_returns_import")
    page = client.get(url)
    assert page.status_code == 200
    assert b'<label class="form-label" for="id_file">' in page.content
    content = pain002(batch, [(f"ISPG{big.invoice_id}", "45.99", "AM04"), ("XX-1", "3.00", "AC04")])
    preview = client.post(url, {"file": SimpleUploadedFile("sts.xml", content)})
    assert preview.status_code == 200
    text = preview.content.decode()
    assert (
        "AM04 fondos insuficientes" in text and "Referencia extremo a extremo desconocida." in text
    )
    assert SepaReturnFile.objects.count() == 0
    applied = client.post(
        url, {"apply": "1", "content": base64.b64encode(content).decode(), "file_name": "sts.xml"}
    )
    assert applied.status_code == 302
    _assert_returned(big, "AM04 fondos insuficientes")
    again = client.post(url, {"file": SimpleUploadedFile("sts.xml", content)})
    assert "ya se importó" in again.content.decode()

    _, raw = ApiToken.issue(user=make_user("Facturación"), name="t")
    api = client.post(
        "/api/v1/billing/sepa/returns",
        {
            "file": SimpleUploadedFile(
                "n.xml", camt054(batch, [(f"ISPG{small.invoice_id}", "20.00", "MD06")])
            )
        },
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert api.status_code == 201, api.content
    body = api.json()
    assert body["matched_count"] == 1 and body["returned_invoice_ids"] == [small.invoice_id]
    dup = client.post(
        "/api/v1/billing/sepa/returns",
        {
            "file": SimpleUploadedFile(
                "n.xml", camt054(batch, [(f"ISPG{small.invoice_id}", "20.00", "MD06")])
            )
        },
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert dup.status_code == 422 and "ya se importó" in dup.json()["detail"]


def test_the_page_refuses_a_file_over_the_size_limit(batch, client, make_user):
    client.force_login(make_user("Facturación"))
    big = b"<" + b" " * (2 * 1024 * 1024 + 1)
    r = client.post(
        reverse("billing:sepa_returns_import"), {"file": SimpleUploadedFile("x.xml", big)}
    )
    assert "supera el tamaño máximo" in r.content.decode()
    assert SepaReturnFile.objects.count() == 0


def test_a_role_without_sepa_gets_403_on_page_and_api(batch, client, make_user):
    _, big = _items(batch)
    content = pain002(batch, [(f"ISPG{big.invoice_id}", "45.99", "AM04")])
    user = make_user("Técnico")
    client.force_login(user)
    url = reverse("billing:sepa_returns_import")
    assert client.get(url).status_code == 403
    assert client.post(url, {"file": SimpleUploadedFile("s.xml", content)}).status_code == 403
    _, raw = ApiToken.issue(user=user, name="t")
    r = client.post(
        "/api/v1/billing/sepa/returns",
        {"file": SimpleUploadedFile("s.xml", content)},
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert r.status_code == 403
    assert SepaReturnFile.objects.count() == 0
    big.refresh_from_db()
    assert big.status == SepaBatchItem.Status.SUBMITTED


def test_the_endpoint_is_in_the_openapi_spec():
    from ispgest.api.base import api

    spec = api.get_openapi_schema(path_prefix="/api/v1/")
    assert "post" in spec["paths"]["/api/v1/billing/sepa/returns"]
