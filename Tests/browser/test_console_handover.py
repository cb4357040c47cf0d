"""Agent console (WebClient/console/): who a chat may be transferred to, one staff login for the console and the
supervisor view, and state changes said in words (a chat transferred away, requeued, taken by someone else,
closed; the agent's own status changing without asking). Python clients play the customers and other staff.

Every wait is a bounded wait for a condition in the page or on the wire.
"""
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from views import (choose_transfer_target, css, open_console, open_supervisor, take_from_queue, transfer_options,
                   wait, wait_for_chat)


def target_ids(driver, sid):
    return [value for value, _ in transfer_options(driver, sid) if value]


def note(driver, sid):
    return driver.execute_script("const n = document.getElementById(arguments[0]); return n && !n.hidden ? n.textContent : ''",
                                 f"state-note-{sid}")


def notice(driver):
    return css(driver, "#notice").get_attribute("textContent")


def followed(driver):
    return driver.execute_script("return [...window.agentConsole.connection.followed]")


def routed_to_ann(server, driver, contact="c1", name="Cathy", org="acme"):
    customer = server.customer(org, contact, name=name)
    sid = customer.request_chat(f"r-{contact}", text="Please help", subject="Help")["sessionId"]
    customer.expect_event(sid, "joined", timeout=10)
    wait_for_chat(driver, sid)
    return customer, sid


# --------------------------------------------------------------------------- B. transfer targets

def test_transfer_lists_only_connected_available_agents_under_the_cap(make_server, browsers):
    server = make_server({"agentSessionCap": 1})
    bob = server.staff("bob")                      # connected, away
    driver = open_console(browsers(), server, "ann")
    cathy, sid = routed_to_ann(server, driver)
    bob_id = str(bob.welcome["staff"]["id"])
    assert bob.welcome["limits"]["agentSessionCap"] == 1
    css(driver, f"#panel-{sid} details.transfer summary").click()
    submit = css(driver, f"#panel-{sid} .transfer-submit")

    # Nobody qualifies: Bob is away, Cat is not connected, Ann is herself.
    wait(driver).until(lambda d: transfer_options(d, sid) == [["", "No other agent is available now"]])
    assert not submit.is_enabled()

    # Bob becomes available: he is listed, with his load against the cap.
    bob.set_available()
    wait(driver).until(lambda d: target_ids(d, sid) == [bob_id])
    assert transfer_options(driver, sid)[1][1] == "Bob (0 of 1 chats)"
    choose_transfer_target(driver, sid, bob_id)
    assert submit.is_enabled()

    # Bob goes away: the choice is cleared, the button disabled, and the page says why.
    bob.send("set_status", status="away")
    wait(driver).until(lambda d: target_ids(d, sid) == [])
    assert css(driver, f"#transfer-{sid}").get_attribute("value") == ""
    assert not submit.is_enabled()
    assert "Bob can no longer take transfers" in css(driver, f"#transfer-hint-{sid}").text

    # Available again but at the cap (Gus's chat is routed to him): still not a target.
    bob.set_available()
    gus = server.customer("globex", "g1", name="Gus")
    gus_sid = gus.request_chat("r-g1")["sessionId"]
    assert bob.expect_event(gus_sid, "joined", timeout=10)["agent"]["name"] == "Bob"
    wait(driver).until(lambda d: target_ids(d, sid) == [])
    # Under the cap once that chat ends: listed again, and the transfer goes through.
    gus.send("close", sessionId=gus_sid)
    wait(driver).until(lambda d: target_ids(d, sid) == [bob_id])
    choose_transfer_target(driver, sid, bob_id)
    submit.click()
    assert bob.expect_event(sid, "transferred", timeout=10)["agent"]["name"] == "Bob"
    wait(driver).until(lambda d: note(d, sid) == "You transferred this chat to Bob.")
    assert not css(driver, f"#compose-{sid}").is_enabled()
    assert not submit.is_enabled()
    wait(driver).until(lambda d: sid not in followed(d))


# --------------------------------------------------------------------------- B. one login for both pages

def test_a_supervisor_signed_in_on_the_board_is_signed_in_on_the_console(server, browsers):
    driver = open_supervisor(browsers(), server)
    driver.get(f"http://127.0.0.1:{server.port}/console/")
    wait(driver).until(lambda d: "Signed in as Sue" in css(d, "#who").text)
    assert driver.find_elements(By.ID, "login-username") == []
    wait(driver).until(lambda d: not css(d, "#connection-banner").is_displayed())

    # Another tab of the same browser shares it too; logging out there ends it here.
    board = driver.current_window_handle
    driver.switch_to.new_window("tab")
    driver.get(f"http://127.0.0.1:{server.port}/supervisor/")
    wait(driver).until(EC.presence_of_element_located((By.ID, "board")))
    css(driver, "#logout").click()
    wait(driver).until(EC.visibility_of_element_located((By.ID, "login-username")))
    driver.switch_to.window(board)
    wait(driver, 15).until(EC.visibility_of_element_located((By.ID, "login-username")))
    assert "session has ended" in css(driver, ".login .notice").text


def test_an_agent_login_is_not_enough_for_the_supervisor_view(server, browsers):
    driver = open_console(browsers(), server, "ann", available=False)
    driver.get(f"http://127.0.0.1:{server.port}/supervisor/")
    wait(driver).until(EC.visibility_of_element_located((By.ID, "login-username")))
    assert "needs a supervisor account" in css(driver, ".login .notice").text
    assert driver.find_elements(By.ID, "board") == []
    # Logging in there as a supervisor works, and the console then uses Sue's login.
    css(driver, "#login-username").send_keys("sue")
    css(driver, "#login-password").send_keys("secret123")
    css(driver, "#login-submit").click()
    wait(driver).until(EC.presence_of_element_located((By.ID, "board")))
    driver.get(f"http://127.0.0.1:{server.port}/console/")
    wait(driver).until(lambda d: "Signed in as Sue" in css(d, "#who").text)


# --------------------------------------------------------------------------- C. state changes in words

def test_a_supervisor_moves_the_chat_away_and_a_reload_is_not_refused(server, browsers, screenshot):
    bob = server.staff("bob")
    driver = open_console(browsers(), server, "ann")
    cathy, sid = routed_to_ann(server, driver)
    bob.set_available()
    sue = server.staff("sue")
    sue.send("transfer", sessionId=sid, toAgent=bob.welcome["staff"]["id"])
    bob.expect_event(sid, "transferred", timeout=10)
    wait(driver).until(lambda d: note(d, sid) == "Sue transferred this chat to Bob.")
    assert "with Bob" in css(driver, f"#tab-{sid}").text
    screenshot(driver, "console-handover")
    assert not css(driver, f"#compose-{sid}").is_enabled()
    wait(driver).until(lambda d: sid not in followed(d))

    # A reload does not try to follow the chat again: no "You cannot follow chat N".
    driver.refresh()
    wait(driver).until(lambda d: "Signed in as Ann" in css(d, "#who").text)
    wait(driver).until(lambda d: not css(d, "#connection-banner").is_displayed())
    bob.say(sid, "b1", "Bob here")
    cathy.expect_event(sid, "message", timeout=10)
    assert "cannot follow" not in notice(driver)
    assert driver.find_elements(By.ID, f"panel-{sid}") == []


def test_the_customer_closes_the_chat(server, browsers):
    driver = open_console(browsers(), server, "ann")
    cathy, sid = routed_to_ann(server, driver)
    cathy.send("close", sessionId=sid)
    wait(driver).until(lambda d: note(d, sid) == "Cathy closed this chat.")
    wait(driver).until(lambda d: sid not in followed(d))
    assert css(driver, f"#panel-{sid}").get_attribute("data-state") == "closed"


def go_away(driver):
    """Ann asks to be Away (so that no chat is routed back to her when she reconnects): not announced as a change."""
    Select(css(driver, "#status")).select_by_value("away")
    wait(driver).until(lambda d: css(d, "#status-note").text == "You are Away: you will not receive new chats.")
    assert "changed" not in notice(driver)


def test_requeued_while_away_then_taken_by_bob_is_explained_after_the_reconnect(make_server, browsers):
    server = make_server({"agentGraceSeconds": 1})
    driver = open_console(browsers(), server, "ann")
    cathy, sid = routed_to_ann(server, driver)
    bob = server.staff("bob")
    go_away(driver)

    # Ann's page loses its connection for longer than the grace period: the chat goes back to the queue.
    driver.execute_script("window.agentConsole.connection.stop()")
    cathy.expect_event(sid, "requeued", timeout=15)
    bob.send("take", sessionId=sid)
    bob.expect_event(sid, "joined", timeout=10)
    cathy.expect_event(sid, "joined", timeout=10)

    driver.execute_script("window.agentConsole.connection.start()")
    wait(driver).until(lambda d: note(d, sid) == "Bob took this chat.")
    assert "requeued" in [kind for kind in driver.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map((n) => n.dataset.kind)", f"#panel-{sid} .timeline .sys")]
    assert not css(driver, f"#compose-{sid}").is_enabled()
    assert sid not in followed(driver)
    assert "cannot follow" not in notice(driver)


def test_requeued_while_away_is_explained_when_nobody_took_it(make_server, browsers):
    server = make_server({"agentGraceSeconds": 1})
    driver = open_console(browsers(), server, "ann")
    cathy, sid = routed_to_ann(server, driver)
    go_away(driver)
    driver.execute_script("window.agentConsole.connection.stop()")
    cathy.expect_event(sid, "requeued", timeout=15)
    driver.execute_script("window.agentConsole.connection.start()")
    wait(driver).until(lambda d: note(d, sid).startswith(
        "This chat went back to the queue because you were disconnected for too long."))
    # It waits in the queue: Ann may take it again, and it is hers once more.
    take_from_queue(driver, sid)
    wait(driver).until(lambda d: css(d, f"#compose-{sid}").is_enabled())
    assert note(driver, sid) == ""
    wait(driver).until(lambda d: sid in followed(d))


def test_status_changes_nobody_asked_for_here_are_said_in_words(server, browsers):
    driver = open_console(browsers(), server, "ann")
    wait(driver).until(lambda d: css(d, "#status-note").text == "You are Available: new chats are routed to you.")
    assert notice(driver) == ""

    # Ann's other connection (another tab, another device) sets her Away.
    elsewhere = server.staff("ann")
    elsewhere.send("set_status", status="away")
    wait(driver).until(lambda d: notice(d) == "Your status changed to Away: you will not receive new chats.")
    assert css(driver, "#status-note").text == "You are Away: you will not receive new chats."
    assert Select(css(driver, "#status")).first_selected_option.get_attribute("value") == "away"

    # While this page is disconnected she becomes Available again: said when the page reconnects.
    driver.execute_script("window.agentConsole.connection.stop()")
    elsewhere.set_available()
    driver.execute_script("window.agentConsole.connection.start()")
    wait(driver).until(lambda d: notice(d) ==
                       "Your status changed to Available after the reconnect: new chats are routed to you.")
    assert css(driver, "#status-note").text == "You are Available: new chats are routed to you."

    # What Ann asks for herself is not announced as a change.
    Select(css(driver, "#status")).select_by_value("offline")
    wait(driver).until(lambda d: css(d, "#status-note").text == "You are Offline: you will not receive new chats or transfers.")
    assert "changed" not in notice(driver)
