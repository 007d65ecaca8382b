#!/usr/bin/env python3
"""The officers' web page in a real browser: headless Chromium driven by Selenium.

Run by WebBrowserTests (`swift test`), against a live node that the Swift test started:

    page_test.py --url https://127.0.0.1:PORT --editor NAME:PASSWORD --viewer NAME:PASSWORD \
        --contact ID --query TEXT --screenshots DIR

Prints one line per check and exits 1 on the first failure, naming it.
"""

import argparse
import http.server
import json
import subprocess
import sys
import threading
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait


def browser(javascript=True, width=1280, height=900):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--ignore-certificate-errors",
                     f"--window-size={width},{height}", "--lang=en-GB"):
        options.add_argument(argument)
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


class Checks:
    def __init__(self, url, screenshots):
        self.url = url
        self.screenshots = screenshots

    def check(self, condition, what):
        if not condition:
            print(f"FAILED: {what}", flush=True)
            sys.exit(1)
        print(f"ok: {what}", flush=True)

    def sign_in(self, driver, account):
        name, password = account.split(":", 1)
        driver.get(self.url + "/signin")
        driver.find_element(By.ID, "name").send_keys(name)
        driver.find_element(By.ID, "password").send_keys(password)
        button = driver.find_element(By.CSS_SELECTOR, "form.stacked button[type=submit]")
        button.click()
        # The answer replaces the page: wait for it before anything else.
        WebDriverWait(driver, 10).until(expected_conditions.staleness_of(button))

    def wait_for(self, driver, condition, seconds=10):
        try:
            WebDriverWait(driver, seconds).until(lambda _: condition())
            return True
        except Exception:
            return False

    def shot(self, driver, name):
        driver.save_screenshot(f"{self.screenshots}/{name}.png")

    def axe(self, driver, page):
        from axe_selenium_python import Axe
        axe = Axe(driver)
        axe.inject()
        results = axe.run()
        serious = [v for v in results["violations"] if v.get("impact") in ("serious", "critical")]
        details = "; ".join(f"{v['id']}: {v['help']} at {[(n.get('target'), n.get('failureSummary')) for n in v['nodes']][:3]}" for v in serious)
        self.check(not serious, f"axe finds no serious violation on the {page} page {details}")


def cross_site_form(target):
    """A page on another origin whose form posts to the node, as an attacker's site would."""
    page = f"""<!doctype html><html><body>
<form id="f" method="post" action="{target}/signout"><input name="form_token" value="guess"></form>
<script>document.getElementById('f').submit()</script></body></html>""".encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *arguments):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


note_url = ""


def main():
    parser = argparse.ArgumentParser()
    for name in ("--url", "--editor", "--viewer", "--contact", "--query", "--screenshots"):
        parser.add_argument(name, required=True)
    arguments = parser.parse_args()
    checks = Checks(arguments.url, arguments.screenshots)
    url = arguments.url

    driver = browser()
    try:
        # Log in.
        driver.get(url + "/search")
        checks.check(driver.current_url.startswith(url + "/signin"), "a page without a session leads to the sign-in form")
        checks.sign_in(driver, arguments.editor)
        checks.check(checks.wait_for(driver, lambda: driver.current_url.startswith(url + "/search")), "the editor signs in and lands on the search")

        # Search as you type: results come without sending the form.
        box = driver.find_element(By.ID, "q")
        started = time.monotonic()
        box.send_keys(arguments.query)
        found = checks.wait_for(driver, lambda: f"/contacts/{arguments.contact}" in driver.find_element(By.ID, "results").get_attribute("innerHTML"))
        elapsed = time.monotonic() - started
        checks.check(found, f"results appear as the officer types, in {elapsed * 1000:.0f} ms from the first key")
        calls = driver.find_elements(By.CSS_SELECTOR, "#results a.call")
        checks.check(any(a.get_attribute("href").startswith("tel:") for a in calls), "the results show the number to call")
        checks.axe(driver, "search")
        # The filters as controls, and a page of results for the screenshot.
        driver.get(url + "/search?q=trafficking&country=MD&only24x7=1")
        checks.check(driver.find_element(By.NAME, "only24x7").is_selected() and driver.find_element(By.ID, "country").get_attribute("value") == "MD"
                     and len(driver.find_elements(By.CSS_SELECTOR, "#results li")) >= 2, "the filters come back checked, with their results")
        checks.shot(driver, "search")

        # A country page, from the search.
        driver.get(url + "/search?q=moldova")
        driver.find_element(By.CSS_SELECTOR, "p.countries a").click()
        checks.check(checks.wait_for(driver, lambda: "/countries/MD" in driver.current_url), "a country page opens from the search")
        headings = [h.text for h in driver.find_elements(By.CSS_SELECTOR, "main h2")]
        checks.check(headings[:1] == ["Reachable 24/7"], f"the country page puts 24/7 contacts first: {headings}")
        checks.shot(driver, "country")
        checks.axe(driver, "country")

        # A contact's card and its vCard.
        driver.get(url + f"/contacts/{arguments.contact}")
        checks.check(driver.find_elements(By.CSS_SELECTOR, "a[href^='tel:']"), "the contact card has click-to-call links")
        checks.shot(driver, "contact")
        checks.axe(driver, "contact")
        vcard = driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "fetch(document.querySelector('a[href$=\"/vcard\"]').href).then(r => r.text()).then(done, e => done(String(e)));")
        lines = vcard.split("\r\n")
        fields = {line.split(":", 1)[0].split(";", 1)[0]: line for line in lines if ":" in line}
        checks.check(lines[0] == "BEGIN:VCARD" and "END:VCARD" in lines and "FN" in fields and "TEL" in fields,
                     "the vCard downloads and parses: BEGIN, FN, TEL, END")
        # The QR code as the browser draws it, read by a phone's kind of decoder: the same vCard.
        code = driver.find_element(By.CSS_SELECTOR, ".qr img")
        checks.wait_for(driver, lambda: driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", code))
        image = f"{arguments.screenshots}/contact-qr.png"
        code.screenshot(image)
        scanned = subprocess.run(["zbarimg", "--raw", "-q", "--nodbus", "-Sbinary", image], capture_output=True).stdout.decode("utf-8", "replace")
        checks.check(scanned == vcard, f"the QR code on the card scans to the vCard ({len(scanned)} of {len(vcard)} characters read)")

        # The editor's form for the contact: every field labelled, the channels one per line.
        driver.get(url + f"/contacts/{arguments.contact}/edit")
        labelled = driver.execute_script(
            "return [...document.querySelectorAll('form.stacked input:not([type=hidden]), form.stacked textarea')]"
            ".every(field => field.labels && field.labels.length > 0)")
        checks.check(labelled and driver.find_elements(By.ID, "phone"), "the contact form labels every field")
        checks.shot(driver, "contact-edit")
        checks.axe(driver, "contact form")

        # The same search in Arabic, laid out right to left, and in Russian.
        for code, direction in (("ar", "rtl"), ("ru", "ltr")):
            driver.get(url + f"/search?q={arguments.query}")
            driver.find_element(By.CSS_SELECTOR, f".languages a[lang='{code}']").click()
            checks.wait_for(driver, lambda: driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == code)
            html = driver.find_element(By.TAG_NAME, "html")
            label = driver.find_element(By.CSS_SELECTOR, "label[for=q]").text
            results = driver.find_element(By.ID, "results").get_attribute("innerHTML")
            checks.check(html.get_attribute("lang") == code and html.get_attribute("dir") == direction and label != "Name, agency, crime area or country"
                         and f"/contacts/{arguments.contact}" in results, f"the same search in {code}: translated, laid out {direction}")
            if code == "ar":
                checks.shot(driver, "search-ar")
        driver.get(url + "/language/en?back=%2Fsearch")

        # Narrow screens: nothing wider than 360 px.
        driver.set_window_size(360, 740)
        for path in ("/search?q=" + arguments.query, "/countries/MD", f"/contacts/{arguments.contact}", f"/contacts/{arguments.contact}/edit", "/proposals"):
            driver.get(url + path)
            width = driver.execute_script("return document.documentElement.scrollWidth")
            checks.check(width <= 360, f"{path} fits 360 px (scroll width {width})")
        driver.set_window_size(1280, 900)

        # A cross-site form is refused, and the session lives on.
        attacker = cross_site_form(url)
        driver.get(f"http://127.0.0.1:{attacker.server_port}/")
        checks.wait_for(driver, lambda: driver.current_url.startswith(url), 5)
        driver.get(url + "/search")
        checks.check(driver.current_url.startswith(url + "/search"), "a form posted from another site does not sign the officer out")
        attacker.shutdown()

        # Write and publish a note.
        driver.get(url + "/notes/new")
        driver.find_element(By.ID, "title").send_keys("Recruiters at the Leuseni crossing")
        driver.find_element(By.ID, "body").send_keys("Seen **twice** this week, with forged work permits.")
        driver.find_element(By.ID, "countries").send_keys("MD")
        driver.find_element(By.NAME, "publish").click()
        for field, value in (("reliability", "B"), ("credibility", "2"), ("marking", "TLP:GREEN")):
            driver.find_element(By.CSS_SELECTOR, f"#{field} option[value='{value}']").click()
        button = driver.find_element(By.CSS_SELECTOR, "form.stacked button[type=submit]")
        button.click()
        WebDriverWait(driver, 10).until(expected_conditions.staleness_of(button))
        checks.check("/notes/" in driver.current_url and driver.find_element(By.CSS_SELECTOR, ".tlp-bar.tlp-green").text == "TLP:GREEN"
                     and driver.find_element(By.CSS_SELECTOR, ".body strong").text == "twice", "the editor writes and publishes a note, shown with its TLP bar")
        global note_url
        note_url = driver.current_url
        checks.shot(driver, "note")
        checks.axe(driver, "note")
    finally:
        driver.quit()

    # A viewer who tries to edit is refused, and is offered no form.
    viewer = browser()
    try:
        checks.sign_in(viewer, arguments.viewer)
        viewer.get(note_url)
        checks.check(not viewer.find_elements(By.CSS_SELECTOR, "form[action$='/evaluations']"), "the viewer is offered no evaluation form")
        viewer.get(url + "/notes/new")
        checks.check("Your account may not do that." in viewer.find_element(By.TAG_NAME, "main").text, "the viewer who opens the note form is refused")
    finally:
        viewer.quit()

    # Login throttling: the account locks after repeated failures.
    throttled = browser()
    try:
        name = arguments.editor.split(":", 1)[0]
        for _ in range(5):
            checks.sign_in(throttled, f"{name}:wrong-password-here")
        message = throttled.find_element(By.CSS_SELECTOR, ".problem").text
        checks.check("locked on this network until" in message, f"five failures lock the account: {message}")
    finally:
        throttled.quit()

    # With JavaScript off, the form still searches.
    plain = browser(javascript=False)
    try:
        checks.sign_in(plain, arguments.viewer)
        box = plain.find_element(By.ID, "q")
        box.send_keys(arguments.query)
        plain.find_element(By.CSS_SELECTOR, "#search-form button[type=submit]").click()
        checks.check(checks.wait_for(plain, lambda: f"/contacts/{arguments.contact}" in plain.page_source), "with JavaScript off the form searches")
    finally:
        plain.quit()

    print(json.dumps({"passed": True}))


if __name__ == "__main__":
    main()
