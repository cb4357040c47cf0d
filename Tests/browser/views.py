"""Page-driving helpers shared by the browser tests: the agent console, the supervisor view, and restarting chatd
on the same port. The widget's helpers are in widget_helpers.py.

Every wait is a bounded wait for a condition in the page.
"""
from __future__ import annotations

import time

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

__all__ = ["wait", "css", "open_console", "wait_for_chat", "message_texts", "wait_for_message", "agent_says",
           "unread", "transfer_options", "choose_transfer_target", "take_from_queue", "open_supervisor", "text_of",
           "start_server_on", "Select"]


def wait(driver, timeout=10):
    return WebDriverWait(driver, timeout)


def css(driver, selector):
    return driver.find_element(By.CSS_SELECTOR, selector)


# --------------------------------------------------------------------------- agent console

def open_console(driver, server, username="ann", available=True):
    driver.get(f"http://127.0.0.1:{server.port}/console/")
    wait(driver).until(EC.visibility_of_element_located((By.ID, "login-username"))).send_keys(username)
    css(driver, "#login-password").send_keys("secret123")
    css(driver, "#login-submit").click()
    wait(driver).until(EC.presence_of_element_located((By.ID, "status")))
    # Connected: the banner is hidden once the server said welcome.
    wait(driver).until(lambda d: not css(d, "#connection-banner").is_displayed())
    if available:
        Select(css(driver, "#status")).select_by_value("available")
    return driver


def wait_for_chat(driver, sid, timeout=10):
    return wait(driver, timeout).until(EC.presence_of_element_located((By.ID, f"panel-{sid}")))


def message_texts(driver, sid, role):
    # Read in one script: pending bubbles are replaced by acknowledged ones while Selenium iterates.
    return driver.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map((n) => n.textContent)",
        f"#panel-{sid} .msg-{role}:not(.pending) .text")


def wait_for_message(driver, sid, role, text, timeout=10):
    wait(driver, timeout).until(lambda d: text in message_texts(d, sid, role))


def agent_says(driver, sid, text):
    box = css(driver, f"#compose-{sid}")
    box.send_keys(text)
    box.send_keys(Keys.ENTER)


def transfer_options(driver, sid):
    """[value, text] of a chat's transfer choices, read in one script (the list is rebuilt on every agents frame)."""
    return driver.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map((o) => [o.value, o.textContent])",
        f"#transfer-{sid} option")


def choose_transfer_target(driver, sid, value):
    """Selects an agent in a chat's transfer list like a user, again if an agents frame rebuilt the list meanwhile."""
    def choose(d):
        Select(css(d, f"#transfer-{sid}")).select_by_value(value)
        return css(d, f"#transfer-{sid}").get_attribute("value") == value
    WebDriverWait(driver, 10, ignored_exceptions=(StaleElementReferenceException,)).until(choose)


def take_from_queue(driver, sid):
    """Clicks a queued chat's Take button like a user, again if a queue frame rebuilt the list between finding the
    button and clicking it (a click on a detached button raises and does nothing)."""
    def click(d):
        css(d, f"#queue li[data-session-id='{sid}'] .take").click()
        return True
    WebDriverWait(driver, 10, ignored_exceptions=(StaleElementReferenceException,)).until(click)


def unread(driver, sid):
    return int(css(driver, f"#tab-{sid}").get_attribute("data-unread") or "0")


# --------------------------------------------------------------------------- supervisor view

def open_supervisor(driver, server, username="sue"):
    driver.get(f"http://127.0.0.1:{server.port}/supervisor/")
    wait(driver).until(EC.visibility_of_element_located((By.ID, "login-username"))).send_keys(username)
    css(driver, "#login-password").send_keys("secret123")
    css(driver, "#login-submit").click()
    wait(driver).until(EC.presence_of_element_located((By.ID, "board")))
    wait(driver).until(lambda d: not css(d, "#connection-banner").is_displayed())
    return driver


def text_of(driver, selector):
    """textContent of the first match, or "" (read in one script: the board re-renders every second)."""
    return driver.execute_script("const n = document.querySelector(arguments[0]); return n ? n.textContent : ''",
                                 selector)


# --------------------------------------------------------------------------- server

def start_server_on(server, port, attempts=20):
    """Restarts chatd on the port it had (so that open pages reconnect to the same address)."""
    for _ in range(attempts):
        try:
            return server.start(port=port)
        except RuntimeError:
            time.sleep(0.25)  # the port may still be held for a moment after kill -9
    raise AssertionError(f"chatd did not restart on port {port}")
