"""The Analytics tab in headless Chromium against a real chatd: chats with known outcomes and ratings are created
through the server (customers rate their closed chats with POST /api/transcripts/{id}/rating), and the charts and
tables show those figures; the date range; the CSV download; the rating in the reader's header."""
from selenium.webdriver.common.by import By

from chatlib import wait_for
from views import css, open_supervisor, text_of, wait


def chat(server, ann, org, contact, name, subject, convert=False, rating=None, comment=None):
    customer = server.customer(org, contact, name=name)
    sid = customer.request_chat(f"r-{contact}", text=f"Help with {subject}", subject=subject)["sessionId"]
    customer.expect_event(sid, "joined", timeout=10)
    ann.say(sid, f"a-{contact}", "Hello, how can I help?")
    if convert:
        ann.send("convert", sessionId=sid, category="request", severity=3)
    else:
        ann.send("close", sessionId=sid)
    customer.expect_event(sid, "closed", timeout=10)
    if rating is not None:
        body = {"rating": rating}
        if comment:
            body["comment"] = comment
        status, reply = server.http("POST", f"/api/transcripts/{sid}/rating", customer.token, body)
        assert status == 200, reply
    return sid


def data(driver, selector, key):
    return driver.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map((n) => n.dataset[arguments[1]])", selector, key)


def test_analytics_charts_show_known_figures(server, browsers, screenshot):
    ann = server.staff("ann", available=True)
    rated_well = chat(server, ann, "acme", "c1", "Cathy", "Stocks", rating=5, comment="Quick and <i>kind</i>")
    chat(server, ann, "globex", "g1", "Gus", "Checkout", rating=3)
    chat(server, ann, "acme", "c2", "Dora", "Imposition", convert=True)
    sue = server.login("sue")
    # The figures count what the server has indexed (eventIndexDelaySeconds): wait until every first reply is in.
    wait_for(lambda: server.http("GET", "/api/analytics", sue)[1]["firstReplySeconds"]["count"] == 3, what="indexed")

    driver = open_supervisor(browsers(width=1400, height=1400), server)
    css(driver, "#tab-analytics").click()
    wait(driver).until(lambda d: css(d, "#analytics-status").get_attribute("data-chats") == "3")
    assert css(driver, "#analytics").is_displayed() and not css(driver, "#main").is_displayed()

    # Chats per day: one bar today with 3; hour of week: 3 in all.
    assert [int(c) for c in data(driver, "#chart-days rect.bar", "chats")] == [3]
    assert sum(int(c) for c in data(driver, "#chart-hours rect", "count")) == 3
    assert len(driver.find_elements(By.CSS_SELECTOR, "#chart-hours rect")) == 7 * 24
    # Converted: 1 of 3 ended; tickets: the conversion's ticket, not answered yet and within its target.
    assert text_of(driver, "#converted-share") == "1 of 3 ended chats (33.3%)"
    assert text_of(driver, "#ticket-legend") == "Met: 0Missed: 0Pending: 1"
    # CSAT: (5 + 3) / 2, one rating of 3 and one of 5.
    assert text_of(driver, "#csat-summary") == "Average 4.0 / 5 from 2 ratings"
    assert [int(c) for c in data(driver, "#chart-csat rect.bar", "count")] == [0, 0, 1, 0, 1]
    assert text_of(driver, "#analytics-kpis [data-kpi='csat-average'] dd") == "4.0 / 5"
    # Wait, first reply and handle: every chat counted.
    for metric in ("wait", "first-reply", "handle"):
        assert text_of(driver, f"#times-table tr[data-metric='{metric}'] .count") == "3"
    assert len(driver.find_elements(By.CSS_SELECTOR, "#chart-times line.range")) == 3
    # Per agent, organization and product.
    assert text_of(driver, "#table-agents tbody th") == "Ann"
    assert text_of(driver, "#table-agents tbody .chats") == "3"
    assert text_of(driver, "#table-agents tbody .converted") == "1"
    assert text_of(driver, "#table-agents tbody .csat") == "4.0"
    orgs = driver.execute_script(
        "return [...document.querySelectorAll('#table-organizations tbody tr')].map((r) => [r.dataset.key, r.querySelector('th').textContent, r.querySelector('.chats').textContent])")
    assert orgs == [["acme", "Acme", "2"], ["globex", "Globex", "1"]]
    assert text_of(driver, "#table-products tbody th") == "Pressero"
    driver.execute_script("window.scrollTo(0, 0)")
    screenshot(driver, "supervisor-analytics")

    # The CSV of the same figures, fetched with the token and saved.
    css(driver, "#analytics-csv").click()
    wait(driver).until(lambda d: (css(d, "#analytics-csv-status").get_attribute("data-downloaded") or "").endswith(".csv"))

    # One organization only.
    css(driver, "#analytics-organization").send_keys("Globex")
    css(driver, "#analytics-show").click()
    wait(driver).until(lambda d: css(d, "#analytics-status").get_attribute("data-chats") == "1")
    assert text_of(driver, "#csat-summary") == "Average 3.0 / 5 from 1 rating"
    css(driver, "#analytics-organization").clear()

    # A range without chats; a reversed range is refused in words.
    driver.execute_script("arguments[0].value = '2001-01-01'", css(driver, "#analytics-from"))
    driver.execute_script("arguments[0].value = '2001-01-31'", css(driver, "#analytics-to"))
    css(driver, "#analytics-show").click()
    wait(driver).until(lambda d: css(d, "#analytics-status").get_attribute("data-chats") == "0")
    assert text_of(driver, "#chart-days") .endswith("No chats in this range.")
    assert text_of(driver, "#csat-summary") == "No ratings yet."
    driver.execute_script("arguments[0].value = '2001-02-01'", css(driver, "#analytics-from"))
    css(driver, "#analytics-show").click()
    wait(driver).until(lambda d: "ends before it starts" in text_of(d, "#analytics-status"))
    # A quick range brings the chats back.
    css(driver, "#analytics-filters button[data-days='7']").click()
    wait(driver).until(lambda d: css(d, "#analytics-status").get_attribute("data-chats") == "3")

    # The reader shows the customer's rating in its header.
    css(driver, "#tab-main").click()
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, f"#transcript-rows tr[data-session-id='{rated_well}'] .read-transcript"))
    css(driver, f"#transcript-rows tr[data-session-id='{rated_well}'] .read-transcript").click()
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#reader-head dd[data-field='csat']"))
    csat = text_of(driver, "#reader-head dd[data-field='csat']")
    assert "5 / 5" in csat and "“Quick and <i>kind</i>”" in csat and "rated" in csat
    assert driver.find_elements(By.CSS_SELECTOR, "#reader-head i") == []
