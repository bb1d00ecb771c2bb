"""When a job is due: cron expressions (croniter) and intervals, in the ISP's time zone.

Cron expressions are read on the wall clock of `settings.TIME_ZONE` (ISPGEST_TIME_ZONE):
"0 3 * * *" is 03:00 local time in winter and in summer. Across daylight-saving changes:

- spring forward: a time that does not exist that day (02:30 when clocks jump from 02:00
  to 03:00) fires at the first instant after the gap (03:00), once;
- fall back: a wall-clock time that happens twice (02:30 when clocks go back from 03:00 to
  02:00) fires once, the first time. Expressions that fire every few minutes keep firing
  through the repeated hour, since their slots there are distinct instants.

Intervals ("every 5 minutes") are absolute time and ignore the clock. After downtime a job
whose slot passed fires once, and its next slot is the first one after now: missed slots
are never fired one by one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from ispgest.core.schedule import ScheduledJob


@dataclass(frozen=True)
class Schedule:
    cron: str | None = None
    every: timedelta | None = None

    @property
    def text(self) -> str:
        if self.cron:
            return self.cron
        minutes = int(self.every.total_seconds() // 60)
        return _("cada %(n)s min") % {"n": minutes}


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def effective_schedule(job: ScheduledJob, state=None) -> Schedule:
    """The administrator's schedule when set on the job's state, else the declared one."""
    if state is not None and state.cron:
        return Schedule(cron=state.cron)
    if state is not None and state.every_minutes:
        return Schedule(every=timedelta(minutes=state.every_minutes))
    return Schedule(cron=job.cron, every=job.every)


def clean_cron(expression: str, *, field: str = "cron") -> str:
    """The expression with single spaces, or a ValidationError in Spanish on `field`."""
    text = " ".join((expression or "").split())
    parts = text.split(" ") if text else []
    if len(parts) != 5:
        raise ValidationError(
            {
                field: _(
                    "«%(expr)s» no es una expresión cron válida: debe tener 5 campos "
                    "(minuto, hora, día del mes, mes y día de la semana), por ejemplo "
                    "«0 3 * * *» para las 03:00 de cada día."
                )
                % {"expr": expression}
            }
        )
    try:
        croniter(text)
    except (ValueError, KeyError) as exc:
        raise ValidationError(
            {
                field: _(
                    "«%(expr)s» no es una expresión cron válida (%(reason)s). Ejemplos: "
                    "«*/5 * * * *» cada 5 minutos, «0 3 * * *» a las 03:00, «0 6 1 * *» el "
                    "día 1 de cada mes a las 06:00."
                )
                % {"expr": expression, "reason": _cron_reason(exc)}
            }
        )
    return text


def _cron_reason(exc: Exception) -> str:
    text = str(exc)
    if "out of range" in text:
        return _("un valor está fuera de rango")
    return _("un campo no se entiende")


def _wall(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


def next_slot(
    schedule: Schedule, *, after: datetime, last_slot: datetime | None = None
) -> datetime:
    """The first slot strictly after `after` (aware, returned in UTC).

    `last_slot` is the slot that fired last: a cron slot on the same local wall-clock time
    (the repeated hour of a fall-back change) is skipped so it fires once.
    """
    if schedule.every is not None:
        if last_slot is None or last_slot > after:
            return (after + schedule.every).astimezone(UTC)
        steps = math.floor((after - last_slot) / schedule.every) + 1
        return (last_slot + steps * schedule.every).astimezone(UTC)
    zone = local_zone()
    iterator = croniter(schedule.cron, after.astimezone(zone))
    last_wall = _wall(last_slot, zone) if last_slot is not None else None
    for _attempt in range(1000):
        candidate = iterator.get_next(datetime)
        if candidate <= after:
            continue
        if last_wall is not None and _wall(candidate, zone) == last_wall:
            continue
        return candidate.astimezone(UTC)
    raise ValueError(f"no slot found for {schedule.cron!r}")  # pragma: no cover


# Day and month names the describer takes from the C locale (English), in the UI language.
_DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_MONTH_NAMES = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def describe(schedule: Schedule) -> str:
    """A sentence for people ("A las 03:00", "Cada 5 minutos") in the active language."""
    if schedule.every is not None:
        minutes = int(schedule.every.total_seconds() // 60)
        if minutes % 1440 == 0:
            n = minutes // 1440
            return _("Cada día") if n == 1 else _("Cada %(n)s días") % {"n": n}
        if minutes % 60 == 0:
            n = minutes // 60
            return _("Cada hora") if n == 1 else _("Cada %(n)s horas") % {"n": n}
        return _("Cada minuto") if minutes == 1 else _("Cada %(n)s minutos") % {"n": minutes}
    from cron_descriptor import ExpressionDescriptor, Options
    from django.utils.dates import MONTHS, WEEKDAYS

    options = Options()
    language = translation.get_language() or settings.LANGUAGE_CODE
    options.locale_code = "en_US" if language.startswith("en") else "es_ES"
    options.use_24hour_time_format = True
    try:
        text = ExpressionDescriptor(schedule.cron, options).get_description()
    except Exception:  # the describer is a nicety: never break the page over it
        return schedule.cron
    if not language.startswith("en"):
        # cron-descriptor names days and months with `calendar`, i.e. the process locale.
        for i, name in enumerate(_DAY_NAMES):
            text = text.replace(name, str(WEEKDAYS[i]).lower())
        for i, name in enumerate(_MONTH_NAMES, start=1):
            text = text.replace(name, str(MONTHS[i]).lower())
    return text
