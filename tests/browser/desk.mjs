// Headless-Chromium checks of the clerk's desk (/desk), run by the Rust test
// `desk::browser_desk_keyboard_vote_corrections_second_clerk_and_accessibility`:
//   node tests/browser/desk.mjs <base url> <clerk:password> <second clerk:password> <screenshot path>
// The meeting has a preloaded agenda of three items and has not started; the desk has a roster.
// 1. the first clerk signs in and starts the meeting, then walks the agenda with Alt+N, using
//    only the keyboard;
// 2. a second clerk, in another browser context, sees the first clerk's entry appear without
//    reload, announced in the desk's live region;
// 3. a named vote is recorded with the vote form; an entry is corrected and another withdrawn
//    from their menus;
// 4. axe-core finds no WCAG 2.0/2.1/2.2 A/AA violations on the sign-in page and the desk, at
//    1024 px and at 768 px (where there is no horizontal scroll); no CSP violations; a
//    screenshot at 768 px is saved.
// Only 127.0.0.1 is contacted; Chromium runs with networking features off.
import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const [base, first, second, screenshot] = process.argv.slice(2);
if (!base || !first || !second || !screenshot) {
  console.error("usage: desk.mjs <base url> <clerk:password> <second clerk:password> <screenshot path>");
  process.exit(2);
}
const split = (s) => [s.slice(0, s.indexOf(":")), s.slice(s.indexOf(":") + 1)];
const [aliceName, alicePassword] = split(first);
const [bobName, bobPassword] = split(second);
const here = dirname(fileURLToPath(import.meta.url));
const axeSource = readFileSync(join(here, "node_modules/axe-core/axe.min.js"), "utf8");

const failures = [];
function check(ok, message) {
  if (!ok) {
    failures.push(message);
    console.log("FAIL " + message);
  }
}

async function waitFor(page, fn, arg, what, timeout = 5000) {
  try {
    await page.waitForFunction(fn, arg, { timeout });
    return true;
  } catch {
    check(false, what);
    return false;
  }
}

// Presses `key` and waits for the page the form's redirect loads.
async function pressAndLoad(page, key) {
  await Promise.all([page.waitForEvent("load"), page.keyboard.press(key)]);
}

// Signs in with the keyboard only: Tab to the fields, type, Enter.
async function signIn(page, name, password) {
  await page.goto(`${base}/desk`);
  check(page.url().endsWith("/desk/login"), `/desk without a session went to ${page.url()}`);
  await page.keyboard.press("Tab"); // skip link
  await page.keyboard.press("Tab"); // name
  check((await page.evaluate(() => document.activeElement.id)) === "name", "second Tab is not the name field");
  await page.keyboard.type(name);
  await page.keyboard.press("Tab");
  await page.keyboard.type(password);
  await pressAndLoad(page, "Enter");
  check(page.url().endsWith("/desk"), `signing in as ${name} ended at ${page.url()}`);
}

async function axe(page, label) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] },
    }),
  );
  for (const v of result.violations) {
    console.log(`axe ${label}: ${v.id} (${v.impact}): ${v.help}`);
    for (const n of v.nodes.slice(0, 3)) console.log("    " + n.target.join(" ") + " " + n.failureSummary);
  }
  check(result.passes.length > 0, `axe ran no checks on ${label}`);
  return result.violations.length;
}

const currentItem = () => document.querySelector("#desk-agenda li.current .num")?.textContent ?? "";
const flashText = () => document.getElementById("desk-flash")?.textContent ?? "";

// Two contexts of one browser: separate cookies, as two clerks on two computers.
const browser = await chromium.launch({
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
});

try {
  const context = await browser.newContext({ viewport: { width: 1024, height: 800 } });
  const page = await context.newPage();
  const cspErrors = [];
  const watch = (p) => {
    p.on("console", (m) => {
      if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
    });
    p.on("pageerror", (e) => failures.push("page error: " + e.message));
  };
  watch(page);

  let violations = 0;
  let checked = 0;
  await page.goto(`${base}/desk/login`);
  violations += await axe(page, "/desk/login");
  checked += 1;

  // --- keyboard only: sign in, start, walk the agenda --------------------------------------
  await signIn(page, aliceName, alicePassword);
  await page.keyboard.press("/");
  check((await page.evaluate(() => document.activeElement.id)) === "command", "/ did not focus the command line");
  await page.keyboard.type("!start");
  await pressAndLoad(page, "Enter");
  check((await page.evaluate(flashText)).includes("Planning Committee"), "the meeting did not start");
  for (const n of ["1", "2", "3"]) {
    await pressAndLoad(page, "Alt+N");
    const now = await page.evaluate(currentItem);
    check(now === n, `after Alt+N item ${n} should be current, got ${JSON.stringify(now)}`);
  }
  console.log("walked the agenda with Alt+N");
  violations += await axe(page, "/desk (1024 px)");
  checked += 1;

  // --- a second clerk sees the first clerk's entries without reload -----------------------
  const secondContext = await browser.newContext({ viewport: { width: 1024, height: 800 } });
  const bobPage = await secondContext.newPage();
  watch(bobPage);
  await signIn(bobPage, bobName, bobPassword);
  await bobPage.evaluate(() => {
    window.gavelNotReloaded = true;
  });
  await page.keyboard.press("/");
  await page.keyboard.type("!note Apologies from Cllr Bown");
  await pressAndLoad(page, "Enter");
  const noteSeq = await page.evaluate(() => Number(document.querySelector("#desk-entries li[data-seq]")?.dataset.seq));
  const started = Date.now();
  if (
    await waitFor(
      bobPage,
      (n) => (document.getElementById("desk-e" + n)?.textContent ?? "").includes("Cllr Bown"),
      noteSeq,
      `the second clerk did not see entry #${noteSeq} within 5 s`,
    )
  ) {
    console.log(`second clerk saw entry #${noteSeq} after ${Date.now() - started} ms`);
  }
  check(await bobPage.evaluate(() => window.gavelNotReloaded === true), "the second clerk's page reloaded");
  check(
    ((await bobPage.textContent("#desk-announcer")) ?? "").includes("Cllr Bown"),
    "the second clerk's live region did not announce the entry",
  );

  // --- the roster's ticks keep the counts in step -----------------------------------------
  if (await page.$("input[data-roll]")) {
    await page.check('input[name="roll-0"][value="for"]');
    await page.check('input[name="roll-1"][value="against"]');
    const counts = await page.evaluate(() => ["for", "against", "abstain"].map((c) => document.getElementById("vote-" + c).value));
    check(counts.join("-") === "1-1-0", `roster ticks gave counts ${counts.join("-")}, not 1-1-0`);
    await page.check('input[name="roll-0"][value="none"]');
    await page.check('input[name="roll-1"][value="none"]');
    const cleared = await page.evaluate(() => document.getElementById("vote-for").value);
    check(cleared === "0", `untick left the count at ${cleared}`);
    console.log("roster ticks keep the counts in step");
  } else {
    check(false, "the desk shows no roster");
  }

  // --- the vote form ------------------------------------------------------------------------
  await page.keyboard.press("Alt+V");
  check((await page.evaluate(() => document.activeElement.id)) === "vote-for", "Alt+V did not focus the vote form");
  await page.keyboard.type("2");
  await page.keyboard.press("Tab");
  await page.keyboard.type("1");
  await page.fill("#vote-for_names", "Cllr Ahmed, Cllr Brown");
  await page.fill("#vote-against_names", "Cllr Clarke");
  await page.check("input[name=outcome][value=carried]");
  await Promise.all([page.waitForEvent("load"), page.click(".desk-vote button[type=submit]")]);
  const voteFlash = await page.evaluate(flashText);
  check(voteFlash.includes("2 for") || voteFlash.includes("Cllr Ahmed") || /carried/i.test(voteFlash), `vote not recorded: ${voteFlash}`);
  check(await page.evaluate(() => document.querySelector(".desk-flash-recorded") !== null), `vote refused: ${voteFlash}`);
  await waitFor(
    bobPage,
    // Typed by surname, recorded as the roster names them.
    () => (document.getElementById("desk-entries")?.textContent ?? "").includes("Cllr Cara Clarke"),
    null,
    "the second clerk did not see the vote within 5 s",
  );

  // --- correct and withdraw -------------------------------------------------------------------
  await page.click(`#desk-e${noteSeq} summary`);
  await page.fill(`#fix-${noteSeq}`, "Apologies from Cllr Brown");
  await Promise.all([page.waitForEvent("load"), page.press(`#fix-${noteSeq}`, "Enter")]);
  check(
    await page.evaluate(() => document.querySelector(".desk-flash-recorded") !== null),
    `correction refused: ${await page.evaluate(flashText)}`,
  );
  check((await page.evaluate(flashText)).includes("Cllr Brown"), "the correction is not acknowledged");
  await page.click(`#desk-e${noteSeq} summary`);
  await page.fill(`#strike-${noteSeq}`, "recorded twice");
  await Promise.all([page.waitForEvent("load"), page.press(`#strike-${noteSeq}`, "Enter")]);
  check(
    await page.evaluate((n) => document.getElementById("desk-e" + n)?.classList.contains("withdrawn"), noteSeq),
    `entry #${noteSeq} is not shown withdrawn`,
  );
  await waitFor(
    bobPage,
    (n) => document.getElementById("desk-e" + n)?.classList.contains("withdrawn"),
    noteSeq,
    "the second clerk did not see the withdrawal within 5 s",
  );
  console.log(`corrected and withdrew entry #${noteSeq}`);

  // --- tablet width -------------------------------------------------------------------------
  await page.setViewportSize({ width: 768, height: 1024 });
  await page.goto(`${base}/desk`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `horizontal scroll of ${overflow} px at 768 px wide`);
  violations += await axe(page, "/desk (768 px)");
  checked += 1;
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(`screenshot saved to ${screenshot}`);

  console.log(`axe: ${violations} violations on ${checked} desk pages`);
  check(violations === 0, `${violations} axe violations`);
  check(cspErrors.length === 0, `CSP violations: ${cspErrors.join(" | ")}`);
} finally {
  await browser.close();
}

if (failures.length > 0) {
  console.log(`${failures.length} failure(s)`);
  process.exit(1);
}
console.log("desk browser checks passed");
