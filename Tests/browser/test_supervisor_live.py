"""The supervisor's live work in headless Chromium against a real chatd (issue 11): watching a chat from the board,
whispering (the customer never receives it: checked on the customer's own WebSocket, on a replay and over HTTP),
barging in, taking over, assigning a queued chat to an Away agent, and the board's alerts."""
import copy
import json

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from chatlib import POLICY
from views import css, open_supervisor, text_of, wait


def live_texts(driver, kind=None):
    selector = "#live-events li" + (f"[data-kind='{kind}']" if kind else "")
    return driver.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map((l) => l.querySelector('.text')?.textContent ?? '')",
        selector)


def watch(driver, table, sid):
    css(driver, f"#{table}-rows tr[data-session-id='{sid}'] .watch-chat").click()
    wait(driver).until(lambda d: text_of(d, "#live-title").startswith(f"Live: chat {sid}"))
    wait(driver).until(lambda d: "Following live" in text_of(d, "#live-state"))


def test_watch_a_chat_whisper_barge_in_and_take_over(server, browsers, screenshot):
    ann = server.staff("ann", available=True)
    cathy = server.customer("acme", "c1", name="Cathy")
    sid = cathy.request_chat("r1", text="My invoices do not print", subject="Invoices")["sessionId"]
    cathy.expect_event(sid, "joined", timeout=10)
    ann.say(sid, "a1", "Let me look at that")
    driver = open_supervisor(browsers(width=1400, height=1100), server)
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, f"#active-rows tr[data-session-id='{sid}'] .watch-chat"))
    assert text_of(driver, f"#active-rows tr[data-session-id='{sid}'] .organization") == "Acme", "names, not ids"

    # Focus stays on a board button through the board's redraws (every second): the row is new, the button kept.
    row = css(driver, f"#active-rows tr[data-session-id='{sid}']")
    button = css(driver, f"#active-rows tr[data-session-id='{sid}'] .watch-chat")
    driver.execute_script("arguments[0].focus()", button)
    wait(driver, 5).until(lambda d: stale(row))
    assert driver.execute_script("return document.activeElement.dataset.focusKey") == f"watch-{sid}"
    assert driver.switch_to.active_element == button

    watch(driver, "active", sid)
    assert live_texts(driver, "requested") == ["My invoices do not print"]
    assert "Let me look at that" in live_texts(driver, "message")
    assert text_of(driver, "#live-head dd[data-field='agent']") == "Ann"
    assert text_of(driver, "#live-head dd[data-field='organization']") == "Acme"

    # Live: what the customer says appears as it happens.
    cathy.say(sid, "c1", "Any news?")
    wait(driver).until(lambda d: "Any news?" in live_texts(d, "message"))

    # Whisper: Ann gets the note; it shows apart from the conversation; the customer never receives it.
    css(driver, "#whisper-text").send_keys("Offer the <b>refund</b> code R-17")
    css(driver, "#whisper-send").click()
    note = ann.expect_event(sid, "note", timeout=10)
    assert note["text"] == "Offer the <b>refund</b> code R-17" and note["author"]["role"] == "supervisor"
    wait(driver).until(lambda d: live_texts(d, "note") == ["Offer the <b>refund</b> code R-17"])
    assert driver.find_elements(By.CSS_SELECTOR, "#live-events b") == [], "server text is never markup"
    assert "staff only" in text_of(driver, "#live-events li.note .kind")
    assert css(driver, "#whisper-text").get_attribute("value") == ""
    driver.execute_script("document.getElementById('live').scrollIntoView()")
    screenshot(driver, "supervisor-live-whisper")

    ann.say(sid, "a2", "Here is a code for you")
    said_by(cathy, sid, "Here is a code for you")
    cathy.drain(0.5)
    assert "R-17" not in json.dumps(cathy.frames), "no frame to the customer carries the whisper"
    assert note["seq"] not in [e["seq"] for e in cathy.events(sid)]
    replay = server.customer("acme", "c1", name="Cathy")
    replay.send("sync", sessionId=sid, afterSeq=0)
    replay.expect("synced", lambda f: f["sessionId"] == sid, timeout=10)
    assert "R-17" not in json.dumps(replay.frames), "nor does a replay"
    assert "R-17" not in json.dumps(server.transcript(sid, cathy.token)), "nor the customer's transcript"

    # Barge in: the customer sees a supervisor's message; the chat stays with Ann.
    css(driver, "#barge-text").send_keys("Supervisor here: we are on it")
    css(driver, "#barge-send").click()
    said = said_by(cathy, sid, "Supervisor here: we are on it")
    assert said["author"]["role"] == "supervisor"
    wait(driver).until(lambda d: "Supervisor here: we are on it" in live_texts(d, "message"))
    assert text_of(driver, "#live-head dd[data-field='agent']") == "Ann"

    # Take over: the chat moves to Sue, who is told to answer in the agent console with the same login.
    css(driver, "#take-over").click()
    moved = cathy.expect_event(sid, "transferred", timeout=10)
    assert moved["agent"]["name"] == "Sue"
    ann.expect_event(sid, "transferred", timeout=10)
    wait(driver).until(lambda d: "agent console" in text_of(d, "#live-notice"))
    assert css(driver, "#live-console-link").get_attribute("href").endswith("/console/")
    wait(driver).until(lambda d: text_of(d, "#live-head dd[data-field='agent']") == "Sue")
    assert not css(driver, "#take-box").is_displayed()

    # Stop watching: back on the board, at that chat's Watch button.
    css(driver, "#live-close").click()
    wait(driver).until(lambda d: not css(d, "#live").is_displayed())
    assert driver.execute_script("return document.activeElement.dataset.focusKey") == f"watch-{sid}"


def said_by(client, sid, text):
    return client.expect("event", lambda f: f["event"]["sessionId"] == sid and f["event"].get("text") == text,
                         timeout=10)["event"]


def stale(element):
    try:
        element.is_enabled()
        return False
    except StaleElementReferenceException:
        return True


def test_assign_a_queued_chat_to_an_away_agent(server, browsers):
    bob = server.staff("bob")  # staff start Away: routing gives him nothing
    bob_id = bob.welcome["staff"]["id"]
    cathy = server.customer("acme", "c1", name="Cathy")
    sid = cathy.request_chat("r1", subject="Waiting")["sessionId"]
    driver = open_supervisor(browsers(width=1400, height=1000), server)
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, f"#queued-rows tr[data-session-id='{sid}'] .watch-chat"))
    watch(driver, "queued", sid)
    assert css(driver, "#assign-form").is_displayed() and not css(driver, "#take-box").is_displayed()

    # Nothing chosen: said in words, nothing sent.
    css(driver, "#assign-send").click()
    wait(driver).until(lambda d: "Choose an agent" in text_of(d, "#live-error"))
    wait(driver).until(lambda d: any(o.get_attribute("value") == str(bob_id)
                                     for o in d.find_elements(By.CSS_SELECTOR, "#assign-agent option")))
    assert "away" in text_of(driver, f"#assign-agent option[value='{bob_id}']")
    Select(css(driver, "#assign-agent")).select_by_value(str(bob_id))
    css(driver, "#assign-send").click()
    joined = cathy.expect_event(sid, "joined", timeout=10)
    assert joined["agent"]["id"] == bob_id and joined["author"]["role"] == "supervisor"
    bob.expect_event(sid, "joined", timeout=10)
    wait(driver).until(lambda d: text_of(d, "#live-notice") == "Assigned to Bob.")
    wait(driver).until(lambda d: text_of(d, "#live-head dd[data-field='agent']") == "Bob")
    wait(driver).until(lambda d: not css(d, "#assign-form").is_displayed())
    assert text_of(driver, "#live-error") == ""
    # Bob answers; the supervisor sees it live.
    bob.say(sid, "b1", "Bob here")
    wait(driver).until(lambda d: "Bob here" in live_texts(d, "message"))


def test_a_refused_move_shows_the_servers_message(server, browsers):
    ann = server.staff("ann", available=True)
    cathy = server.customer("acme", "c1")
    sid = cathy.request_chat("r1")["sessionId"]
    cathy.expect_event(sid, "joined", timeout=10)
    driver = open_supervisor(browsers(width=1400, height=1000), server)
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, f"#active-rows tr[data-session-id='{sid}'] .watch-chat"))
    watch(driver, "active", sid)
    ann.send("close", sessionId=sid)
    cathy.expect_event(sid, "closed", timeout=10)
    wait(driver).until(lambda d: text_of(d, "#live-state") == "This chat has ended.")
    assert not css(driver, "#whisper-send").is_enabled() and not css(driver, "#barge-send").is_enabled()
    # A whisper sent anyway (enabled by hand) is refused: the server's sentence is shown and the text given back.
    driver.execute_script("for (const n of document.querySelectorAll('#whisper-form *')) n.disabled = false")
    css(driver, "#whisper-text").send_keys("Too late")
    css(driver, "#whisper-send").click()
    wait(driver).until(lambda d: text_of(d, "#live-error") != "")
    assert css(driver, "#live-error").get_attribute("data-code") == "session_closed"
    assert css(driver, "#whisper-text").get_attribute("value") == "Too late"


def alert_policy():
    policy = copy.deepcopy(POLICY)
    policy["severities"] = [
        {"level": 1, "name": "Severity 1", "description": "Down", "firstResponseBusinessHours": 0.5},
        {"level": 2, "name": "Severity 2", "description": "Impaired", "firstResponseBusinessHours": 0.0005},
        {"level": 3, "name": "Severity 3", "description": "Question", "firstResponseBusinessHours": 16},
        {"level": 4, "name": "Severity 4", "description": "Minor", "firstResponseBusinessHours": 40},
    ]
    return policy


def alert_kinds(driver):
    return driver.execute_script("return [...document.querySelectorAll('#alert-list li[data-kind]')]"
                                 ".map((l) => [l.dataset.kind, l.textContent])")


def test_alerts_long_wait_agent_gone_and_ticket_first_responses(make_server, browsers):
    server = make_server(policy=alert_policy())
    driver = open_supervisor(browsers(width=1400, height=1000), server)
    cathy = server.customer("acme", "c1", name="Cathy")
    sid = cathy.request_chat("r1", subject="Anyone?")["sessionId"]
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, f"#queued-rows tr[data-session-id='{sid}']"))
    # Under the threshold (3 minutes by default): no alert.
    assert [k for k, _ in alert_kinds(driver) if k == "long_wait"] == []
    assert text_of(driver, "#alert-list") == "Nothing needs attention."
    # A threshold it has passed: the chat is alerted, with a way to watch it.
    box = css(driver, "#alert-wait-minutes")
    box.clear()
    box.send_keys("0.01")
    wait(driver).until(lambda d: any(k == "long_wait" and f"Chat {sid} (Acme, Cathy) has waited" in t
                                     for k, t in alert_kinds(d)))
    assert text_of(driver, "#alert-summary") == "1 alert."
    css(driver, f"#alert-list li[data-kind='long_wait'] button").click()
    wait(driver).until(lambda d: text_of(d, "#live-title").startswith(f"Live: chat {sid}"))

    # An agent who holds a chat and is gone (within the grace period).
    ann = server.staff("ann", available=True)
    cathy.expect_event(sid, "joined", timeout=10)
    wait(driver).until(lambda d: not any(k == "long_wait" for k, _ in alert_kinds(d)))
    ann.close()
    wait(driver).until(lambda d: any(k == "agent_gone" and t.startswith("Agent gone: Ann is not connected and holds 1 chat")
                                     for k, t in alert_kinds(d)))

    # Tickets: one due within the hour (severity 1: 30 minutes), one whose first response was missed (2 seconds).
    token = server.token("acme", "c2")
    for severity, subject in ((1, "Checkout down"), (2, "Slow pages")):
        status, body = server.http("POST", "/api/tickets", token, {
            "subject": subject, "product": "pressero", "category": "incident", "severity": severity,
            "description": "Details"})
        assert status == 201, body
    wait(driver, 15).until(lambda d: any(k == "ticket_due" and "Checkout down" in t and "within" in t
                                         for k, t in alert_kinds(d)))
    wait(driver, 15).until(lambda d: any(k == "ticket_missed" and "Slow pages" in t for k, t in alert_kinds(d)))


def test_alert_for_an_agent_over_the_cap(make_server, browsers):
    """The cap is policy of the server's configuration: lowered across a restart, an agent holds more than it allows."""
    from views import start_server_on

    server = make_server(config={"agentSessionCap": 2})
    ann = server.staff("ann", available=True)
    for contact in ("c1", "c2"):
        customer = server.customer("acme", contact)
        sid = customer.request_chat(f"r-{contact}")["sessionId"]
        customer.expect_event(sid, "joined", timeout=10)
    driver = open_supervisor(browsers(width=1400, height=1000), server)
    wait(driver).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#active-rows tr[data-session-id]")) == 2)
    assert not any(k == "over_cap" for k, _ in alert_kinds(driver))

    port = server.port
    server.kill()
    config = json.loads(server.config_path.read_text())
    config["agentSessionCap"] = 1
    server.config_path.write_text(json.dumps(config))
    start_server_on(server, port)
    ann = server.staff("ann")  # back within the grace period: the chats are still hers
    wait(driver, 20).until(lambda d: any(k == "over_cap" and "Ann holds 2 chats, over the cap of 1." in t
                                         for k, t in alert_kinds(d)))
    ann_id = ann.welcome["staff"]["id"]
    assert "alerting" in css(driver, f"#agent-rows tr[data-agent-id='{ann_id}']").get_attribute("class")
