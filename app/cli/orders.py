"""Quotes (R5–R7), orders (R8–R10) and paying them through the payment-method plugins.

The quote printout mirrors SmartPlus's confirmation step: the item table (Site, Company,
Service Type, Name, Email, Price/Credit, Expiration Time, Next Expiration Time), the items left
out with the reason, then "Renew To", "Number of Renewal Door(s)"… and the total."""
from __future__ import annotations

import click

from smartpay.core.domain import PayIn

from .output import emit_json, fields, heading, say, table
from .runtime import as_option, json_option, session
from .selection import build_selection, renew_args, renew_options, selection_options

PAY_IN = click.Choice([p.value for p in PayIn])


# -- printing ---------------------------------------------------------------------------------
def _counts_lines(core, purpose, project_type, counts: dict[str, int]) -> list[tuple[str, object]]:
    from smartpay.core.domain import SERVICE_TYPES
    word = "Activation" if purpose == "activation" else "Renewal"
    return [(f"Number of {word} {label}(s)", counts.get(key, 0))
            for key, label in SERVICE_TYPES[project_type].items()]


def _term_lines(core, renew_mode, renew_to, cycles, until) -> list[tuple[str, object]]:
    if renew_mode == "manual" and renew_to:
        offset = core.ptime.offset_label(core.ptime.end_of_day(renew_to))
        return [("Renew To", f"{renew_to.isoformat()} {offset}")]
    if renew_mode == "auto":
        lasts = f"{cycles} cycle(s) of 30 days" if cycles else f"until {until.isoformat()}"
        return [("Auto Renew", f"every 30 days, {lasts}")]
    return []


def print_quote(core, quote, pay_in: str) -> None:
    credit = pay_in == "credit"
    say(f"{len(quote.lines)} Item(s)")
    table(["Site", "Company", "Service Type", "Name", "Email", "Credit" if credit else "Price",
           "Expiration Time", "Next Expiration Time"],
          [(line.site, line.company, line.service_label, line.subject_name, line.subject_email,
            line.credits if credit else line.price.plain(), core.ptime.format(line.expires_at),
            core.ptime.format(line.next_expires_at)) for line in quote.lines],
          empty="(no items to pay for)")
    if quote.excluded:
        heading(f"Left out: {len(quote.excluded)} item(s)")
        table(["Site", "Service Type", "Name", "Expiration Time", "Reason"],
              [(line.site, line.service_label, line.subject_name, core.ptime.format(line.expires_at),
                line.excluded_reason) for line in quote.excluded])
    say("")
    total = ("Total Credit", quote.total_credits) if credit else ("Total Price", quote.total.format())
    fields(_term_lines(core, quote.renew_mode, quote.renew_to, quote.auto_cycles, quote.auto_until)
           + _counts_lines(core, quote.purpose, quote.project_type, quote.counts) + [total], align=False)


def print_order(core, order) -> None:
    credit = order.total.is_credit
    total_label = "Total Credit" if credit else "Total Price"
    rows = [("Transaction Type", order.purpose.label), ("Transaction Number", order.txn),
            ("State", order.state.label), ("Payer", order.payer_login),
            (total_label, order.total.amount if credit else order.total.format()),
            ("Created", core.ptime.format(order.created_at))]
    if order.credit_quantity:
        rows.append(("Credits", order.credit_quantity))
    if order.credit_for_login:
        rows.append(("Credits for", order.credit_for_login))
    if order.state == "processing":
        left = int((order.deadline_at - core.clock.now()).total_seconds())
        rows.append(("Pay before", core.ptime.format(order.deadline_at)))
        if left > 0:
            rows.append(("Time left", f"Please complete the payment in {left // 60:02d}:{left % 60:02d}"))
    if order.paid_at:
        rows.append(("Paid", core.ptime.format(order.paid_at)))
    if order.failure_reason:
        rows.append(("Reason", order.failure_reason))
    fields(rows)
    heading("Billing Information")
    b = order.billing
    fields([("Company/Family", b.company), ("ATTN", b.attn), ("Address", b.address), ("TEL", b.tel), ("Fax", b.fax)])
    if order.project_type is not None:
        heading(f"{len(order.lines)} Item(s)")
        table(["Site", "Company", "Service Type", "Name", "Email", "Credit" if credit else "Price",
               "Expiration Time", "Next Expiration Time"],
              [(line.site, line.company, line.service_label, line.subject_name, line.subject_email,
                line.price.amount if credit else line.price.plain(), core.ptime.format(line.expires_before),
                core.ptime.format(line.expires_after)) for line in order.lines])
        counts: dict[str, int] = {}
        for line in order.lines:
            counts[line.service_type] = counts.get(line.service_type, 0) + 1
        say("")
        fields(_term_lines(core, order.renew_mode, order.renew_to, order.auto_cycles, order.auto_until)
               + _counts_lines(core, order.purpose, order.project_type, counts), align=False)
    if order.attempts:
        heading("Payment attempts")
        table(["#", "Method", "Amount", "State", "Idempotency Key", "Created"],
              [(a.id, a.method, a.amount.format(), a.state, a.idempotency_key, core.ptime.format(a.created_at))
               for a in order.attempts])


def print_payee(core) -> None:
    # R13: the payment step names the payee.
    heading(core.settings.payee_notice)


# -- quote ------------------------------------------------------------------------------------
@click.group("quote")
def quote_group():
    """Price an activation or a renewal without placing an order."""


@quote_group.command("activate")
@as_option
@selection_options
@click.option("--pay-in", type=PAY_IN, default="money", show_default=True, help="How you mean to pay: which price column is shown; credits never pay auto-renew (R7).")
@json_option
def quote_activate(as_login, project_type, installer, projects, services, items, pay_in, as_json):
    """Quote activating never-paid items (R5)."""
    core, actor = session(as_login)
    selection = build_selection(core, actor, project_type, installer, projects, services, items)
    quote = core.quotes.quote(actor, "activation", selection, pay_in=pay_in)
    emit_json(quote) if as_json else print_quote(core, quote, pay_in)


@quote_group.command("renew")
@as_option
@selection_options
@renew_options
@click.option("--pay-in", type=PAY_IN, default="money", show_default=True, help="How you mean to pay: which price column is shown; credits never pay auto-renew (R7).")
@json_option
def quote_renew(as_login, project_type, installer, projects, services, items, renew_to, auto, cycles, until,
                pay_in, as_json):
    """Quote a manual renew to a date (R6) or an auto-renew (R7)."""
    core, actor = session(as_login)
    selection = build_selection(core, actor, project_type, installer, projects, services, items)
    quote = core.quotes.quote(actor, "renewal", selection, pay_in=pay_in, **renew_args(renew_to, auto, cycles, until))
    emit_json(quote) if as_json else print_quote(core, quote, pay_in)


# -- orders -------------------------------------------------------------------------------------
@click.group("order")
def order_group():
    """Place, show, pay and cancel orders."""


@order_group.group("create")
def create_group():
    """Place an order (the Terms and Conditions must be accepted: --accept-terms)."""


def _accept_terms(f):
    return click.option("--accept-terms", is_flag=True,
                        help="Accept the Terms and Conditions (required to place an order).")(f)


def _quiet_option(f):
    return click.option("-q", "--quiet", is_flag=True,
                        help="Print only the Transaction Number (for scripts: TXN=$(smartpay … --quiet)).")(f)


def _created(core, order, as_json, quiet=False) -> None:
    if quiet:
        click.echo(order.txn)
        return
    if as_json:
        emit_json(order)
        return
    say("Pending Order")
    print_order(core, order)
    print_payee(core)
    say(f"\nPay it with: smartpay order pay {order.txn} --method KEY  (see: smartpay methods --order {order.txn})")


@create_group.command("activate")
@as_option
@selection_options
@click.option("--pay-in", type=PAY_IN, default="money", show_default=True)
@_accept_terms
@json_option
@_quiet_option
def create_activate(as_login, project_type, installer, projects, services, items, pay_in, accept_terms, as_json,
                    quiet):
    """Order the activation of the selected items."""
    core, actor = session(as_login)
    selection = build_selection(core, actor, project_type, installer, projects, services, items)
    order = core.orders.create(actor, "activation", selection, accept_terms=accept_terms, pay_in=pay_in)
    _created(core, order, as_json, quiet)


@create_group.command("renew")
@as_option
@selection_options
@renew_options
@click.option("--pay-in", type=PAY_IN, default="money", show_default=True)
@_accept_terms
@json_option
@_quiet_option
def create_renew(as_login, project_type, installer, projects, services, items, renew_to, auto, cycles, until,
                 pay_in, accept_terms, as_json, quiet):
    """Order the renewal of the selected items."""
    core, actor = session(as_login)
    selection = build_selection(core, actor, project_type, installer, projects, services, items)
    order = core.orders.create(actor, "renewal", selection, accept_terms=accept_terms, pay_in=pay_in,
                               **renew_args(renew_to, auto, cycles, until))
    _created(core, order, as_json, quiet)


@create_group.command("credits")
@as_option
@click.option("--credits", "quantity", required=True, metavar="N", help="How many credits to buy.")
@click.option("--for", "for_login", metavar="LOGIN",
              help="An installer (or other account) of your downline whose balance the credits land in once "
                   "paid (default: your own).")
@_accept_terms
@json_option
@_quiet_option
def create_credits(as_login, quantity, for_login, accept_terms, as_json, quiet):
    """Order a credit purchase (distributors; pay with Stripe, PayPal or coupons)."""
    core, actor = session(as_login)
    order = core.orders.create_credit_purchase(actor, quantity, accept_terms=accept_terms, for_login=for_login)
    _created(core, order, as_json, quiet)


@order_group.command("show")
@as_option
@click.argument("txn")
@json_option
def order_show(as_login, txn, as_json):
    """Show one order with its items and payment attempts."""
    core, actor = session(as_login)
    order = core.orders.get(actor, txn)
    if as_json:
        emit_json(order)
        return
    print_order(core, order)
    if order.state == "processing":
        _print_instructions(core.payments.instructions(order))
        print_payee(core)


def _print_instructions(text: str) -> None:
    if text:
        heading("How to pay")
        say(text)


@order_group.command("pay")
@as_option
@click.argument("txn")
@click.option("--method", metavar="KEY", help="Payment method for what coupons do not cover (see `smartpay methods`).")
@click.option("--coupon", "coupons", multiple=True, metavar="CODE", help="Coupon code (repeatable).")
@json_option
def order_pay(as_login, txn, method, coupons, as_json):
    """Pay an order: coupons first (several allowed), then one method for the rest."""
    core, actor = session(as_login)
    outcome = core.payments.pay(actor, txn, method, coupons)
    if as_json:
        emit_json(outcome)
        return
    order = outcome.order
    say(f"order {order.txn}: {order.state.label}" + (f" — {outcome.message}" if outcome.message else ""))
    if outcome.redirect_url:
        say(f"complete the payment at: {outcome.redirect_url}")
    _print_instructions(outcome.instructions)


# -- offline payments: the platform operator's word (no login: whoever holds the database) ---------
@order_group.command("confirm")
@click.argument("txn")
@click.option("--reference", required=True, metavar="REF",
              help="The bank's or the receipt's reference for the money received.")
@json_option
def order_confirm(txn, reference, as_json):
    """Record that an offline payment (bank transfer, cash) arrived: the order completes.
    Audited; running it again with the same reference changes nothing."""
    from .runtime import open_core
    order = open_core().offline_payments.confirm(txn, reference)
    emit_json(order) if as_json else say(f"order {order.txn}: {order.state.label} (reference {reference})")


@order_group.command("reject")
@click.argument("txn")
@click.option("--reason", required=True, metavar="TEXT", help="Why the payment is refused (shown to the payer).")
@json_option
def order_reject(txn, reason, as_json):
    """Record that an offline payment will not arrive (or arrived wrong): the order fails with
    the reason. Audited; running it again changes nothing."""
    from .runtime import open_core
    order = open_core().offline_payments.reject(txn, reason)
    emit_json(order) if as_json else say(f"order {order.txn}: {order.state.label} ({reason})")


@order_group.command("cancel")
@as_option
@click.argument("txn")
def order_cancel(as_login, txn):
    """Cancel an unpaid order (coupons it had taken are given back)."""
    core, actor = session(as_login)
    order = core.orders.cancel(actor, txn)
    say(f"order {order.txn}: {order.state.label}")


@click.command("orders")
@as_option
@click.option("--state", metavar="S", help="processing, system_processing, succeeded, failed, timed_out, cancelled.")
@json_option
def orders(as_login, state, as_json):
    """Your orders, newest first."""
    core, actor = session(as_login)
    rows = core.orders.list(actor, state=state)
    if as_json:
        emit_json(rows)
        return
    table(["Transaction Number", "Transaction Type", "Project Type", "Total", "State", "Created"],
          [(o.txn, o.purpose.label, o.project_type.label if o.project_type else None,
            o.total.format(), o.state.label, core.ptime.format(o.created_at)) for o in rows])


@click.command("methods")
@as_option
@click.option("--order", "txn", required=True, metavar="TXN")
@json_option
def methods(as_login, txn, as_json):
    """Every installed payment method for an order: eligible, or not with the reason."""
    core, actor = session(as_login)
    options = core.payments.options(actor, txn)
    if as_json:
        emit_json(options)
        return
    table(["Method", "Label", "Plugin", "Eligible", "Reason"],
          [(o.key, o.label, o.plugin, o.eligible, o.reason) for o in options])
    order = core.orders.get(actor, txn)
    if order.total.is_credit:
        say(f"\nAvailable Credit: {core.credits.my_balance(actor)}")
    print_payee(core)
