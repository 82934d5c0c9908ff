"""Take the screenshots in docs/ of the browser review with headless Chromium: the queue page, and a record page
with a point selected and its evidence highlighted in the source.

Needs the test extra (selenium) and the system's chromium and chromedriver (Debian: apt-get install chromium
chromium-driver). Summarises the shipped inputs/ with the offline engine into a queue in a temporary folder, so
the pictures show what a new user sees. Run from the repository: `.venv/bin/python scripts/screenshots.py`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from trendsum.web.app import Settings, build
from trendsum.web.server import in_thread

ROOT = Path(__file__).resolve().parent.parent
RECORD = "fife-council-ai-housing-repairs"
POINT = "challenges-1"


def chromium(width: int, height: int) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     f"--window-size={width},{height}", "--force-device-scale-factor=1"):  # fmt: skip
        options.add_argument(argument)
    return webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"))


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        shutil.copytree(ROOT / "inputs", work / "inputs")
        subprocess.run([sys.executable, "-m", "trendsum", "summarise", "inputs/", "--engine", "offline"], cwd=work,
                       check=True, capture_output=True)  # fmt: skip
        app = build(Settings(str(work / "outputs" / "trendsum.db"), "A. Researcher", accounts=False))
        with in_thread(app) as url:
            driver = chromium(1400, 1000)
            try:
                driver.get(f"{url}/queue")
                driver.save_screenshot(str(ROOT / "docs" / "web-queue.png"))
                driver.get(f"{url}/records/{RECORD}")
                driver.find_element(By.CSS_SELECTOR, f'a.select-point[data-point="{POINT}"]').click()
                # the selected point and its highlighted evidence side by side (the source pane stays in view)
                driver.execute_script("document.getElementById(arguments[0]).scrollIntoView({block: 'center'})",
                                      f"point-{POINT}")  # fmt: skip
                driver.save_screenshot(str(ROOT / "docs" / "web-record.png"))
            finally:
                driver.quit()
    print("wrote docs/web-queue.png and docs/web-record.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
