#!/usr/bin/python3
"""report.html in a real browser: Debian's chromium, headless. The page must
load with no console message at all (the report has no scripts, so any is
an error), every <img> must have decoded (naturalWidth > 0), flagged cells
must be there, and nothing may be fetched from outside the file. A small
checking script is injected into a copy of the page; it writes its findings
into the DOM, which --dump-dom prints.

Runs when chromium is installed (tests/conditions.py "chromium"), and fails
there when it does not start; skipped as a whole, saying so, without it
(scripts/install-deps.sh installs it)."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

import conditions
import pyrunner

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.join(os.path.dirname(HERE), "tools")
FIXTURE = os.path.join(HERE, "fixtures", "v2_sweep.jsonl")
CHROMIUM = conditions.get("chromium").value

CHECK = """<script>
window.rclabErrors = [];
window.addEventListener('error', function (e) {
  window.rclabErrors.push(String(e.message || (e.target && (e.target.src || e.target.href)) || e));
}, true);
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var bad = imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0); })
                .map(function (i) { return i.alt; });
  var out = document.createElement('pre');
  out.id = 'rclab-check';
  out.textContent = JSON.stringify({images: imgs.length, bad: bad, errors: window.rclabErrors,
    widths: imgs.map(function (i) { return i.naturalWidth; }),
    flags: document.querySelectorAll('td.flag').length,
    rows: document.querySelectorAll('tbody tr').length});
  document.body.appendChild(out);
});
</script>"""


def chromium(url, user_dir):
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={user_dir}", "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000",
           "--dump-dom", url]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=25)


@conditions.needs("chromium")
class Browser(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        out = subprocess.run([sys.executable, os.path.join(TOOLS, "report.py"), FIXTURE, "-o", cls.dir],
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        with open(os.path.join(cls.dir, "report.html"), encoding="utf-8") as f:
            cls.page = f.read()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, True)

    def test_self_contained(self):
        self.assertNotRegex(self.page, r'(src|href)="(https?:)?//', "report.html fetches from outside")
        self.assertNotIn("<script", self.page)
        self.assertEqual(len(re.findall(r'<img [^>]*src="data:image/png;base64,', self.page)), 4)

    def test_loads_with_images_and_no_console_messages(self):
        check = os.path.join(self.dir, "check.html")
        with open(check, "w", encoding="utf-8") as f:
            f.write(self.page.replace("<head>", "<head>" + CHECK, 1))
        with tempfile.TemporaryDirectory() as profile:
            out = chromium("file://" + check, profile)
        self.assertEqual(out.returncode, 0, out.stderr[-2000:])
        m = re.search(r'<pre id="rclab-check">([^<]*)</pre>', out.stdout)
        self.assertIsNotNone(m, "the check script did not run: " + out.stderr[-2000:])
        res = json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&"))
        self.assertEqual(res["images"], 4, res)
        self.assertEqual(res["bad"], [], res)
        self.assertTrue(all(w > 100 for w in res["widths"]), res)
        self.assertEqual(res["errors"], [], res)
        self.assertGreaterEqual(res["flags"], 2, "impossible values are not marked")
        self.assertGreater(res["rows"], 40)
        console = [ln for ln in out.stderr.splitlines() if ":CONSOLE" in ln]
        self.assertEqual(console, [], "console messages while loading report.html")

    def test_flag_footnotes(self):
        self.assertIn('class="flag"', self.page)
        self.assertIn("impossible: a GIL configuration scales", self.page)
        self.assertIn("rclab system summary", self.page)
        self.assertIn("governor", self.page)


if __name__ == "__main__":
    sys.exit(pyrunner.main())
