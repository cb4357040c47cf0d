"""The quick-question budget with an accelerated server clock: countdown, warning, conversion offer, ticket."""
from selenium.webdriver.common.by import By

from widget_helpers import agent_session, fill_prechat, notes, open_widget, q, qs, wait_for

# 15 minutes of quick-question time pass in 7.5 s; the warning (3 minutes left) comes after 6 s.
FAST = {"clockSpeed": 120}


def test_budget_runs_out_and_customer_accepts_conversion(make_server, browsers, screenshot):
    server = make_server(FAST)
    token = server.token("acme", "c1", name="Cathy Customer")
    agent = server.staff("ann", available=True)
    driver = browsers(width=900, height=760)
    open_widget(driver, server, token)
    fill_prechat(driver)
    sid = agent_session(agent)
    wait_for(driver, lambda d: q(d, ".cw-budget").text.startswith("Quick-question time left: "), message="budget")

    wait_for(driver, lambda d: "budget_warning" in notes(d), timeout=30, message="budget warning")
    assert "cw-budget-warning" in q(driver, ".cw-budget").get_attribute("class")
    wait_for(driver, lambda d: qs(d, ".cw-offer .cw-actions button"), timeout=30, message="conversion offer")
    assert q(driver, ".cw-budget").text == "Quick-question time is up."
    screenshot(driver, "widget-conversion-offer")

    q(driver, ".cw-offer").find_element(By.XPATH, ".//button[normalize-space()='Yes, open a ticket']").click()
    converted = agent.expect_event(sid, "converted", timeout=15)
    number = converted["ticketNumber"]
    wait_for(driver, lambda d: q(d, ".cw-ticket").is_displayed(), message="ticket banner")
    assert q(driver, ".cw-ticket .cw-ticket-number").text == f"#{number}"
    wait_for(driver, lambda d: q(d, ".cw-closed").is_displayed(), message="closed state")
    assert notes(driver)[-3:] == ["offer_accepted", "converted", "closed"]
    assert qs(driver, ".cw-offer button") == [] and "You accepted" in q(driver, ".cw-offer").text
    screenshot(driver, "widget-converted")
    assert driver.find_elements(By.CSS_SELECTOR, ".cw-note-error") == []  # reads racing the close are not shown
    status, body = server.http("GET", f"/api/tickets/{number}", token)
    assert status == 200 and body["ticket"]["sessionId"] == sid


def test_declined_offer_keeps_chatting(make_server, browsers):
    server = make_server(FAST)
    agent = server.staff("ann", available=True)
    driver = browsers()
    open_widget(driver, server, server.token("acme", "c1"))
    fill_prechat(driver)
    sid = agent_session(agent)
    wait_for(driver, lambda d: qs(d, ".cw-offer .cw-actions button"), timeout=30, message="conversion offer")
    q(driver, ".cw-offer").find_element(By.XPATH, ".//button[normalize-space()='No, thanks']").click()
    agent.expect_event(sid, "offer_declined", timeout=10)
    agent.send("continue_chat", sessionId=sid)
    wait_for(driver, lambda d: "chat_continued" in notes(d))
    assert q(driver, ".cw-budget").text == "Continuing beyond the quick-question time."
    assert q(driver, ".cw-input").is_enabled()
    assert driver.find_elements(By.CSS_SELECTOR, ".cw-note-error") == []
