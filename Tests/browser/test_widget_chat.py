"""Customer widget in a real browser against a real chatd, with a Python WebSocket client as the agent."""
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from widget_helpers import (agent_say, agent_session, fill_prechat, messages, notes, open_widget, q, qs,
                            type_message, view, wait_for)

XSS = "<img src=x onerror=alert(1)><script>window.pwned=1</script>"


def start_chat(server, browsers, contact="c1", name="Cathy Customer", **browser_kw):
    agent = server.staff("ann", available=True)
    driver = browsers(**browser_kw)
    open_widget(driver, server, server.token("acme", contact, name=name))
    fill_prechat(driver)
    sid = agent_session(agent)
    wait_for(driver, lambda d: q(d, ".cw-status-line").text == "Chatting with Ann", message="joined")
    return agent, driver, sid


def test_messages_both_ways_with_read_receipt_and_typing(server, browsers, screenshot):
    agent = server.staff("ann", available=True)
    driver = browsers(width=900, height=760)
    open_widget(driver, server, server.token("acme", "c1", name="Cathy Customer"))
    # Pre-chat: products from welcome; products without chat are listed but marked.
    options = [o.text for o in qs(driver, ".cw-form select[name=product] option")]
    assert "Pressero" in options and "PJM (tickets only)" in options
    q(driver, ".cw-form input[name=subject]").send_keys("Calculator pricing")
    q(driver, ".cw-form textarea[name=text]").send_keys("How do I add a paper stock?")
    screenshot(driver, "widget-prechat")
    q(driver, ".cw-form button[type=submit]").click()

    sid = agent_session(agent)
    wait_for(driver, lambda d: q(d, ".cw-status-line").text == "Chatting with Ann", message="joined")
    first = messages(driver)
    assert first[0]["seq"] == 1 and first[0]["role"] == "customer" and first[0]["text"] == "How do I add a paper stock?"

    # Agent -> customer; the widget reads it (panel open, page visible) and tells the agent.
    said = agent_say(agent, sid, "Hi Cathy! Go to Settings > Pricing > Stocks.")
    wait_for(driver, lambda d: any(m["role"] == "agent" and m["text"].startswith("Hi Cathy") for m in messages(d)))
    agent.expect("read", lambda f: f["sessionId"] == sid and f["role"] == "customer" and f["seq"] >= said["seq"])

    # Customer typing reaches the agent; Enter sends; Shift+Enter is a newline.
    box = q(driver, ".cw-input")
    box.send_keys("Found it,")
    agent.expect("typing", lambda f: f["sessionId"] == sid and f["role"] == "customer" and f["active"])
    box.send_keys(Keys.SHIFT, Keys.ENTER, Keys.NULL, "thanks!")
    box.send_keys(Keys.ENTER)
    got = agent.expect_event(sid, "message")
    assert got["text"] == "Found it,\nthanks!" and got["author"]["role"] == "customer"
    assert box.get_attribute("value") == ""
    wait_for(driver, lambda d: [m["status"] for m in messages(d) if m["seq"] == got["seq"]] == ["sent"],
             message="own message sent")

    # The agent's typing indicator and read receipt show in the widget.
    agent.send("typing", sessionId=sid, active=True)
    wait_for(driver, lambda d: q(d, ".cw-typing").text == "Ann is typing…")
    agent.send("read", sessionId=sid, seq=got["seq"])
    wait_for(driver, lambda d: [m["status"] for m in messages(d) if m["seq"] == got["seq"]] == ["read"],
             message="read receipt")
    agent.send("typing", sessionId=sid, active=False)
    wait_for(driver, lambda d: q(d, ".cw-typing").text == "")

    # Every event once, in order.
    seqs = [int(x) for x in driver.execute_script(
        "return [...document.querySelectorAll('.cw-transcript [data-seq]')].map(n => n.dataset.seq)")]
    assert seqs == sorted(set(seqs)) and seqs[0] == 1
    assert notes(driver) == ["joined"]
    screenshot(driver, "widget-conversation")


def test_agent_markup_renders_as_text(server, browsers):
    agent, driver, sid = start_chat(server, browsers)
    agent_say(agent, sid, XSS)
    wait_for(driver, lambda d: any(m["role"] == "agent" for m in messages(d)))
    texts = [m["text"] for m in messages(driver) if m["role"] == "agent"]
    assert texts == [XSS]
    assert driver.execute_script("return typeof window.pwned") == "undefined"
    assert driver.find_elements(By.CSS_SELECTOR, ".cw-transcript img, .cw-transcript script") == []
    # The customer's own markup is text too.
    type_message(driver, XSS)
    agent.expect_event(sid, "message")
    assert [m["text"] for m in messages(driver) if m["role"] == "customer"][-1] == XSS
    assert driver.find_elements(By.CSS_SELECTOR, ".cw-root img, .cw-root script") == []
    assert driver.execute_script("return typeof window.pwned") == "undefined"


def test_services_proposal_accept_and_agent_close(server, browsers):
    agent, driver, sid = start_chat(server, browsers)
    agent.send("propose_services", sessionId=sid, rate="technical", description="Rebuild the <b>pricing</b> calculator",
               estimateHours=2.5)
    wait_for(driver, lambda d: q(d, ".cw-proposal .cw-proposal-description").text == "Rebuild the <b>pricing</b> calculator")
    card = q(driver, ".cw-proposal")
    assert "150.00" in card.text and "2.5 h" in card.text
    card.find_element(By.XPATH, ".//button[normalize-space()='Accept proposal']").click()
    agent.expect_event(sid, "services_accepted")
    wait_for(driver, lambda d: "You accepted this proposal." in q(d, ".cw-proposal").text)
    assert qs(driver, ".cw-proposal button") == []

    agent.send("close", sessionId=sid)
    wait_for(driver, lambda d: q(d, ".cw-closed").is_displayed(), message="closed footer")
    assert not q(driver, ".cw-composer").is_displayed()
    assert q(driver, ".cw-status-line").text == "Chat ended"
    q(driver, ".cw-closed .cw-new-chat").click()
    wait_for(driver, lambda d: view(d) == "prechat")


def test_keyboard_escape_closes_and_launcher_reopens(server, browsers):
    agent, driver, sid = start_chat(server, browsers)
    q(driver, ".cw-input").send_keys(Keys.ESCAPE)
    wait_for(driver, lambda d: not q(d, ".cw-panel").is_displayed())
    assert q(driver, ".cw-launcher").get_attribute("aria-expanded") == "false"
    assert driver.switch_to.active_element == q(driver, ".cw-launcher")
    agent_say(agent, sid, "Are you still there?")
    wait_for(driver, lambda d: q(d, ".cw-badge").text == "1", message="unread badge")
    q(driver, ".cw-launcher").send_keys(Keys.ENTER)
    wait_for(driver, lambda d: q(d, ".cw-panel").is_displayed())
    assert q(driver, ".cw-badge").get_attribute("hidden") is not None
    # Every form control of the chat view has a label.
    unlabeled = driver.execute_script("""
        return [...document.querySelectorAll('.cw-root input, .cw-root textarea, .cw-root select')]
          .filter(c => !(c.labels && c.labels.length) && !c.getAttribute('aria-label')).map(c => c.outerHTML)""")
    assert unlabeled == []


def test_narrow_side_panel(server, browsers):
    agent, driver, sid = start_chat(server, browsers, width=360, height=700)
    width = driver.execute_script("return document.querySelector('.cw-panel').getBoundingClientRect().width")
    assert width >= 320
    type_message(driver, "From my phone")
    assert agent.expect_event(sid, "message")["text"] == "From my phone"


def test_token_handed_over_later_by_post_message(server, browsers):
    driver = browsers()
    driver.get(f"http://127.0.0.1:{server.port}/demo/")  # no ?token=: the widget waits for one
    wait_for(driver, lambda d: q(d, ".cw-launcher"))
    q(driver, ".cw-launcher").click()
    wait_for(driver, lambda d: view(d) == "waiting")
    driver.execute_script("window.postMessage({type: 'chatd:token', token: arguments[0]}, location.origin)",
                          server.token("acme", "c9", name="Late Larry"))
    wait_for(driver, lambda d: view(d) == "prechat")
    assert "Hi Late Larry!" in q(driver, ".cw-intro").text
