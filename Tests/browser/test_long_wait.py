"""A customer never waits forever (issue 8.13): past chat.maxQueueMinutes the widget offers a ticket, the
supervisor board flags the long wait, and accepting turns the chat into a ticket with the conversation."""
import copy

from selenium.webdriver.common.by import By

from chatlib import POLICY
from views import open_supervisor
from widget_helpers import fill_prechat, notes, open_widget, q, qs, wait_for


def short_wait_policy(minutes=0.05):
    policy = copy.deepcopy(POLICY)
    policy["chat"] = {"maxQueueMinutes": minutes}
    return policy


def test_a_long_wait_is_offered_a_ticket_and_flagged_on_the_board(make_server, browsers):
    server = make_server(policy=short_wait_policy())
    board = open_supervisor(browsers(), server)
    driver = browsers(width=900, height=760)
    token = server.token("acme", "c1", name="Cathy Customer")
    open_widget(driver, server, token)
    fill_prechat(driver, subject="Nobody there?", text="Is anyone available?")
    wait_for(driver, lambda d: qs(d, ".cw-offer[data-kind=wait_offered] .cw-actions button"), timeout=20,
             message="long-wait offer")
    assert "Sorry for the wait" in q(driver, ".cw-offer[data-kind=wait_offered]").text
    wait_for(board, lambda d: d.find_elements(By.CSS_SELECTOR, "tr.long-wait"), timeout=10, message="long-wait row")
    assert "long wait" in board.find_element(By.CSS_SELECTOR, "tr.long-wait").text

    q(driver, ".cw-offer[data-kind=wait_offered]").find_element(
        By.XPATH, ".//button[normalize-space()='Yes, open a ticket']").click()
    wait_for(driver, lambda d: q(d, ".cw-ticket").is_displayed(), timeout=15, message="ticket banner")
    assert notes(driver)[-3:] == ["offer_accepted", "converted", "closed"]
    number = int(q(driver, ".cw-ticket .cw-ticket-number").text.lstrip("#"))
    status, body = server.http("GET", f"/api/tickets/{number}", token)
    assert status == 200 and body["ticket"]["subject"] == "Nobody there?"
    wait_for(board, lambda d: not d.find_elements(By.CSS_SELECTOR, "tr.long-wait"), timeout=10,
             message="the converted chat left the queue")


def test_declining_keeps_the_place_in_the_queue(make_server, browsers):
    server = make_server(policy=short_wait_policy())
    driver = browsers()
    open_widget(driver, server, server.token("acme", "c1"))
    fill_prechat(driver)
    wait_for(driver, lambda d: qs(d, ".cw-offer[data-kind=wait_offered] .cw-actions button"), timeout=20,
             message="long-wait offer")
    q(driver, ".cw-offer[data-kind=wait_offered]").find_element(
        By.XPATH, ".//button[normalize-space()=\"No, I'll keep waiting\"]").click()
    wait_for(driver, lambda d: "You keep your place" in q(d, ".cw-offer[data-kind=wait_offered]").text, timeout=10)
    # An agent who becomes available still gets the chat.
    ann = server.staff("ann", available=True)
    ann.expect("session", lambda f: f["session"]["state"] == "active", timeout=10)
    wait_for(driver, lambda d: "joined" in notes(d), timeout=10, message="agent joined")
