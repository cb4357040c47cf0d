"""The widget across a server kill -9 and restart (same port), and across a page reload: no gap, no duplicate."""
from widget_helpers import (agent_say, agent_session, fill_prechat, messages, open_widget, q, type_message, view,
                            wait_for)
from views import start_server_on


def rendered_seqs(driver) -> list[int]:
    return [int(x) for x in driver.execute_script(
        "return [...document.querySelectorAll('.cw-transcript [data-seq]')].map(n => n.dataset.seq)")]


def assert_once_in_order(driver, last_seq: int):
    """Every event 1..last_seq is in the DOM exactly once, in order; no message is left pending or duplicated."""
    seqs = rendered_seqs(driver)
    assert seqs == list(range(1, last_seq + 1)), seqs
    msgs = messages(driver)
    assert not any(m["pending"] for m in msgs), msgs
    client_ids = [m["clientId"] for m in msgs if m["clientId"]]
    assert len(client_ids) == len(set(client_ids)), client_ids


def test_server_restart_mid_conversation(server, browsers, screenshot):
    agent = server.staff("ann", available=True)
    driver = browsers(width=900, height=760)
    open_widget(driver, server, server.token("acme", "c1", name="Cathy Customer"))
    fill_prechat(driver)
    sid = agent_session(agent)
    agent_say(agent, sid, "Hello from Ann")
    type_message(driver, "Before the restart")
    before = agent.expect_event(sid, "message")
    wait_for(driver, lambda d: [m["status"] for m in messages(d) if m["seq"] == before["seq"]] in (["sent"], ["read"]))

    port = server.port
    agent.close()
    server.kill()
    wait_for(driver, lambda d: q(d, ".cw-root").get_attribute("data-connection") == "reconnecting",
             message="reconnecting state")
    banner = q(driver, ".cw-banner")
    assert banner.is_displayed() and banner.text.startswith("Reconnecting…")
    type_message(driver, "Typed while the server was down")
    wait_for(driver, lambda d: [m["status"] for m in messages(d) if m["pending"]] == ["sending…"])
    screenshot(driver, "widget-reconnecting")

    start_server_on(server, port)
    agent = server.staff("ann", available=True)
    agent.expect("session", lambda f: f["session"]["id"] == sid)
    agent.send("sync", sessionId=sid, afterSeq=before["seq"])
    down = agent.expect_event(sid, "message", timeout=30)  # the widget reconnects with backoff
    assert down["text"] == "Typed while the server was down" and down["seq"] == before["seq"] + 1
    wait_for(driver, lambda d: q(d, ".cw-root").get_attribute("data-connection") == "open", timeout=30)
    assert not q(driver, ".cw-banner").is_displayed()

    after = agent_say(agent, sid, "Back again, got your message")
    wait_for(driver, lambda d: any(m["seq"] == after["seq"] for m in messages(d)))
    type_message(driver, "Great")
    last = agent.expect_event(sid, "message")
    wait_for(driver, lambda d: [m["status"] for m in messages(d) if m["seq"] == last["seq"]] == ["sent"])
    assert_once_in_order(driver, last["seq"])
    assert [m["text"] for m in messages(driver)] == [
        "How do I add a paper stock?", "Hello from Ann", "Before the restart", "Typed while the server was down",
        "Back again, got your message", "Great"]
    # The agent's side has each event once too.
    stored = server.transcript(sid, server.login("sue"))["events"]
    assert [e["seq"] for e in stored] == list(range(1, last["seq"] + 1))
    assert [e["text"] for e in stored if e["kind"] == "message"].count("Typed while the server was down") == 1


def test_page_reload_keeps_the_conversation(server, browsers):
    agent = server.staff("ann", available=True)
    driver = browsers()
    open_widget(driver, server, server.token("acme", "c1"))
    fill_prechat(driver)
    sid = agent_session(agent)
    agent_say(agent, sid, "First answer")
    type_message(driver, "A follow-up question")
    got = agent.expect_event(sid, "message")
    agent.send("read", sessionId=sid, seq=got["seq"])
    wait_for(driver, lambda d: [m["status"] for m in messages(d) if m["seq"] == got["seq"]] == ["read"])
    before = messages(driver)

    driver.refresh()
    wait_for(driver, lambda d: view(d) == "chat", message="chat view after reload")
    wait_for(driver, lambda d: len(messages(d)) == len(before))
    assert q(driver, ".cw-panel").is_displayed()  # the panel stays open across the reload
    wait_for(driver, lambda d: [m["status"] for m in messages(d) if m["seq"] == got["seq"]] == ["read"])
    assert [(m["seq"], m["text"]) for m in messages(driver)] == [(m["seq"], m["text"]) for m in before]
    assert q(driver, ".cw-status-line").text == "Chatting with Ann"
    # The chat goes on after the reload, still without duplicates.
    agent_say(agent, sid, "Still here")
    type_message(driver, "Thanks")
    last = agent.expect_event(sid, "message")
    wait_for(driver, lambda d: [m["status"] for m in messages(d) if m["seq"] == last["seq"]] == ["sent"])
    assert_once_in_order(driver, last["seq"])
