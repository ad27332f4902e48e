// End-to-end tests of the relay's browser console in headless Chromium.
//
// Starts a real relay on a fresh cell (`fusioncell init DIR --listen 127.0.0.1:0`, then
// `fusioncell relay`), drives Debian's /usr/bin/chromium with playwright-core, and checks:
// the canonical-bytes vectors of PROTOCOL.md §10 in the browser; login with key files; a
// moderated post held, approved, delivered; a hotline acknowledged; a reply threaded under its
// post; the clock paused from the CLI, with the hotline countdown standing still; an escalation
// kept in the mediator's queue until handled; a forged key refused at login. Screenshots of every page go to artifacts/ when a test
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

async function loggedIn(page, identity, role) {
  await page.waitForSelector("#console:not([hidden])");
  const who = await page.textContent("#whoami");
  assert(who.includes(identity) && who.includes(role), `whoami shows ${identity} (${role}): ${who}`);
  // Live, so that what follows is not backlog.
  await page.waitForFunction(() => window.fusioncell.state.live);
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
  writeFileSync(config, readFileSync(config, "utf8").replace("ack_seconds = 120", `ack_seconds = ${ACK_SECONDS}`));
  const { relay, addr, stderr } = await startRelay(["relay", "--config", join(dir, "cell.toml")]);
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
      // A read receipt from Syria shows under Israel's post.
      await released.locator("button", { hasText: "Mark read" }).click();
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
      // The evaluator records an observation on the approved post.
      const seq = await us.evaluate((t) => [...window.fusioncell.state.records.values()].find((e) => e.record.body === t).record.seq, held);
      await evaluator.fill("#observe-refs", String(seq));
      await evaluator.fill("#observe-text", "The mediator released intelligence within a minute.");
      await evaluator.click("#observe-form button[type=submit]");
      await selectChannel(evaluator, "");
      await itemOf(evaluator, "released intelligence").waitFor();
      assert(!(await seesRecord(israel, "The mediator released intelligence within a minute.")), "players never see observations");
      // The mediator redacts the inject; the text disappears from every page, the record stays.
      const inject = await us.evaluate(() => [...window.fusioncell.state.records.values()].find((e) => e.record.act.kind === "inject").record.seq);
      await us.fill("#redact-target", String(inject));
      await us.fill("#redact-reason", "wrong inject fired");
      await us.click("#redact-form button[type=submit]");
      await syria.locator(`#timeline li[data-seq="${inject}"] .body`, { hasText: "[redacted]" }).waitFor();
    });

    await test("control loads an exported scenario and fires an inject from the MSEL timeline", async () => {
      const exported = join(work, "paris-talks.json");
      cli(["scenario", "export", join(root, "config/scenarios/paris-talks.toml"), "--format", "json", "--out", exported]);
      const scenario = JSON.parse(readFileSync(exported, "utf8"));
      const first = scenario.injects.find((i) => i.id === "M1-01");
      assert(first && first.channel === "diplomacy" && first.notes, "the export has M1-01 with notes");
      await control.setInputFiles("#scenario-file", exported);
      const row = control.locator('#msel-body tr[data-inject="M1-01"]');
      await row.waitFor();
      assert((await control.locator("#msel-body tr").count()) === scenario.injects.length, "one row per inject");
      assert((await row.locator(".status").textContent()) === "pending", "M1-01 pending before it is fired");
      assert((await row.locator(".notes").textContent()).includes(first.notes), "controller notes shown to control");
      // The clock runs and M1-01's time has come (or is near): hold and release locally.
      await row.locator("button[data-hold]").click();
      await control.locator('#msel-body tr[data-inject="M1-01"][data-status="held"]').waitFor();
      await control.locator('#msel-body tr[data-inject="M1-01"] button[data-release]').click();
      await control.locator('#msel-body tr[data-inject="M1-01"][data-status="pending"]').waitFor();
      await control.locator('#msel-body tr[data-inject="M1-02"] button[data-skip]').click();
      await control.locator('#msel-body tr[data-inject="M1-02"][data-status="skipped"]').waitFor();
      // The row due at the scenario time is highlighted (the page's clock set to just after
      // M1-01's time; the relay's next state frame puts it back).
      await control.waitForFunction((at) => {
        const S = window.fusioncell.state;
        S.clock = { ...S.clock, phase: "paused", scenario_ms: (at + 10) * 1000 };
        return document.querySelector('#msel-body tr.due[data-inject="M1-01"]') !== null
          && document.querySelectorAll("#msel-body tr.due").length === 1;
      }, first.at_s);
      await control.locator('#msel-body tr[data-inject="M1-01"] button[data-fire]').click();
      await control.locator('#msel-body tr[data-inject="M1-01"][data-status="fired"]').waitFor();
      await selectChannel(syria, "diplomacy");
      const shown = itemOf(syria, first.title);
      await shown.locator(".verified").waitFor();
      const body = await syria.evaluate((id) => [...window.fusioncell.state.records.values()]
        .map((e) => e.record).find((r) => r.act.kind === "inject" && JSON.parse(r.body ?? "{}").id === id)?.body, "M1-01");
      const parsed = JSON.parse(body);
      assert(Object.keys(parsed).join(",") === "id,phase,from,to,title,text,at_s", `inject body fields: ${body}`);
      assert(parsed.phase === "M1" && parsed.at_s === first.at_s && parsed.text === first.text, `inject body: ${body}`);
      assert(!body.includes(first.notes), "controller notes are never sent");
      assert(await syria.locator("#scenario-panel").isHidden(), "no scenario panel for a party");
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
        const viewer = await openConsole(browser, `https://${m[1]}`, "replay-syria");
        await login(viewer, keys("syria"), "syria");
        await loggedIn(viewer, "syria", "party");
        // The recording plays: syria's page receives what syria received live.
        await viewer.waitForFunction(() => window.fusioncell.state.records.size >= 5);
        const recorded = await viewer.evaluate(() => window.fusioncell.state.records.size);
        log(`     ${recorded} records played back to syria's page`);
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
        await loggedIn(page, "syria", "party");
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
