// Headless-Chromium checks of Gavel's public pages, run by the Rust test
// `web::browser_live_updates_accessibility_and_small_screen`:
//   node tests/browser/live.mjs <base url> <api token> <meeting id> <screenshot path>
// 1. the meeting page shows entries posted through the clerk API within 1 s, without reload,
//    and announces them in its live region; corrections update the original in place;
// 2. axe-core finds no WCAG 2.0/2.1/2.2 A/AA violations on /, the meeting page and a search page;
// 3. no Content-Security-Policy violations; the page has no horizontal scroll at 360 px;
// 4. a full-page screenshot at 360 px is saved.
// Only 127.0.0.1 is contacted; Chromium runs with networking features off.
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const [base, token, meeting, screenshot] = process.argv.slice(2);
if (!base || !token || !meeting || !screenshot) {
  console.error("usage: live.mjs <base url> <api token> <meeting id> <screenshot path>");
  process.exit(2);
}
const here = dirname(fileURLToPath(import.meta.url));
const axeSource = readFileSync(join(here, "node_modules/axe-core/axe.min.js"), "utf8");

const failures = [];
function check(ok, message) {
  if (!ok) {
    failures.push(message);
    console.log("FAIL " + message);
  }
}

async function api(command) {
  const r = await fetch(`${base}/api/commands`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "text/plain" },
    body: command,
  });
  const body = await r.json();
  if (r.status !== 200 || !body.ok) {
    throw new Error(`API refused ${command}: ${r.status} ${JSON.stringify(body)}`);
  }
  return body;
}

const userDataDir = mkdtempSync(join(tmpdir(), "gavel-chromium-"));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
  viewport: { width: 1024, height: 800 },
});

try {
  const page = context.pages()[0] ?? (await context.newPage());
  const cspErrors = [];
  page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
  });
  page.on("pageerror", (e) => failures.push("page error: " + e.message));

  // --- live updates -------------------------------------------------------------------------
  await page.goto(`${base}/meetings/${meeting}`);
  await page.waitForFunction(
    () => (document.getElementById("live-status")?.textContent ?? "").startsWith("Live"),
    null,
    { timeout: 5000 },
  );
  for (let i = 1; i <= 3; i++) {
    const text = `Browser live check number ${i}`;
    const reply = await api(`!note ${text}`);
    const started = Date.now();
    try {
      await page.waitForFunction(
        ([n, t]) => (document.getElementById("e" + n)?.textContent ?? "").includes(t),
        [reply.entry, text],
        { timeout: 1000 },
      );
      console.log(`entry #${reply.entry} appeared after ${Date.now() - started} ms`);
    } catch {
      check(false, `entry #${reply.entry} did not appear within 1 s`);
    }
  }
  const note = await api("!note To be corrected");
  const fix = await api(`!fix ${note.entry} Corrected in place`);
  try {
    await page.waitForFunction(
      (n) => {
        const el = document.getElementById("e" + n);
        return el && el.classList.contains("corrected") && el.querySelector("del")?.textContent === "To be corrected";
      },
      note.entry,
      { timeout: 1000 },
    );
    console.log(`correction #${fix.entry} updated entry #${note.entry} in place`);
  } catch {
    check(false, `correction #${fix.entry} did not update #${note.entry} within 1 s`);
  }
  const announced = await page.textContent("#announcer");
  check((announced ?? "").includes("Browser live check number 3"), "live region did not announce the new entry");
  const order = await page.$$eval("#transcript > li", (els) => els.map((e) => Number(e.dataset.seq)));
  check(order.every((n, i) => i === 0 || n > order[i - 1]), `transcript out of order: ${order}`);
  check(new Set(order).size === order.length, `duplicate entries: ${order}`);

  // The "now" panel follows the meeting: a new item, then a recess, replace what it shows.
  const item = await api("!agenda 7 Browser panel item");
  try {
    await page.waitForFunction(
      () => (document.getElementById("now-body")?.textContent ?? "").includes("7: Browser panel item"),
      null,
      { timeout: 1000 },
    );
    console.log(`now panel shows item of entry #${item.entry}`);
  } catch {
    check(false, `the now panel did not show entry #${item.entry}'s item within 1 s`);
  }
  await api("!recess 10 minutes");
  try {
    await page.waitForFunction(
      () => document.querySelector("#now-body .now-banner") !== null,
      null,
      { timeout: 1000 },
    );
    console.log("now panel shows the recess");
  } catch {
    check(false, "the now panel did not show the recess within 1 s");
  }
  check(
    (await page.getAttribute("#now-body", "role")) === "status",
    "the now panel is not a polite status region",
  );
  await api("!resume");

  // --- accessibility ------------------------------------------------------------------------
  const pages = ["/", `/meetings/${meeting}`, "/search?q=apologies"];
  let violations = 0;
  for (const path of pages) {
    await page.goto(base + path);
    await page.evaluate(axeSource);
    const result = await page.evaluate(() =>
      window.axe.run(document, {
        runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] },
      }),
    );
    for (const v of result.violations) {
      violations += 1;
      console.log(`axe ${path}: ${v.id} (${v.impact}): ${v.help}`);
      for (const n of v.nodes.slice(0, 3)) console.log("    " + n.target.join(" ") + " " + n.failureSummary);
    }
    check(result.passes.length > 0, `axe ran no checks on ${path}`);
  }
  console.log(`axe: ${violations} violations on ${pages.length} pages`);
  check(violations === 0, `${violations} axe violations`);

  // --- small screen ---------------------------------------------------------------------------
  await page.setViewportSize({ width: 360, height: 780 });
  await page.goto(`${base}/meetings/${meeting}`);
  await page.waitForSelector("#transcript li");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `horizontal scroll of ${overflow} px at 360 px wide`);
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(`screenshot saved to ${screenshot}`);

  // Keyboard: the first Tab reaches the skip link, and it is visible when focused.
  await page.keyboard.press("Tab");
  const skip = await page.evaluate(() => {
    const a = document.activeElement;
    const r = a.getBoundingClientRect();
    return { cls: a.className, top: r.top };
  });
  check(skip.cls === "skip-link" && skip.top >= 0, `first Tab stop is not a visible skip link: ${JSON.stringify(skip)}`);

  check(cspErrors.length === 0, `CSP violations: ${cspErrors.join(" | ")}`);
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}

if (failures.length > 0) {
  console.log(`${failures.length} failure(s)`);
  process.exit(1);
}
console.log("browser checks passed");
