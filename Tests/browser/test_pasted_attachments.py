"""Attachments in the pages: a screenshot pasted into the widget shows inline on both sides (widget and console),
a file the agent attaches with the attach button shows as a download link with name and size in the widget."""
import base64

from views import open_console, wait, wait_for_chat
from widget_helpers import fill_prechat, open_widget, q, wait_for

# A 24x16 red PNG (what a screenshot paste hands the page: a File of type image/png named image.png).
PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAABgAAAAQCAIAAACDRijCAAAAGklEQVR4nGP4z8BAFUQdU0YNGjVo1KARbBAASkZ+kD532zwAAAAASUVORK5CYII="
PNG_SIZE = 83

PASTE = """
const [selector, b64, name, type] = arguments;
const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
const data = new DataTransfer();
data.items.add(new File([bytes], name, { type }));
document.querySelector(selector).dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
"""

def console_chat_id(driver, timeout=15) -> int:
    """The session id of the console's first chat tab (waits for it)."""
    ids = lambda d: d.execute_script(
        "return [...document.querySelectorAll('#chat-tabs [role=tab]')].map((t) => Number(t.dataset.sessionId))")
    wait(driver, timeout).until(lambda d: len(ids(d)) > 0)
    sid = ids(driver)[0]
    wait_for_chat(driver, sid)
    return sid


IMAGES = """
return [...document.querySelectorAll(arguments[0])].map((img) => ({
  loaded: img.complete && img.naturalWidth > 0, w: img.naturalWidth, h: img.naturalHeight,
  shownW: img.getBoundingClientRect().width, src: img.src.slice(0, 5)}));
"""


def test_a_pasted_screenshot_shows_inline_on_both_sides_and_a_pdf_as_a_link(server, browsers, screenshot):
    console = open_console(browsers(width=1280, height=860), server, "ann")
    widget = browsers(width=900, height=760)
    open_widget(widget, server, server.token("acme", "c1", name="Cathy Customer"))
    fill_prechat(widget, subject="Printing", text="The preview is blank")
    sid = console_chat_id(console)
    wait_for(widget, lambda d: q(d, ".cw-status-line").text == "Chatting with Ann", message="joined")

    # The customer pastes a screenshot into the message box.
    widget.execute_script(PASTE, ".cw-input", PNG_B64, "image.png", "image/png")
    widget_images = lambda d: d.execute_script(IMAGES, ".cw-transcript .attachment-image")
    wait_for(widget, lambda d: any(i["loaded"] for i in widget_images(d)), message="image shown in the widget")
    console_images = lambda d: d.execute_script(IMAGES, f"#panel-{sid} .timeline .attachment-image")
    wait(console).until(lambda d: any(i["loaded"] for i in console_images(d)))
    for image in widget_images(widget) + console_images(console):
        assert (image["w"], image["h"]) == (24, 16) and image["src"] == "blob:"
    caption = console.execute_script(f"return document.querySelector('#panel-{sid} .attachment-caption').textContent")
    assert caption.startswith("pasted-") and caption.endswith(f".png ({PNG_SIZE} B)"), caption
    screenshot(widget, "attachment-widget")
    screenshot(console, "attachment-console")

    # The agent attaches a PDF with the attach button's file picker: a link with name and size in the widget.
    pdf = base64.b64encode(b"%PDF-1.4\n%%EOF\n").decode()
    console.execute_script("""
        const [sid, b64] = arguments;
        const input = document.querySelector(`#panel-${sid} .composer input[type=file]`);
        const data = new DataTransfer();
        data.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], "terms.pdf", { type: "application/pdf" }));
        input.files = data.files;
        input.dispatchEvent(new Event("change"));""", sid, pdf)
    wait_for(widget, lambda d: d.execute_script(
        "return document.querySelector('.cw-transcript .attachment-file')?.textContent ?? ''") == "terms.pdf (15 B)",
             message="pdf link in the widget")

    # A fake image (text named .png) is refused with a sentence, and nothing new appears.
    widget.execute_script(PASTE, ".cw-input", base64.b64encode(b"not an image").decode(), "fake.png", "image/png")
    wait_for(widget, lambda d: "can be attached" in d.execute_script(
        "return document.querySelector('.cw-root .attach-status')?.textContent ?? ''"), message="refusal shown")
    assert len(widget_images(widget)) == 1
