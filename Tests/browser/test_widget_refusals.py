"""Refusals shown as explanations with a ticket alternative; tickets opened from the widget; urgent outside hours."""
from widget_helpers import fill_prechat, open_ticket_from_form, open_widget, q, view, wait_for

SATURDAY_NOON_CHICAGO = "2026-11-21T18:00:00Z"


def test_basic_plan_sees_explanation_and_opens_a_ticket(server, browsers, screenshot):
    token = server.token("basicco", "b1", name="Bea Basic")
    driver = browsers(width=900, height=760)
    # Availability up front: the ticket form at once, under the reason.
    open_widget(driver, server, token, expect_view="ticket_form")
    explain = q(driver, ".cw-availability")
    assert explain.get_attribute("data-code") == "plan_excludes_chat"
    assert "isn't part of your plan" in explain.text and "BASIC" in explain.text
    screenshot(driver, "widget-refusal")
    number = open_ticket_from_form(driver, "Proof approval emails", "Customers do not get proof emails.")
    assert "on-call" not in q(driver, ".cw-explain").text
    status, body = server.http("GET", f"/api/tickets/{number}", token)
    assert status == 200
    ticket = body["ticket"]
    assert ticket["subject"] == "Proof approval emails" and ticket["organizationId"] == "basicco"
    assert ticket["customer"]["contactId"] == "b1" and ticket["urgent"] is False


def test_product_without_chat_is_explained_and_goes_to_a_ticket(server, browsers):
    token = server.token("acme", "c1")
    driver = browsers()
    open_widget(driver, server, token)
    fill_prechat(driver, product="pjm", subject="PJM import", text="The job import stalls.", submit=False)
    hint = q(driver, "#" + q(driver, ".cw-form select[name=product]").get_attribute("aria-describedby"))
    assert "Live chat isn't offered for PJM" in hint.text
    assert not q(driver, ".cw-form button[type=submit]").is_displayed()
    q(driver, ".cw-form .cw-secondary").click()
    number = open_ticket_from_form(driver)  # subject and description carried over from the pre-chat form
    status, body = server.http("GET", f"/api/tickets/{number}", token)
    assert body["ticket"]["product"] == "pjm" and body["ticket"]["subject"] == "PJM import"
    assert body["ticket"]["description"] == "The job import stalls."


def test_authorized_contacts_exceeded_is_explained(server, browsers):
    first = server.customer("fullco", "f1")
    first.request_chat("r1")  # takes the tiny plan's only seat
    driver = browsers()
    open_widget(driver, server, server.token("fullco", "f2"))
    fill_prechat(driver)
    wait_for(driver, lambda d: view(d) == "refusal")
    assert q(driver, ".cw-explain").get_attribute("data-code") == "authorized_contacts_exceeded"
    assert driver.execute_script("return document.querySelectorAll('.cw-transcript').length") == 0
    # Back keeps what was typed.
    q(driver, ".cw-explain .cw-secondary").click()
    wait_for(driver, lambda d: view(d) == "prechat")
    assert q(driver, ".cw-form input[name=subject]").get_attribute("value") == "Calculator pricing"


def offline_server(make_server, **config):
    server = make_server({"clockStart": SATURDAY_NOON_CHICAGO, **config}, start=False)
    server.admin("set-region", "--id", "acme", "--region", "usa")
    return server.start()


def test_outside_hours_shows_next_opening_and_ticket_alternative(make_server, browsers):
    server = offline_server(make_server)
    driver = browsers()
    # Availability up front (welcome.availability): the form before any question is typed.
    open_widget(driver, server, server.token("acme", "c1"), expect_view="ticket_form")
    explain = q(driver, ".cw-availability")
    assert explain.get_attribute("data-code") == "chat_offline"
    assert "Live chat is closed right now" in explain.text and "Chat opens again" in explain.text
    assert "Monday" in explain.text
    assert open_ticket_from_form(driver, "Stock", "Where do I add paper stocks?") > 0


def test_urgent_outside_hours_shows_ticket_and_on_call(make_server, browsers):
    # A webhook is configured (nothing listens: the alert is queued, which is what the customer is told).
    server = offline_server(make_server, onCallWebhookURL="http://127.0.0.1:9/oncall", onCallWebhookSecret="browser-test-oncall-secret")
    token = server.token("acme", "c1")
    driver = browsers()
    open_widget(driver, server, token, expect_view="ticket_form")
    q(driver, ".cw-form input[type=text]").send_keys("Storefront down")
    q(driver, ".cw-form textarea").send_keys("Nobody can check out.")
    q(driver, ".cw-form input[type=checkbox]").click()
    q(driver, ".cw-form button[type=submit]").click()
    wait_for(driver, lambda d: view(d) == "ticket_done", message="urgent ticket")
    text = q(driver, ".cw-explain").text
    assert "urgent" in text and "on-call staff were alerted" in text
    number = int(q(driver, ".cw-ticket-number").text.lstrip("#"))
    status, body = server.http("GET", f"/api/tickets/{number}", token)
    assert body["ticket"]["urgent"] is True and body["ticket"]["severity"] == 1
    # The request is not resent after a reload (no second urgent ticket).
    driver.refresh()
    wait_for(driver, lambda d: view(d) == "ticket_form")
    status, body = server.http("GET", "/api/tickets", token)
    assert [t["number"] for t in body["tickets"]] == [number]
