"""The portal's "Done when" in a real Chromium: staff regenerate a client's password, the
e-mail arrives at a real SMTP server, the client logs in on a 390 px wide page, downloads an
invoice PDF, sees its wallet and contracts, opens a ticket with an attachment; a technician
answers with a public reply and an internal note; the client sees the reply and not the
note and gets the reply by e-mail; another client's ids answer 404."""

import re

import pytest

from ispgest.billing.tests.factories import setup_billing
from ispgest.portal.tests.factories import subscriber
from ispgest.tickets import services as tickets
from ispgest.tickets.models import Ticket, TicketCategory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f80f00000101000518d84e0000000049454e44ae426082"
)


def _fits(page) -> bool:
    """No horizontal scrolling of the page (wide tables scroll inside their own box)."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_staff_regenerate_and_the_client_uses_the_portal_on_a_phone(
    page, login, admin_user, make_user, smtp_server, live_server, tmp_path, _browser
):
    entity = setup_billing()
    alice = subscriber(entity, "alicia@cliente.test", admin=admin_user)
    bob = subscriber(entity, "bruno@cliente.test", admin=admin_user)
    TicketCategory.objects.get_or_create(name="Sin conexión")
    bob_ticket = tickets.ticket_create_for_client(client=bob.client, subject="De Bruno", body="x")

    # Staff: the key button in the client's header.
    login(admin_user)
    page.goto(f"/clientes/{alice.client.pk}/")
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Regenerar contraseña").first.click()
    page.locator("#messages", has_text="Contraseña del portal regenerada").wait_for()
    mail = next(m for m in smtp_server.received if "Portal de Clientes" in m.subject)
    assert mail.rcpt_tos == ["alicia@cliente.test"]
    password = re.search(r"Contraseña: (\S+)", mail.text()).group(1)
    assert f"{live_server.url}/portal/entrar/" in mail.text() or "/portal/entrar/" in mail.text()

    # The client, on a phone.
    phone = _browser.new_context(
        base_url=live_server.url, locale="es-ES", viewport={"width": 390, "height": 844}
    )
    phone.set_default_timeout(15_000)
    p = phone.new_page()
    try:
        p.goto("/portal/entrar/")
        p.get_by_label("E-mail").fill("ALICIA@cliente.test")
        p.get_by_label("Contraseña").fill(password)
        p.get_by_role("button", name="Entrar").click()
        p.wait_for_url(re.compile(r"/portal/$"))
        assert p.locator("#wallet-balance").inner_text().strip().endswith("250,00")
        assert _fits(p)

        p.get_by_role("button", name="Menú").click()
        p.get_by_role("link", name="Facturas").click()
        p.wait_for_url(re.compile(r"/portal/facturas/$"))
        assert _fits(p)
        with p.expect_download() as info:
            p.locator("#invoices a", has_text="PDF").first.click()
        info.value.save_as(tmp_path / "f.pdf")
        assert (tmp_path / "f.pdf").read_bytes().startswith(b"%PDF")

        p.goto("/portal/monedero/")
        assert "250,00" in p.locator("#wallet-balance").inner_text()
        p.goto("/portal/contratos/")
        assert alice.contract.plan.name in p.locator("#contracts").inner_text()
        assert _fits(p)

        p.goto("/portal/tickets/nuevo/")
        p.get_by_label("Asunto").fill("Sin servicio")
        p.get_by_label("Categoría").select_option(label="Sin conexión")
        p.get_by_label("Mensaje").fill("No navega desde ayer.")
        (tmp_path / "foto.png").write_bytes(PNG)
        p.get_by_label("Adjuntos").set_input_files(str(tmp_path / "foto.png"))
        p.get_by_role("button", name="Enviar").click()
        p.wait_for_url(re.compile(r"/portal/tickets/\d+/$"))
        ticket = Ticket.objects.get(client=alice.client)
        assert ticket.attachments.count() == 1

        # The technician answers on the staff ticket page: a public reply and an internal note.
        tech = make_user("Técnico")
        page.get_by_role("button", name="Salir").click()
        login(tech)
        for body, internal in (("Mañana pasa un técnico.", False), ("Nota: revisar deuda", True)):
            page.goto(f"/tickets/{ticket.pk}/")
            form = page.locator("#reply-form")
            form.get_by_label("Mensaje").fill(body)
            if internal:
                form.get_by_label("Nota interna").check()
            form.get_by_role("button", name="Guardar").click()
            page.locator("#messages .alert").first.wait_for()
        assert ticket.messages.filter(kind="internal").count() == 1
        p.reload()
        thread = p.locator("#thread").inner_text()
        assert "Mañana pasa un técnico." in thread and "revisar deuda" not in thread
        assert any("Mañana pasa un técnico." in m.text() for m in smtp_server.received)
        assert not any("revisar deuda" in m.text() for m in smtp_server.received)

        # Another client's ids: 404.
        for url in (
            f"/portal/facturas/{bob.invoice.pk}/pdf/",
            f"/portal/pagos/{bob.payment.pk}/recibo/",
            f"/portal/tickets/{bob_ticket.pk}/",
        ):
            assert p.request.get(url).status == 404

        # The wide layout.
        p.set_viewport_size({"width": 1440, "height": 900})
        for url in ("/portal/", "/portal/facturas/", "/portal/tickets/", "/portal/perfil/"):
            p.goto(url)
            assert _fits(p), url
    finally:
        phone.close()
