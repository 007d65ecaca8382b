#!/usr/bin/env python3
"""Measures the officers' web page on a running node (Benchmarks/web-bench.sh starts one).

- Search as you type, server side: each prefix an officer types ("i", "iv", "iva", …) fetched as
  the page's script fetches it (/search/results), beside the same searches through the JSON API
  (/api/v1/search), on one kept-open connection each, in alternating blocks: p50 and p99.
- Search as you type, whole page update: in headless Chromium, from the input event to the new
  results in the page, with and without the script's 50 ms pause for the next key.
- The largest country page's time to first byte.
- The weight of each main page: its HTML, stylesheet and script, uncompressed.
"""

import argparse
import http.client
import json
import re
import ssl
import statistics
import time
import urllib.parse


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class Client:
    def __init__(self, url):
        parsed = urllib.parse.urlparse(url)
        self.host, self.port = parsed.hostname, parsed.port
        self.context = ssl._create_unverified_context()
        self.connection = http.client.HTTPSConnection(self.host, self.port, context=self.context)
        self.cookies = {}
        self.headers = {}

    def request(self, method, path, body=None, headers=None):
        all_headers = dict(self.headers)
        all_headers.update(headers or {})
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=body, headers=all_headers)
            response = self.connection.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # The server closes a connection left idle (while the browser part ran): open another.
            self.connection = http.client.HTTPSConnection(self.host, self.port, context=self.context)
            started = time.perf_counter()
            self.connection.request(method, path, body=body, headers=all_headers)
            response = self.connection.getresponse()
        first_byte = time.perf_counter() - started
        data = response.read()
        total = time.perf_counter() - started
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, rest = value.split("=", 1)
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, data, first_byte, total

    def sign_in(self, url, account):
        name, password = account.split(":", 1)
        _, page, _, _ = self.request("GET", "/signin")
        token = re.search(rb'name="form_token" value="([0-9A-Za-z_-]+)"', page).group(1).decode()
        body = urllib.parse.urlencode({"form_token": token, "name": name, "password": password})
        status, _, _, _ = self.request("POST", "/signin", body, {"Content-Type": "application/x-www-form-urlencoded", "Origin": url})
        assert status == 303, f"sign-in answered {status}"


def typed(word):
    return [word[:n] for n in range(1, len(word) + 1)]


def main():
    parser = argparse.ArgumentParser()
    for name in ("--url", "--account", "--token", "--contacts"):
        parser.add_argument(name, required=True)
    arguments = parser.parse_args()
    url = arguments.url

    page = Client(url)
    page.sign_in(url, arguments.account)
    api = Client(url)
    api.headers = {"Authorization": f"Bearer {arguments.token}"}

    words = ["ivanov", "popescu", "papadopoulos", "moldova", "inspector", "иванов"]
    prefixes = [p for word in words for p in typed(word)]
    page_times, api_times = [], []
    for _ in range(3):
        for prefix in prefixes:
            page.request("GET", "/search/results?q=" + urllib.parse.quote(prefix))
            api.request("GET", "/api/v1/search?q=" + urllib.parse.quote(prefix) + "&limit=30")
    for block in range(10):
        for prefix in prefixes:
            _, _, _, total = page.request("GET", "/search/results?q=" + urllib.parse.quote(prefix))
            page_times.append(total)
        for prefix in prefixes:
            _, _, _, total = api.request("GET", "/api/v1/search?q=" + urllib.parse.quote(prefix) + "&limit=30")
            api_times.append(total)
    p50, p99 = percentile(page_times, 0.5) * 1000, percentile(page_times, 0.99) * 1000
    a50, a99 = percentile(api_times, 0.5) * 1000, percentile(api_times, 0.99) * 1000
    print(f"web page on {int(arguments.contacts):,} contacts")
    print(f"  search as you type, server round trip over {len(page_times)} keystrokes: p50 {p50:.2f} ms, p99 {p99:.2f} ms; "
          f"the JSON API's search, same prefixes: p50 {a50:.2f} ms, p99 {a99:.2f} ms ({p50 / a50:.2f}× / {p99 / a99:.2f}×)")

    # The whole page update, in a browser.
    import sys
    sys.path.insert(0, "Tests/Browser")
    from page_test import browser
    from selenium.webdriver.common.by import By
    driver = browser()
    try:
        name, password = arguments.account.split(":", 1)
        driver.get(url + "/signin")
        driver.find_element(By.ID, "name").send_keys(name)
        driver.find_element(By.ID, "password").send_keys(password)
        driver.find_element(By.CSS_SELECTOR, "form.stacked button[type=submit]").click()
        time.sleep(1)
        driver.get(url + "/search")
        updates = []
        for round_ in range(5):
            for prefix in prefixes:
                elapsed = driver.execute_async_script("""
                    const [text, done] = arguments;
                    const box = document.getElementById('q'), results = document.getElementById('results');
                    const observer = new MutationObserver(() => { observer.disconnect(); done(performance.now() - started); });
                    observer.observe(results, { childList: true, subtree: true, characterData: true });
                    const started = performance.now();
                    box.value = text;
                    box.dispatchEvent(new Event('input', { bubbles: true }));
                    setTimeout(() => { observer.disconnect(); done(-1); }, 5000);
                """, prefix)
                if elapsed >= 0:
                    updates.append(elapsed)
        u50, u99 = percentile(updates, 0.5), percentile(updates, 0.99)
        print(f"  search as you type, whole page update in Chromium over {len(updates)} keystrokes: p50 {u50:.0f} ms, p99 {u99:.0f} ms "
              f"(of which the script's pause for the next key: 50 ms; after it: p50 {u50 - 50:.0f} ms, p99 {u99 - 50:.0f} ms)")
    finally:
        driver.quit()

    # The largest country page.
    sizes = {}
    for code in ["MD", "UA", "RO", "BG", "RS", "AL", "GR", "IT", "ES", "DE", "NL", "GB", "FR", "PL", "TR", "GE", "AM", "NG", "MA", "EG",
                 "TN", "TH", "VN", "PH", "CN", "JP", "KR", "NP", "IN", "MX", "BR", "AR", "CO", "US", "CA", "AU", "ZA", "KE", "ET", "PK"]:
        status, data, _, _ = page.request("GET", f"/countries/{code}")
        if status == 200:
            sizes[code] = len(data)
    largest = max(sizes, key=sizes.get)
    first_bytes = []
    for _ in range(30):
        _, _, first_byte, _ = page.request("GET", f"/countries/{largest}")
        first_bytes.append(first_byte * 1000)
    api_first_bytes = []
    for _ in range(30):
        _, _, first_byte, _ = api.request("GET", f"/api/v1/countries/{largest}")
        api_first_bytes.append(first_byte * 1000)
    f50, f99 = percentile(first_bytes, 0.5), percentile(first_bytes, 0.99)
    g50, g99 = percentile(api_first_bytes, 0.5), percentile(api_first_bytes, 0.99)
    print(f"  the largest country page ({largest}, {sizes[largest] / 1000:.0f} KB of HTML): time to first byte p50 {f50:.1f} ms, p99 {f99:.1f} ms; "
          f"the JSON API's country page: p50 {g50:.1f} ms, p99 {g99:.1f} ms ({f50 / g50:.2f}× / {f99 / g99:.2f}×)")

    # Page weight: HTML, stylesheet and script, uncompressed.
    _, css, _, _ = page.request("GET", "/assets/page.css")
    _, script, _, _ = page.request("GET", "/assets/search.js")
    _, results, _, _ = page.request("GET", "/search?q=ivanov")
    contact = re.search(rb'href="(/contacts/[0-9a-f-]+)"', results).group(1).decode()
    print("  page weight (HTML + stylesheet + script, uncompressed; goal under 100 KB):")
    for label, path, uses_script in (("search, 30 results", "/search?q=ivanov", True), ("contact card", contact, False),
                                     (f"country page of {largest}", f"/countries/{largest}", False), ("notes", "/notes", False),
                                     ("sign-in", "/signin", False)):
        _, html, _, _ = page.request("GET", path)
        weight = len(html) + len(css) + (len(script) if uses_script else 0)
        print(f"    {label:<28} {weight / 1000:6.1f} KB ({len(html) / 1000:.1f} KB of HTML)")


if __name__ == "__main__":
    main()
