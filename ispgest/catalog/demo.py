"""Demo catalog rows for the installation's country: real place names, valid tax ids.

Run by `manage.py demo_data` before the clients; stores the ids it made (or found, on a
second run) in ctx.data for the apps that follow.
"""

from __future__ import annotations

from decimal import Decimal

from ispgest.catalog import services
from ispgest.catalog.models import (
    BillingEntity,
    City,
    Collector,
    ExtraField,
    LegalKind,
    Neighbourhood,
    PaymentGateway,
    PaymentMethod,
    PaymentMethodKind,
    PointOfSale,
    Product,
    ProductKind,
    Region,
    Seller,
    Tax,
    TaxCondition,
    Zone,
)
from ispgest.core.country import get_profile
from ispgest.core.money import round_money

GEOGRAPHY = {
    "AR": {
        "Córdoba": {
            "Córdoba": ["Nueva Córdoba", "Alberdi", "General Paz", "Güemes", "Cerro de las Rosas"],
            "Villa María": ["Centro", "Barrio Belgrano", "Barrio Palermo"],
            "Río Cuarto": ["Banda Norte", "Alberdi", "Centro"],
        },
        "Santa Fe": {
            "Rosario": ["Fisherton", "Echesortu", "Pichincha", "Barrio Martin"],
            "Rafaela": ["Centro", "Barrio Villa Rosas"],
        },
        "Buenos Aires": {
            "La Plata": ["Tolosa", "City Bell", "Los Hornos"],
            "Bahía Blanca": ["Villa Mitre", "Palihue", "Centro"],
        },
    },
    "CO": {
        "Antioquia": {
            "Medellín": ["El Poblado", "Laureles", "Belén", "Robledo"],
            "Envigado": ["Zúñiga", "La Magnolia", "El Dorado"],
        },
        "Valle del Cauca": {
            "Cali": ["San Fernando", "Granada", "Ciudad Jardín", "El Peñón"],
            "Palmira": ["Centro", "Zamorano"],
        },
        "Cundinamarca": {
            "Soacha": ["San Mateo", "León XIII"],
            "Zipaquirá": ["Centro", "La Esmeralda"],
        },
    },
    "EC": {
        "Pichincha": {
            "Quito": ["La Mariscal", "La Floresta", "Cumbayá", "Carcelén"],
            "Sangolquí": ["San Rafael", "Capelo"],
        },
        "Guayas": {
            "Guayaquil": ["Urdesa", "Kennedy", "Samanes", "Alborada"],
            "Durán": ["El Recreo", "Primavera"],
        },
        "Azuay": {"Cuenca": ["El Vergel", "Totoracocha", "Yanuncay", "El Batán"]},
    },
    "MX": {
        "Jalisco": {
            "Guadalajara": ["Providencia", "Chapalita", "Americana", "Santa Tere"],
            "Zapopan": ["Ciudad Granja", "Puerta de Hierro", "Tabachines"],
        },
        "Nuevo León": {
            "Monterrey": ["Mitras Centro", "Cumbres", "Obispado", "Contry"],
            "San Pedro Garza García": ["Del Valle", "Valle Oriente"],
        },
        "Puebla": {"Puebla": ["La Paz", "Centro Histórico", "Huexotitla", "Angelópolis"]},
    },
    "ES": {
        "Asturias": {
            "Oviedo": ["El Antiguo", "Vallobín", "Ciudad Naranco", "La Florida"],
            "Gijón": ["Cimadevilla", "El Llano", "La Calzada"],
        },
        "Valencia": {
            "Valencia": ["Ruzafa", "El Carmen", "Benimaclet", "Patraix"],
            "Gandía": ["Beniopa", "El Grau"],
        },
        "Madrid": {
            "Alcalá de Henares": ["Casco Histórico", "El Ensanche"],
            "Móstoles": ["Centro", "Parque Coimbra"],
        },
    },
    "OTHER": {
        "Región Central": {
            "Ciudad Capital": ["Centro", "Norte", "Sur", "Este"],
            "Villa del Río": ["Centro", "La Loma"],
        },
        "Región Costera": {"Puerto Nuevo": ["Malecón", "Las Palmas"]},
    },
}

# Legal entity: (name, tax id with a valid check digit, address, SEPA creditor id, IBAN, BIC)
ENTITIES = {
    "AR": ("Conexión del Sur S.R.L.", "30712345671", "Av. Colón 1234, Córdoba", "", "", ""),
    "CO": ("Redes Andinas S.A.S.", "9001234568", "Calle 10 # 43-12, Medellín", "", "", ""),
    "EC": (
        "Conectividad del Pacífico S.A.",
        "1790011674001",
        "Av. Amazonas N34-120, Quito",
        "",
        "",
        "",
    ),
    "MX": (
        "Enlaces Inalámbricos del Bajío S.A. de C.V.",
        "EIB150603K24",
        "Av. Chapultepec 480, Guadalajara",
        "",
        "",
        "",
    ),
    "ES": (
        "Ondas Rurales del Norte S.L.",
        "B58378431",
        "Calle Uría 20, Oviedo",
        "ES46ZZZB58378431",
        "ES7921000813610123456789",
        "CAIXESBBXXX",
    ),
    "OTHER": ("ISP Demo Ltd.", "TAX-0001", "Main Street 1, Ciudad Capital", "", "", ""),
}

GATEWAYS = {
    "AR": [("Mercado Pago", "mercadopago"), ("Pago Fácil", "pagofacil"), ("Rapipago", "rapipago")],
    "CO": [("PSE", "pse"), ("Wompi", "wompi"), ("Efecty", "efecty")],
    "EC": [("Payphone", "payphone"), ("Kushki", "kushki")],
    "MX": [("Mercado Pago", "mercadopago"), ("OXXO Pay", "oxxopay"), ("Conekta", "conekta")],
    "ES": [("Redsys", "redsys"), ("Bizum", "bizum"), ("Stripe", "stripe")],
    "OTHER": [("PayPal", "paypal"), ("Stripe", "stripe")],
}

# Prices in US dollars, converted with a rough local factor so amounts look local.
PRICE_FACTOR = {
    "AR": Decimal("1100"),
    "CO": Decimal("4000"),
    "EC": Decimal("1"),
    "MX": Decimal("18"),
    "ES": Decimal("0.92"),
    "OTHER": Decimal("1"),
}
PRODUCTS = [
    ("Router Wi-Fi 6 MikroTik hAP ax²", "RT-HAPAX2", ProductKind.DEVICE, "MikroTik", "hAP ax²", 95),
    ("Router TP-Link Archer C6", "RT-C6", ProductKind.DEVICE, "TP-Link", "Archer C6", 40),
    ("ONU GPON Huawei EG8145V5", "ONU-EG8145", ProductKind.DEVICE, "Huawei", "EG8145V5", 55),
    ("ONU ZTE F670L", "ONU-F670L", ProductKind.DEVICE, "ZTE", "F670L", 50),
    ("Antena Ubiquiti LiteBeam 5AC Gen2", "ANT-LBE5AC", ProductKind.DEVICE, "Ubiquiti", "LBE-5AC-Gen2", 70),
    ("Antena Ubiquiti PowerBeam 5AC 500", "ANT-PBE5AC", ProductKind.DEVICE, "Ubiquiti", "PBE-5AC-500", 120),
    ("Cable UTP Cat6 exterior (metro)", "MAT-UTP6", ProductKind.MATERIAL, "", "", 1),
    ("Instalación domiciliaria", "SRV-INST", ProductKind.SERVICE, "", "", 35),
]  # fmt: skip

ZONES = [
    ("Nodo Centro", "Torre principal, cobertura urbana"),
    ("Nodo Norte", "Sectorial de 120° hacia el norte"),
    ("Nodo Sur", "Fibra hasta el armario del barrio sur"),
    ("Enlace Rural Este", "Radioenlace punto a multipunto para campos"),
    ("Torre Cerro", "Repetidora en altura"),
]
SELLERS = [
    "María José Fernández",
    "Martín Gómez",
    "Lucía Pérez",
    "Sebastián Núñez",
    "Valentina Ríos",
]
COLLECTORS = ["Jorge Domínguez", "Ana Belén Castro", "Raúl Ibáñez", "Sofía Muñoz"]


def _email(name: str) -> str:
    import unicodedata

    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return ".".join(ascii_name.lower().split()[:2]) + "@isp.example"


def _phone(ctx) -> str:
    return "+" + "".join(str(ctx.rng.randint(0, 9)) for _ in range(11))


def _geography(ctx) -> None:
    region_ids, city_ids, neighbourhood_ids = [], [], []
    for region_name, cities in GEOGRAPHY.get(ctx.country, GEOGRAPHY["OTHER"]).items():
        region, _ = Region.objects.get_or_create(name=region_name)
        region_ids.append(region.pk)
        for city_name, hoods in cities.items():
            city, _ = City.objects.get_or_create(region=region, name=city_name)
            city_ids.append(city.pk)
            for hood in hoods:
                row, _ = Neighbourhood.objects.get_or_create(city=city, name=hood)
                neighbourhood_ids.append(row.pk)
    ctx.data.update(region_ids=region_ids, city_ids=city_ids, neighbourhood_ids=neighbourhood_ids)


def _people(ctx) -> None:
    zones = [
        Zone.objects.get_or_create(name=name, defaults={"description": desc})[0]
        for name, desc in ZONES
    ]
    sellers = [
        Seller.objects.get_or_create(
            name=name, defaults={"email": _email(name), "phone": _phone(ctx)}
        )[0]
        for name in SELLERS
    ]
    collectors = [
        Collector.objects.get_or_create(
            name=name, defaults={"email": _email(name), "phone": _phone(ctx)}
        )[0]
        for name in COLLECTORS
    ]
    ctx.data["zone_ids"] = [z.pk for z in zones]
    ctx.data["seller_ids"] = [s.pk for s in sellers]
    ctx.data["collector_ids"] = [c.pk for c in collectors]


def _billing(ctx) -> None:
    profile = get_profile(ctx.country)
    name, tax_id, address, sepa, iban, bic = ENTITIES[profile.code]
    legal = BillingEntity.objects.filter(name=name).first()
    if legal is None:
        legal = services.catalog_row_create(
            actor=None,
            model=BillingEntity,
            data={
                "name": name,
                "kind": LegalKind.LEGAL,
                "country": profile.code,
                "tax_id_kind": profile.default_tax_id_kind,
                "tax_id": tax_id,
                "address": address,
                "sepa_creditor_id": sepa,
                "iban": iban,
                "bic": bic,
            },
        )
    first_city = next(iter(next(iter(GEOGRAPHY.get(profile.code, GEOGRAPHY["OTHER"]).values()))))
    for number, pos_name in ((1, "Casa central"), (2, f"Sucursal {first_city}")):
        if not PointOfSale.objects.filter(billing_entity=legal, number=number).exists():
            services.point_of_sale_create(
                actor=None, billing_entity=legal, number=number, name=pos_name
            )
    fantasy_name = f"{name.split(' S.')[0]} (interno, sin factura legal)"
    fantasy = BillingEntity.objects.filter(name=fantasy_name).first()
    if fantasy is None:
        fantasy = services.catalog_row_create(
            actor=None,
            model=BillingEntity,
            data={"name": fantasy_name, "kind": LegalKind.FANTASY, "country": profile.code},
        )
    ctx.data["billing_entity_ids"] = [legal.pk, fantasy.pk]
    ctx.data["tax_condition_ids"] = list(
        TaxCondition.objects.filter(country=profile.code, active=True).values_list("pk", flat=True)
    )


def _payments_and_products(ctx) -> None:
    gateways = [
        PaymentGateway.objects.get_or_create(code=code, defaults={"name": name})[0]
        for name, code in GATEWAYS.get(ctx.country, GATEWAYS["OTHER"])
    ]
    for gateway in gateways:
        PaymentMethod.objects.get_or_create(
            name=gateway.name, defaults={"kind": PaymentMethodKind.GATEWAY, "gateway": gateway}
        )
    ctx.data["gateway_ids"] = [g.pk for g in gateways]
    ctx.data["payment_method_ids"] = list(
        PaymentMethod.objects.filter(active=True).values_list("pk", flat=True)
    )
    tax = Tax.objects.filter(active=True).order_by("-rate").first()
    factor = PRICE_FACTOR.get(ctx.country, Decimal("1"))
    products = []
    for name, code, kind, brand, model, usd in PRODUCTS:
        price = round_money(Decimal(usd) * factor)
        product, _ = Product.objects.get_or_create(
            name=name,
            defaults={
                "code": code,
                "kind": kind,
                "brand": brand,
                "model": model,
                "price": price,
                "tax": tax,
            },
        )
        products.append(product)
    ctx.data["product_ids"] = [p.pk for p in products]
    fields = [
        ExtraField.objects.get_or_create(
            name="Tipo de vivienda",
            defaults={
                "field_type": "choice",
                "choices": "Casa\nDepartamento\nLocal comercial\nCampo",
                "position": 1,
            },
        )[0],
        ExtraField.objects.get_or_create(
            name="Altura del mástil (m)", defaults={"field_type": "number", "position": 2}
        )[0],
    ]
    ctx.data["extra_field_ids"] = [f.pk for f in fields]


def generate(ctx) -> None:
    _geography(ctx)
    _people(ctx)
    _billing(ctx)
    _payments_and_products(ctx)
    ctx.log(
        f"  catálogos: {len(ctx.data['neighbourhood_ids'])} barrios, "
        f"{len(ctx.data['zone_ids'])} zonas, {len(ctx.data['product_ids'])} productos"
    )
