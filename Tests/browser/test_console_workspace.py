"""The agent console's workspace (issue 12) in headless Chromium against a real chatd: the Tickets view, canned
replies, notes in a chat, the customer context panel, finished chats leaving the tab strip and auto-away.
Python clients (chatlib) play the customers and check what reaches them."""
import json

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC

from selenium.webdriver.support.ui import WebDriverWait

from views import Select, css, message_texts, open_console, wait, wait_for_chat, wait_for_message


def preset_settings(driver, server, **settings):
    """Console settings (workspace-prefs.js) stored before the agent logs in."""
    driver.get(f"http://127.0.0.1:{server.port}/console/")
    driver.execute_script("localStorage.setItem('chatd.console.settings', arguments[0])", json.dumps(settings))


def start_chat(server, driver, subject="Paper stocks", text="How do I add a paper stock?"):
    customer = server.customer("acme", "c1", name="Cathy")
    sid = customer.request_chat("r1", text=text, subject=subject)["sessionId"]
    customer.expect_event(sid, "joined", timeout=10)
    wait_for_chat(driver, sid)
    wait_for_message(driver, sid, "customer", text)
    return customer, sid


def text(driver, selector):
    """An element's text read in one script: the open ticket is re-rendered by live updates."""
    return driver.execute_script("return document.querySelector(arguments[0])?.textContent ?? ''", selector)


def act(driver, action):
    """Runs a Selenium action again if a live update re-rendered its element meanwhile."""
    def attempt(d):
        action(d)
        return True
    WebDriverWait(driver, 10, ignored_exceptions=(StaleElementReferenceException,)).until(attempt)


def history_kinds(driver):
    return driver.execute_script(
        "return [...document.querySelectorAll('#ticket-history .entry')].map((n) => n.dataset.kind)")


def test_agent_answers_a_ticket_from_the_tickets_view(server, browsers, screenshot):
    cathy = server.token("acme", "c1", name="Cathy", email="cathy@acme.example")
    status, body = server.http("POST", "/api/tickets", cathy, {
        "subject": "Orders fail at checkout", "product": "pressero", "category": "incident", "severity": 2,
        "description": "Customers see an error when they pay."})
    assert status == 201, body
    number = body["ticket"]["number"]

    driver = open_console(browsers(), server, "ann", available=False)
    css(driver, "#view-tickets").click()
    row = f'.ticket-row[data-number="{number}"]'
    wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, row)))
    # The first response is due: a live countdown.
    wait(driver).until(lambda d: "First response due in" in css(d, f"{row} .due").text)
    # Filters: severity 1 hides it, severity 2 shows it; "overdue" hides a ticket not yet due.
    Select(css(driver, "#ticket-filter-severity")).select_by_value("1")
    wait(driver).until(lambda d: not d.find_elements(By.CSS_SELECTOR, row))
    Select(css(driver, "#ticket-filter-severity")).select_by_value("2")
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, row))
    Select(css(driver, "#ticket-filter-due")).select_by_value("overdue")
    wait(driver).until(lambda d: not d.find_elements(By.CSS_SELECTOR, row))
    Select(css(driver, "#ticket-filter-due")).select_by_value("")
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, row))

    css(driver, f"{row} .ticket-open").click()
    wait(driver).until(lambda d: f"#{number}" in text(d, "#ticket-title"))
    assert history_kinds(driver) == ["created"]

    css(driver, "#ticket-reply-text").send_keys("We are looking at your checkout now.")
    css(driver, "#ticket-reply-send").click()
    wait(driver).until(lambda d: "reply" in history_kinds(d))
    wait(driver).until(lambda d: text(d, "#ticket-status") == "Open")

    act(driver, lambda d: css(d, "#ticket-note-text").send_keys("Payment gateway logs show timeouts (internal)."))
    act(driver, lambda d: css(d, "#ticket-note-add").click())
    wait(driver).until(lambda d: "note" in history_kinds(d))

    act(driver, lambda d: css(d, "#ticket-assign-me").click())
    wait(driver).until(lambda d: text(d, "#ticket-assignee") == "Ann")

    # An illegal transition (Open -> New): the server's sentence is shown.
    act(driver, lambda d: Select(css(d, "#ticket-status-select")).select_by_value("new"))
    act(driver, lambda d: css(d, "#ticket-status-change").click())
    wait(driver).until(lambda d: text(d, "#ticket-error").strip() != "")
    assert text(driver, "#ticket-status") == "Open"
    act(driver, lambda d: (Select(css(d, "#ticket-status-select")).select_by_value("awaiting_reply"),
                           css(d, "#ticket-status-change").click()))
    wait(driver).until(lambda d: text(d, "#ticket-status") == "Awaiting your reply")

    # The customer's ticket API: the reply is there, the internal note and the assignment entry are not.
    status, body = server.http("GET", f"/api/tickets/{number}", cathy)
    assert status == 200
    replies = [e for e in body["history"] if e["kind"] == "reply"]
    assert [(e["text"], e["actor"]["name"]) for e in replies] == [("We are looking at your checkout now.", "Ann")]
    assert all(e["kind"] not in ("note", "assigned") for e in body["history"])
    assert "gateway" not in json.dumps(body)

    # Live: the customer answers; the open ticket shows it without a reload (a `ticket` frame).
    assert server.http("POST", f"/api/tickets/{number}/replies", cathy, {"text": "Thanks, it happens on Visa only."})[0] == 200
    wait(driver).until(lambda d: "Visa only" in text(d, "#ticket-history"))
    wait(driver).until(lambda d: text(d, "#ticket-status") == "Open")
    driver.execute_script("window.scrollTo(0, 0); document.getElementById('ticket-detail').scrollTop = 0")
    screenshot(driver, "console-tickets")


def test_canned_reply_with_placeholders_inserted_with_slash(server, browsers):
    ann = server.login("ann")
    status, body = server.http("POST", "/api/canned-replies", ann, {
        "shortcut": "thanks", "title": "Thank you",
        "body": "Hi {customer.name}, this is {agent.name} for {organization.name}."})
    assert status == 201, body
    driver = open_console(browsers(), server, "ann")
    customer, sid = start_chat(server, driver)
    # The organization's name comes with the context panel.
    wait(driver).until(lambda d: "Acme" in css(d, f"#context-{sid} .context-org").text)

    box = css(driver, f"#compose-{sid}")
    box.send_keys("/tha")
    wait(driver).until(lambda d: css(d, f"#compose-{sid}-canned").is_displayed())
    assert css(driver, f"#compose-{sid}-canned .canned-option[aria-selected='true']").get_attribute("data-shortcut") == "thanks"
    box.send_keys(Keys.ENTER)  # inserts, does not send
    wait(driver).until(lambda d: css(d, f"#compose-{sid}").get_attribute("value") == "Hi Cathy, this is Ann for Acme.")
    assert not css(driver, f"#compose-{sid}-canned").is_displayed()
    box.send_keys(Keys.ENTER)
    assert customer.expect_event(sid, "message", timeout=10)["text"] == "Hi Cathy, this is Ann for Acme."

    # The manager lists it; a personal reply added there is offered at once.
    css(driver, "#canned-manager summary").click()
    wait(driver).until(lambda d: "/thanks" in css(d, "#canned-list").text)
    css(driver, "#canned-shortcut").send_keys("bye")
    css(driver, "#canned-body").send_keys("Bye {customer.name}!")
    css(driver, "#canned-save").click()
    wait(driver).until(lambda d: "/bye" in css(d, "#canned-list").text)
    box = css(driver, f"#compose-{sid}")
    box.send_keys("/by")
    wait(driver).until(lambda d: css(d, f"#compose-{sid}-canned").is_displayed())
    box.send_keys(Keys.TAB)
    wait(driver).until(lambda d: css(d, f"#compose-{sid}").get_attribute("value") == "Bye Cathy!")


def test_a_note_and_a_whisper_never_reach_the_customer(server, browsers):
    driver = open_console(browsers(), server, "ann")
    customer, sid = start_chat(server, driver)

    css(driver, f"#note-mode-{sid}").click()
    box = css(driver, f"#compose-{sid}")
    box.send_keys("Zanzibar account: check the invoice run")
    box.send_keys(Keys.ENTER)
    wait(driver).until(lambda d: "Zanzibar account" in css(d, f"#panel-{sid} .msg.note:not(.pending)").text)
    assert "not visible to the customer" in css(driver, f"#panel-{sid} .msg.note").text

    # A supervisor's whisper is shown as such.
    sue = server.staff("sue")
    sue.send("sync", sessionId=sid, afterSeq=0)
    sue.expect("synced", lambda f: f["sessionId"] == sid)
    sue.send("note", sessionId=sid, clientId="w1", text="Offer the zanzibar refund")
    sue.expect_ack("w1")
    wait(driver).until(lambda d: "Offer the zanzibar refund" in css(d, f"#panel-{sid} .msg.note.whisper").text)
    assert "Whisper from Sue" in css(driver, f"#panel-{sid} .msg.note.whisper .meta").text

    # Back to replies: the customer gets the message, and never the note or the whisper.
    css(driver, f"#note-mode-{sid}").click()
    box.send_keys("We will refund it.")
    box.send_keys(Keys.ENTER)
    assert customer.expect_event(sid, "message", timeout=10)["text"] == "We will refund it."
    customer.drain()
    assert "anzibar" not in json.dumps(customer.buffer)
    assert all(e["kind"] != "note" for e in customer.events(sid))


def test_context_panel_shows_the_organization(server, browsers, screenshot):
    driver = open_console(browsers(), server, "ann")
    # An earlier chat of the same contact, closed, and an open ticket.
    earlier_customer = server.customer("acme", "c1", name="Cathy")
    earlier = earlier_customer.request_chat("r0", text="Old question", subject="Old question")["sessionId"]
    earlier_customer.expect_event(earlier, "joined", timeout=10)
    earlier_customer.send("close", sessionId=earlier)
    earlier_customer.expect_event(earlier, "closed", timeout=10)
    token = server.token("acme", "c1", name="Cathy")
    assert server.http("POST", "/api/tickets", token, {"subject": "Invoices missing", "product": "pressero",
                                                       "category": "request", "severity": 3, "description": "Where?"})[0] == 201

    customer = server.customer("acme", "c1", name="Cathy")
    sid = customer.request_chat("r1", text="New question", subject="New question")["sessionId"]
    customer.expect_event(sid, "joined", timeout=10)
    wait_for_chat(driver, sid)
    css(driver, f"#tab-{sid}").click()
    panel = f"#context-{sid}"
    wait(driver).until(lambda d: "Acme" in css(d, f"{panel} .context-org").text)
    assert "HV" in css(driver, f"{panel} .context-plan").text
    assert " of " in css(driver, f"{panel} .context-contacts").text
    wait(driver).until(lambda d: "Old question" in css(d, f"{panel} .context-chats").text)
    assert "Invoices missing" in css(driver, f"{panel} .context-tickets").text
    # The header names the organization too.
    assert "Acme" in css(driver, f"#panel-{sid} .chat-head .organization").text
    # An earlier chat opens inline as a transcript.
    css(driver, f"{panel} .context-chat-link[data-session-id='{earlier}']").click()
    wait(driver).until(lambda d: "Old question" in css(d, f"{panel} .transcript-lines").text)
    driver.execute_script("window.scrollTo(0, 0)")
    screenshot(driver, "console-context")


def test_a_closed_chat_leaves_the_tab_strip_after_a_summary(server, browsers):
    driver = browsers()
    preset_settings(driver, server, endedTabSeconds=3)
    open_console(driver, server, "ann")
    customer, sid = start_chat(server, driver)
    customer.send("close", sessionId=sid)
    customer.expect_event(sid, "closed", timeout=10)
    wait(driver).until(lambda d: "Chat ended" in css(d, f"#ended-{sid}").text)
    assert "message" in css(driver, f"#ended-{sid}").text
    wait(driver, 15).until(lambda d: not d.find_elements(By.ID, f"tab-{sid}"))
    assert not driver.find_elements(By.ID, f"panel-{sid}")
    assert css(driver, "#no-chats").is_displayed()


def test_reload_restores_names_and_receipts(server, browsers):
    driver = open_console(browsers(), server, "ann")
    customer, sid = start_chat(server, driver)
    css(driver, f"#compose-{sid}").send_keys("Settings > Stocks.", Keys.ENTER)
    ack = customer.expect_event(sid, "message", timeout=10)
    customer.send("read", sessionId=sid, seq=ack["seq"])
    wait(driver).until(lambda d: "Read" in css(d, f"#panel-{sid} .msg-agent .receipt").text)
    driver.refresh()
    wait_for_chat(driver, sid)
    wait(driver).until(lambda d: css(d, f"#tab-{sid} .tab-name").text == "Cathy")
    wait(driver).until(lambda d: "Settings > Stocks." in message_texts(d, sid, "agent"))
    wait(driver).until(lambda d: "Read" in css(d, f"#panel-{sid} .msg-agent .receipt").text)


def test_auto_away_after_a_short_idle_time(server, browsers):
    driver = browsers()
    preset_settings(driver, server, idleMinutes=0.05)  # 3 seconds
    open_console(driver, server, "ann")
    wait(driver).until(lambda d: css(d, "#status").get_attribute("value") == "available")
    # No input from now on: the console sets Away by itself and says so.
    wait(driver, 15).until(lambda d: css(d, "#status").get_attribute("value") == "away")
    assert css(driver, "#auto-away").is_displayed()
    assert "automatically" in css(driver, "#auto-away").text
    # The server agrees: staff see Ann as away.
    sue = server.staff("sue")
    sue.expect("agents", lambda f: any(a["name"] == "Ann" and a["status"] == "away" for a in f["agents"]), timeout=10)
    # Choosing Available again clears the sentence.
    Select(css(driver, "#status")).select_by_value("available")
    wait(driver).until(lambda d: not css(d, "#auto-away").is_displayed())


def test_queue_keeps_keyboard_focus_while_it_updates(server, browsers):
    driver = open_console(browsers(), server, "ann", available=False)
    first = server.customer("acme", "c1", name="Cathy")
    sid1 = first.request_chat("r1", text="First", subject="First")["sessionId"]
    take1 = f'.queue-item[data-session-id="{sid1}"] .take'
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, take1))
    driver.execute_script("document.querySelector(arguments[0]).focus()", take1)
    second = server.customer("globex", "g1", name="Gus")
    sid2 = second.request_chat("r2", text="Second", subject="Second")["sessionId"]
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, f'.queue-item[data-session-id="{sid2}"]'))
    focused = driver.execute_script("return document.activeElement.closest('.queue-item')?.dataset.sessionId")
    assert focused == str(sid1)
    # The focused entry leaves the queue: focus moves to the entry now in its place, not to the page.
    first.send("close", sessionId=sid1)
    wait(driver).until(lambda d: not d.find_elements(By.CSS_SELECTOR, take1))
    assert driver.execute_script("return document.activeElement.closest('.queue-item')?.dataset.sessionId") == str(sid2)
