from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ispgest.clients.models import ClientEvent
from ispgest.contracts import services
from ispgest.contracts.models import PackageAssignment

pytestmark = pytest.mark.django_db


def router_product_tax(package):
    return package.lines.last().product.tax


def test_assigning_copies_the_lines_and_computes_the_next_renewal(subscriber, package, admin_user):
    assignment = services.package_assign(
        actor=admin_user, client=subscriber, package=package, start_date=date(2026, 1, 31)
    )
    assert assignment.next_renewal_date == date(2027, 1, 31)
    lines = services.package_document_lines(assignment)
    assert [line.pop("tax") for line in lines] == [
        package.lines.first().tax,
        router_product_tax(package),
    ]
    assert lines == [
        {
            "description": "Mantenimiento preventivo",
            "quantity": Decimal("1.000"),
            "unit_price": Decimal("12000.00"),
            "tax_id": package.lines.first().tax_id,
            "product_id": None,
        },
        {
            "description": "Router WiFi",
            "quantity": Decimal("2.000"),
            "unit_price": Decimal("1500.50"),
            "tax_id": package.lines.last().product.tax_id,
            "product_id": package.lines.last().product_id,
        },
    ]
    event = ClientEvent.objects.get(action="package.assigned")
    assert "total $ 15.001,00" in event.summary and "31/01/2027" in event.summary
    assert "cada 12 meses" in event.summary


def test_own_values_configure_edit_and_remove_keep_the_row(subscriber, package, admin_user):
    assignment = services.package_assign(
        actor=admin_user,
        client=subscriber,
        package=package,
        start_date=date(2026, 3, 1),
        renewal_months=6,
        lines=[{"description": "Soporte", "quantity": Decimal("1"), "unit_price": Decimal("900")}],
    )
    assert assignment.next_renewal_date == date(2026, 9, 1)
    services.package_assignment_configure(
        actor=admin_user,
        assignment=assignment,
        renewal_months=3,
        next_renewal_date=date(2026, 6, 1),
    )
    services.package_assignment_edit_lines(
        actor=admin_user,
        assignment=assignment,
        lines=[{"description": "Soporte", "quantity": Decimal("2"), "unit_price": Decimal("900")}],
    )
    services.package_assignment_remove(actor=admin_user, assignment=assignment, on=date(2026, 4, 1))
    assignment.refresh_from_db()
    assert assignment.status == PackageAssignment.Status.REMOVED
    assert assignment.lines.get().quantity == Decimal("2")
    actions = list(ClientEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == [
        "package.assigned",
        "package.configured",
        "package.edited",
        "package.removed",
    ]
    with pytest.raises(ValidationError, match="ya fue eliminada"):
        services.package_assignment_remove(actor=admin_user, assignment=assignment)


def test_bad_lines_are_refused_with_the_line_number(subscriber, package, admin_user):
    with pytest.raises(ValidationError) as exc:
        services.package_assign(
            actor=admin_user,
            client=subscriber,
            package=package,
            start_date=date(2026, 1, 1),
            lines=[
                {"description": "ok", "quantity": Decimal("1"), "unit_price": Decimal("1")},
                {"description": "", "quantity": Decimal("1"), "unit_price": Decimal("1")},
            ],
        )
    assert exc.value.message_dict["lines"][0].startswith("Línea 2:")
    assert not PackageAssignment.objects.exists()


def test_renewal_advances_the_next_date(subscriber, package, admin_user):
    assignment = services.package_assign(
        actor=admin_user, client=subscriber, package=package, start_date=date(2026, 1, 1)
    )
    services.package_assignment_renewed(actor=admin_user, assignment=assignment)
    assignment.refresh_from_db()
    assert assignment.next_renewal_date == date(2028, 1, 1)


def test_removing_a_package_refuses_a_future_date_or_one_before_its_start(
    subscriber, package, admin_user
):
    from datetime import timedelta

    from django.utils import timezone

    today = timezone.localdate()
    start = today - timedelta(days=30)
    assignment = services.package_assign(
        actor=admin_user, client=subscriber, package=package, start_date=start
    )
    with pytest.raises(ValidationError, match="posterior a hoy") as exc:
        services.package_assignment_remove(
            actor=admin_user, assignment=assignment, on=date(2099, 1, 1)
        )
    assert "removed_on" in exc.value.message_dict
    with pytest.raises(ValidationError, match="anterior a el inicio del paquete"):
        services.package_assignment_remove(
            actor=admin_user, assignment=assignment, on=start - timedelta(days=1)
        )
    assignment.refresh_from_db()
    assert assignment.status == PackageAssignment.Status.ACTIVE
    services.package_assignment_remove(actor=admin_user, assignment=assignment, on=today)


def test_a_monthly_package_says_cada_1_mes(subscriber, package, admin_user):
    package.renewal_months = 1
    package.save(update_fields=["renewal_months"])
    services.package_assign(
        actor=admin_user, client=subscriber, package=package, start_date=date(2026, 3, 1)
    )
    summary = ClientEvent.objects.get(action="package.assigned").summary
    assert "cada 1 mes," in summary and "meses" not in summary
    assert "01/03/2026" in summary and "2026-03-01" not in summary
