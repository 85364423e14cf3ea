"""R12: the platform's timezone. Expiries are end of day in it and are shown with the offset."""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError

_OFFSET = re.compile(r"^(?:GMT|UTC)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$", re.I)
END_OF_DAY = dt.time(23, 59, 59)


def parse_timezone(text: str) -> dt.tzinfo:
    """'GMT+8', '+08:00', 'UTC-5:30' or an IANA name like 'Asia/Singapore'."""
    m = _OFFSET.match(text.strip())
    if m:
        sign = 1 if m.group(1) == "+" else -1
        hours, minutes = int(m.group(2)), int(m.group(3) or 0)
        if hours > 14 or minutes >= 60:
            raise ConfigError(f"timezone: '{text}' is not a valid UTC offset")
        return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
    try:
        return ZoneInfo(text.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"timezone: '{text}' is neither an offset like GMT+8 nor a zone name") from None


class PlatformTime:
    def __init__(self, tz: dt.tzinfo):
        self.tz = tz

    def local(self, instant: dt.datetime) -> dt.datetime:
        return instant.astimezone(self.tz)

    def local_date(self, instant: dt.datetime) -> dt.date:
        return self.local(instant).date()

    def start_of_day(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(0, 0), self.tz).astimezone(dt.timezone.utc)

    def end_of_day(self, day: dt.date) -> dt.datetime:
        """23:59:59 platform time on `day`, as a UTC instant."""
        return dt.datetime.combine(day, END_OF_DAY, self.tz).astimezone(dt.timezone.utc)

    def offset_label(self, at: dt.datetime | None = None) -> str:
        """'GMT+8:00', the way SmartPlus writes it."""
        at = at or dt.datetime.now(dt.timezone.utc)
        off = self.local(at).utcoffset() or dt.timedelta(0)
        total = int(off.total_seconds()) // 60
        sign = "+" if total >= 0 else "-"
        h, m = divmod(abs(total), 60)
        return f"GMT{sign}{h}:{m:02d}"

    def format(self, instant: dt.datetime | None, with_offset: bool = True) -> str:
        if instant is None:
            return "--"
        text = self.local(instant).strftime("%Y-%m-%d %H:%M:%S")
        return f"{text} {self.offset_label(instant)}" if with_offset else text

    def zone_label(self, at: dt.datetime | None = None) -> str:
        """'GMT+8' ('GMT+5:30' when the offset has minutes): for a column header, so the cells
        below need not repeat it."""
        return self.offset_label(at).removesuffix(":00")

    def short(self, instant: dt.datetime | None) -> str:
        """'2025-09-30 23:59' in platform time (a table cell under a header naming the zone)."""
        return "--" if instant is None else self.local(instant).strftime("%Y-%m-%d %H:%M")
