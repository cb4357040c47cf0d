"""Customer widget: availability up front, My tickets with live staff replies, CSAT after a chat, the phone view,
the expected wait while queued. Real headless Chromium against a real chatd; staff act through chatlib."""
import re

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from conftest import CHROMEDRIVER, CHROMIUM
from widget_helpers import agent_session, fill_prechat, open_widget, q, qs, view, wait_for

SATURDAY_NOON_CHICAGO = "2026-11-21T18:00:00Z"


def ticket_pane_view(driver):
    return driver.execute_script("const p = document.querySelector('.cw-tickets'); return p && !p.hidden ? p.dataset.view : null")


def test_offline_form_shown_before_the_customer_types(make_server, browsers):
    server = make_server({"clockStart": SATURDAY_NOON_CHICAGO}, start=False)
    server.admin("set-region", "--id", "acme", "--region", "usa")
    server.start()
    token = server.token("acme", "c1")
    driver = browsers()
    open_widget(driver, server, token, expect_view="ticket_form")
    # No pre-chat question box: the reason and the ticket form come first.
    assert qs(driver, ".cw-form textarea[name=text]") == []
    notice = q(driver, ".cw-availability")
    assert notice.get_attribute("data-code") == "chat_offline"
    assert "Live chat is closed right now" in notice.text and "Chat opens again Monday" in notice.text
    q(driver, ".cw-form input[type=text]").send_keys("Proofs stuck")
    q(driver, ".cw-form textarea").send_keys("Proofs do not reach customers.")
    q(driver, ".cw-form input[type=checkbox]").click()  # urgent: on-call staff are alerted by the ticket API
    q(driver, ".cw-form button[type=submit]").click()
    wait_for(driver, lambda d: view(d) == "ticket_done", message="ticket opened")
    number = int(q(driver, ".cw-ticket-number").text.lstrip("#"))
    status, body = server.http("GET", f"/api/tickets/{number}", token)
    assert status == 200 and body["ticket"]["urgent"] is True and body["ticket"]["subject"] == "Proofs stuck"


def test_plan_without_chat_shows_the_ticket_form_at_once(server, browsers):
    driver = browsers()
    open_widget(driver, server, server.token("basicco", "b1"), expect_view="ticket_form")
    assert q(driver, ".cw-availability").get_attribute("data-code") == "plan_excludes_chat"
    assert "BASIC" in q(driver, ".cw-availability").text


def test_product_without_chat_on_the_host_page_shows_the_ticket_form_at_once(server, browsers):
    driver = browsers()
    driver.get(f"http://127.0.0.1:{server.port}/demo/")  # no token yet: the host page hands it over later
    wait_for(driver, lambda d: d.execute_script("return !!window.ChatWidget?.instance"))
    # The host page is about PJM, which has no live chat.
    driver.execute_script("window.ChatWidget.instance.product = 'pjm'; window.ChatWidget.setToken(arguments[0]);"
                          "window.ChatWidget.instance.open();", server.token("acme", "c1"))
    wait_for(driver, lambda d: view(d) == "ticket_form")
    notice = q(driver, ".cw-availability")
    assert notice.get_attribute("data-code") == "product_excludes_chat" and "PJM" in notice.text
    assert q(driver, ".cw-form select").get_attribute("value") == "pjm"
    # Another product may still be chatted about.
    notice.find_element(By.CSS_SELECTOR, ".cw-link").click()
    wait_for(driver, lambda d: view(d) == "prechat")


def test_my_tickets_staff_reply_arrives_live_and_customer_replies(server, browsers, screenshot):
    token = server.token("acme", "c1", name="Cathy Customer")
    driver = browsers(width=900, height=860)
    open_widget(driver, server, token)
    # A new ticket from My tickets, with the widget's ticket form.
    q(driver, ".cw-header-button").click()
    wait_for(driver, lambda d: ticket_pane_view(d) == "list")
    q(driver, ".cw-tickets .cw-pane-head .cw-primary").click()
    wait_for(driver, lambda d: ticket_pane_view(d) == "new")
    q(driver, ".cw-tickets .cw-form input[type=text]").send_keys("Invoices show the wrong tax")
    q(driver, ".cw-tickets .cw-form textarea").send_keys("VAT is 0% on every invoice since Monday.")
    q(driver, ".cw-tickets .cw-form button[type=submit]").click()
    wait_for(driver, lambda d: ticket_pane_view(d) == "ticket", message="ticket shown")
    number = int(q(driver, ".cw-ticket-title").get_attribute("data-number"))
    # Back to the list, then staff answer through the HTTP API: the notice and the list update live.
    q(driver, ".cw-tickets .cw-pane-head .cw-link").click()
    wait_for(driver, lambda d: ticket_pane_view(d) == "list" and qs(d, f".cw-ticket-list li[data-number='{number}']"))
    ann = server.login("ann")
    status, _ = server.http("POST", f"/api/tickets/{number}/replies", ann, {"text": "Fixed the tax table: please check."})
    assert status == 200
    notice = wait_for(driver, lambda d: (lambda n: n if n.is_displayed() and "Ann replied" in n.text else None)(q(d, ".cw-ticket-notice")),
                      message="live notice")
    wait_for(driver, lambda d: q(d, f".cw-ticket-list li[data-number='{number}']").get_attribute("data-status") == "open")
    notice.find_element(By.CSS_SELECTOR, "button").click()
    wait_for(driver, lambda d: any("Fixed the tax table" in x.text for x in qs(d, ".cw-ticket-history [data-kind=reply]")))
    # A status change while the ticket is open: it updates in place, with the notice in the pane.
    status, _ = server.http("POST", f"/api/tickets/{number}/status", ann, {"status": "awaiting_reply"})
    assert status == 200
    wait_for(driver, lambda d: q(d, ".cw-tickets .cw-status-pill").get_attribute("data-status") == "awaiting_reply")
    assert "Awaiting your reply" in q(driver, ".cw-ticket-live").text
    screenshot(driver, "widget-my-tickets")
    # The customer replies; the ticket goes back to Open.
    q(driver, ".cw-ticket-reply textarea").send_keys("Yes, it works now. Thanks!")
    q(driver, ".cw-ticket-reply button[type=submit]").click()
    wait_for(driver, lambda d: any("it works now" in x.text for x in qs(d, ".cw-ticket-history [data-role=customer]")))
    status, body = server.http("GET", f"/api/tickets/{number}", ann)
    replies = [e for e in body["history"] if e["kind"] == "reply"]
    assert [e["actor"]["role"] for e in replies] == ["agent", "customer"] and body["ticket"]["status"] == "open"
    # Back to the start view.
    q(driver, ".cw-header-button").click()
    wait_for(driver, lambda d: view(d) == "prechat" and q(d, ".cw-body").is_displayed())


def test_rating_a_closed_chat(server, browsers, screenshot):
    agent = server.staff("ann", available=True)
    driver = browsers(width=900, height=860)
    token = server.token("acme", "c1", name="Cathy Customer")
    open_widget(driver, server, token)
    fill_prechat(driver)
    sid = agent_session(agent)
    wait_for(driver, lambda d: q(d, ".cw-status-line").text == "Chatting with Ann")
    agent.send("close", sessionId=sid)
    wait_for(driver, lambda d: q(d, ".cw-rating").get_attribute("data-state") == "prompt", message="rating prompt")
    q(driver, ".cw-rating label[for$='-score-4']").click()
    q(driver, ".cw-rating textarea").send_keys("Quick and friendly")
    screenshot(driver, "widget-rating")
    q(driver, ".cw-rating button[type=submit]").click()
    wait_for(driver, lambda d: q(d, ".cw-rating").get_attribute("data-state") == "thanks")
    assert "4 of 5" in q(driver, ".cw-rating").text
    csat = server.transcript(sid, agent.token)["csat"]
    assert csat["rating"] == 4 and csat["comment"] == "Quick and friendly"
    # Changeable in the window; a reload shows the stored rating, not a second prompt.
    q(driver, ".cw-rating .cw-link").click()
    q(driver, ".cw-rating label[for$='-score-5']").click()
    q(driver, ".cw-rating button[type=submit]").click()
    wait_for(driver, lambda d: "5 of 5" in q(d, ".cw-rating").text)
    assert server.transcript(sid, agent.token)["csat"]["rating"] == 5
    driver.refresh()
    wait_for(driver, lambda d: q(d, ".cw-rating").get_attribute("data-state") == "thanks", message="stored rating after reload")


def test_rating_locked_after_the_window_is_said(make_server, browsers):
    server = make_server({"csatChangeWindowSeconds": 0})
    agent = server.staff("ann", available=True)
    driver = browsers()
    open_widget(driver, server, server.token("acme", "c1"))
    fill_prechat(driver)
    sid = agent_session(agent)
    agent.send("close", sessionId=sid)
    wait_for(driver, lambda d: q(d, ".cw-rating").get_attribute("data-state") == "prompt")
    q(driver, ".cw-rating label[for$='-score-2']").click()
    q(driver, ".cw-rating button[type=submit]").click()
    wait_for(driver, lambda d: q(d, ".cw-rating").get_attribute("data-state") == "thanks")
    q(driver, ".cw-rating .cw-link").click()
    q(driver, ".cw-rating label[for$='-score-5']").click()
    q(driver, ".cw-rating button[type=submit]").click()
    wait_for(driver, lambda d: q(d, ".cw-rating").get_attribute("data-state") == "locked")
    assert "can no longer be changed" in q(driver, ".cw-rating").text
    assert server.transcript(sid, agent.token)["csat"]["rating"] == 2


def phone_browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--lang=en-US"):
        options.add_argument(arg)
    options.add_experimental_option("mobileEmulation", {"deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 1, "touch": True}})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def test_widget_is_full_screen_on_a_phone_over_a_wide_host_page(server, screenshot):
    driver = phone_browser()
    try:
        open_widget(driver, server, server.token("acme", "c1"), expect_view=None)
        # The host page is wider than the screen (a wide table, as admin panels have), and scrolled sideways.
        driver.execute_script("const w = document.createElement('div'); w.style.width = '1600px'; w.style.height = '20px';"
                              "document.querySelector('main').append(w); window.scrollTo(300, 200);")
        wait_for(driver, lambda d: d.execute_script("return document.documentElement.scrollWidth") > 1000)
        wait_for(driver, lambda d: view(d) == "prechat")
        driver.execute_script("window.dispatchEvent(new Event('resize'))")

        def covers(d):
            r = d.execute_script("""const r = document.querySelector('.cw-panel').getBoundingClientRect();
                const v = window.visualViewport;
                return {left: r.left - v.offsetLeft, top: r.top - v.offsetTop, width: r.width, height: r.height,
                        vw: v.width, vh: v.height};""")
            ok = abs(r["left"]) < 2 and abs(r["top"]) < 2 and abs(r["width"] - r["vw"]) < 2 and abs(r["height"] - r["vh"]) < 2
            return r if ok else None
        wait_for(driver, covers, message="panel covers the visible viewport")
        assert q(driver, ".cw-form button[type=submit]").is_displayed()
        assert not q(driver, ".cw-launcher").is_displayed()
        screenshot(driver, "widget-phone")
    finally:
        driver.quit()


def test_expected_wait_shown_while_queued_once_the_queue_has_moved(make_server, browsers):
    server = make_server({"agentSessionCap": 1})
    ann = server.staff("ann", available=True)
    first = server.customer("acme", "q1")
    first_sid = first.request_chat("r1")["sessionId"]
    ann.expect("session", lambda f: f["session"]["id"] == first_sid and f["session"]["state"] == "active")
    waiting = [server.customer("acme", f"q{i}") for i in (2, 3)]
    sids = [c.request_chat(f"r{i}")["sessionId"] for i, c in enumerate(waiting)]
    driver = browsers()
    open_widget(driver, server, server.token("acme", "c9"))
    fill_prechat(driver)
    wait_for(driver, lambda d: "number 3 in the queue" in q(d, ".cw-status-line").text, message="queued third")
    assert not q(driver, ".cw-wait").is_displayed(), "no expected wait before the queue has moved"
    # The queue moves: each chat ann closes lets the next one in (two assignments from the queue give its pace).
    for closing, following in ((first_sid, sids[0]), (sids[0], sids[1])):
        ann.send("close", sessionId=closing)
        ann.expect("session", lambda f: f["session"]["id"] == following and f["session"]["state"] == "active", timeout=10)
    wait_for(driver, lambda d: q(d, ".cw-status-line").text == "You are next in the queue", message="next")
    wait_for(driver, lambda d: q(d, ".cw-wait").is_displayed(), message="expected wait shown")
    assert re.fullmatch(r"Expected wait: (less than a minute|about \d+ (minute|minutes|hour|hours))", q(driver, ".cw-wait").text)
