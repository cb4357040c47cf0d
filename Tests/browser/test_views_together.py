"""The views together: the customer widget (demo page) and the agent console, each in its own headless Chromium,
talking to each other through a real chatd; the supervisor view in a third browser where it applies.

Every wait is a bounded wait for a condition in a page (or over HTTP); nothing asserts on speed.
"""
import json

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from views import (Select, agent_says, css, message_texts, open_console, open_supervisor, start_server_on,
                   take_from_queue, text_of, unread, wait, wait_for_chat, wait_for_message)
from widget_helpers import (fill_prechat, messages, notes, open_ticket_from_form, open_widget, q, qs, type_message,
                            view, wait_for)

XSS = "<img src=x onerror=alert(1)><script>window.pwned=1</script><b>bold</b>"
RESTART_WAIT = 30  # the pages reconnect with backoff (0.5 s doubling, up to 10 s)


# --------------------------------------------------------------------------- helpers

def console_chats(driver) -> list[int]:
    """The session ids of the chat tabs in the console, in tab order."""
    return driver.execute_script(
        "return [...document.querySelectorAll('#chat-tabs [role=tab]')].map((t) => Number(t.dataset.sessionId))")


def console_chat(driver, index=0, timeout=15) -> int:
    """The session id of the console's chat tab number `index` (waits for it)."""
    wait(driver, timeout).until(lambda d: len(console_chats(d)) > index)
    sid = console_chats(driver)[index]
    wait_for_chat(driver, sid)
    return sid


def console_messages(driver, sid) -> list[dict]:
    """Every message bubble of a chat in the console, in DOM order: seq, role, text, pending."""
    return driver.execute_script("""
        return [...document.querySelectorAll(arguments[0])].map((li) => ({
          seq: li.dataset.seq ? Number(li.dataset.seq) : null,
          role: [...li.classList].find((c) => c.startsWith('msg-'))?.slice(4) ?? null,
          text: li.querySelector('.text').textContent, pending: li.classList.contains('pending')}));""",
                                 f"#panel-{sid} .timeline .msg")


def console_receipt(driver, sid, text) -> str | None:
    """The read receipt under the agent's message with this text."""
    return driver.execute_script("""
        const item = [...document.querySelectorAll(arguments[0])].find((li) => li.querySelector('.text').textContent === arguments[1]);
        return item ? item.querySelector('.receipt').textContent : null;""",
                                 f"#panel-{sid} .msg-agent:not(.pending)", text)


def widget_status_of(driver, text) -> list:
    """The statuses ("sending…", "sent", "read") of the customer's own messages with this text."""
    return [m["status"] for m in messages(driver) if m["role"] == "customer" and m["text"] == text]


def widget_has(driver, role, text) -> bool:
    return any(m["role"] == role and m["text"] == text and not m["pending"] for m in messages(driver))


def start_chat_in_widget(driver, server, contact, name, org="acme", subject="Calculator pricing",
                         text="How do I add a paper stock?"):
    open_widget(driver, server, server.token(org, contact, name=name))
    fill_prechat(driver, subject=subject, text=text)


def transcript_texts(server, sid) -> list[str]:
    events = server.transcript(sid, server.login("sue"))["events"]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    return [e["text"] for e in events if e["kind"] in ("requested", "message")]


# --------------------------------------------------------------------------- 1. conversation across a restart

def test_conversation_both_ways_then_server_restart_mid_conversation(server, browsers, screenshot):
    console = open_console(browsers(width=1280, height=860), server, "ann")
    widget = browsers(width=900, height=760)
    start_chat_in_widget(widget, server, "c1", "Cathy Customer", subject="Paper stocks")
    sid = console_chat(console)
    wait_for(widget, lambda d: q(d, ".cw-status-line").text == "Chatting with Ann", message="joined")
    wait_for_message(console, sid, "customer", "How do I add a paper stock?")

    # The agent types: the widget shows it; Enter sends; the widget reads it and the console shows "Read".
    css(console, f"#compose-{sid}").send_keys("Go to Settings")
    wait_for(widget, lambda d: q(d, ".cw-typing").text == "Ann is typing…", message="agent typing in the widget")
    css(console, f"#compose-{sid}").send_keys(" > Stocks.", Keys.ENTER)
    wait_for(widget, lambda d: widget_has(d, "agent", "Go to Settings > Stocks."), message="agent message")
    wait_for(widget, lambda d: q(d, ".cw-typing").text == "", message="agent typing cleared")
    wait(console).until(lambda d: console_receipt(d, sid, "Go to Settings > Stocks.") == "Read")

    # The customer types: the console shows it; Enter sends; the console reads it and the widget shows "read".
    box = q(widget, ".cw-input")
    box.send_keys("Found it")
    wait(console).until(lambda d: text_of(d, f"#panel-{sid} .typing") == "Cathy Customer is typing…")
    box.send_keys(", thanks!", Keys.ENTER)
    wait_for_message(console, sid, "customer", "Found it, thanks!")
    assert text_of(console, f"#panel-{sid} .typing") == ""
    wait_for(widget, lambda d: widget_status_of(d, "Found it, thanks!") == ["read"], message="read receipt in widget")
    screenshot(widget, "together-widget")
    screenshot(console, "together-console")

    # kill -9: both pages say they are reconnecting; what is written meanwhile waits in each page.
    port = server.port
    server.kill()
    wait_for(widget, lambda d: q(d, ".cw-root").get_attribute("data-connection") == "reconnecting",
             message="widget reconnecting")
    assert q(widget, ".cw-banner").is_displayed() and q(widget, ".cw-banner").text.startswith("Reconnecting…")
    wait(console, 15).until(lambda d: "reconnecting" in css(d, "#connection-banner").text.lower())
    assert css(console, "#connection-banner").is_displayed()
    from_widget = "Typed in the widget while the server was down"
    from_console = "Typed in the console while the server was down"
    type_message(widget, from_widget)
    agent_says(console, sid, from_console)
    wait_for(widget, lambda d: widget_status_of(d, from_widget) == ["sending…"], message="pending in the widget")
    wait(console).until(lambda d: [m["text"] for m in console_messages(d, sid) if m["pending"]] == [from_console])

    # Same port again: both recover by themselves and deliver what was typed while the server was down.
    start_server_on(server, port)
    wait_for(widget, lambda d: q(d, ".cw-root").get_attribute("data-connection") == "open", timeout=RESTART_WAIT,
             message="widget reconnected")
    wait(console, RESTART_WAIT).until(lambda d: not css(d, "#connection-banner").is_displayed())
    assert not q(widget, ".cw-banner").is_displayed()
    # Whatever availability the restarted server gives Ann, the console says it in words.
    wait(console).until(lambda d: text_of(d, "#status-note") == {
        "available": "You are Available: new chats are routed to you.",
        "away": "You are Away: you will not receive new chats.",
        "offline": "You are Offline: you will not receive new chats or transfers.",
    }[Select(css(d, "#status")).first_selected_option.get_attribute("value")])
    wait_for(widget, lambda d: widget_has(d, "agent", from_console), timeout=RESTART_WAIT,
             message="console's message reached the widget")
    wait_for_message(console, sid, "customer", from_widget, timeout=RESTART_WAIT)
    wait_for(widget, lambda d: widget_status_of(d, from_widget) in (["sent"], ["read"]), message="widget's message sent")
    wait(console).until(lambda d: not any(m["pending"] for m in console_messages(d, sid)))

    # The conversation goes on both ways.
    agent_says(console, sid, "Good to have you back, Cathy.")
    wait_for(widget, lambda d: widget_has(d, "agent", "Good to have you back, Cathy."))
    type_message(widget, "Same here, bye!")
    wait_for_message(console, sid, "customer", "Same here, bye!")
    # Read receipts work again after the restart, on both sides.
    wait_for(widget, lambda d: widget_status_of(d, "Same here, bye!") == ["read"], message="read after restart")
    wait(console).until(lambda d: console_receipt(d, sid, "Good to have you back, Cathy.") == "Read")
    assert console_receipt(console, sid, from_console) == "Read"

    # Each page shows every message exactly once, in the stored order.
    stored = transcript_texts(server, sid)
    assert sorted(stored) == sorted([
        "How do I add a paper stock?", "Go to Settings > Stocks.", "Found it, thanks!", from_widget, from_console,
        "Good to have you back, Cathy.", "Same here, bye!"])
    in_widget = messages(widget)
    in_console = console_messages(console, sid)
    assert not any(m["pending"] for m in in_widget) and not any(m["pending"] for m in in_console)
    assert [m["text"] for m in in_widget] == stored
    assert [m["text"] for m in in_console] == stored
    for seqs in ([m["seq"] for m in in_widget], [m["seq"] for m in in_console]):
        assert seqs == sorted(set(seqs)), seqs


# --------------------------------------------------------------------------- 2. one agent, two customers

def test_one_agent_serves_two_customers_in_two_widgets(server, browsers):
    console = open_console(browsers(width=1280, height=860), server, "ann")
    cathy = browsers()
    start_chat_in_widget(cathy, server, "c1", "Cathy Customer", subject="Paper stocks",
                         text="Where are the paper stocks?")
    first = console_chat(console, 0)
    wait_for(cathy, lambda d: q(d, ".cw-status-line").text == "Chatting with Ann")
    gus = browsers()
    start_chat_in_widget(gus, server, "g1", "Gus Globex", org="globex", subject="Calculator",
                         text="Our calculator shows 0")
    second = console_chat(console, 1)
    wait_for(gus, lambda d: q(d, ".cw-status-line").text == "Chatting with Ann")
    assert first != second

    # Interleaved: the first chat is focused in the console, the second one counts unread messages.
    wait(console).until(lambda d: unread(d, second) == 1)
    type_message(gus, "It started this morning")
    type_message(cathy, "Also the price list")
    wait_for_message(console, second, "customer", "It started this morning")
    wait_for_message(console, first, "customer", "Also the price list")
    wait(console).until(lambda d: unread(d, second) == 2)
    assert unread(console, first) == 0
    wait(console).until(lambda d: d.title.startswith("(2) "))
    assert css(console, f"#tab-{second} .badge").text == "2"
    tabs = {sid: text_of(console, f"#tab-{sid} .tab-name") for sid in (first, second)}
    assert tabs == {first: "Cathy Customer", second: "Gus Globex"}

    agent_says(console, first, "Settings > Stocks, Cathy.")
    wait_for(cathy, lambda d: widget_has(d, "agent", "Settings > Stocks, Cathy."))
    css(console, f"#tab-{second}").click()
    wait(console).until(lambda d: unread(d, second) == 0 and not d.title.startswith("("))
    agent_says(console, second, "Let me check the calculator, Gus.")
    wait_for(gus, lambda d: widget_has(d, "agent", "Let me check the calculator, Gus."))
    # Now the first chat is in the background: Cathy's next message is unread there.
    type_message(cathy, "Found them, thanks")
    wait(console).until(lambda d: unread(d, first) == 1)
    assert css(console, f"#tab-{first} .badge").text == "1"
    type_message(gus, "Thanks Ann")
    wait_for_message(console, second, "customer", "Thanks Ann")
    assert unread(console, second) == 0

    # Each customer sees only their own conversation; so does each chat in the console.
    cathy_texts = ["Where are the paper stocks?", "Also the price list", "Settings > Stocks, Cathy.", "Found them, thanks"]
    gus_texts = ["Our calculator shows 0", "It started this morning", "Let me check the calculator, Gus.", "Thanks Ann"]
    wait_for(cathy, lambda d: widget_status_of(d, "Found them, thanks") in (["sent"], ["read"]))
    wait_for(gus, lambda d: widget_status_of(d, "Thanks Ann") in (["sent"], ["read"]))
    assert [m["text"] for m in messages(cathy)] == cathy_texts
    assert [m["text"] for m in messages(gus)] == gus_texts
    wait(console).until(lambda d: [m["text"] for m in console_messages(d, first)] == cathy_texts)
    assert [m["text"] for m in console_messages(console, second)] == gus_texts
    assert transcript_texts(server, first) == cathy_texts
    assert transcript_texts(server, second) == gus_texts


# --------------------------------------------------------------------------- 3. budget, conversion, supervisor

def test_budget_runs_out_customer_accepts_ticket_and_supervisor_finds_it(make_server, browsers, screenshot):
    # One minute of quick-question time, warning at 30 s left, with the server clock running 10x: the warning
    # comes 3 s after the agent joins and the offer 6 s after.
    server = make_server({"clockSpeed": 10}, start=False)
    policy = json.loads(server.policy_path.read_text())
    policy["chat"] = {"quickQuestionMinutes": 1, "warningMinutesLeft": 0.5}
    server.policy_path.write_text(json.dumps(policy))
    server.start()

    console = open_console(browsers(width=1280, height=860), server, "ann")
    widget = browsers(width=900, height=760)
    start_chat_in_widget(widget, server, "c1", "Cathy Customer", subject="Rebuild the calculator",
                         text="Our calculator needs new formulas")
    sid = console_chat(console)
    agent_says(console, sid, "That sounds bigger than a quick question.")
    wait_for(widget, lambda d: widget_has(d, "agent", "That sounds bigger than a quick question."))

    # Warning, then the offer: in the widget the offer card, in the console the pending offer.
    wait_for(widget, lambda d: "budget_warning" in notes(d), timeout=30, message="budget warning")
    wait(console, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, f"#panel-{sid} [data-kind='budget_warning']"))
    wait_for(widget, lambda d: qs(d, ".cw-offer .cw-actions button"), timeout=30, message="conversion offer")
    assert q(widget, ".cw-budget").text == "Quick-question time is up."
    wait(console, 30).until(lambda d: css(d, f"#panel-{sid}").get_attribute("data-stage") == "offer_pending")
    assert "offer pending" in text_of(console, f"#panel-{sid} .stage-warning")
    assert not css(console, f"#panel-{sid} .offer-box").is_displayed()

    # The customer accepts: the ticket number in the widget; the console shows the same number and the end.
    q(widget, ".cw-offer").find_element(By.XPATH, ".//button[normalize-space()='Yes, open a ticket']").click()
    wait_for(widget, lambda d: q(d, ".cw-ticket").is_displayed(), message="ticket banner")
    number = int(q(widget, ".cw-ticket .cw-ticket-number").text.lstrip("#"))
    wait_for(widget, lambda d: q(d, ".cw-closed").is_displayed(), message="closed in the widget")
    wait(console).until(lambda d: css(d, f"#panel-{sid}").get_attribute("data-state") == "closed")
    assert text_of(console, f"#panel-{sid} .ticket-banner") == f"Converted to ticket #{number}"
    assert f"(ticket #{number})" in text_of(console, f"#tab-{sid}")
    assert f"#{number}" in text_of(console, f"#panel-{sid} .timeline [data-kind='converted']")
    assert not css(console, f"#compose-{sid}").is_enabled()

    # A supervisor finds the transcript by organization and outcome and reads it.
    supervisor = open_supervisor(browsers(width=1400, height=1000), server)
    css(supervisor, "#filter-organization").send_keys("acme")
    Select(css(supervisor, "#filter-outcome")).select_by_value("converted")
    css(supervisor, "#search-transcripts").click()

    def found(d):
        return [int(r.get_attribute("data-session-id")) for r in d.find_elements(By.CSS_SELECTOR, "#transcript-rows tr")]

    wait(supervisor).until(lambda d: text_of(d, "#transcripts-status").endswith("found.") and found(d) == [sid])
    row = f"#transcript-rows tr[data-session-id='{sid}']"
    assert f"#{number}" in text_of(supervisor, f"{row} .outcome")
    css(supervisor, f"{row} .read-transcript").click()
    wait(supervisor).until(lambda d: "Rebuild the calculator" in text_of(d, "#reader-title"))
    texts = supervisor.execute_script(
        "return [...document.querySelectorAll('#reader-events li .text')].map((n) => n.textContent)")
    assert "Our calculator needs new formulas" in texts
    assert "That sounds bigger than a quick question." in texts
    assert f"Ticket #{number}" in text_of(supervisor, "#reader-events li[data-kind='converted']")
    kinds = [e.get_attribute("data-kind") for e in supervisor.find_elements(By.CSS_SELECTOR, "#reader-events li")]
    assert "budget_warning" in kinds and "conversion_offered" in kinds and "offer_accepted" in kinds
    assert kinds[-1] == "closed"


# --------------------------------------------------------------------------- 4. Basic plan: a ticket instead

def test_basic_plan_customer_opens_a_ticket_that_staff_can_read(server, browsers):
    console = open_console(browsers(), server, "ann")
    widget = browsers(width=900, height=760)
    # Availability up front: the ticket form at once, under the reason.
    open_widget(widget, server, server.token("basicco", "b1", name="Bea Basic"), expect_view="ticket_form")
    explain = q(widget, ".cw-availability")
    assert explain.get_attribute("data-code") == "plan_excludes_chat"
    assert "isn't part of your plan" in explain.text
    number = open_ticket_from_form(widget, "Proof approval emails", "Customers do not get proof emails.")
    assert view(widget) == "ticket_done"

    for staff in ("ann", "sue"):
        status, body = server.http("GET", f"/api/tickets/{number}", server.login(staff))
        assert status == 200, (staff, status, body)
        assert body["ticket"]["subject"] == "Proof approval emails"
        assert body["ticket"]["organizationId"] == "basicco"
        assert body["ticket"]["sessionId"] is None
    # No chat reached the console: nothing queued, no chat tab.
    assert text_of(console, "#queue-count") == "0"
    assert console_chats(console) == []


# --------------------------------------------------------------------------- 5. markup is text on both sides

def test_markup_typed_on_either_side_is_literal_text_on_the_other(server, browsers):
    console = open_console(browsers(), server, "ann")
    widget = browsers(width=900, height=760)
    start_chat_in_widget(widget, server, "c1", "Cathy Customer", subject=XSS, text="Hello")
    sid = console_chat(console)
    wait_for(widget, lambda d: q(d, ".cw-status-line").text == "Chatting with Ann")

    type_message(widget, XSS)
    wait_for_message(console, sid, "customer", XSS)
    agent_says(console, sid, XSS)
    wait_for(widget, lambda d: widget_has(d, "agent", XSS), message="agent's markup in the widget")
    wait_for(widget, lambda d: widget_status_of(d, XSS) in (["sent"], ["read"]))

    assert message_texts(console, sid, "customer") == ["Hello", XSS]
    assert message_texts(console, sid, "agent") == [XSS]
    assert css(console, f"#panel-{sid} .chat-head dd.subject").get_attribute("textContent") == XSS
    assert [(m["role"], m["text"]) for m in messages(widget)] == [("customer", "Hello"), ("customer", XSS),
                                                                   ("agent", XSS)]
    for driver, transcript in ((console, f"#panel-{sid} .timeline"), (widget, ".cw-transcript")):
        assert driver.execute_script("return typeof window.pwned") == "undefined"
        assert driver.find_elements(By.CSS_SELECTOR, f"{transcript} img, {transcript} script, {transcript} b") == []
    assert console.find_elements(By.CSS_SELECTOR, "#app img, #app script, #app b") == []
    assert widget.find_elements(By.CSS_SELECTOR, ".cw-root img, .cw-root script, .cw-root b") == []


# --------------------------------------------------------------------------- 6. the supervisor watches a take

def test_supervisor_board_follows_a_customer_waiting_and_an_agent_taking_the_chat(make_server, browsers):
    # A slow server clock (1/20) spaces the throttled queue frames 5 s apart, while session frames still come at
    # once: the board must not list the taken chat as queued and active at the same time in between.
    server = make_server({"clockSpeed": 0.05})
    console = open_console(browsers(), server, "ann", available=False)
    supervisor = open_supervisor(browsers(width=1400, height=1000), server)
    widget = browsers(width=900, height=760)
    start_chat_in_widget(widget, server, "c1", "Cathy Customer", subject="Paper stocks")
    wait_for(widget, lambda d: q(d, ".cw-status-line").text == "You are next in the queue", message="queued")
    wait(supervisor, 15).until(lambda d: "Cathy Customer" in text_of(d, "#queued-rows tr[data-session-id]"))
    sid = int(css(supervisor, "#queued-rows tr[data-session-id]").get_attribute("data-session-id"))

    wait(console, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, f"#queue li[data-session-id='{sid}'] .take"))
    take_from_queue(console, sid)
    wait_for_chat(console, sid)
    wait_for(widget, lambda d: q(d, ".cw-status-line").text == "Chatting with Ann", message="taken")

    def board(d):  # both tables read in one script: the board re-renders on every frame
        return d.execute_script("""
            const ids = (sel) => [...document.querySelectorAll(sel)].map((tr) => Number(tr.dataset.sessionId));
            return {queued: ids('#queued-rows tr[data-session-id]'), active: ids('#active-rows tr[data-session-id]'),
                    agent: document.querySelector('#active-rows tr[data-session-id] .agent')?.textContent ?? null};""")

    wait(supervisor).until(lambda d: board(d)["active"] == [sid])
    assert board(supervisor) == {"queued": [], "active": [sid], "agent": "Ann"}
    agent_says(console, sid, "Hello Cathy, Ann here.")
    wait_for(widget, lambda d: widget_has(d, "agent", "Hello Cathy, Ann here."))
    css(console, f"#panel-{sid} .close-chat").click()
    wait_for(widget, lambda d: q(d, ".cw-closed").is_displayed(), message="closed")
    wait(supervisor).until(lambda d: board(d)["active"] == [])
    assert board(supervisor)["queued"] == []
