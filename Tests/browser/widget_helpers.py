"""Helpers for the customer widget browser tests: open the demo page, drive the widget, wait for conditions."""
from __future__ import annotations

import time
import urllib.parse

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

WAIT = 15


def demo_url(server, token: str) -> str:
    return f"http://127.0.0.1:{server.port}/demo/?token={urllib.parse.quote(token)}"


def wait_for(driver, condition, timeout: float = WAIT, message: str = ""):
    """Waits until condition(driver) is truthy and returns it."""
    return WebDriverWait(driver, timeout, poll_frequency=0.1, ignored_exceptions=(Exception,)).until(
        condition, message)


def q(driver, css: str):
    return driver.find_element(By.CSS_SELECTOR, css)


def qs(driver, css: str):
    return driver.find_elements(By.CSS_SELECTOR, css)


def view(driver) -> str | None:
    return driver.execute_script("return document.querySelector('.cw-body')?.dataset.view ?? null")


def open_widget(driver, server, token: str, expect_view: str | None = "prechat"):
    driver.get(demo_url(server, token))
    wait_for(driver, lambda d: q(d, ".cw-launcher"), message="launcher")
    if q(driver, ".cw-panel").get_attribute("hidden") is not None:
        q(driver, ".cw-launcher").click()
    if expect_view:
        wait_for(driver, lambda d: view(d) == expect_view, message=f"view {expect_view} (now {view(driver)})")


def fill_prechat(driver, subject="Calculator pricing", text="How do I add a paper stock?", product=None,
                 urgent=False, submit=True):
    if product:
        driver.execute_script(
            "const s = document.querySelector('.cw-form select[name=product]'); s.value = arguments[0];"
            "s.dispatchEvent(new Event('change'));", product)
    q(driver, ".cw-form input[name=subject]").send_keys(subject)
    q(driver, ".cw-form textarea[name=text]").send_keys(text)
    if urgent:
        q(driver, ".cw-form input[name=urgent]").click()
    if submit:
        q(driver, ".cw-form button[type=submit]").click()


def messages(driver) -> list[dict]:
    """Every chat message item in the transcript: seq, clientId, role, text, status, pending."""
    return driver.execute_script("""
        return [...document.querySelectorAll('.cw-transcript .cw-msg')].map(li => ({
          seq: li.dataset.seq ? Number(li.dataset.seq) : null, clientId: li.dataset.clientId ?? null,
          role: li.dataset.role, text: li.querySelector('.cw-msg-text').textContent,
          status: li.querySelector('.cw-msg-status')?.textContent ?? null,
          pending: li.classList.contains('cw-pending')}));""")


def notes(driver) -> list[str]:
    return driver.execute_script(
        "return [...document.querySelectorAll('.cw-transcript .cw-note')].map(n => n.dataset.kind ?? n.textContent)")


def type_message(driver, text: str, send: bool = True):
    box = q(driver, ".cw-input")
    box.send_keys(text)
    if send:
        from selenium.webdriver.common.keys import Keys
        box.send_keys(Keys.ENTER)


def agent_session(agent, timeout: float = 10) -> int:
    """The id of the chat assigned to this agent (its session frame)."""
    frame = agent.expect("session", lambda f: f["session"]["state"] == "active", timeout=timeout)
    return frame["session"]["id"]


def agent_say(agent, sid: int, text: str, client_id: str | None = None) -> dict:
    client_id = client_id or f"a-{time.monotonic_ns()}"
    return agent.say(sid, client_id, text)


def open_ticket_from_form(driver, subject=None, description=None):
    wait_for(driver, lambda d: view(d) == "ticket_form")
    if subject:
        q(driver, ".cw-form input[type=text]").send_keys(subject)
    if description:
        q(driver, ".cw-form textarea").send_keys(description)
    q(driver, ".cw-form button[type=submit]").click()
    wait_for(driver, lambda d: view(d) == "ticket_done", message="ticket opened")
    return int(q(driver, ".cw-ticket-number").text.lstrip("#"))
