"""The desk an operator can trust (issue 10 #5, #9, #10, #13, #14, #17): a focus you can see,
ticks that differ without colour (NO_COLOR=1 too), lists that take the first key, help on ?/F1,
each role offered only what it may do, the property manager's project switcher, the demo clock,
and a hosted page's address as one copyable line."""
from __future__ import annotations

import pytest
from shell_helpers import settle
from textual.app import App
from textual.color import Color
from textual.widgets import HelpPanel, Label, OptionList

from smartpay.tui.app import SmartpayApp
from smartpay.tui.commands import SmartpayCommands
from smartpay.tui.screens.hosted_payment import one_line
from smartpay.tui.sections import sections_for
from smartpay.tui.widgets.ticks import RadioChoice, TickBox, TickList


def _lines(app) -> str:
    width, height = app.size
    return "\n".join("".join(seg.text for seg in app.screen._compositor.render_strips()[y])  # noqa: SLF001
                     for y in range(height))


@pytest.mark.asyncio
async def test_the_focused_control_has_an_accent_bar_and_others_reserve_its_cell(session_for):
    app = SmartpayApp(session_for("aktest").core, session=session_for("aktest"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        nav = app.screen.query_one("#nav", OptionList)
        assert app.focused is nav
        assert nav.styles.border_left[0] == "outer"
        assert nav.styles.border_left[1] == Color.parse(app.get_css_variables()["accent"])
        await pilot.press("enter")          # into the Subscription pane: its table takes the focus
        await settle(pilot)
        table = app.focused
        assert table is not nav and table.styles.border_left[0] == "outer"
        assert nav.styles.border_left[0] == "blank"   # the cell stays: nothing shifts when focus moves


@pytest.mark.asyncio
async def test_ticks_differ_in_shape_with_no_color(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")

    class Ticks(App):
        def compose(self):
            yield TickBox("Terms", id="terms", compact=True)
            yield RadioChoice("Manual Renew", value=True, id="manual", compact=True)
            yield RadioChoice("Auto Renew", id="auto", compact=True)
            yield TickList[str](id="services", compact=True)

    app = Ticks()
    async with app.run_test(size=(40, 12)) as pilot:
        assert app.no_color
        app.query_one(TickList).add_options([("Door", "door", True), ("Premium", "premium", False)])
        await pilot.pause()
        text = _lines(app)
        assert "[ ] Terms" in text and "(•) Manual Renew" in text and "( ) Auto Renew" in text
        assert "[x] Door" in text and "[ ] Premium" in text
        app.query_one(TickBox).value = True
        await pilot.pause()
        assert "[x] Terms" in _lines(app)


@pytest.mark.asyncio
async def test_a_list_that_takes_focus_has_a_highlighted_option_so_the_first_key_acts(session_for):
    """Assign credits: ↓ from the user box lands on the first user, and Enter picks them."""
    session = session_for("aktest")
    app = SmartpayApp(session.core, session=session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("3")                       # Credit Logs
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        await pilot.press("tab")                     # the user box
        await pilot.press("down")                    # → the list: the first user is highlighted at once
        users = app.screen.query_one("#assign-users", OptionList)
        assert app.focused is users and users.highlighted == 0
        first = users.get_option_at_index(0).id
        await pilot.press("enter")
        assert app.screen.query_one("#assign-user").value == first


@pytest.mark.asyncio
async def test_f1_and_question_mark_show_and_hide_the_keys_of_the_screen(session_for):
    session = session_for("aktest")
    app = SmartpayApp(session.core, session=session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert app.screen.query(HelpPanel)
        await pilot.press("question_mark")
        await pilot.pause()
        assert not app.screen.query(HelpPanel)


@pytest.mark.asyncio
async def test_question_mark_typed_in_a_text_box_stays_a_question_mark(session_for):
    session = session_for("aktest")
    app = SmartpayApp(session.core, session=session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("slash", "question_mark")
        assert app.screen.query_one("#ledger-filter").value == "?"
        assert not app.screen.query(HelpPanel)


@pytest.mark.asyncio
@pytest.mark.parametrize("login, assigns, plugins", [("aktest", True, True), ("inst_credit", False, True),
                                                     ("pm_credit", False, False)])
async def test_each_role_is_offered_only_what_it_may_do(session_for, login, assigns, plugins):
    session = session_for(login)
    assert ("plugins" in [s.key for s in sections_for(session.actor.role)]) is plugins
    app = SmartpayApp(session.core, session=session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        provider = SmartpayCommands(app.screen)
        await provider.startup()
        titles = [title for title, _, _ in provider.entries]
        assert ("Credit Logs: Assign credits" in titles) is assigns
        assert ("Open Plugins" in titles) is plugins
        await pilot.press("3" if login == "aktest" else "2")   # Credit Logs, from the left column
        await settle(pilot)
        await pilot.press("escape")
        keys = {b.binding.key for b in app.screen.active_bindings.values() if b.binding.show}
        assert ("a" in keys) is assigns          # shown in the footer from the column, no Tab first


@pytest.mark.asyncio
async def test_orders_pay_key_is_in_the_footer(session_for):
    session = session_for("inst_regular")
    app = SmartpayApp(session.core, session=session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("4")   # Orders
        await settle(pilot)
        shown = {b.binding.key: b.binding.description for b in app.screen.active_bindings.values() if b.binding.show}
        assert shown.get("p") == "Pay"


@pytest.mark.asyncio
async def test_property_manager_switches_project_by_name_in_the_header(session_for):
    session = session_for("pm_credit")
    app = SmartpayApp(session.core, session=session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "All my projects" in str(app.screen.query_one("#project").label)
        await pilot.press("ctrl+t")
        await settle(pilot)
        listing = app.screen.query_one(OptionList)
        assert listing.highlighted == 0 and "New Commercial" in str(listing.get_option_at_index(0).prompt)
        await pilot.press("enter")
        await settle(pilot)
        assert app.session.project is not None and app.session.project.name == "New Commercial"
        assert "New Commercial ▾" in str(app.screen.query_one("#project").label)
        table = app.screen.query_one("#subscription-table")
        assert table.rows and {row[4] for row in table.rows} == {"New Commercial"}


@pytest.mark.asyncio
async def test_other_roles_have_no_project_switcher(session_for):
    session = session_for("inst_credit")
    app = SmartpayApp(session.core, session=session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert not app.screen.query("#project")
        await pilot.press("ctrl+t")
        assert len(app.screen_stack) == 2


@pytest.mark.asyncio
async def test_the_demo_clock_is_shown_from_the_cores_clock(session_for):
    session = session_for("aktest")   # the fixtures' FixedClock: 2025-09-10 14:00 GMT+8
    app = SmartpayApp(session.core, session=session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = str(app.screen.query_one("#demo-clock").render())
        assert "Demo · GMT+8" in text and "2025-09-10 14:00" in text


def test_a_hosted_page_address_is_one_unwrapped_hyperlinked_line():
    url = "http://127.0.0.1:12345/c/pay/cs_test_" + "a" * 120
    line = one_line(url, link=url)
    assert line.plain == url and "\n" not in line.plain
    assert line.no_wrap and line.style.link == url


@pytest.mark.asyncio
async def test_subscription_rows_identify_the_item_at_80_columns(session_for):
    session = session_for("aktest")
    app = SmartpayApp(session.core, session=session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#subscription-table")
        assert table.columns[0] == "Expiration (GMT+8)"
        text = _lines(app)
        assert "Test 1" in text and "Personnel App" in text   # name and service, not cut away
        assert "GMT+8:00" not in text.split("Expiration (GMT+8)")[1]  # the zone only in the header


@pytest.mark.asyncio
@pytest.mark.parametrize("login", ["aktest", "inst_credit", "pm_credit"])
async def test_at_80_columns_every_pane_footer_ends_with_quit_and_help(session_for, demo_core, login):
    # Issue 10 #12: the footer lost its last keys at 80 columns (Orders and Credit Logs cut "^q
    # Quit" and "f1 Help"). Credit Logs is shown on a middle page, where both page keys show too.
    from pane_harness import bulk_ledger
    from smartpay.tui.screens.credit_logs import PAGE_SIZE
    bulk_ledger(demo_core, login, 2 * PAGE_SIZE + 5)
    session = session_for(login)
    app = SmartpayApp(session.core, session=session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for n, section in enumerate(sections_for(session.actor.role), start=1):
            await pilot.press("escape", str(n))
            await settle(pilot)
            if section.key == "credit_logs":
                await pilot.press("n")
                await settle(pilot)
            footer = _lines(app).splitlines()[-1]
            assert "^q Quit f1 Help" in footer, (section.key, footer)
            shown = [b.binding.description for b in app.screen.active_bindings.values() if b.binding.show]
            assert all(description in footer for description in shown), (section.key, footer, shown)
