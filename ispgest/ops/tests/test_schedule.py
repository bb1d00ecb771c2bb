"""Slots in the ISP's time zone, across daylight-saving changes; cron validation."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from ispgest.ops.schedule import Schedule, clean_cron, describe, next_slot

MADRID = ZoneInfo("Europe/Madrid")


@pytest.fixture(autouse=True)
def _madrid(settings):
    settings.TIME_ZONE = "Europe/Madrid"


def _fire_all(schedule, start, end):
    """Every slot the scheduler would fire from start to end, ticking at each slot."""
    fired = []
    now, last = start, None
    while True:
        slot = next_slot(schedule, after=now, last_slot=last)
        if slot > end:
            return fired
        fired.append(slot)
        now, last = slot, slot


def test_a_daily_job_keeps_its_local_hour_across_the_summer_change():
    slots = _fire_all(
        Schedule(cron="0 3 * * *"),
        datetime(2025, 3, 28, 12, tzinfo=MADRID),
        datetime(2025, 4, 1, 12, tzinfo=MADRID),
    )
    local = [s.astimezone(MADRID) for s in slots]
    assert [(d.day, d.hour, d.minute) for d in local] == [
        (29, 3, 0),
        (30, 3, 0),
        (31, 3, 0),
        (1, 3, 0),
    ]
    # 03:00 is 02:00 UTC in winter and 01:00 UTC in summer.
    assert slots[0].astimezone(UTC).hour == 2 and slots[2].astimezone(UTC).hour == 1


def test_a_time_skipped_by_the_spring_change_fires_once_right_after_the_gap():
    slots = _fire_all(
        Schedule(cron="30 2 * * *"),
        datetime(2025, 3, 29, 12, tzinfo=MADRID),
        datetime(2025, 3, 31, 12, tzinfo=MADRID),
    )
    local = [s.astimezone(MADRID) for s in slots]
    assert [(d.day, d.hour, d.minute) for d in local] == [(30, 3, 0), (31, 2, 30)]


def test_a_time_repeated_by_the_autumn_change_fires_once():
    slots = _fire_all(
        Schedule(cron="30 2 * * *"),
        datetime(2025, 10, 25, 12, tzinfo=MADRID),
        datetime(2025, 10, 27, 12, tzinfo=MADRID),
    )
    assert len(slots) == 2
    assert slots[0] == datetime(2025, 10, 26, 0, 30, tzinfo=UTC)  # the first 02:30 (CEST)
    assert slots[1].astimezone(MADRID).day == 27


def test_a_frequent_job_keeps_firing_through_the_repeated_hour():
    slots = _fire_all(
        Schedule(cron="*/20 * * * *"),
        datetime(2025, 10, 26, 0, 50, tzinfo=UTC),  # 02:50 CEST
        datetime(2025, 10, 26, 2, 10, tzinfo=UTC),  # 03:10 CET
    )
    # 01:00, 01:20, 01:40, 02:00 UTC: 02:00-02:40 CET (second pass) and 03:00 CET.
    assert [s.astimezone(UTC).strftime("%H:%M") for s in slots] == [
        "01:00",
        "01:20",
        "01:40",
        "02:00",
    ]


def test_an_interval_ignores_the_clock_change():
    slots = _fire_all(
        Schedule(every=timedelta(hours=1)),
        datetime(2025, 10, 26, 0, 0, tzinfo=UTC),
        datetime(2025, 10, 26, 3, 0, tzinfo=UTC),
    )
    assert [s - slots[0] for s in slots] == [timedelta(hours=h) for h in range(3)]


def test_after_a_gap_the_next_slot_is_the_first_one_after_now():
    last = datetime(2026, 1, 1, 3, 0, tzinfo=MADRID)
    now = datetime(2026, 1, 4, 10, 0, tzinfo=MADRID)
    slot = next_slot(Schedule(cron="0 3 * * *"), after=now, last_slot=last)
    assert slot.astimezone(MADRID) == datetime(2026, 1, 5, 3, 0, tzinfo=MADRID)


@pytest.mark.parametrize(
    ("expression", "needle"),
    [
        ("61 * * * *", "fuera de rango"),
        ("0 3 * *", "5 campos"),
        ("cada hora", "5 campos"),
        ("0 3 * * * *", "5 campos"),
        ("x y z w v", "no se entiende"),
    ],
)
def test_an_invalid_cron_expression_gets_a_spanish_message(expression, needle):
    with pytest.raises(ValidationError) as info:
        clean_cron(expression)
    message = info.value.message_dict["cron"][0]
    assert "no es una expresión cron válida" in message
    assert needle in message
    assert expression in message


def test_a_valid_expression_is_normalised():
    assert clean_cron("  0   3 * *  * ") == "0 3 * * *"


def test_schedules_are_described_for_people_in_their_language():
    with translation.override("es"):
        assert describe(Schedule(cron="0 3 * * *")) == "A las 03:00"
        assert describe(Schedule(every=timedelta(minutes=5))) == "Cada 5 minutos"
        assert describe(Schedule(every=timedelta(hours=1))) == "Cada hora"
        assert "lunes" in describe(Schedule(cron="0 9 * * 1-5"))
    with translation.override("en"):
        assert describe(Schedule(cron="0 3 * * *")) == "At 03:00"
