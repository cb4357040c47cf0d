"""Agent console (WebClient/console/) in headless Chromium against a real chatd; Python clients play the customers.

Every wait is a bounded wait for a condition in the page or on the wire.
"""
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from views import (agent_says, choose_transfer_target, css, message_texts, open_console, transfer_options, unread, wait,
                   wait_for_chat, wait_for_message)

XSS = "<img src=x onerror=alert(1)><script>window.pwned=1</script>"


def test_login_take_and_exchange_messages_both_ways(server, browsers, screenshot):
    driver = browsers()
    driver.get(f"http://127.0.0.1:{server.port}/console/")
    wait(driver).until(EC.visibility_of_element_located((By.ID, "login-username")))
    screenshot(driver, "console-login")
    open_console(driver, server, "ann")

    customer = server.customer("acme", "c1", name="Cathy")
    sid = customer.request_chat("r1", text="How do I add a paper stock?", subject="Paper stocks")["sessionId"]
    customer.expect_event(sid, "joined", timeout=10)

    wait_for_chat(driver, sid)
    wait_for_message(driver, sid, "customer", "How do I add a paper stock?")
    head = css(driver, f"#panel-{sid} .chat-head").text
    assert "Cathy" in head and "acme" in head and "Pressero" in head and "Paper stocks" in head
    # The quick-question budget started when Ann joined: a running countdown.
    wait(driver).until(lambda d: "left" in css(d, f"#budget-{sid}").text)

    # Agent -> customer: Enter sends, Shift+Enter makes a new line.
    box = css(driver, f"#compose-{sid}")
    box.send_keys("Go to Settings")
    box.send_keys(Keys.SHIFT, Keys.ENTER)
    box.send_keys("then Pricing.")
    box.send_keys(Keys.ENTER)
    event = customer.expect_event(sid, "message", timeout=10)
    assert event["text"] == "Go to Settings\nthen Pricing."
    assert event["author"]["name"] == "Ann"
    wait(driver).until(lambda d: any("then Pricing." in t for t in message_texts(d, sid, "agent")))
    assert css(driver, f"#compose-{sid}").get_attribute("value") == ""

    # The agent's typing reaches the customer.
    css(driver, f"#compose-{sid}").send_keys("Typing")
    customer.expect("typing", lambda f: f["sessionId"] == sid and f["active"] is True, timeout=10)

    # Customer -> agent, with the customer's typing indicator and a read receipt back from the agent.
    customer.send("typing", sessionId=sid, active=True)
    wait(driver).until(lambda d: "Cathy is typing" in css(d, f"#panel-{sid} .typing").text)
    ack = customer.say(sid, "m1", "Found it, thanks!")
    wait_for_message(driver, sid, "customer", "Found it, thanks!")
    customer.expect("read", lambda f: f["sessionId"] == sid and f["role"] == "agent" and f["seq"] >= ack["seq"],
                    timeout=10)
    # The customer reads the agent's message: the console shows it as read.
    customer.send("read", sessionId=sid, seq=ack["seq"])
    wait(driver).until(lambda d: "Read" in css(d, f"#panel-{sid} .msg-agent .receipt").text)

    # The agent closes the chat; the customer sees it end.
    css(driver, f"#panel-{sid} .close-chat").click()
    customer.expect_event(sid, "closed", timeout=10)
    wait(driver).until(lambda d: css(d, f"#panel-{sid}").get_attribute("data-state") == "closed")


def test_one_agent_serves_two_customers_with_unread_counts_and_title_badge(server, browsers, screenshot):
    driver = open_console(browsers(), server, "ann")
    cathy = server.customer("acme", "c1", name="Cathy")
    first = cathy.request_chat("r1", text="Where are the paper stocks?", subject="Paper stocks")["sessionId"]
    cathy.expect_event(first, "joined", timeout=10)
    wait_for_message(driver, first, "customer", "Where are the paper stocks?")
    assert css(driver, f"#tab-{first}").get_attribute("aria-selected") == "true"

    gus = server.customer("globex", "g1", name="Gus")
    second = gus.request_chat("r2", text="Our calculator shows 0", subject="Calculator")["sessionId"]
    gus.expect_event(second, "joined", timeout=10)
    wait_for_chat(driver, second)

    # The second chat is not focused: its first message is unread, the title carries the count, a beep sounded.
    wait(driver).until(lambda d: unread(d, second) == 1)
    gus.say(second, "g-m1", "It started this morning")
    wait(driver).until(lambda d: unread(d, second) == 2)
    wait(driver).until(lambda d: d.title.startswith("(2) "))
    assert css(driver, f"#tab-{second} .badge").text == "2"
    assert int(driver.execute_script("return document.documentElement.dataset.beeps || '0'")) >= 1
    # The focused chat does not count as unread: Cathy's message is read at once.
    cathy.say(first, "c-m1", "Also the price list")
    wait_for_message(driver, first, "customer", "Also the price list")
    assert unread(driver, first) == 0
    assert driver.title.startswith("(2) ")

    agent_says(driver, first, "Settings > Stocks, Cathy.")
    assert cathy.expect_event(first, "message", timeout=10)["text"] == "Settings > Stocks, Cathy."
    screenshot(driver, "console-two-chats")

    # Alt+2 switches to the second chat: its unread count and the title badge clear, the composer has focus.
    from selenium.webdriver.common.action_chains import ActionChains
    ActionChains(driver).key_down(Keys.ALT).send_keys("2").key_up(Keys.ALT).perform()
    wait(driver).until(lambda d: css(d, f"#tab-{second}").get_attribute("aria-selected") == "true")
    wait(driver).until(lambda d: unread(d, second) == 0 and not d.title.startswith("("))
    assert driver.switch_to.active_element.get_attribute("id") == f"compose-{second}"
    assert css(driver, f"#panel-{first}").is_displayed() is False
    agent_says(driver, second, "Let me check the calculator, Gus.")
    assert gus.expect_event(second, "message", timeout=10)["text"] == "Let me check the calculator, Gus."
    gus.expect("read", lambda f: f["sessionId"] == second and f["role"] == "agent", timeout=10)

    # Alt+1 goes back; both chats kept their own history.
    ActionChains(driver).key_down(Keys.ALT).send_keys("1").key_up(Keys.ALT).perform()
    wait(driver).until(lambda d: css(d, f"#tab-{first}").get_attribute("aria-selected") == "true")
    assert "Settings > Stocks, Cathy." in message_texts(driver, first, "agent")
    assert "Settings > Stocks, Cathy." not in message_texts(driver, second, "agent")


def test_transfer_to_another_agent_and_convert_to_ticket(server, browsers):
    bob = server.staff("bob")  # connected but away until Ann has the chat, so routing gives it to Ann
    driver = open_console(browsers(), server, "ann")
    cathy = server.customer("acme", "c1", name="Cathy")
    sid = cathy.request_chat("r1", text="Please help", subject="Transfer me")["sessionId"]
    cathy.expect_event(sid, "joined", timeout=10)
    wait_for_chat(driver, sid)
    bob.set_available()  # only available agents are transfer targets

    css(driver, f"#panel-{sid} details.transfer summary").click()
    bob_id = str(bob.welcome["staff"]["id"])
    wait(driver).until(lambda d: any(value == bob_id for value, _ in transfer_options(d, sid)))
    names = [text for _, text in transfer_options(driver, sid)]
    assert any(n.startswith("Bob") for n in names) and not any(n.startswith("Ann") for n in names)
    assert names[0] == "Choose an agent…" and not css(driver, f"#panel-{sid} .transfer-submit").is_enabled()
    assert not any(n.startswith("Cat") for n in names)  # not connected
    choose_transfer_target(driver, sid, bob_id)
    css(driver, f"#panel-{sid} .transfer-submit").click()

    moved = bob.expect_event(sid, "transferred", timeout=10)
    assert moved["agent"]["name"] == "Bob"
    assert cathy.expect_event(sid, "transferred", timeout=10)["agent"]["name"] == "Bob"
    bob.say(sid, "b1", "Bob here, hello Cathy")
    assert cathy.expect_event(sid, "message", timeout=10)["text"] == "Bob here, hello Cathy"
    # Ann's console shows the handover and no longer lets her write in that chat.
    wait(driver).until(lambda d: "with Bob" in css(d, f"#tab-{sid}").text)
    assert not css(driver, f"#compose-{sid}").is_enabled()

    # A second chat: Ann converts it to an incident ticket; the ticket number shows in the chat.
    gus = server.customer("globex", "g1", name="Gus")
    second = gus.request_chat("r2", text="Orders fail", subject="Checkout broken")["sessionId"]
    gus.expect_event(second, "joined", timeout=10)
    wait_for_chat(driver, second)
    css(driver, f"#tab-{second}").click()
    css(driver, f"#panel-{second} details.convert summary").click()
    Select(css(driver, f"#category-{second}")).select_by_value("incident")
    Select(css(driver, f"#severity-{second}")).select_by_value("2")
    css(driver, f"#urgent-{second}").click()
    css(driver, f"#panel-{second} .convert-submit").click()
    converted = gus.expect_event(second, "converted", timeout=10)
    number = converted["ticketNumber"]
    gus.expect_event(second, "closed", timeout=10)
    wait(driver).until(lambda d: f"#{number}" in css(d, f"#panel-{second} .ticket-banner").text)
    assert f"#{number}" in css(driver, f"#panel-{second} .timeline [data-kind='converted']").text
    status, body = server.http("GET", f"/api/tickets/{number}", server.login("sue"))
    assert status == 200
    assert body["ticket"]["category"] == "incident" and body["ticket"]["severity"] == 2 and body["ticket"]["urgent"]


def test_customer_markup_renders_as_literal_text(server, browsers):
    driver = open_console(browsers(), server, "ann")
    customer = server.customer("acme", "c1", name=XSS)
    sid = customer.request_chat("r1", text=XSS, subject=XSS)["sessionId"]
    customer.expect_event(sid, "joined", timeout=10)
    customer.say(sid, "m1", XSS)
    wait(driver).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, f"#panel-{sid} .msg-customer .text")) == 2)
    for node in driver.find_elements(By.CSS_SELECTOR, f"#panel-{sid} .msg-customer .text"):
        assert node.get_attribute("textContent") == XSS
    assert css(driver, f"#panel-{sid} .chat-head dd.subject").get_attribute("textContent") == XSS
    assert css(driver, f"#tab-{sid} .tab-name").get_attribute("textContent") == XSS
    assert driver.execute_script("return window.pwned") is None
    assert driver.find_elements(By.CSS_SELECTOR, "img, #app script") == []
    # No alert opened (Selenium would refuse further commands while one is open).
    assert driver.title.startswith("(") or driver.title.startswith("Agent console")


def test_reconnecting_banner_when_the_server_goes_away(server, browsers):
    driver = open_console(browsers(), server, "ann", available=False)
    server.kill()
    wait(driver, 15).until(lambda d: "reconnecting" in css(d, "#connection-banner").text.lower())


def test_budget_warning_offer_decline_continue_and_services_proposal(make_server, browsers):
    # A 6-second quick-question budget with a warning at 3 seconds left, so the offer comes within the test.
    import json
    server = make_server(start=False)
    policy = json.loads(server.policy_path.read_text())
    policy["chat"] = {"quickQuestionMinutes": 0.1, "warningMinutesLeft": 0.05, "routeOutsideHours": False}
    server.policy_path.write_text(json.dumps(policy))
    server.start()

    driver = open_console(browsers(), server, "ann")
    cathy = server.customer("acme", "c1", name="Cathy")
    sid = cathy.request_chat("r1", text="Quick one", subject="Budget")["sessionId"]
    cathy.expect_event(sid, "joined", timeout=10)
    wait_for_chat(driver, sid)

    stage = f"#panel-{sid} .stage-warning"
    wait(driver, 15).until(lambda d: "Warning" in css(d, stage).text)
    cathy.expect_event(sid, "conversion_offered", timeout=15)
    wait(driver, 15).until(lambda d: "offer pending" in css(d, stage).text)
    assert not css(driver, f"#panel-{sid} .offer-box").is_displayed()

    # The customer declines: the agent chooses between Continue and Close.
    cathy.send("respond_offer", sessionId=sid, accept=False)
    cathy.expect_event(sid, "offer_declined", timeout=10)
    wait(driver).until(lambda d: css(d, f"#panel-{sid} .offer-box").is_displayed())
    css(driver, f"#panel-{sid} .continue-chat").click()
    cathy.expect_event(sid, "chat_continued", timeout=10)
    wait(driver).until(lambda d: not css(d, f"#panel-{sid} .offer-box").is_displayed())
    wait(driver).until(lambda d: "Continuing" in css(d, stage).text)

    # Professional services at the technical rate.
    css(driver, f"#panel-{sid} details.services summary").click()
    rates = [o.text for o in Select(css(driver, f"#rate-{sid}")).options]
    assert rates == ["standard $125/h", "technical $150/h"]
    Select(css(driver, f"#rate-{sid}")).select_by_value("technical")
    hours = css(driver, f"#hours-{sid}")
    hours.clear()
    hours.send_keys("2.5")
    css(driver, f"#description-{sid}").send_keys("Rebuild the pricing calculator")
    css(driver, f"#panel-{sid} .services-submit").click()
    proposal = cathy.expect_event(sid, "services_proposed", timeout=10)["proposal"]
    assert proposal["rate"] == "technical" and proposal["hourlyRate"] == 150 and proposal["estimatedAmount"] == 375
    wait(driver).until(lambda d: "Rebuild the pricing calculator" in
                       css(d, f"#panel-{sid} [data-kind='services_proposed']").text)
    cathy.send("respond_services", sessionId=sid, accept=True)
    wait(driver).until(lambda d: "Accepted" in css(d, f"#panel-{sid} [data-kind='services_accepted']").text)


def test_login_survives_a_reload_and_logout_ends_the_staff_session(server, browsers):
    driver = open_console(browsers(), server, "ann", available=False)
    token = driver.execute_script("return JSON.parse(localStorage.getItem('chatd.staff.auth')).token")
    assert server.http("GET", "/api/me", token)[0] == 200
    driver.refresh()
    wait(driver).until(lambda d: "Signed in as Ann" in css(d, "#who").text)
    wait(driver).until(lambda d: not css(d, "#connection-banner").is_displayed())
    css(driver, "#logout").click()
    wait(driver).until(EC.visibility_of_element_located((By.ID, "login-username")))
    assert driver.execute_script("return localStorage.getItem('chatd.staff.auth')") is None
    wait(driver).until(lambda d: server.http("GET", "/api/me", token)[0] == 401)
    # Wrong password: an error, no session.
    css(driver, "#login-username").send_keys("ann")
    css(driver, "#login-password").send_keys("wrong")
    css(driver, "#login-submit").click()
    wait(driver).until(lambda d: css(d, "#login-error").text != "")
    assert driver.execute_script("return localStorage.getItem('chatd.staff.auth')") is None
