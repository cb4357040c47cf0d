"""Browser tests: real headless Chromium (Debian's chromium + chromium-driver) against a real chatd serving WebClient/.

Selenium is always given the driver path: without it Selenium Manager would try to download a driver.
"""
import os
import sys
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Tests" / "e2e"))
from chatlib import ServerFactory, remove_template, seed_template  # noqa: E402

WEB_ROOT = REPO / "WebClient"
SCREENSHOTS = REPO / "docs" / "screenshots"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def seeded_template():
    """A data directory seeded once; each server starts from a copy of it."""
    try:
        root, data = seed_template()
    except FileNotFoundError as error:
        pytest.exit(str(error), returncode=2)
    yield data
    remove_template(root)


@pytest.fixture
def make_server(seeded_template):
    """make_server(config={...}, policy={...}) -> a running chatd on a fresh copy of the seeded data, serving WebClient/."""
    factory = ServerFactory(seeded_template, base_config={"webRoot": str(WEB_ROOT)})
    yield factory
    factory.close()


@pytest.fixture
def server(make_server):
    return make_server()


def new_browser(width=1280, height=860):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                f"--window-size={width},{height}", "--lang=en-US", "--autoplay-policy=no-user-gesture-required"):
        options.add_argument(arg)
    # Keep the page's console messages (CSP violations are logged there) for tests that check them.
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(20)
    return driver


@pytest.fixture
def browsers():
    """browsers() -> a new headless Chromium session (separate cookies/storage); all quit at teardown."""
    made = []

    def factory(**kw):
        driver = new_browser(**kw)
        made.append(driver)
        return driver

    yield factory
    for driver in made:
        driver.quit()


@pytest.fixture
def screenshot(tmp_path):
    """screenshot(driver, "name") saves name.png: into docs/screenshots/ (linked from the README) when the
    environment has UPDATE_SCREENSHOTS=1, else into the test's temporary directory (so runs leave git clean)."""
    folder = SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)

    def take(driver, name):
        path = folder / f"{name}.png"
        driver.save_screenshot(str(path))
        return path

    return take
