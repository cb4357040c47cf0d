"""Full-text search in the supervisor's transcript list (GET /api/search) in headless Chromium against a real chatd:
finding a chat by a word said in it, snippets with the hits marked (as text, never markup), the total ("N" or
"N+"), the list's filters, more results on scroll (before=nextCursor), the server's refusal in words, and the reader
opened at the hit of a long chat."""
from urllib.parse import quote

from selenium.webdriver.common.by import By

from chatlib import wait_for
from views import css, open_supervisor, text_of, wait


def rows(driver):
    return driver.execute_script(
        "return [...document.querySelectorAll('#transcript-rows tr.result')].map((r) => +r.dataset.sessionId)")


def search(driver, words, organization=""):
    box = css(driver, "#filter-text")
    box.clear()
    box.send_keys(words)
    org = css(driver, "#filter-organization")
    org.clear()
    if organization:
        org.send_keys(organization)
    css(driver, "#search-transcripts").click()


def server_search(server, token, q):
    status, body = server.http("GET", f"/api/search?q={quote(q)}", token)
    assert status == 200, body
    return body


def test_find_a_chat_by_a_word_said_and_open_the_reader_at_the_hit(server, browsers, screenshot):
    ann = server.staff("ann", available=True)
    cathy = server.customer("acme", "c1", name="Cathy")
    long_chat = cathy.request_chat("r1", text="Hello, printing question", subject="Printer trouble")["sessionId"]
    cathy.expect_event(long_chat, "joined", timeout=10)
    for i in range(240):  # more than one page of the reader (200 events)
        text = "The flibbertigibbet printer <b>jammed</b> again" if i == 230 else f"line {i}"
        cathy.send("send", sessionId=long_chat, clientId=f"m{i}", text=text)
    cathy.expect_ack("m239", timeout=30)
    ann.send("close", sessionId=long_chat)
    cathy.expect_event(long_chat, "closed", timeout=10)
    gus = server.customer("globex", "g1", name="Gus")
    other = gus.request_chat("r2", text="A flibberjack error at checkout", subject="Checkout")["sessionId"]
    gus.expect_event(other, "joined", timeout=10)

    sue = server.login("sue")
    wait_for(lambda: len(server_search(server, sue, "flibber*")["results"]) == 2, what="both chats indexed")
    hit_seq = server_search(server, sue, "flibbertigibbet")["results"][0]["hit"]["seq"]
    assert hit_seq > 200

    driver = open_supervisor(browsers(width=1400, height=1000), server)
    # A prefix finds both, newest first, with the total and the snippets' hits marked.
    search(driver, "flibber*")
    wait(driver).until(lambda d: rows(d) == [other, long_chat])
    assert text_of(driver, "#transcripts-status") == "2 chats match “flibber*”."
    marks = driver.execute_script("return [...document.querySelectorAll('#transcript-rows .snippet mark')].map((m) => m.textContent)")
    assert marks == ["flibberjack", "flibbertigibbet"]
    snippet = text_of(driver, f"#transcript-rows tr[data-snippet-for='{long_chat}'] .snippet")
    assert "printer <b>jammed</b>" in snippet, "the snippet is text"
    assert driver.find_elements(By.CSS_SELECTOR, "#transcript-rows b") == []
    assert text_of(driver, f"#transcript-rows tr[data-session-id='{other}'] .organization") == "Globex"
    driver.execute_script("document.getElementById('transcripts-title').scrollIntoView()")
    screenshot(driver, "supervisor-search")

    # A phrase, and a word combined with the organization filter.
    search(driver, '"flibbertigibbet printer"')
    wait(driver).until(lambda d: rows(d) == [long_chat])
    search(driver, "flibber*", organization="Globex")
    wait(driver).until(lambda d: rows(d) == [other])
    # A query the server refuses: its own sentence, and no stale rows.
    search(driver, "***")
    status, body = server.http("GET", "/api/search?q=%2A%2A%2A", sue)
    assert status == 400
    wait(driver).until(lambda d: text_of(d, "#transcripts-status") == body["error"]["message"])
    assert rows(driver) == []

    # Opening the result opens the reader at the hit, beyond its first page, marked and in view.
    search(driver, "flibbertigibbet")
    wait(driver).until(lambda d: rows(d) == [long_chat])
    css(driver, f"#transcript-rows tr[data-session-id='{long_chat}'] .read-transcript").click()
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#reader-events li.hit"))
    hit = css(driver, "#reader-events li.hit")
    assert int(hit.get_attribute("data-seq")) == hit_seq
    assert "flibbertigibbet" in hit.text
    assert driver.execute_script("return document.activeElement.classList.contains('hit')")
    top, bottom, height = driver.execute_script(
        "const r = document.querySelector('#reader-events li.hit').getBoundingClientRect(); return [r.top, r.bottom, innerHeight]")
    assert 0 <= top and bottom <= height, "scrolled into view"
    assert driver.execute_script("return document.querySelectorAll('#reader-events li').length") > 200


def test_results_page_on_scroll_and_an_inexact_total_reads_n_plus(server, browsers):
    cust = server.customer("acme", "c1", name="Cathy")
    sids = []
    for i in range(53):  # more than one page (50)
        sids.append(cust.request_chat(f"r{i}", text=f"Where is my quokka number {i}?", subject=f"Q{i}")["sessionId"])
        cust.send("close", sessionId=sids[-1])
        cust.expect_event(sids[-1], "closed", timeout=10)
    sue = server.login("sue")
    wait_for(lambda: server_search(server, sue, "quokka")["total"] == 53, what="all indexed")
    driver = open_supervisor(browsers(width=1200, height=800), server)
    search(driver, "quokka")
    wait(driver).until(lambda d: len(rows(d)) == 50)
    assert text_of(driver, "#transcripts-status") == "Showing 50 of 53 chats that match “quokka”."
    assert rows(driver) == sorted(sids, reverse=True)[:50]
    driver.execute_script("document.getElementById('load-more').scrollIntoView()")
    wait(driver).until(lambda d: len(rows(d)) == 53)
    assert rows(driver) == sorted(sids, reverse=True)
    assert text_of(driver, "#transcripts-status") == "53 chats match “quokka”."

    # A count the server stopped early (totalExact false, as for queries matching over 20,000 messages) reads "N+".
    driver.execute_script("""
      const real = window.fetch;
      window.fetch = async (...args) => {
        const response = await real(...args);
        if (!String(args[0]).startsWith('/api/search')) return response;
        const body = await response.json();
        body.totalExact = false;
        return new Response(JSON.stringify(body), {status: response.status, headers: {'Content-Type': 'application/json'}});
      };""")
    search(driver, "quokka")
    wait(driver).until(lambda d: text_of(d, "#transcripts-status") == "Showing 50 of 53+ chats that match “quokka”.")
    assert css(driver, "#transcripts-status").get_attribute("data-total") == "53+"
