// End-to-end tests of the relay's browser console in headless Chromium.
//
// Starts a real relay on a fresh cell (`fusioncell init DIR --listen 127.0.0.1:0`, then
// `fusioncell relay`), drives Debian's /usr/bin/chromium with playwright-core, and checks:
// the canonical-bytes vectors of PROTOCOL.md §10 in the browser; login with key files; a
// moderated post held, approved, delivered; a hotline acknowledged; a reply threaded under its
// post; the clock paused from the CLI, with the hotline countdown standing still; an escalation
// kept in the mediator's queue until handled; read receipts sent by the console itself, batched
// and paced on a busy channel; an evaluator's rated observation attached from the record; a forged key refused at login. Screenshots of every page go to artifacts/ when a test
// fails, and screenshots of each role's view to artifacts/roles/ at the end.
//
// Usage: node run.mjs   (env: FUSIONCELL_BIN, CHROMIUM, KEEP=1 keeps the cell folder)
import { spawn, execFileSync } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, existsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const bin =
  process.env.FUSIONCELL_BIN ??
  join(process.env.CARGO_TARGET_DIR ?? join(root, "target"), "debug/fusioncell");
const chromiumPath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const artifacts = join(here, "artifacts");
const TIMEOUT = 15000;
const ACK_SECONDS = 20;
const MARKING = "EXERCISE — BROWSER TEST CELL";
// The marking of a cell that sets none (`[cell] marking`'s default).
const DEFAULT_MARKING = "EXERCISE — FICTIONAL TRAINING SCENARIO";

const pages = new Map(); // name → page, for failure screenshots
const results = [];

function log(line) {
  process.stdout.write(`${line}\n`);
}

async function test(name, body) {
  const started = Date.now();
  try {
    await body();
    results.push({ name, ok: true });
    log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    results.push({ name, ok: false, error: e });
    log(`FAIL ${name}: ${e.stack ?? e}`);
    mkdirSync(artifacts, { recursive: true });
    const slug = name.replace(/[^a-z0-9]+/gi, "-").toLowerCase();
    for (const [who, page] of pages) {
      const path = join(artifacts, `failure-${slug}-${who}.png`);
      await page.screenshot({ path, fullPage: true }).catch(() => {});
      log(`     screenshot: ${path}`);
    }
  }
}

function assert(cond, message) {
  if (!cond) throw new Error(`assertion failed: ${message}`);
}

// ------------------------------------------------------------------------------------------
// The relay.

function cli(args, opts = {}) {
  return execFileSync(bin, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], ...opts });
}

async function startRelay(args) {
  const relay = spawn(bin, args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "warn" },
  });
  let stderr = "";
  relay.stderr.on("data", (d) => (stderr += d));
  const lines = createInterface({ input: relay.stdout });
  const first = await new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`relay did not start: ${stderr}`)), 20000);
    lines.once("line", (l) => {
      clearTimeout(timer);
      res(l);
    });
    relay.once("exit", (code) => rej(new Error(`relay exited (${code}): ${stderr}`)));
  });
  const m = /listening on wss:\/\/(\S+)/.exec(first);
  if (!m) throw new Error(`unexpected first line from the relay: ${first}`);
  return { relay, addr: m[1], stderr: () => stderr };
}

/** base64 SHA-256 of the relay certificate's public key, for Chromium's SPKI pin list. */
function spkiPin(dir) {
  const cert = new X509Certificate(readFileSync(join(dir, "tls/relay.pem")));
  const der = cert.publicKey.export({ type: "spki", format: "der" });
  return createHash("sha256").update(der).digest("base64");
}

// ------------------------------------------------------------------------------------------
// PROTOCOL.md vectors: every `name = value` line of its blocks of one kind (§10: ```text,
// §12: ```signatures).

function vectors(kind = "text") {
  const text = readFileSync(join(root, "PROTOCOL.md"), "utf8");
  const out = {};
  for (const block of text.matchAll(new RegExp("```" + kind + "\\n([\\s\\S]*?)```", "g"))) {
    for (const line of block[1].split("\n")) {
      const m = /^([a-z0-9_.]+) = (.*)$/.exec(line);
      if (m) out[m[1]] = m[2];
    }
  }
  return out;
}

// Runs in the page: recomputes every vector with canonical.js and returns the mismatches and
// the names it checked.
async function checkVectors(page, v) {
  return page.evaluate(async (v) => {
    const C = await import("/canonical.js");
    const checked = new Set();
    const bad = [];
    const eq = (name, got) => {
      checked.add(name);
      if (got !== v[name]) bad.push(`${name}: got ${got}, expected ${v[name]}`);
    };
    const hex = C.toHex;
    const pkcs8Of = (seedHex) => C.fromHex("302e020100300506032b657004220420" + seedHex);
    // Keys.
    const pem = `-----BEGIN PRIVATE KEY-----\n${v["key.israel_pem_b64"]}\n-----END PRIVATE KEY-----\n`;
    const der = C.pkcs8FromPem(pem);
    eq("key.israel_pkcs8", hex(der));
    eq("key.israel_pem_b64", C.toBase64(der));
    eq("key.israel_seed", hex(der.subarray(16)));
    eq("key.israel_public", hex(await C.publicKeyOf(der)));
    eq("key.relay_seed", hex(pkcs8Of(v["key.relay_seed"]).subarray(16)));
    eq("key.relay_public", hex(await C.publicKeyOf(pkcs8Of(v["key.relay_seed"]))));
    const israel = await C.importPrivateKey(der);
    const relay = await C.importPrivateKey(pkcs8Of(v["key.relay_seed"]));
    // (a) Login.
    const ch = JSON.parse(v["challenge.frame"]);
    eq("challenge.frame", JSON.stringify(ch));
    eq("login.nonce", ch.nonce);
    const loginBytes = C.loginBytes(ch.cell, ch.nonce, ch.relay_key, "israel");
    eq("login.bytes", hex(loginBytes));
    const loginSig = await C.sign(israel, loginBytes);
    eq("login.sig", hex(loginSig));
    eq("login.sig_b64", C.toBase64(loginSig));
    eq("login.frame", JSON.stringify({ type: "login", identity: "israel", sig: C.toBase64(loginSig) }));
    // The directory of the one-identity cell, and a login that names it.
    const directory = C.directoryBytes(ch.cell, [{ id: "israel", role: "party", public_key: v["key.israel_public"] }]);
    eq("directory.bytes", hex(directory));
    const directorySha256 = hex(await C.sha256(directory));
    eq("directory.sha256", directorySha256);
    eq("directory.login_frame", JSON.stringify({
      type: "login", identity: "israel", sig: C.toBase64(loginSig), directory: directorySha256, presence: "changes",
    }));
    // (b) A post, signed here.
    const post = await C.signedAct(israel, {
      kind: "post", cell: ch.cell, channel: "diplomacy", actor: "israel", seq: 1, ts: 1764115200000,
      body: v["post.body"],
    });
    eq("post.body", post.frame.body);
    eq("post.body_sha256", post.frame.act.body_sha256);
    eq("post.bytes", hex(post.bytes));
    eq("post.sig", hex(C.fromBase64(post.frame.sig)));
    eq("post.sig_b64", post.frame.sig);
    eq("post.frame", JSON.stringify(post.frame));
    // A reply to it, its body made as the console makes it.
    const reply = await C.signedAct(israel, {
      kind: "reply", cell: ch.cell, channel: "diplomacy", actor: "israel", seq: 2, ts: 1764115260000,
      body: JSON.stringify({ target: 1, text: JSON.parse(v["reply.body"]).text }),
    });
    eq("reply.body", reply.frame.body);
    eq("reply.body_sha256", reply.frame.act.body_sha256);
    eq("reply.bytes", hex(reply.bytes));
    eq("reply.sig", hex(C.fromBase64(reply.frame.sig)));
    eq("reply.frame", JSON.stringify(reply.frame));
    // (c) Its record, and record 0.
    const postRecord = JSON.parse(v["post.record"]);
    eq("post.record", JSON.stringify({ seq: 1, ts: 1764115200123, act: post.frame.act, body: post.frame.body, sig: post.frame.sig }));
    const postLeaf = C.leafBytes(postRecord);
    eq("post.leaf", hex(postLeaf));
    const postLeafHash = await C.leafHash(postLeaf);
    eq("post.leaf_hash", hex(postLeafHash));
    const open = await C.signedAct(relay, {
      kind: "open", cell: ch.cell, channel: null, actor: "relay", seq: 0, ts: 1764115100000, body: v["open.body"],
    });
    eq("open.body", open.frame.body);
    eq("open.body_sha256", open.frame.act.body_sha256);
    eq("open.bytes", hex(open.bytes));
    eq("open.sig", hex(C.fromBase64(open.frame.sig)));
    eq("open.sig_b64", open.frame.sig);
    const openRecord = { seq: 0, ts: 1764115100000, act: open.frame.act, body: open.frame.body, sig: open.frame.sig };
    eq("open.record", JSON.stringify(openRecord));
    const openLeaf = C.leafBytes(openRecord);
    eq("open.leaf", hex(openLeaf));
    const openLeafHash = await C.leafHash(openLeaf);
    eq("open.leaf_hash", hex(openLeafHash));
    // (d) Checkpoint.
    const root = await C.treeRoot([openLeafHash, postLeafHash]);
    eq("tree.root", hex(root));
    const cp = JSON.parse(v["checkpoint.frame"]);
    const cpBytes = C.checkpointBytes({ cell: ch.cell, size: 2, root: hex(root), ts: 1764115205000 });
    eq("checkpoint.bytes", hex(cpBytes));
    const cpSig = await C.sign(relay, cpBytes);
    eq("checkpoint.sig", hex(cpSig));
    eq("checkpoint.sig_b64", C.toBase64(cpSig));
    const line = { cell: ch.cell, size: 2, root: hex(root), ts: 1764115205000, sig: C.toBase64(cpSig) };
    eq("checkpoint.line", JSON.stringify(line));
    eq("checkpoint.frame", JSON.stringify({ type: "checkpoint", ...line }));
    // Verification, as the console does it for every delivered record and checkpoint.
    const keys = {
      israel: await C.importPublicKey(v["key.israel_public"]),
      relay: await C.importPublicKey(v["key.relay_public"]),
    };
    const keyOf = async (a) => keys[a] ?? null;
    if (!(await C.verifyRecord(postRecord, ch.cell, keyOf))) bad.push("post.record does not verify");
    if (!(await C.verifyRecord(JSON.parse(v["open.record"]), ch.cell, keyOf))) bad.push("open.record does not verify");
    if (!(await C.verify(keys.relay, C.fromBase64(cp.sig), C.checkpointBytes(cp)))) bad.push("checkpoint.frame does not verify");
    const tampered = { ...postRecord, body: postRecord.body + " " };
    if (await C.verifyRecord(tampered, ch.cell, keyOf)) bad.push("a record with another body verifies");
    const moved = { ...postRecord, act: { ...postRecord.act, channel: "commerce" } };
    if (await C.verifyRecord(moved, ch.cell, keyOf)) bad.push("a record moved to another channel verifies");
    if (await C.verifyRecord(postRecord, "another-cell", keyOf)) bad.push("a record of another cell verifies");
    return { bad, checked: [...checked] };
  }, v);
}

// ------------------------------------------------------------------------------------------
// Pages.

async function openConsole(browser, base, name) {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 820 },
    ...(process.env.IGNORE_TLS ? { ignoreHTTPSErrors: true } : {}),
  });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console error: ${m.text()}`);
  });
  page.on("request", (r) => {
    if (!r.url().startsWith(base) && !r.url().startsWith(base.replace("https:", "wss:"))) {
      problems.push(`request to another host: ${r.url()}`);
    }
  });
  page.problems = problems;
  pages.set(name, page);
  await page.goto(`${base}/`);
  return page;
}

async function login(page, keyFile, identity) {
  await page.setInputFiles("#key-file", keyFile);
  if (identity) await page.fill("#identity", identity);
  await page.click("#login-button");
}

/** Logged in as `identity` (`role`), live, and the pages marked with `marking` (the test cell's own by default). */
async function loggedIn(page, identity, role, marking = MARKING) {
  await page.waitForSelector("#console:not([hidden])");
  const who = await page.textContent("#whoami");
  assert(who.includes(identity) && who.includes(role), `whoami shows ${identity} (${role}): ${who}`);
  // Live, so that what follows is not backlog.
  await page.waitForFunction(() => window.fusioncell.state.live);
  for (const bar of ["#marking-top", "#marking-bottom"]) {
    assert((await page.textContent(bar)) === marking, `the cell's marking in ${bar}`);
  }
}

async function selectChannel(page, channel) {
  await page.click(`#channel-list button[data-channel="${channel}"]`);
}

async function post(page, channel, text) {
  await selectChannel(page, channel);
  await page.fill("#compose-text", text);
  await page.press("#compose-text", "Enter");
}

/** The timeline item whose body is `text`, in `channel`. */
function itemOf(page, text) {
  return page.locator("#timeline li", { has: page.locator(".body", { hasText: text }) });
}

async function seesRecord(page, text) {
  return page.evaluate(
    (t) => [...window.fusioncell.state.records.values()].some((e) => e.record.body === t),
    text,
  );
}

// ------------------------------------------------------------------------------------------

async function main() {
  if (!existsSync(bin)) throw new Error(`${bin} not found: run cargo build -p fusioncell first`);
  rmSync(artifacts, { recursive: true, force: true });
  const work = mkdtempSync(join(tmpdir(), "fusioncell-browser-"));
  const dir = join(work, "cell");
  cli(["init", dir, "--listen", "127.0.0.1:0"]);
  // A hotline deadline short enough to see an escalation in the test (the example's is 120 s).
  const config = join(dir, "cell.toml");
  // And a marking line of its own, to see the cell's (not the page's default) on every page.
  writeFileSync(config, readFileSync(config, "utf8")
    .replace("ack_seconds = 120", `ack_seconds = ${ACK_SECONDS}`)
    .replace("[cell]\n", `[cell]\nmarking = "${MARKING}"\n`));
  // No admin listener: its fixed port would clash with another relay on this machine.
  const { relay, addr, stderr } = await startRelay(["relay", "--config", join(dir, "cell.toml"), "--admin", "off"]);
  const base = `https://${addr}`;
  const keys = (id) => join(dir, "keys", `${id}.key`);
  const clock = (action) =>
    cli(["clock", "--config", join(dir, "cell.toml"), "--relay", `wss://${addr}`, "--as", "control", action]);
  log(`relay at ${base} (cell folder ${dir})`);

  // The relay's certificate is trusted by its public key only (no blanket ignoring of TLS
  // errors): Chromium's SPKI pin list, with a fresh profile per run.
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      `--ignore-certificate-errors-spki-list=${spkiPin(dir)}`,
    ],
  });

  try {
    let israel, syria, us;

    await test("the page is served with a strict policy and no inline code", async () => {
      const res = await fetch(`${base}/`).catch(() => null); // node does not trust the dev CA: expected
      assert(res === null, "node's fetch must not trust the development CA");
      const page = await openConsole(browser, base, "probe");
      const response = await page.goto(`${base}/`);
      const h = response.headers();
      assert(h["content-security-policy"]?.startsWith("default-src 'none'; script-src 'self'"), `CSP: ${h["content-security-policy"]}`);
      assert(h["x-content-type-options"] === "nosniff", "nosniff");
      assert((await page.title()) === "fusioncell console", "title");
      // The cell's marking line, top and bottom, already on the login page.
      await page.waitForFunction((m) => document.getElementById("marking-bottom").textContent === m, MARKING);
      assert((await page.textContent("#marking-top")) === MARKING, "marking on top");
      const [top, bottom] = await page.evaluate(() => ["marking-top", "marking-bottom"].map((id) => {
        const r = document.getElementById(id).getBoundingClientRect();
        return { y: r.top, bottom: r.bottom, h: r.height };
      }));
      assert(top.y === 0 && top.h > 0, `marking at the top: ${JSON.stringify(top)}`);
      assert(Math.abs(bottom.bottom - page.viewportSize().height) < 1, `marking at the bottom: ${JSON.stringify(bottom)}`);
      const missing = await page.goto(`${base}/nothing-here`);
      assert(missing.status() === 404, `404 for an unknown path, got ${missing.status()}`);
      pages.delete("probe");
      await page.context().close();
    });

    await test("the canonical-bytes vectors of PROTOCOL.md §10 match in the browser", async () => {
      const page = await openConsole(browser, base, "vectors");
      const v = vectors();
      const { bad, checked } = await checkVectors(page, v);
      const unchecked = Object.keys(v).filter((n) => !checked.includes(n));
      assert(bad.length === 0, `mismatches:\n  ${bad.join("\n  ")}`);
      assert(unchecked.length === 0, `vectors not checked in the browser: ${unchecked.join(", ")}`);
      assert(checked.length >= 30, `only ${checked.length} vectors found`);
      log(`     ${checked.length} vectors checked in Chromium`);
      pages.delete("vectors");
      await page.context().close();
    });

    await test("WebCrypto reaches every verdict of PROTOCOL.md §12 (signature rule)", async () => {
      const page = await openConsole(browser, base, "signatures");
      const v = vectors("signatures");
      const bad = await page.evaluate(async (v) => {
        const C = await import("/canonical.js");
        const key = await crypto.subtle.importKey("raw", C.fromHex(v["sig.key"]), { name: "Ed25519" }, false, ["verify"]);
        const msg = C.fromHex(v["sig.message"]);
        const out = [];
        for (const [name, value] of Object.entries(v)) {
          const m = /^(accept|reject) ([0-9a-f]{128})$/.exec(value);
          if (!m) continue;
          const ok = await crypto.subtle.verify({ name: "Ed25519" }, key, C.fromHex(m[2]), msg);
          out.push([name, ok === (m[1] === "accept") ? null : `${name}: WebCrypto says ${ok ? "accept" : "reject"}`]);
        }
        return out;
      }, v);
      assert(bad.length === 7, `expected 7 signature cases, found ${bad.length}`);
      const wrong = bad.filter(([, e]) => e).map(([, e]) => e);
      assert(wrong.length === 0, `verdicts differ:\n  ${wrong.join("\n  ")}`);
      pages.delete("signatures");
      await page.context().close();
    });

    await test("two parties and the mediator log in with their key files", async () => {
      israel = await openConsole(browser, base, "israel");
      syria = await openConsole(browser, base, "syria");
      us = await openConsole(browser, base, "us");
      // The identity is filled in from the key file's name.
      await login(israel, keys("israel"));
      await login(syria, keys("syria"));
      await login(us, keys("us"));
      await loggedIn(israel, "israel", "party");
      await loggedIn(syria, "syria", "party");
      await loggedIn(us, "us", "mediator");
      // The page names the cell it was opened for.
      const header = await israel.textContent("#whoami .cell-name");
      assert(header.includes("Paris joint communication cell"), `cell name: ${header}`);
    });

    await test("the Online list shows the logged-in parties and the mediator", async () => {
      for (const p of [israel, syria, us]) {
        for (const [id, role] of [["israel", "party"], ["syria", "party"], ["us", "mediator"]]) {
          const row = p.locator(`#online-list li[data-online="${id}"]`);
          await row.waitFor();
          const text = await row.textContent();
          assert(text.includes(`${id} · ${role}`), `online row: ${text}`);
        }
        assert((await p.locator('#online-list li[data-online="france"]').count()) === 0, "france is not logged in");
      }
    });

    const held = "Israel shares the positions of the northern units (for the mediator first).";
    await test("a moderated post is held until the mediator approves it", async () => {
      await post(israel, "security", held);
      const mine = itemOf(israel, held);
      await mine.locator(".badge", { hasText: "awaiting approval" }).waitFor();
      await mine.locator(".verified").waitFor();
      await israel.locator("#awaiting-list li", { hasText: held }).waitFor();
      // The mediator has it pending; Syria has nothing.
      const pending = us.locator("#pending-list li", { hasText: held });
      await pending.waitFor();
      await syria.waitForTimeout(1500);
      assert(!(await seesRecord(syria, held)), "syria must not receive the held post");
      await selectChannel(syria, "security");
      assert((await itemOf(syria, held).count()) === 0, "syria's timeline must not show it");
      // Approve from the pending panel.
      await pending.locator("button[data-approve]").click();
      await us.locator("#pending-list li", { hasText: held }).waitFor({ state: "detached" });
      const released = itemOf(syria, held);
      await released.waitFor();
      await released.locator(".verified").waitFor();
      await released.locator(".badge", { hasText: "approved" }).waitFor();
      await itemOf(israel, held).locator(".badge", { hasText: "approved" }).waitFor();
      // Syria's page shows it in the open channel: the console receipts it by itself (the
      // cell's default `read_receipts = "auto"`), with no button to press, and Israel sees it.
      assert((await released.locator("button", { hasText: "Mark read" }).count()) === 0, "no Mark read button in auto mode");
      await itemOf(israel, held).locator(".receipts", { hasText: "read by syria" }).waitFor();
    });

    const rejected = "Israel proposes to publish the intercepts today.";
    await test("the mediator rejects a held post with a reason, inline in the timeline", async () => {
      await post(israel, "security", rejected);
      const pending = us.locator("#pending-list li", { hasText: rejected });
      await pending.waitFor();
      // The same controls sit under the post in the mediator's timeline.
      await selectChannel(us, "security");
      const inline = itemOf(us, rejected);
      await inline.locator("button[data-reject]").click();
      assert((await inline.locator("input[data-reason]").getAttribute("placeholder")) === "a reason is required",
        "Reject without a reason asks for one");
      await inline.locator("input[data-reason]").fill("too specific for this channel");
      await inline.locator("button[data-reject]").click();
      await itemOf(israel, rejected).locator(".badge", { hasText: "rejected by us: too specific" }).waitFor();
      await syria.waitForTimeout(500);
      assert(!(await seesRecord(syria, rejected)), "syria must never receive a rejected post");
    });

    const hot = "Notification: an Israeli unit in the northern sector fired illumination rounds.";
    await test("a hotline message is acknowledged from the other party's page", async () => {
      await post(israel, "deescalation", hot);
      const entry = syria.locator("#hotline-list li", { hasText: hot });
      await entry.waitFor();
      // Syria is looking at #security: #deescalation counts one unread record.
      const unread = await syria.textContent('#channel-list button[data-channel="deescalation"] .unread');
      assert(unread === "1", `unread count on #deescalation: ${unread}`);
      const countdown = await entry.locator(".countdown").textContent();
      assert(/^\d+s left$/.test(countdown), `countdown: ${countdown}`);
      assert((await israel.locator("#hotline-list li", { hasText: hot }).locator("button[data-ack]").count()) === 0,
        "the sender cannot acknowledge its own hotline message");
      await entry.locator("button[data-ack]").click();
      await syria.locator("#hotline-list li", { hasText: hot }).waitFor({ state: "detached" });
      await selectChannel(israel, "deescalation");
      await itemOf(israel, hot).locator(".badge", { hasText: "acknowledged by syria" }).waitFor();
    });

    await test("a reply is threaded under the post it answers on the other party's page", async () => {
      const question = "Israel proposes a meeting of the liaison officers at 10:00 in Geneva.";
      const later = "Israel adds: the agenda follows by noon.";
      const answer = "Syria agrees to 10:00; two officers will attend.";
      const followUp = "Israel confirms the two names by 09:00.";
      const second = "Syria asks whether observers may attend.";
      await selectChannel(syria, "diplomacy");
      await post(israel, "diplomacy", question);
      const target = itemOf(syria, question);
      await target.locator(".verified").waitFor();
      const seq = Number(await target.getAttribute("data-seq"));
      await post(israel, "diplomacy", later);
      await itemOf(syria, later).waitFor();
      // Reply mode names the target and can be cancelled.
      await target.locator("button[data-reply]").click();
      await syria.locator("#compose-reply:not([hidden])").waitFor();
      const bar = await syria.textContent("#compose-reply");
      assert(bar.includes(`Replying to #${seq}`) && bar.includes("israel"), `reply bar: ${bar}`);
      await syria.click("#compose-reply-cancel");
      await syria.locator("#compose-reply").waitFor({ state: "hidden" });
      await target.locator("button[data-reply]").click();
      await syria.fill("#compose-text", answer);
      const shots = join(artifacts, "roles");
      mkdirSync(shots, { recursive: true });
      await syria.screenshot({ path: join(shots, "syria-replying.png") });
      await syria.press("#compose-text", "Enter");
      await syria.locator("#compose-reply").waitFor({ state: "hidden" });
      // On Israel's page: the reply, verified, right under the post it answers (not after the
      // later post), indented, and described as the CLI describes it.
      const reply = itemOf(israel, answer);
      await reply.locator(".verified").waitFor();
      const replySeq = Number(await reply.getAttribute("data-seq"));
      assert((await reply.getAttribute("data-reply-to")) === String(seq), "data-reply-to names the target");
      assert(/\bdepth-1\b/.test(await reply.getAttribute("class")), "the reply is indented one level");
      assert((await reply.locator(".body").textContent()) === `re #${seq}: ${answer}`, "the reply's description");
      const sent = await israel.evaluate((s) => window.fusioncell.state.records.get(s).record, replySeq);
      assert(sent.act.kind === "reply" && sent.act.actor === "syria", `a reply act: ${JSON.stringify(sent.act)}`);
      assert(sent.body === JSON.stringify({ target: seq, text: answer }), `reply body: ${sent.body}`);
      // Israel answers the reply (two levels deep); Syria answers the first post again.
      await reply.locator("button[data-reply]").click();
      await israel.fill("#compose-text", followUp);
      await israel.press("#compose-text", "Enter");
      await itemOf(syria, followUp).locator(".verified").waitFor();
      await target.locator("button[data-reply]").click();
      await syria.fill("#compose-text", second);
      await syria.press("#compose-text", "Enter");
      await itemOf(israel, second).locator(".verified").waitFor();
      const order = (page) => page.evaluate(() => [...document.querySelectorAll("#timeline li")]
        .map((li) => `${li.querySelector(".body").textContent}|${li.className.match(/depth-\d/)?.[0] ?? "top"}`));
      for (const page of [israel, syria]) {
        const lines = await order(page);
        const at = lines.findIndex((l) => l.startsWith(question));
        const expected = [`${question}|top`, `re #${seq}: ${answer}|depth-1`, `re #${replySeq}: ${followUp}|depth-2`,
          `re #${seq}: ${second}|depth-1`, `${later}|top`];
        const got = lines.slice(at, at + expected.length);
        assert(JSON.stringify(got) === JSON.stringify(expected), `thread order:\n  ${got.join("\n  ")}`);
      }
      await israel.screenshot({ path: join(shots, "israel-threaded-replies.png") });
    });

    const waiting = "Notification: a patrol will cross marker 9 at dawn.";
    await test("the clock started and paused from the CLI shows on every page", async () => {
      await post(israel, "deescalation", waiting);
      const countdown = syria.locator("#hotline-list li", { hasText: waiting }).locator(".countdown");
      await countdown.waitFor();
      await us.fill("#clock-speed", "7");
      clock("start");
      for (const p of [israel, syria, us]) await p.waitForSelector('#clock[data-phase="running"]');
      // The mediator's speed field shows the clock's speed, fixed at STARTEX.
      const speed = us.locator("#clock-speed");
      assert(await speed.isDisabled(), "the speed field is fixed once started");
      assert((await speed.inputValue()) === "1", `speed field: ${await speed.inputValue()} (the clock runs at ×1)`);
      clock("pause");
      for (const p of [israel, syria, us]) {
        await p.waitForSelector('#clock[data-phase="paused"]');
        const banner = await p.textContent("#clock");
        assert(banner.includes("EXERCISE PAUSED"), `banner: ${banner}`);
      }
      // A party's post while paused is refused, readably.
      await post(syria, "diplomacy", "Syria asks to resume.");
      await syria.locator("#activity li", { hasText: "refused (paused)" }).waitFor();
      // The hotline countdown stands still while play does, and says so.
      await countdown.filter({ hasText: "stopped while play is" }).waitFor();
      const before = await countdown.textContent();
      await syria.waitForTimeout(2100);
      const after = await countdown.textContent();
      assert(after === before, `the countdown moved while paused: ${before} → ${after}`);
      // Every record is stamped with its scenario time, the relay's time on hover.
      await selectChannel(syria, "deescalation");
      const stamp = itemOf(syria, waiting).locator(".stamp");
      const text = await stamp.textContent();
      assert(/^\[\d\d:\d\d:\d\d\]$/.test(text), `stamp: ${text}`);
      const title = await stamp.getAttribute("title");
      assert(/^relay time \d\d:\d\d:\d\dZ$/.test(title), `stamp title: ${title}`);
      const shots = join(artifacts, "roles");
      mkdirSync(shots, { recursive: true });
      await syria.screenshot({ path: join(shots, "syria-hotline-paused.png") });
    });

    await test("a forged key is refused at login with a readable message", async () => {
      const forged = join(work, "forged");
      cli(["keygen", "--id", "israel", "--out", forged]);
      const page = await openConsole(browser, base, "forged");
      await login(page, join(forged, "israel.key"));
      const error = page.locator("#login-error");
      await error.waitFor();
      const text = await error.textContent();
      assert(/refused the login as “israel”/.test(text) && /does not verify/.test(text), `message: ${text}`);
      assert(await page.locator("#console").isHidden(), "no console for a forged key");
      pages.delete("forged");
      await page.context().close();
    });

    await test("a file that is not a key is refused before anything is sent", async () => {
      const page = await openConsole(browser, base, "notakey");
      await login(page, join(dir, "cell.toml"), "israel");
      const error = page.locator("#login-error");
      await error.waitFor();
      const text = await error.textContent();
      assert(/not a PEM private key/.test(text), `message: ${text}`);
      pages.delete("notakey");
      await page.context().close();
    });

    let control, evaluator, france;
    await test("control, the evaluator and an observer get their own views", async () => {
      control = await openConsole(browser, base, "control");
      evaluator = await openConsole(browser, base, "evaluator");
      france = await openConsole(browser, base, "france");
      await login(control, keys("control"));
      await login(evaluator, keys("evaluator"));
      await login(france, keys("france"));
      await loggedIn(control, "control", "control");
      await loggedIn(evaluator, "evaluator", "evaluator");
      await loggedIn(france, "france", "observer");
      assert(await control.locator("#panel-control").isVisible(), "control panel for control");
      assert(await control.locator("#inject-form").isVisible(), "inject form for control");
      assert(await us.locator("#panel-control").isVisible(), "clock buttons for the mediator");
      assert(await us.locator("#inject-form").isHidden(), "no inject form for the mediator");
      assert(await evaluator.locator("#panel-observe").isVisible(), "observation form for the evaluator");
      assert(await france.locator("#compose").isHidden(), "the observer cannot post");
      assert(await israel.locator("#panel-control").isHidden(), "no control panel for a party");
      // Control resumes play and fires an inject; every party sees it.
      await control.click("#clock-resume");
      await israel.waitForSelector('#clock[data-phase="running"]');
      await control.selectOption("#inject-channel", "diplomacy");
      await control.fill("#inject-id", "M2-04");
      await control.fill("#inject-title", "Border incident reported");
      await control.fill("#inject-text", "Local media report an exchange of fire near the crossing.");
      await control.click("#inject-form button[type=submit]");
      await selectChannel(syria, "diplomacy");
      await itemOf(syria, "Border incident reported").locator(".verified").waitFor();
      // The evaluator records an observation on the approved post, chosen from the post itself,
      // rating one of the objectives of the scenario the relay serves it.
      const seq = await us.evaluate((t) => [...window.fusioncell.state.records.values()].find((e) => e.record.body === t).record.seq, held);
      const shots = join(artifacts, "roles");
      mkdirSync(shots, { recursive: true });
      await evaluator.locator('#observe-objective option[value="O2"]').waitFor({ state: "attached" });
      assert(await evaluator.locator("#observe-rating").isDisabled(), "no rating before an objective is chosen");
      await selectChannel(evaluator, "security");
      await evaluator.click(`#timeline li[data-seq="${seq}"] button[data-observe]`);
      await evaluator.locator(`#observe-refs [data-ref="${seq}"]`).waitFor();
      await evaluator.selectOption("#observe-objective", "O2");
      await evaluator.locator("#observe-tasks li", { hasText: "Intelligence and Information Sharing" }).waitFor();
      await evaluator.selectOption("#observe-rating", "S");
      await evaluator.fill("#observe-text", "The mediator released intelligence within a minute.");
      await evaluator.screenshot({ path: join(shots, "evaluator-observing.png") });
      await evaluator.click("#observe-form button[type=submit]");
      await selectChannel(evaluator, "");
      const note = itemOf(evaluator, "released intelligence");
      await note.waitFor();
      const described = await note.locator(".body").textContent();
      assert(described.includes(`observation on #${seq} [objective O2: S]`), `the observation reads: ${described}`);
      assert((await evaluator.locator("#observe-refs [data-ref]").count()) === 0, "the form is cleared once sent");
      assert(!(await seesRecord(israel, "The mediator released intelligence within a minute.")), "players never see observations");
      // The mediator redacts the inject; the text disappears from every page, the record stays.
      const inject = await us.evaluate(() => [...window.fusioncell.state.records.values()].find((e) => e.record.act.kind === "inject").record.seq);
      await us.fill("#redact-target", String(inject));
      await us.fill("#redact-reason", "wrong inject fired");
      await us.click("#redact-form button[type=submit]");
      await syria.locator(`#timeline li[data-seq="${inject}"] .body`, { hasText: "[redacted]" }).waitFor();
    });

    await test("a busy channel is receipted in paced batches and never gets the reader rate limited", async () => {
      // 30 posts within seconds from Israel and the mediator (PROTOCOL.md §9: 100 acts a minute,
      // a burst of 20 per identity). One receipt per post would exceed Syria's burst.
      const shots = join(artifacts, "roles");
      mkdirSync(shots, { recursive: true });
      await selectChannel(syria, "diplomacy");
      await syria.bringToFront();
      const before = await syria.evaluate(() => window.fusioncell.state.autoReceipts.sentActs);
      const refusals = async () => (await syria.locator("#activity li.bad").allTextContents()).length;
      const refusedBefore = await refusals();
      const texts = [];
      const senders = [];
      for (let i = 1; i <= 15; i++) {
        for (const [who, page] of [["israel", israel], ["us", us]]) {
          const text = `Busy ${who} ${i}: status unchanged on the line of separation.`;
          texts.push(text);
          senders.push(page);
          await post(page, "diplomacy", text);
        }
      }
      // Typing in the senders' pages (one browser here, three machines in a real exercise) can
      // take the focus from Syria's, whose reader is then not reading: give it back.
      await syria.bringToFront();
      // Every post is receipted by Syria: the last of each sender shows it to its sender.
      await itemOf(israel, texts[texts.length - 2]).locator(".receipts", { hasText: "read by syria" }).waitFor({ timeout: 30000 });
      await itemOf(us, texts[texts.length - 1]).locator(".receipts", { hasText: "read by syria" }).waitFor({ timeout: 30000 });
      // A receipt goes to the senders of the records it covers (PROTOCOL.md §3.3), so each
      // post is checked on its sender's page: whether Israel also sees Syria's receipt of a
      // mediator's post depends on how Syria's batches fell.
      for (const [i, t] of texts.entries()) {
        await itemOf(senders[i], t).locator(".receipts", { hasText: "read by syria" }).waitFor({ timeout: 30000 });
      }
      const acts = (await syria.evaluate(() => window.fusioncell.state.autoReceipts.sentActs)) - before;
      log(`     ${texts.length} posts receipted by syria in ${acts} receipt acts`);
      assert(acts >= 1 && acts < texts.length / 2, `batched: ${acts} receipt acts for ${texts.length} posts`);
      const activity = await syria.locator("#activity").textContent();
      assert(!activity.includes("rate limited"), `syria was rate limited: ${activity}`);
      assert((await refusals()) === refusedBefore, `syria was refused: ${activity}`);
      await syria.screenshot({ path: join(shots, "syria-busy-receipted.png") });
      await israel.screenshot({ path: join(shots, "israel-busy-receipts.png") });
    });

    await test("control's MSEL page: every inject from the relay, its status from the journal, the clock beside it", async () => {
      const scenario = JSON.parse(cli(["scenario", "export", join(dir, "scenario.toml"), "--format", "json"]));
      const first = scenario.injects.find((i) => i.id === "M1-01");
      assert(first && first.channel === "diplomacy" && first.notes, "the scenario has M1-01 with notes");
      // The relay gives the scenario to control and the evaluator only: no one else has the page.
      for (const [name, page] of [["israel", israel], ["syria", syria], ["the mediator", us], ["the observer", france]]) {
        assert(await page.locator("#view-msel").isHidden(), `no MSEL for ${name}`);
      }
      await control.locator("#view-msel:not([hidden])").click();
      await control.locator("#msel-view:not([hidden])").waitFor();
      assert(await control.locator("#console").isHidden(), "the MSEL page takes the whole width");
      const rows = control.locator("#msel-body tr");
      assert((await rows.count()) === scenario.injects.length, "one row per inject");
      const row = (page, id, status = "") => page.locator(`#msel-body tr[data-inject="${id}"]${status}`);
      const shots = join(artifacts, "roles");
      assert((await row(control, "M1-01").locator(".notes").textContent()).includes(first.notes), "controller notes shown to control");
      // The clock controls are on the same page.
      assert(await control.locator("#msel-clock-slot #clock-pause").isVisible(), "pause on the MSEL page");
      assert(await control.locator("#msel-clock-slot #clock-halt").isVisible(), "halt on the MSEL page");
      assert(/^Next: /.test(await control.textContent("#msel-next")), "the countdown to the next inject");
      // Hold, release and skip are journaled: a second controller's page (a fresh login) sees them.
      const second = await openConsole(browser, base, "control-2");
      await login(second, keys("control"));
      await loggedIn(second, "control", "control");
      await second.locator("#view-msel:not([hidden])").click();
      await row(control, "M1-01").locator("button[data-hold]").click();
      await row(second, "M1-01", '[data-status="held"]').waitFor();
      await row(second, "M1-01").locator("button[data-release]").click();
      await row(control, "M1-01", ':is([data-status="pending"], [data-status="due"])').waitFor();
      await row(control, "M1-02").locator("button[data-skip]").click();
      await row(second, "M1-02", '[data-status="skipped"]').waitFor();
      // The evaluator sees the same timeline, without buttons.
      await evaluator.locator("#view-msel:not([hidden])").click();
      await row(evaluator, "M1-02", '[data-status="skipped"]').waitFor();
      assert((await evaluator.locator("#msel-body button").count()) === 0, "the evaluator's MSEL is read-only");
      await evaluator.screenshot({ path: join(shots, "evaluator-msel.png"), fullPage: true });
      await evaluator.click("#msel-back");
      // Filter by move.
      const moves = [...new Set(scenario.injects.map((i) => i.move))];
      await control.selectOption("#msel-move", moves[moves.length - 1]);
      const inLast = scenario.injects.filter((i) => i.move === moves[moves.length - 1]).length;
      assert((await rows.count()) === inLast, `the move filter shows ${inLast} rows`);
      await control.selectOption("#msel-move", "");
      // The row due at the scenario time is marked (the page's clock set to just after M1-01's
      // time; the relay's next state frame puts it back).
      await control.waitForFunction((at) => {
        const S = window.fusioncell.state;
        S.clock = { ...S.clock, phase: "paused", scenario_ms: (at + 10) * 1000 };
        return document.querySelector('#msel-body tr[data-status="due"][data-inject="M1-01"]') !== null;
      }, first.at_s);
      await control.screenshot({ path: join(shots, "control-msel.png"), fullPage: true });
      await row(control, "M1-01").locator("button[data-fire]").click();
      await row(second, "M1-01", '[data-status="fired"]').waitFor();
      await second.screenshot({ path: join(shots, "control-msel-second.png"), fullPage: true });
      await control.click("#msel-back");
      await control.locator("#console:not([hidden])").waitFor();
      assert(await control.locator("#panel-control #clock-pause").isVisible(), "the clock controls come back to the panel");
      await selectChannel(syria, "diplomacy");
      const shown = itemOf(syria, first.title);
      await shown.locator(".verified").waitFor();
      const body = await syria.evaluate((id) => [...window.fusioncell.state.records.values()]
        .map((e) => e.record).find((r) => r.act.kind === "inject" && JSON.parse(r.body ?? "{}").id === id)?.body, "M1-01");
      const parsed = JSON.parse(body);
      assert(Object.keys(parsed).join(",") === "id,phase,from,to,title,text,at_s", `inject body fields: ${body}`);
      assert(parsed.phase === "M1" && parsed.at_s === first.at_s && parsed.text === first.text, `inject body: ${body}`);
      assert(!body.includes(first.notes), "controller notes are never sent");
      assert(!(await syria.evaluate(() => [...window.fusioncell.state.records.values()].some((e) => e.record.act.kind === "msel"))),
        "players never receive the MSEL decisions");
      pages.delete("control-2");
      await second.context().close();
    });

    await test("pages reconnect and resume without gaps or duplicates", async () => {
      // Cut Syria's connection under it; the page reconnects, resumes, and gets what it missed once.
      await syria.evaluate(() => window.fusioncell.state.ws.close(4999, "test"));
      await post(israel, "diplomacy", "Posted while Syria was reconnecting.");
      await itemOf(syria, "Posted while Syria was reconnecting.").waitFor();
      const dupes = await syria.evaluate(() => {
        const all = [...window.fusioncell.state.timelines.values()].flat();
        return all.length - new Set(all).size;
      });
      assert(dupes === 0, `${dupes} duplicate records after the resume`);
      // The reconnect named the directory the page holds (PROTOCOL.md §5.7): the relay's own.
      const directory = await syria.evaluate(() => window.fusioncell.state.directory);
      assert(/^[0-9a-f]{64}$/.test(directory ?? ""), `directory held: ${directory}`);
      // An act whose acknowledgement is lost with the connection is resent unchanged (same
      // seq) after the reconnect: the relay answers the exact retry, nothing is doubled.
      await syria.evaluate(() => {
        const send = WebSocket.prototype.send;
        WebSocket.prototype.send = function (data) {
          send.call(this, data);
          if (JSON.parse(data).type === "act") {
            WebSocket.prototype.send = send;
            this.close(4999, "test: lost before the ack");
          }
        };
      });
      const lost = "Syria's answer, sent as the connection dropped.";
      await post(syria, "diplomacy", lost);
      await itemOf(israel, lost).locator(".verified").waitFor();
      await syria.waitForFunction(() => window.fusioncell.state.unacked.size === 0 && window.fusioncell.state.loggedIn);
      await itemOf(syria, lost).waitFor();
      assert((await itemOf(israel, lost).count()) === 1, "the resent post appears once");
      const refusals = await syria.locator("#activity li", { hasText: /refused \((stale_seq|equivocation)\)/ }).count();
      assert(refusals === 0, "the resend was an exact retry");
    });

    await test("two tabs of one identity do not step on each other's sequence numbers", async () => {
      const second = await openConsole(browser, base, "israel-2");
      await login(second, keys("israel"));
      await loggedIn(second, "israel", "party");
      await selectChannel(second, "diplomacy");
      await post(israel, "diplomacy", "From the first tab.");
      await itemOf(second, "From the first tab.").waitFor();
      // The second tab's next number was taken by the first: refused, signed again, accepted.
      await post(second, "diplomacy", "From the second tab.");
      await itemOf(syria, "From the second tab.").locator(".verified").waitFor();
      await second.waitForFunction(() => window.fusioncell.state.unacked.size === 0);
      pages.delete("israel-2");
      await second.context().close();
    });

    await test("unread counts survive a reload", async () => {
      await selectChannel(israel, "commerce");
      await selectChannel(israel, "diplomacy");
      await post(syria, "commerce", "Syria proposes a trade fair in the spring.");
      await post(syria, "commerce", "And a customs desk at the crossing.");
      const unread = israel.locator('#channel-list button[data-channel="commerce"] .unread');
      await unread.filter({ hasText: /^2$/ }).waitFor();
      await israel.reload();
      await login(israel, keys("israel"));
      await loggedIn(israel, "israel", "party");
      await unread.filter({ hasText: /^2$/ }).waitFor();
      // Opened, they are read, and stay read after another reload.
      await selectChannel(israel, "commerce");
      await unread.waitFor({ state: "detached" });
      await israel.reload();
      await login(israel, keys("israel"));
      await loggedIn(israel, "israel", "party");
      await israel.waitForTimeout(300);
      assert((await unread.count()) === 0, "read records counted as unread after a reload");
    });

    await test("the login key is kept across reloads when asked, never extractable, and removed at log-out", async () => {
      const page = await openConsole(browser, base, "kept");
      await page.setInputFiles("#key-file", keys("france"));
      await page.fill("#identity", "france");
      await page.check("#keep-login");
      await page.screenshot({ path: join(artifacts, "roles", "login-keep.png") });
      await page.click("#login-button");
      await loggedIn(page, "france", "observer");
      const kept = () => page.evaluate(async () => {
        const k = await (await import("/keystore.js")).keptLogin();
        if (!k) return null;
        let exported = false;
        try {
          await crypto.subtle.exportKey("pkcs8", k.key);
          exported = true;
        } catch {}
        return { identity: k.identity, extractable: k.key.extractable, type: k.key.type, alg: k.key.algorithm.name, usages: k.key.usages, exported };
      });
      await page.waitForFunction(async () => (await (await import("/keystore.js")).keptLogin()) !== null);
      const held = await kept();
      assert(held.identity === "france" && held.type === "private" && held.alg === "Ed25519", `kept: ${JSON.stringify(held)}`);
      assert(held.extractable === false && held.exported === false && held.usages.join() === "sign", `the kept key cannot be read back: ${JSON.stringify(held)}`);
      // A reload logs in again with the kept key: no file chosen.
      await page.reload();
      await loggedIn(page, "france", "observer");
      await page.click("#logout");
      await page.waitForSelector("#login:not([hidden])");
      assert((await kept()) === null, "log-out removes the kept key");
      await page.reload();
      await page.waitForSelector("#login:not([hidden])");
      await new Promise((res) => setTimeout(res, 500));
      assert(await page.locator("#console").isHidden(), "after log-out a reload asks for the key file");
      // Without the box ticked nothing is kept.
      await page.setInputFiles("#key-file", keys("france"));
      await page.fill("#identity", "france");
      await page.click("#login-button");
      await loggedIn(page, "france", "observer");
      assert((await kept()) === null, "nothing kept unless asked");
      pages.delete("kept");
      await page.context().close();
    });

    await test("parties and the mediator cosign the relay's checkpoints", async () => {
      for (const p of [israel, us]) {
        await p.waitForFunction(() => window.fusioncell.state.cosigned > 0, null, { timeout: 20000 });
        const text = await p.textContent("#witness");
        assert(/relay signature ✓, cosigned up to \d+/.test(text), `witness: ${text}`);
      }
    });

    await test("a halt is shown unmistakably on every page", async () => {
      await control.fill("#halt-reason", "fire alarm in the exercise building");
      await control.click("#clock-halt");
      for (const p of [israel, syria, us, control, evaluator, france]) {
        await p.waitForSelector("#halt:not([hidden])");
        const t = await p.textContent("#halt");
        assert(t.includes("REAL-WORLD EMERGENCY") && t.includes("fire alarm"), `halt banner: ${t}`);
      }
    });

    const urgent = "Notification: shots heard near marker 3. Please acknowledge.";
    await test("an escalated hotline message stays in the mediator's queue until handled", async () => {
      clock("resume");
      for (const p of [israel, syria, us]) await p.waitForSelector('#clock[data-phase="running"]');
      await post(israel, "deescalation", urgent);
      const queued = us.locator("#escalated-list li", { hasText: urgent });
      await queued.waitFor({ timeout: (ACK_SECONDS + 15) * 1000 });
      assert((await queued.textContent()).includes(`not acknowledged within ${ACK_SECONDS}s`), await queued.textContent());
      // A second tab (or a reload) rebuilds the same queue from the journal.
      const second = await openConsole(browser, base, "us-2");
      await login(second, keys("us"));
      await loggedIn(second, "us", "mediator");
      const there = second.locator("#escalated-list li", { hasText: urgent });
      await there.waitFor();
      const shots = join(artifacts, "roles");
      mkdirSync(shots, { recursive: true });
      await us.screenshot({ path: join(shots, "us-escalated.png") });
      // Handled: a signed read receipt, after which both tabs drop it.
      await queued.locator("button[data-handled]").click();
      await queued.waitFor({ state: "detached" });
      await there.waitFor({ state: "detached" });
      pages.delete("us-2");
      await second.context().close();
    });

    await test("no page made a request to another host or logged an error", async () => {
      for (const [name, p] of pages) {
        const problems = p.problems.filter((x) => !/favicon/.test(x));
        assert(problems.length === 0, `${name}: ${problems.join("; ")}`);
      }
    });

    // Screenshots of each role's view (resumed first, so the halt banner does not hide all).
    if (results.every((r) => r.ok)) {
      await control.click("#clock-resume");
      await israel.waitForSelector("#halt[hidden]", { state: "attached" });
      const shots = join(artifacts, "roles");
      mkdirSync(shots, { recursive: true });
      await selectChannel(israel, "security");
      await selectChannel(syria, "deescalation");
      await post(israel, "deescalation", "Second notification: a patrol crosses the line of separation at 14:00 to recover a drone.");
      await post(israel, "security", "Israel reports a convoy movement near the crossing; details for the mediator.");
      await us.locator("#pending-list li").first().waitFor();
      await selectChannel(us, "security");
      await selectChannel(control, "diplomacy");
      await selectChannel(evaluator, "");
      await selectChannel(france, "diplomacy");
      await syria.locator("#hotline-list button[data-ack]").first().waitFor();
      for (const [name, p] of [["israel-party", israel], ["syria-party", syria], ["us-mediator", us],
        ["control", control], ["evaluator", evaluator], ["france-observer", france]]) {
        await p.screenshot({ path: join(shots, `${name}.png`), fullPage: false });
      }
      await syria.setViewportSize({ width: 420, height: 900 });
      await syria.screenshot({ path: join(shots, "syria-narrow.png") });
      await control.click("#clock-pause");
      await israel.waitForSelector('#clock[data-phase="paused"]');
      await israel.screenshot({ path: join(shots, "israel-paused.png") });
      await control.fill("#halt-reason", "fire alarm in the exercise building");
      await control.click("#clock-halt");
      await israel.waitForSelector("#halt:not([hidden])");
      await israel.screenshot({ path: join(shots, "israel-halted.png") });
      log(`screenshots of each role's view: ${shots}`);
    }

    await test("a recording served by `fusioncell audit serve` plays back in the console", async () => {
      relay.kill("SIGTERM");
      if (relay.exitCode === null) await new Promise((r) => relay.once("exit", r));
      const serve = spawn(
        bin,
        ["audit", "serve", join(dir, "journal"), "--config", join(dir, "cell.toml"),
          "--listen", "127.0.0.1:0", "--speed", "1000"],
        { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, RUST_LOG: "warn" } },
      );
      try {
        const first = await new Promise((res, rej) => {
          const timer = setTimeout(() => rej(new Error("audit serve did not start")), 20000);
          createInterface({ input: serve.stdout }).once("line", (l) => {
            clearTimeout(timer);
            res(l);
          });
          serve.once("exit", (code) => rej(new Error(`audit serve exited (${code})`)));
        });
        const m = /on wss:\/\/(\S+)/.exec(first);
        assert(m, `unexpected first line from audit serve: ${first}`);
        const viewer = await openConsole(browser, `https://${m[1]}`, "replay-control");
        await login(viewer, keys("control"), "control");
        await loggedIn(viewer, "control", "control");
        // A REPLAY banner on top, no compose box, the controls.
        await viewer.locator("#replay:not([hidden])").waitFor();
        assert((await viewer.textContent("#replay .replay-mark")) === "REPLAY", "the REPLAY mark");
        await selectChannel(viewer, "diplomacy");
        assert(await viewer.locator("#compose").isHidden(), "no compose box in a replay");
        assert((await viewer.textContent("#compose-note")).includes("Replay"), "the note says replay");
        assert(await viewer.locator("#panel-control").isHidden(), "no clock or inject controls in a replay");
        // The whole recording arrives at once; the page shows it up to its own playhead (the start).
        // (Frames, not records: an approval's frame carries the post it releases.)
        const R = () => viewer.evaluate(() => ({ kept: window.fusioncell.replay.frames.length, shown: window.fusioncell.replay.fed }));
        await viewer.waitForFunction(() => window.fusioncell.replay.frames.length >= 10 && window.fusioncell.state.live);
        let r = await R();
        assert(r.shown < r.kept, `the start shows less than everything: ${JSON.stringify(r)}`);
        // Step: one record more.
        await viewer.click("#replay-step");
        await viewer.waitForFunction((n) => window.fusioncell.replay.fed === n + 1, r.shown);
        // Jump to an inject: shown as the last record, on its channel.
        const option = viewer.locator("#replay-jump option", { hasText: "M1-01" });
        const seq = Number(await option.getAttribute("value"));
        await viewer.selectOption("#replay-jump", String(seq));
        await viewer.waitForFunction((seq) => {
          const S = window.fusioncell.state;
          return S.records.has(seq) && Math.max(...S.records.keys()) <= seq + 1 && S.selected === "diplomacy";
        }, seq);
        await itemOf(viewer, "The joint communication cell opens").waitFor();
        await viewer.screenshot({ path: join(artifacts, "roles", "replay-jump-to-inject.png") });
        // Play at ×2 (this recording lasts about a minute), then pause: it moves while
        // playing and stands still when paused.
        const before = await viewer.evaluate(() => window.fusioncell.replay.fed);
        await viewer.selectOption("#replay-speed", "2");
        await viewer.click("#replay-play");
        await viewer.waitForFunction((n) => window.fusioncell.replay.fed > n, before);
        assert(await viewer.evaluate(() => window.fusioncell.replay.playing), "still playing");
        await viewer.click("#replay-play");
        const paused = await viewer.evaluate(() => window.fusioncell.replay.at);
        await new Promise((res) => setTimeout(res, 700));
        assert((await viewer.evaluate(() => window.fusioncell.replay.at)) === paused, "paused stands still");
        // Seek back to the start: the page shows the start again (records forgotten and re-shown).
        await viewer.evaluate(() => {
          const seek = document.getElementById("replay-seek");
          seek.value = "0";
          seek.dispatchEvent(new Event("input", { bubbles: true }));
        });
        await viewer.waitForFunction((n) => window.fusioncell.replay.fed === n, r.shown);
        // To the end: everything this identity saw.
        await viewer.click("#replay-end");
        await viewer.waitForFunction(() => window.fusioncell.replay.fed === window.fusioncell.replay.frames.length);
        r = await R();
        await viewer.screenshot({ path: join(artifacts, "roles", "replay-end.png") });
        log(`     ${r.kept} records played back to control's page, stepped, jumped, played, paused and sought`);
      } finally {
        serve.kill("SIGTERM");
      }
    });

    await test("a relay of several cells serves each cell's console under its path, and only that cell", async () => {
      const cells = join(work, "cells");
      cli(["demo", "--cells", "2", "--speed", "5000", "--keep", cells]);
      const multi = await startRelay(["relay", "--cells", cells, "--listen", "127.0.0.1:0", "--admin", "off"]);
      // The cells' relay has its own certificate (the first cell's): a browser that pins it.
      const pinned = await chromium.launch({
        executablePath: chromiumPath,
        headless: true,
        args: [
          "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
          "--disable-background-networking", "--disable-component-update", "--disable-sync",
          `--ignore-certificate-errors-spki-list=${spkiPin(join(cells, "paris-joint-cell-1"))}`,
        ],
      });
      try {
        const id = "paris-joint-cell-2";
        const page = await openConsole(pinned, `https://${multi.addr}/cells/${id}`, "cells-syria");
        await page.waitForFunction((id) => document.getElementById("cell-name").textContent.includes(id), id);
        await login(page, join(cells, id, "keys", "syria.key"), "syria");
        // `demo --cells` writes cells with the default marking line.
        await loggedIn(page, "syria", "party", DEFAULT_MARKING);
        await page.waitForFunction(() => window.fusioncell.state.records.size >= 5);
        const seen = await page.evaluate(() => [
          ...new Set([...window.fusioncell.state.records.values()].map((e) => e.record.act.cell)),
        ]);
        assert(seen.length === 1 && seen[0] === id, `records of ${id} only: ${seen}`);
        // Chromium asks the origin's root for /favicon.ico, which a relay of several cells
        // answers as any unknown path (404): that one "failed to load" is expected. The page's
        // own files, cell.json and WebSocket are under the cell's path (the page named its
        // cell, logged in and received that cell's records).
        const problems = page.problems.filter((x) => !/Failed to load resource: .* 404/.test(x));
        assert(problems.length === 0, problems.join("; "));
      } finally {
        await pinned.close().catch(() => {});
        multi.relay.kill("SIGTERM");
      }
    });
  } finally {
    await browser.close().catch(() => {});
    if (relay.exitCode === null) {
      relay.kill("SIGTERM");
      await new Promise((r) => relay.once("exit", r));
    }
    if (results.some((r) => !r.ok)) log(`relay stderr:\n${stderr().slice(-4000)}`);
    if (!process.env.KEEP) rmSync(work, { recursive: true, force: true });
  }
  const failed = results.filter((r) => !r.ok);
  log(`${results.length - failed.length} passed, ${failed.length} failed`);
  process.exit(failed.length ? 1 : 0);
}

main().catch((e) => {
  log(`error: ${e.stack ?? e}`);
  process.exit(1);
});
