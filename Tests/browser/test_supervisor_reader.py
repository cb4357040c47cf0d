"""The supervisor's transcript reader in headless Chromium against a real chatd: finding a chat by organization
name (with suggestions), reading it with names and its header, paging a long chat, exporting it, the print view,
and the Audit tab showing those reads."""
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from views import css, open_supervisor, text_of, wait


def closed_chat(server, org, contact, subject, lines=2, name="Cathy"):
    ann = server.staff("ann", available=True)
    customer = server.customer(org, contact, name=name)
    sid = customer.request_chat(f"r-{subject}", text="Hello, the stocks page is empty", subject=subject)["sessionId"]
    customer.expect_event(sid, "joined", timeout=10)
    for i in range(lines):
        customer.say(sid, f"c{i}", f"Question {i}")
        ann.say(sid, f"a{i}", f"Answer {i}")
    ann.send("close", sessionId=sid)
    customer.expect_event(sid, "closed", timeout=10)
    ann.send("set_status", status="offline")
    return sid


def found(driver):
    return driver.execute_script(
        "return [...document.querySelectorAll('#transcript-rows tr[data-session-id]')].map((r) => +r.dataset.sessionId)")


def field(driver, name):
    return text_of(driver, f"#reader-head dd[data-field='{name}']")


def test_find_by_organization_name_read_export_and_audit(server, browsers, screenshot):
    acme = closed_chat(server, "acme", "c1", "Paper stocks")
    closed_chat(server, "globex", "g1", "Checkout", name="Gus")
    driver = open_supervisor(browsers(width=1400, height=1000), server)
    wait(driver).until(lambda d: len(found(d)) == 2)

    # Suggestions by name as one types; the search by the name finds the organization's chats only.
    box = css(driver, "#filter-organization")
    box.send_keys("ac")
    wait(driver).until(lambda d: d.execute_script(
        "return [...document.querySelectorAll('#org-options option')].map((o) => o.value)") == ["Acme"])
    box.send_keys("me")
    css(driver, "#search-transcripts").click()
    wait(driver).until(lambda d: found(d) == [acme])
    assert text_of(driver, "#transcripts-status") == "1 transcript found."
    assert text_of(driver, f"#transcript-rows tr[data-session-id='{acme}'] .organization") == "Acme"
    # An unknown name says so instead of listing everything.
    box.clear()
    box.send_keys("Initech")
    css(driver, "#search-transcripts").click()
    wait(driver).until(lambda d: "No organization is named" in text_of(d, "#transcripts-status"))
    assert found(driver) == []
    box.clear()
    box.send_keys("Acme")
    css(driver, "#search-transcripts").click()
    wait(driver).until(lambda d: found(d) == [acme])

    # The reader: names, not ids; the header; opens at its top.
    css(driver, f"#transcript-rows tr[data-session-id='{acme}'] .read-transcript").click()
    wait(driver).until(lambda d: "Paper stocks" in text_of(d, "#reader-title"))
    assert field(driver, "organization") == "Acme"
    assert field(driver, "product") == "Pressero"
    assert field(driver, "agents") == "Ann"
    assert field(driver, "outcome") == "Closed in the chat"
    assert field(driver, "wait") and field(driver, "duration") not in ("", "still open")
    assert driver.find_elements(By.CSS_SELECTOR, "#reader-head dd[data-field='csat']") == []
    # Its top and its first message are in view (not the end of a long chat).
    top, first, height = driver.execute_script(
        "return [document.getElementById('reader').getBoundingClientRect().top,"
        " document.querySelector('#reader-events li').getBoundingClientRect().top, innerHeight]")
    assert 0 <= top < height / 2 and first < height
    kinds = driver.execute_script("return [...document.querySelectorAll('#reader-events li')].map((l) => l.dataset.kind)")
    assert kinds[0] == "requested" and kinds[-1] == "closed"
    screenshot(driver, "supervisor-reader")

    # Exports: the text file and the list's CSV download; the print view shows the server's print document.
    css(driver, "#export-text").click()
    wait(driver).until(lambda d: css(d, "#reader-export-status").get_attribute("data-exported") == f"chat-{acme}.txt")
    css(driver, "#export-csv").click()
    wait(driver).until(lambda d: css(d, "#export-status").get_attribute("data-exported") == "transcripts.csv")
    main = driver.current_window_handle
    driver.switch_to.new_window("tab")
    driver.get(f"http://127.0.0.1:{server.port}/supervisor/print.html?id={acme}&print=0")
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "body[data-loaded='true'] main"))
    assert "Acme (acme)" in text_of(driver, "dl.transcript-head")
    assert "Answer 1" in text_of(driver, "ol.events")
    assert driver.execute_script("return getComputedStyle(document.querySelector('ol.events li')).breakInside") == "avoid"
    driver.close()
    driver.switch_to.window(main)

    # The Audit tab lists those reads and exports by Sue, filtered by action.
    css(driver, "#tab-audit").click()
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#audit-rows tr[data-action='transcript_read']"))
    assert not css(driver, "#main").is_displayed() and css(driver, "#audit").is_displayed()
    actions = driver.execute_script("return [...document.querySelectorAll('#audit-rows tr')].map((r) => r.dataset.action)")
    for action in ("transcript_read", "transcript_export", "list_export", "transcript_list"):
        assert action in actions
    read_row = f"#audit-rows tr[data-action='transcript_read']"
    assert text_of(driver, f"{read_row} .target") == str(acme) and "Sue" in text_of(driver, f"{read_row} .staff")
    driver.execute_script("window.scrollTo(0, 0)")
    screenshot(driver, "supervisor-audit")
    Select(css(driver, "#audit-action")).select_by_value("transcript_export")
    css(driver, "#audit-search").click()
    wait(driver).until(lambda d: set(d.execute_script(
        "return [...document.querySelectorAll('#audit-rows tr')].map((r) => r.dataset.action)")) == {"transcript_export"})
    details = driver.execute_script("return [...document.querySelectorAll('#audit-rows tr .detail')].map((d) => d.textContent)")
    assert details == ["format=html", "format=text"]  # the print view, then the text file (newest first)
    css(driver, "#tab-main").click()
    wait(driver).until(lambda d: css(d, "#reader").is_displayed())
    # The tabs follow the arrow keys too (Board, Analytics, Audit, and round again).
    css(driver, "#tab-main").send_keys(Keys.ARROW_RIGHT)
    wait(driver).until(lambda d: css(d, "#analytics").is_displayed() and not css(d, "#main").is_displayed())
    assert driver.switch_to.active_element.get_attribute("id") == "tab-analytics"
    css(driver, "#tab-analytics").send_keys(Keys.ARROW_RIGHT)
    wait(driver).until(lambda d: css(d, "#audit").is_displayed() and not css(d, "#analytics").is_displayed())
    assert driver.switch_to.active_element.get_attribute("id") == "tab-audit"
    css(driver, "#tab-audit").send_keys(Keys.ARROW_RIGHT)
    wait(driver).until(lambda d: css(d, "#main").is_displayed())
    assert driver.switch_to.active_element.get_attribute("id") == "tab-main"
    css(driver, "#tab-main").send_keys(Keys.ARROW_LEFT)
    wait(driver).until(lambda d: css(d, "#audit").is_displayed())
    css(driver, "#tab-audit").send_keys(Keys.HOME)
    wait(driver).until(lambda d: css(d, "#main").is_displayed())


def test_reader_pages_a_long_chat(server, browsers):
    ann = server.staff("ann", available=True)
    cathy = server.customer("acme", "c1", name="Cathy")
    sid = cathy.request_chat("r1", subject="Long one")["sessionId"]
    cathy.expect_event(sid, "joined", timeout=10)
    for i in range(260):
        cathy.send("send", sessionId=sid, clientId=f"m{i}", text=f"line {i}")
    cathy.expect_ack("m259", timeout=30)
    total = 2 + 260
    driver = open_supervisor(browsers(width=1200, height=900), server)
    wait(driver).until(lambda d: sid in found(d))
    css(driver, f"#transcript-rows tr[data-session-id='{sid}'] .read-transcript").click()
    wait(driver).until(lambda d: "Long one" in text_of(d, "#reader-title"))
    count = lambda d: d.execute_script("return document.querySelectorAll('#reader-events li').length")
    assert count(driver) == 200 and css(driver, "#reader-more").is_displayed()
    driver.execute_script("document.getElementById('reader-more').scrollIntoView()")
    wait(driver).until(lambda d: count(d) == total)
    assert not css(driver, "#reader-more").is_displayed()
    seqs = driver.execute_script("return [...document.querySelectorAll('#reader-events li')].map((l) => +l.dataset.seq)")
    assert seqs == list(range(1, total + 1))


def test_reader_lists_service_orders_once_with_names(server, browsers):
    ann = server.staff("ann", available=True)
    cathy = server.customer("acme", "c1", name="Cathy")
    sid = cathy.request_chat("r1", subject="Calculator")["sessionId"]
    cathy.expect_event(sid, "joined", timeout=10)
    ann.send("propose_services", sessionId=sid, rate="technical", description="Rebuild the pricing calculator",
             estimateHours=2.5)
    cathy.expect_event(sid, "services_proposed", timeout=10)
    cathy.send("respond_services", sessionId=sid, accept=True)
    cathy.expect_event(sid, "services_accepted", timeout=10)
    driver = open_supervisor(browsers(width=1200, height=900), server)
    wait(driver).until(lambda d: sid in found(d))
    css(driver, f"#transcript-rows tr[data-session-id='{sid}'] .read-transcript").click()
    wait(driver).until(lambda d: "Calculator" in text_of(d, "#reader-title"))
    order = text_of(driver, "#reader-orders li")
    assert "Rebuild the pricing calculator" in order and "proposed by Ann" in order and "USD 150.00/h" in order
    proposed = text_of(driver, "#reader-events li[data-kind='services_proposed']")
    assert proposed.count("Rebuild the pricing calculator") == 1
    accepted = text_of(driver, "#reader-events li[data-kind='services_accepted']")
    assert accepted.count("Rebuild the pricing calculator") == 1


def test_results_load_more_on_scroll_with_the_total_and_refresh(server, browsers):
    ann = server.staff("ann", available=True)
    gus = server.customer("globex", "g1", name="Gus")
    sids = []
    for i in range(55):  # more than one page of the list (50)
        sids.append(gus.request_chat(f"r{i}", subject=f"Chat {i}")["sessionId"])
        gus.expect_event(sids[-1], "joined", timeout=10)
        ann.send("close", sessionId=sids[-1])
        gus.expect_event(sids[-1], "closed", timeout=10)
    driver = open_supervisor(browsers(width=1200, height=800), server)
    wait(driver).until(lambda d: len(found(d)) == 50)
    assert text_of(driver, "#transcripts-status") == "Showing 50 of 55 transcripts found."
    assert found(driver) == sorted(sids, reverse=True)[:50]
    driver.execute_script("document.getElementById('load-more').scrollIntoView()")
    wait(driver).until(lambda d: len(found(d)) == 55)
    assert found(driver) == sorted(sids, reverse=True)
    assert text_of(driver, "#transcripts-status") == "55 transcripts found."
    assert not css(driver, "#load-more").is_displayed()
    # A new chat shows up on Refresh, at the top.
    newest = gus.request_chat("late", subject="Late one")["sessionId"]
    css(driver, "#refresh-transcripts").click()
    wait(driver).until(lambda d: found(d)[:1] == [newest])
    assert text_of(driver, "#transcripts-status") == "Showing 50 of 56 transcripts found."
