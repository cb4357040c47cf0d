"""Agent console (WebClient/console/) in headless Chromium against a real chatd; Python clients play the customers.

Every wait is a bounded wait for a condition in the page or on the wire.
"""
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

XSS = "<img src=x onerror=alert(1)><script>window.pwned=1</script>"


def wait(driver, timeout=10):
    return WebDriverWait(driver, timeout)


def css(driver, selector):
    return driver.find_element(By.CSS_SELECTOR, selector)


def open_console(driver, server, username="ann", available=True):
    driver.get(f"http://127.0.0.1:{server.port}/console/")
    wait(driver).until(EC.visibility_of_element_located((By.ID, "login-username"))).send_keys(username)
    css(driver, "#login-password").send_keys("secret123")
    css(driver, "#login-submit").click()
    wait(driver).until(EC.presence_of_element_located((By.ID, "status")))
    # Connected: the banner is hidden once the server said welcome.
    wait(driver).until(lambda d: not css(d, "#connection-banner").is_displayed())
    if available:
        Select(css(driver, "#status")).select_by_value("available")
    return driver


def wait_for_chat(driver, sid, timeout=10):
    return wait(driver, timeout).until(EC.presence_of_element_located((By.ID, f"panel-{sid}")))


def message_texts(driver, sid, role):
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, f"#panel-{sid} .msg-{role} .text")]


def wait_for_message(driver, sid, role, text, timeout=10):
    wait(driver, timeout).until(lambda d: text in message_texts(d, sid, role))


def agent_says(driver, sid, text):
    box = css(driver, f"#compose-{sid}")
    box.send_keys(text)
    box.send_keys(Keys.ENTER)


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
