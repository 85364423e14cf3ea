"""The renewal summary the seed guide shows under the sites and again on the confirmation step:
"Renew To" (with the GMT offset), "Number of Renewal Door(s)"… per service type, and the total
("Total Credit" for credit payment, "Total Price" otherwise)."""
from __future__ import annotations

from ...terminal_safe import markup_text as escape

from smartpay.core.domain import SERVICE_TYPES, PayIn, Purpose, RenewMode
from smartpay.core.views import Quote


def term_line(ptime, quote: Quote) -> tuple[str, str] | None:
    if quote.renew_mode == RenewMode.MANUAL and quote.renew_to:
        offset = ptime.offset_label(ptime.end_of_day(quote.renew_to))
        return "Renew To", f"{quote.renew_to.isoformat()} {offset}"
    if quote.renew_mode == RenewMode.AUTO:
        lasts = f"{quote.auto_cycles} cycle(s) of 30 days" if quote.auto_cycles else f"until {quote.auto_until}"
        return "Auto Renew", f"every 30 days, {lasts}"
    return None


def summary_pairs(ptime, quote: Quote, pay_in: PayIn) -> list[tuple[str, str]]:
    word = "Activation" if quote.purpose == Purpose.ACTIVATION else "Renewal"
    pairs: list[tuple[str, str]] = []
    term = term_line(ptime, quote)
    if term:
        pairs.append(term)
    pairs += [(f"Number of {word} {label}(s)", str(quote.counts.get(key, 0)))
              for key, label in SERVICE_TYPES[quote.project_type].items()]
    # Auto-renew is charged per 30-day cycle: the total is what each cycle costs.
    each = " per cycle" if quote.renew_mode == RenewMode.AUTO else ""
    if pay_in == PayIn.CREDIT:
        pairs.append((f"Total Credit{each}", str(quote.total_credits)))
    else:
        pairs.append((f"Total Price{each}", quote.total.format()))
    return pairs


def summary_markup(ptime, quote: Quote, pay_in: PayIn, columns: int = 1) -> str:
    """The pairs as "Label: value" lines, `columns` per line (two fit 80 columns)."""
    cells = [f"[dim]{escape(k)}:[/dim] [b]{escape(v)}[/b]" for k, v in summary_pairs(ptime, quote, pay_in)]
    plain = [f"{k}: {v}" for k, v in summary_pairs(ptime, quote, pay_in)]
    if columns == 1:
        return "\n".join(cells)
    width = max(len(p) for p in plain) + 2
    lines = []
    for i in range(0, len(cells), columns):
        row = ""
        for cell, text in zip(cells[i:i + columns], plain[i:i + columns]):
            row += cell + " " * (width - len(text))
        lines.append(row.rstrip())
    return "\n".join(lines)


def left_out_note(quote: Quote) -> str:
    """The items the quote left out, each named, grouped by the reason (R6: "items already past
    the date are left out"): "Left out (already past 2025-09-30): Apt 102 (App, Sunrise Community)"."""
    if not quote.excluded:
        return ""
    reasons: dict[str, list[str]] = {}
    for line in quote.excluded:
        reasons.setdefault(line.excluded_reason or "no reason given", []).append(
            f"{line.subject_name} ({line.service_label}, {line.site})")
    return "\n".join(f"Left out ({reason}): {', '.join(names)}" for reason, names in reasons.items())
