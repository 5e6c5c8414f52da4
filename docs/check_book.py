"""Check a built book in a real browser (headless Chromium driven by Selenium).

Usage::

    python docs/check_book.py build/book [--screenshots build/book-screenshots]

The site is served from 127.0.0.1 (``http.server`` in a thread, a free port) and every page is
opened in Debian's Chromium through the system chromedriver. For every page:

* it loads without console errors (browser log entries of level SEVERE);
* every ``<img>`` has loaded (``naturalWidth > 0``);
* equations are typeset: each ``.math`` element holds MathJax output (``mjx-container``), no
  MathJax error (``mjx-merror``) is shown, and no TeX is left as text in the prose;
* no element of a check cell: no displayed code holds an ``assert`` statement (check cells are
  the only cells with asserts) and no cell tagged ``remove-cell`` is rendered;
* no stderr output, no solution marker, no carriage return or backspace in an output (the
  fragments of a redrawn progress bar);
* every internal link resolves: the target answers HTTP 200 and its anchor exists.

Then search: a term that appears in a later chapter only (chosen from the search index) is
searched on ``search.html`` and must list that chapter. Screenshots of the front page and of a
chapter are written when ``--screenshots`` is given. Exit status 1 when any check fails.
"""

from __future__ import annotations

import argparse
import functools
import html.parser
import http.server
import json
import re
import shutil
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# No internet on the test machines: without these Chromium keeps trying its own services.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1400,1000"]
ASSERT_LINE = re.compile(r"^\s*assert\b", re.MULTILINE)


# --------------------------------------------------------------------------- serving

class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


class SiteServer:
    """The site served from 127.0.0.1 on a free port, in a daemon thread."""

    def __init__(self, site: Path):
        handler = functools.partial(_QuietHandler, directory=str(site))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> SiteServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def chromium(user_data_dir: Path):
    """A headless Chromium (Debian's) under the system chromedriver, logging the console."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={user_data_dir}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    return driver


def browser_available() -> str | None:
    """None when Chromium, chromedriver and Selenium are there, else what is missing."""
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not Path(path).exists()]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium (requirements-book.txt)")
    return ", ".join(missing) or None


# --------------------------------------------------------------------------- the site

def site_pages(site: Path) -> list[str]:
    """Every HTML page of the site (relative paths), the theme's and Sphinx's folders aside."""
    return sorted(str(path.relative_to(site)) for path in site.rglob("*.html")
                  if not path.relative_to(site).parts[0].startswith("_"))


def chapter_pages(site: Path) -> list[str]:
    """Pages made from a notebook, in order."""
    return [page for page in site_pages(site)
            if (site / "_sources" / (Path(page).stem + ".ipynb")).exists()]


class _Ids(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if key in ("id", "name") and value:
                self.ids.add(value)


def _search_index(site: Path) -> dict:
    text = (site / "searchindex.js").read_text(encoding="utf-8")
    return json.loads(text[text.index("(") + 1:text.rindex(")")])


def search_term(site: Path) -> tuple[str, str] | None:
    """(word, chapter page) for a word that the search index holds for one later chapter only
    (the last chapter whose text has such a word)."""
    import snowballstemmer

    stemmer = snowballstemmer.stemmer("porter")
    index = _search_index(site)
    docnames = index["docnames"]
    for page in reversed(chapter_pages(site)[1:]):
        doc = docnames.index(str(Path(page).with_suffix("")))
        text = re.sub(r"<[^>]+>", " ", (site / page).read_text(encoding="utf-8"))
        words = sorted(set(re.findall(r"\b[a-z]{8,}\b", text)))
        for word in words:
            where = index["terms"].get(stemmer.stemWord(word))
            if where == doc or where == [doc]:
                if word not in index.get("titleterms", {}):
                    return word, page
    return None


# --------------------------------------------------------------------------- one page

_PAGE_SCRIPT = r"""
const done = arguments[arguments.length - 1];
const problems = [];
async function run() {
  for (const img of document.images) { img.loading = "eager"; }
  const deadline = Date.now() + 30000;
  while ([...document.images].some(i => !i.complete) && Date.now() < deadline) {
    await new Promise(r => setTimeout(r, 100));
  }
  const maths = document.querySelectorAll(".math");
  if (maths.length) {
    while (!(window.MathJax && MathJax.startup && MathJax.startup.promise)
           && Date.now() < deadline) {
      await new Promise(r => setTimeout(r, 100));
    }
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
      await MathJax.startup.promise;
    } else {
      problems.push("MathJax did not start");
    }
  }
  const images = [...document.images].map(i => ({src: i.getAttribute("src"),
    ok: i.complete && i.naturalWidth > 0, natural: i.naturalWidth, shown: i.width}));
  const untypeset = [...maths].filter(m => !m.querySelector("mjx-container"))
    .map(m => m.textContent.slice(0, 60));
  const codes = [...document.querySelectorAll("div.cell div.cell_input")]
    .map(c => c.textContent);
  const outputs = [...document.querySelectorAll("div.cell_output")].map(c => c.textContent);
  const links = [...document.querySelectorAll("a[href]")].map(a => a.href);
  // TeX left as text in the prose (math the parser did not see): text outside code and math.
  const rawTex = [];
  const article = document.querySelector("article") || document.body;
  const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT, {acceptNode: n =>
    n.parentElement.closest("pre, code, script, style, .math, mjx-container, .cell_output")
      ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT});
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const m = n.textContent.match(/\$[^$\n]+\$|\\\(|\\\[|\\begin\{/);
    if (m) { rawTex.push(n.textContent.trim().slice(0, 80)); }
  }
  done({problems, rawTex, images, untypeset, codes, outputs, links,
        n_math: maths.length,
        merrors: document.querySelectorAll("mjx-merror").length,
        removed_cells: document.querySelectorAll(".tag_remove-cell").length,
        stderr: document.querySelectorAll(".output.stderr, .stderr").length,
        text: document.body.innerText});
}
run().catch(e => done({problems: ["script error: " + e], rawTex: [], images: [],
                       untypeset: [], codes: [], outputs: [], links: [], n_math: 0,
                       merrors: 0, removed_cells: 0, stderr: 0, text: ""}));
"""


def check_page(driver, base: str, page: str, raw_html: str) -> tuple[list[str], list[str]]:
    """(problems, links) of one page."""
    driver.get(base + page)
    info = driver.execute_async_script(_PAGE_SCRIPT)
    problems = list(info["problems"])
    for entry in driver.get_log("browser"):
        if entry.get("level") == "SEVERE":
            problems.append(f"console error: {entry.get('message', '')[:300]}")
    for image in info["images"]:
        if not image["ok"]:
            problems.append(f"image not loaded: {image['src']}")
    if info["untypeset"]:
        problems.append(f"{len(info['untypeset'])} of {info['n_math']} equations not typeset, "
                        f"first: {info['untypeset'][0]!r}")
    if info["rawTex"]:
        problems.append(f"TeX not typeset (left as text): {info['rawTex'][0]!r}")
    if info["merrors"]:
        problems.append(f"{info['merrors']} MathJax error(s) shown")
    for code in info["codes"]:
        if ASSERT_LINE.search(code):
            line = ASSERT_LINE.search(code).group(0).strip()
            problems.append(f"a check cell is shown (code with {line!r}); tag it remove-cell: "
                            f"{code.strip()[:120]!r}")
    if info["removed_cells"]:
        problems.append(f"{info['removed_cells']} cell(s) tagged remove-cell rendered")
    if info["stderr"]:
        problems.append(f"{info['stderr']} stderr output(s) shown")
    if "### BEGIN SOLUTION" in raw_html or "### HINT:" in raw_html:
        problems.append("a solution marker (### BEGIN SOLUTION / ### HINT:) is on the page")
    if "\r" in raw_html or "\b" in raw_html:
        problems.append("an output holds a carriage return or backspace (a progress bar's "
                        "fragments)")
    return problems, info["links"]


# --------------------------------------------------------------------------- links

def check_links(base: str, links: dict[str, set[str]]) -> dict[str, list[str]]:
    """{page: problems} for internal links (those under ``base``) that do not resolve."""
    problems: dict[str, list[str]] = {}
    ids_cache: dict[str, set[str] | None] = {}
    for page, hrefs in links.items():
        for href in sorted(hrefs):
            if not href.startswith(base):
                continue
            url, _, fragment = href.partition("#")
            url = url.split("?")[0]
            if url not in ids_cache:
                try:
                    with urllib.request.urlopen(url, timeout=30) as response:
                        body = response.read()
                        ok = response.status == 200
                except (urllib.error.URLError, OSError):
                    ok = False
                if not ok:
                    ids_cache[url] = None
                elif url.endswith((".html", "/")):
                    parser = _Ids()
                    parser.feed(body.decode("utf-8", "replace"))
                    ids_cache[url] = parser.ids
                else:
                    ids_cache[url] = set()
            ids = ids_cache[url]
            target = href[len(base):]
            if ids is None:
                problems.setdefault(page, []).append(f"broken link: {target}")
            elif fragment and url.endswith((".html", "/")) \
                    and urllib.parse.unquote(fragment) not in ids:
                problems.setdefault(page, []).append(f"link to a missing anchor: {target}")
    return problems


# --------------------------------------------------------------------------- search

def check_search(driver, base: str, site: Path) -> list[str]:
    from selenium.webdriver.support.ui import WebDriverWait

    chosen = search_term(site)
    if chosen is None:
        return ["search: no word found in one later chapter only (is there a second chapter?)"]
    word, page = chosen
    driver.get(base + "search.html?q=" + urllib.parse.quote(word))
    try:
        WebDriverWait(driver, 30).until(lambda d: d.execute_script(
            "const s = document.querySelector('#search-results .search-summary, "
            "#search-results p');"
            "return s && /Search finished|did not match/.test(s.innerText);"))
    except Exception:
        return [f"search for {word!r}: no result list after 30 s"]
    hits = driver.execute_script(
        "return [...document.querySelectorAll('#search-results ul.search li a')]"
        ".map(a => a.getAttribute('href'));")
    stem = Path(page).stem
    if not any(href and href.split("#")[0].split("?")[0].endswith(f"{stem}.html")
               for href in hits):
        return [f"search for {word!r} (only in {page}) did not list {page}: {hits}"]
    print(f"search: {word!r} -> {page} ({len(hits)} result(s))")
    return []


# --------------------------------------------------------------------------- screenshots

def screenshots(driver, base: str, site: Path, out: Path) -> list[Path]:
    """The front page, and the first chapter scrolled to its first figure (1400 x 1800)."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    driver.set_window_size(1400, 1800)
    driver.get(base + "index.html")
    time.sleep(0.5)
    written.append(out / "index.png")
    driver.save_screenshot(str(written[-1]))
    chapters = chapter_pages(site)
    if chapters:
        driver.get(base + chapters[0])
        driver.execute_async_script(_PAGE_SCRIPT)
        driver.execute_script(
            "const m = document.querySelector('div.cell_output img')"
            " || document.querySelector('div.math');"
            "if (m) { window.scrollTo(0, m.getBoundingClientRect().top + window.scrollY"
            " - 400); }")
        time.sleep(1.0)
        written.append(out / (Path(chapters[0]).stem + ".png"))
        driver.save_screenshot(str(written[-1]))
    return written


# --------------------------------------------------------------------------- all of it

def check_site(site: Path, screenshot_dir: Path | None = None,
               search: bool = True) -> dict[str, list[str]]:
    """{page: problems} for the site at ``site`` (empty when everything passes)."""
    site = Path(site)
    problems: dict[str, list[str]] = {}
    links: dict[str, set[str]] = {}
    pages = site_pages(site)
    if not pages:
        return {str(site): ["no HTML pages"]}
    user_data = Path(tempfile.mkdtemp(prefix="book-chromium-"))
    try:
        with SiteServer(site) as server:
            driver = chromium(user_data)
            try:
                for page in pages:
                    raw = (site / page).read_text(encoding="utf-8", errors="replace")
                    found, hrefs = check_page(driver, server.base, page, raw)
                    if found:
                        problems[page] = found
                    links[page] = set(hrefs)
                for page, found in check_links(server.base, links).items():
                    problems.setdefault(page, []).extend(found)
                if search:
                    found = check_search(driver, server.base, site)
                    if found:
                        problems.setdefault("search.html", []).extend(found)
                if screenshot_dir is not None:
                    for path in screenshots(driver, server.base, site, screenshot_dir):
                        print(f"screenshot: {path}")
            finally:
                driver.quit()
    finally:
        shutil.rmtree(user_data, ignore_errors=True)
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path, nargs="?", default=Path("build/book"))
    parser.add_argument("--screenshots", type=Path, default=None)
    args = parser.parse_args(argv)
    missing = browser_available()
    if missing:
        print(f"cannot check the book: missing {missing}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    problems = check_site(args.site, args.screenshots)
    pages = site_pages(args.site)
    for page, found in problems.items():
        for problem in found:
            print(f"{page}: {problem}")
    print(f"{len(pages)} pages checked in {time.perf_counter() - start:.1f} s: "
          f"{len(problems)} with problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
