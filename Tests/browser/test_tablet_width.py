"""The staff pages at tablet width (768x1024): the console with a chat open and the supervisor's board fit the
screen without sideways scrolling, and their main controls can be reached."""
from selenium.webdriver.common.by import By

from views import css, open_console, open_supervisor, wait, wait_for_chat


def overflow(driver) -> int:
    """How far the page is wider than the window (0 when nothing forces sideways scrolling)."""
    return driver.execute_script(
        "return Math.max(0, document.documentElement.scrollWidth - document.documentElement.clientWidth)")


def test_console_and_supervisor_fit_a_tablet(server, browsers):
    console = open_console(browsers(width=768, height=1024), server, "ann", available=True)
    cust = server.customer("acme", "c1")
    sid = cust.request_chat("r1", text="Help from a tablet, please")["sessionId"]
    wait_for_chat(console, sid)
    assert overflow(console) == 0, "the console scrolls sideways at 768 px"
    composer = console.find_elements(By.CSS_SELECTOR, f"#panel-{sid} textarea")
    assert composer and composer[0].is_displayed() and composer[0].size["width"] > 200

    supervisor = open_supervisor(browsers(width=768, height=1024), server)
    wait(supervisor).until(lambda d: d.find_elements(By.CSS_SELECTOR, f"#active-rows tr[data-session-id='{sid}']"))
    assert overflow(supervisor) == 0, "the supervisor page scrolls sideways at 768 px"
    assert css(supervisor, "#active-rows").is_displayed()
