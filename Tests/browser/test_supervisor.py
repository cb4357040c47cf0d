"""Supervisor view (WebClient/supervisor/) in headless Chromium against a real chatd; Python clients play the
customers and the agent."""
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from views import css, open_supervisor, text_of, wait


def test_agents_cannot_use_the_supervisor_view(server, browsers):
    driver = browsers()
    driver.get(f"http://127.0.0.1:{server.port}/supervisor/")
    wait(driver).until(EC.visibility_of_element_located((By.ID, "login-username"))).send_keys("ann")
    css(driver, "#login-password").send_keys("secret123")
    css(driver, "#login-submit").click()
    wait(driver).until(lambda d: "supervisor" in css(d, "#login-error").text)
    assert driver.find_elements(By.ID, "board") == []


def test_live_board_then_transcripts_found_by_filters_and_read(server, browsers, screenshot):
    driver = open_supervisor(browsers(width=1400, height=1000), server)

    # A chat with no agent available waits in the queue.
    cathy = server.customer("acme", "c1", name="Cathy")
    first = cathy.request_chat("r1", text="Where are the stocks?", subject="Paper stocks")["sessionId"]
    row = f"#queued-rows tr[data-session-id='{first}']"
    wait(driver).until(lambda d: "Cathy" in text_of(d, row) and text_of(d, f"{row} .organization") == "Acme")
    assert "Paper stocks" in text_of(driver, row)

    # Ann takes it: it leaves the queue and shows as active with its agent and budget.
    ann = server.staff("ann")
    ann.send("take", sessionId=first)
    cathy.expect_event(first, "joined", timeout=10)
    active = f"#active-rows tr[data-session-id='{first}']"
    wait(driver).until(lambda d: "Ann" in text_of(d, f"{active} .agent"))
    assert driver.find_elements(By.CSS_SELECTOR, row) == []
    wait(driver).until(lambda d: "left" in text_of(d, active))
    ann_id = ann.welcome["staff"]["id"]
    wait(driver).until(lambda d: text_of(d, f"#agent-rows tr[data-agent-id='{ann_id}']").endswith("1"))
    assert "Yes" in text_of(driver, f"#agent-rows tr[data-agent-id='{ann_id}']")
    screenshot(driver, "supervisor-board")

    ann.say(first, "a1", "Settings > Stocks")
    ann.send("close", sessionId=first)
    cathy.expect_event(first, "closed", timeout=10)
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, active) == [])

    # A second chat is converted to a ticket.
    ann.set_available()
    gus = server.customer("globex", "g1", name="Gus")
    second = gus.request_chat("r2", text="Checkout is broken <b>now</b>", subject="Checkout")["sessionId"]
    gus.expect_event(second, "joined", timeout=10)
    ann.send("convert", sessionId=second, category="incident", severity=2)
    number = gus.expect_event(second, "converted", timeout=10)["ticketNumber"]
    gus.expect_event(second, "closed", timeout=10)

    def found():
        return [int(r.get_attribute("data-session-id"))
                for r in driver.find_elements(By.CSS_SELECTOR, "#transcript-rows tr")]

    def search():
        before = text_of(driver, "#transcripts-status")
        css(driver, "#search-transcripts").click()
        wait(driver).until(lambda d: text_of(d, "#transcripts-status").endswith("found.")
                           and text_of(d, "#transcripts-status") != "Searching…")
        return before

    # Converted chats of globex.
    css(driver, "#filter-organization").send_keys("globex")
    Select(css(driver, "#filter-outcome")).select_by_value("converted")
    search()
    wait(driver).until(lambda d: found() == [second])
    # Closed (in the chat) by Ann, today.
    css(driver, "#filter-organization").clear()
    Select(css(driver, "#filter-outcome")).select_by_value("closed")
    Select(css(driver, "#filter-agent")).select_by_value(str(ann_id))
    today = driver.execute_script("return new Date().toISOString().slice(0, 10)")
    for field in ("#filter-from", "#filter-to"):
        driver.execute_script("arguments[0].value = arguments[1]", css(driver, field), today)
    search()
    wait(driver).until(lambda d: found() == [first])
    # A date range in the past finds nothing.
    driver.execute_script("arguments[0].value = '2001-01-01'", css(driver, "#filter-from"))
    driver.execute_script("arguments[0].value = '2001-01-02'", css(driver, "#filter-to"))
    search()
    wait(driver).until(lambda d: found() == [])

    # Read the converted transcript: every event, system events included, and the ticket number.
    for field in ("#filter-from", "#filter-to"):
        driver.execute_script("arguments[0].value = ''", css(driver, field))
    Select(css(driver, "#filter-agent")).select_by_value("")
    Select(css(driver, "#filter-outcome")).select_by_value("converted")
    search()
    wait(driver).until(lambda d: found() == [second])
    assert f"#{number}" in text_of(driver, f"#transcript-rows tr[data-session-id='{second}'] .outcome")
    css(driver, f"#transcript-rows tr[data-session-id='{second}'] .read-transcript").click()
    wait(driver).until(lambda d: "Checkout" in text_of(d, "#reader-title"))
    kinds = [e.get_attribute("data-kind") for e in driver.find_elements(By.CSS_SELECTOR, "#reader-events li")]
    assert kinds[0] == "requested" and "joined" in kinds and "converted" in kinds and kinds[-1] == "closed"
    assert f"Ticket #{number}" in text_of(driver, "#reader-events li[data-kind='converted']")
    assert text_of(driver, "#reader-events li[data-kind='requested'] .text") == "Checkout is broken <b>now</b>"
    assert driver.find_elements(By.CSS_SELECTOR, "#reader b") == []
    assert driver.switch_to.active_element.get_attribute("id") == "reader"
    driver.execute_script("document.getElementById('reader').scrollIntoView()")
    screenshot(driver, "supervisor-transcript")
