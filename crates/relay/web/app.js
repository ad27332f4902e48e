// The fusioncell browser console: login with a key file, then the views of each role.
// Protocol: PROTOCOL.md (fusioncell/v1). Every act is signed here with canonical.js.
import * as C from "./canonical.js";
import { describe } from "./describe.js";
import * as K from "./clock.js";
import { el } from "./dom.js";
import { AutoReceipts, pageIsRead, receiptInterval, wantsReceipt } from "./receipts.js";
import { Evaluation } from "./evaluate.js";
import { MselView } from "./msel-view.js";
import { Replay } from "./playback.js";
import { showMarking } from "./marking.js";
import { forgetLogin, keepLogin, keptLogin } from "./keystore.js";

const PROTOCOL = "fusioncell/v1";
const $ = (id) => document.getElementById(id);
// Closes after which the page reconnects and resumes (PROTOCOL.md §3.5); others are final.
const FINAL_CLOSES = new Set([1000, 1002, 1003, 1007, 1009, 4000, 4001, 4003, 4008, 4010]);
const WITNESS_ROLES = new Set(["party", "mediator"]);
const READS_ALL = new Set(["mediator", "control", "evaluator"]);
const CELL_EVENTS = ""; // the pseudo-channel of records without a channel
// Kinds that are messages on a channel, and may be answered with a `reply` (PROTOCOL.md §5.1).
const REPLIABLE = new Set(["post", "reply", "inject"]);
const MAX_INDENT = 4; // deeper replies are indented no further

const S = {
  key: null, // CryptoKey (Ed25519, sign only, not extractable)
  identity: "",
  policies: new Map(), // channel → {policy, ack_seconds, title}
  cell: null,
  cellName: null, // the cell's display name, from /cell.json
  readReceipts: "auto", // the cell's `read_receipts`, from /cell.json
  autoReceipts: null, // AutoReceipts, once /cell.json said the rate limit
  relayKeyHex: null, // pinned at the first challenge
  relayKey: null,
  ws: null,
  loggedIn: false, // this connection got its welcome
  everLoggedIn: false,
  role: null,
  channels: [], // [{id, write}]
  identities: new Map(), // id → {role, public_key, key: Promise<CryptoKey>}
  directory: null, // the welcome's digest of `identities`, named at the next login
  nextSeq: 1,
  unacked: new Map(), // act seq → {frame, what}
  lastDelivered: -1,
  records: new Map(), // cell seq → entry
  timelines: new Map(), // channel ("" for cell events) → [cell seq]
  unread: new Map(),
  // channel → the highest record this identity has had open there, kept in this browser's
  // localStorage, so that unread counts survive a reload.
  seen: new Map(),
  selected: null,
  held: new Map(), // seq → entry (mediator: to decide; party: own, awaiting)
  hotline: new Map(), // seq → entry
  online: [], // identities with a logged-in session (the relay's `presence`)
  epoch: 0,
  clock: null,
  // The clock folded from every clock record in journal order: it places each hotline
  // deadline (clock.js). Once live it is the announced clock.
  history: K.initialClock(),
  offset: 0, // relay clock − local clock, ms
  haltReason: null,
  lastCheckpoint: null,
  cosigned: 0,
  fork: null,
  live: false,
  everLive: false, // backlog before the first live is history, not unread
  reasons: new Map(), // held seq → reject reason being typed
  // The mediator's queue: escalate seq → its entry, until this mediator's read receipt for it
  // (journaled, so a reload or a second tab sees the same queue).
  escalated: new Map(),
  replyTo: null, // the cell seq the compose box answers (a `reply`), or null for a post
  attempt: 0,
  queue: Promise.resolve(),
};

// ------------------------------------------------------------------------------------------
// Small helpers.

function hms(ms) {
  const d = new Date(ms);
  return d.toISOString().slice(11, 19) + "Z";
}

function scenarioHms(ms) {
  const s = Math.floor(ms / 1000);
  const pad = (n) => String(n).padStart(2, "0");
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
}

function relayNow() {
  return Date.now() + S.offset;
}

function activity(text, bad = false) {
  const list = $("activity");
  list.prepend(el("li", { class: bad ? "bad" : null }, `${hms(relayNow())} ${text}`));
  while (list.children.length > 60) list.lastChild.remove();
}

function parse(body) {
  try {
    return JSON.parse(body);
  } catch {
    return null;
  }
}

function policyOf(channel) {
  return S.policies.get(channel)?.policy ?? null;
}

function isParty(id) {
  return S.identities.get(id)?.role === "party";
}

function writes(channel) {
  return S.channels.some((c) => c.id === channel && c.write);
}

function setConn(text, ok) {
  const c = $("conn");
  c.textContent = text;
  c.className = `conn ${ok ? "ok" : "down"}`;
}

// ------------------------------------------------------------------------------------------
// Login.

async function loadCellInfo() {
  try {
    const res = await fetch("cell.json", { cache: "no-store" });
    const info = await res.json();
    S.cellName = info.name ?? info.cell;
    S.readReceipts = info.read_receipts ?? "auto";
    S.autoReceipts = new AutoReceipts(
      (body, seqs) => act("receipt", null, JSON.stringify(body), `read receipt ${seqs.map((s) => `#${s}`).join(", ")}`),
      receiptInterval(info.acts_per_minute),
    );
    showMarking(info.marking);
    $("cell-name").textContent = `${S.cellName} (cell ${info.cell})`;
    for (const ch of info.channels) S.policies.set(ch.id, ch);
  } catch {
    $("cell-name").textContent = "cell information unavailable";
  }
}

/** Where this browser keeps what `identity` has seen of this cell (unread counts). */
function seenKey(identity) {
  return `fusioncell:seen:${S.cell}:${identity}`;
}

function loadSeen(identity) {
  try {
    return new Map(Object.entries(JSON.parse(localStorage.getItem(seenKey(identity)) ?? "{}")));
  } catch {
    return new Map();
  }
}

function saveSeen() {
  try {
    localStorage.setItem(seenKey(S.identity), JSON.stringify(Object.fromEntries(S.seen)));
  } catch {
    // Storage may be disabled: unread counts then start afresh on a reload.
  }
}

function loginError(text) {
  const e = $("login-error");
  e.textContent = text;
  e.hidden = false;
  $("login-button").disabled = false;
}

async function onLogin(ev) {
  ev.preventDefault();
  $("login-error").hidden = true;
  const file = $("key-file").files[0];
  const identity = $("identity").value.trim();
  if (!file) return loginError("Choose your private key file.");
  if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(identity)) {
    return loginError("An identity is 1–64 characters: lowercase letters, digits, - and _.");
  }
  $("login-button").disabled = true;
  try {
    const der = C.pkcs8FromPem(await file.text());
    S.key = await C.importPrivateKey(der);
    der.fill(0);
  } catch (e) {
    return loginError(`This key file cannot be used: ${e.message}`);
  }
  S.identity = identity;
  S.keep = $("keep-login").checked;
  connect();
}

function onKeyChosen() {
  // A key file named after its identity (keys/israel.key) fills in the identity.
  const f = $("key-file").files[0];
  const m = f && /^([a-z0-9][a-z0-9_-]{0,63})\.(key|pem)$/.exec(f.name);
  if (m && !$("identity").value) $("identity").value = m[1];
}

// ------------------------------------------------------------------------------------------
// The connection.

function connect() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  S.loggedIn = false;
  S.live = false;
  setConn(S.everLoggedIn ? "reconnecting…" : "connecting…", false);
  let ws;
  try {
    // The page's folder: `/` on a relay of one cell, `/cells/<id>/` on a relay of several;
    // this page's cell answers the WebSocket there, as it serves cell.json.
    const folder = location.pathname.slice(0, location.pathname.lastIndexOf("/") + 1);
    ws = new WebSocket(`${scheme}//${location.host}${folder}`);
  } catch (e) {
    return loginError(`Cannot open a connection: ${e.message}`);
  }
  S.ws = ws;
  ws.onmessage = (m) => {
    S.queue = S.queue.then(() => onFrame(ws, m.data)).catch((e) => {
      console.error(e);
      activity(`error: ${e.message}`, true);
    });
  };
  ws.onclose = (ev) => {
    S.queue = S.queue.then(() => onClose(ws, ev));
  };
}

function send(obj) {
  if (S.ws && S.ws.readyState === WebSocket.OPEN) S.ws.send(JSON.stringify(obj));
}

async function onClose(ws, ev) {
  if (ws !== S.ws) return;
  const wasIn = S.loggedIn;
  S.loggedIn = false;
  S.ws = null;
  const reason = ev.reason || "";
  if (!S.everLoggedIn) {
    S.key = null;
    if (S.kept) {
      // A kept key the relay does not take (rotated, or another cell now): forgotten.
      S.kept = false;
      await forgetLogin().catch(() => {});
    }
    if (ev.code === 4001 || ev.code === 4000) {
      return loginError(
        `The relay refused the login as “${S.identity}”: ${reason || "unauthenticated"}. ` +
          "Check that the key file is this identity's own key.",
      );
    }
    return loginError(
      `Could not log in: the connection to the relay closed (${ev.code}${reason ? `: ${reason}` : ""}). ` +
        "Is the relay running, and does it admit this page's address?",
    );
  }
  setConn(`disconnected (${ev.code}${reason ? `: ${reason}` : ""})`, false);
  if (FINAL_CLOSES.has(ev.code)) {
    alarm(`The session ended (${ev.code}${reason ? `: ${reason}` : ""}). Reload the page to log in again.`);
    return;
  }
  const delay = Math.min(10000, 500 * 2 ** Math.min(S.attempt, 5)) * (0.75 + Math.random() / 2);
  S.attempt += 1;
  activity(`connection lost${wasIn ? "" : " before login"} (${ev.code}); retrying in ${Math.round(delay / 100) / 10}s`, true);
  setTimeout(connect, delay);
}

async function onFrame(ws, text) {
  if (ws !== S.ws) return;
  const f = parse(text);
  if (!f || typeof f.type !== "string") return;
  switch (f.type) {
    case "challenge":
      return onChallenge(f);
    case "welcome":
      return onWelcome(f);
    case "state":
      return onState(f);
    case "scenario":
      evaluation.setScenario(f.scenario);
      return msel.setScenario(f.scenario);
    case "recording":
      return replay.start(f);
    case "presence":
      // The first after login is the whole set; later ones (we ask for "changes") say who
      // came and went (PROTOCOL.md §4.2).
      if (Array.isArray(f.online)) S.online = f.online;
      else {
        const left = new Set(f.left ?? []);
        S.online = [...new Set([...S.online, ...(f.joined ?? [])])].filter((id) => !left.has(id)).sort();
      }
      return renderOnline();
    case "ack":
      return onAck(f);
    case "error":
      return onError(f);
    case "deliver":
      return replay.active ? replay.receive(f) : onDeliver(f);
    case "live":
      S.live = true;
      // A channel never opened in this browser: its history is not unread.
      if (!S.everLive) {
        for (const id of [...S.timelines.keys(), ...S.channels.map((c) => c.id)]) {
          if (!S.seen.has(id)) S.seen.set(id, f.size - 1);
        }
        saveSeen();
      }
      S.everLive = true;
      // A backlog without a clock record placed nothing on the clock: the announced one is the best known.
      if (S.history.since_ms === 0 && S.clock) S.history = S.clock;
      activity(`live: the journal has ${f.size} records`);
      autoReceipt();
      return;
    case "checkpoint":
      return onCheckpoint(f);
  }
}

async function onChallenge(f) {
  if (f.protocol !== PROTOCOL) {
    S.ws.close(1000);
    return alarm(`The relay speaks ${f.protocol}, not ${PROTOCOL}.`);
  }
  if (S.relayKeyHex && (f.relay_key !== S.relayKeyHex || f.cell !== S.cell)) {
    // The relay this session trusted was replaced: never sign for another one.
    S.ws.close(1000);
    return alarm("The relay's key or cell changed since login: not logging in again. Reload to start over.");
  }
  const bytes = C.loginBytes(f.cell, f.nonce, f.relay_key, S.identity);
  const sig = C.toBase64(await C.sign(S.key, bytes));
  S.pendingChallenge = f;
  // On a reconnect, name the directory already held: the welcome then leaves it out.
  send({ type: "login", identity: S.identity, sig, ...(S.directory ? { directory: S.directory } : {}), presence: "changes" });
}

async function onWelcome(w) {
  const first = !S.everLoggedIn;
  const ch = S.pendingChallenge;
  S.cell = ch.cell;
  if (first && S.keep) {
    keepLogin(w.identity, ch.cell, S.key)
      .then(() => activity("login key kept in this browser until you log out"))
      .catch((e) => activity(`the login key could not be kept: ${e.message}`, true));
  }
  if (first) S.seen = loadSeen(w.identity);
  if (!S.relayKeyHex) {
    S.relayKeyHex = ch.relay_key;
    S.relayKey = C.importPublicKey(ch.relay_key);
  }
  S.loggedIn = true;
  S.everLoggedIn = true;
  S.attempt = 0;
  S.role = w.role;
  S.channels = w.channels;
  // Absent when the login named the directory this browser holds.
  for (const i of w.identities ?? []) {
    const known = S.identities.get(i.id);
    if (!known || known.public_key !== i.public_key) {
      S.identities.set(i.id, { role: i.role, public_key: i.public_key, key: C.importPublicKey(i.public_key) });
    }
  }
  if (w.identities) S.directory = w.directory;
  S.nextSeq = Math.max(S.nextSeq, w.last_seq + 1);
  setConn(`connected as ${w.identity} · session ${w.session}`, true);
  if (first) buildConsole(w);
  else activity(`reconnected (session ${w.session}); resuming from #${S.lastDelivered + 1}`);
  send({ type: "subscribe", from: S.lastDelivered + 1 });
  // Unacknowledged acts go again, unchanged: the relay answers an exact retry with its original ack.
  for (const seq of [...S.unacked.keys()].sort((a, b) => a - b)) send(S.unacked.get(seq).frame);
  renderChannels();
}

function onState(f) {
  if (replay.active) return; // a replay keeps its own playhead (playback.js)
  S.epoch = f.epoch;
  S.offset = f.now - Date.now();
  const before = S.clock;
  S.clock = f.clock;
  if (S.live) S.history = f.clock;
  if (before && (before.phase !== f.clock.phase || before.halted !== f.clock.halted)) {
    activity(`clock: ${f.clock.halted ? "HALTED" : f.clock.phase.replace("_", " ")}`);
  }
  renderClock();
}

function onAck(f) {
  const pending = S.unacked.get(f.seq);
  if (!pending) return;
  S.unacked.delete(f.seq);
  if (pending.what) activity(`ok: #${f.cell_seq} (${pending.what})`);
}

async function onError(f) {
  const pending = f.seq !== undefined ? S.unacked.get(f.seq) : null;
  if (f.code === "rate_limited" && pending) {
    activity(`rate limited; resending ${pending.what || "act"} shortly`, true);
    setTimeout(() => S.unacked.has(f.seq) && S.loggedIn && send(pending.frame), 3000);
    return;
  }
  if (pending) S.unacked.delete(f.seq);
  if (pending && f.code === "renumber") {
    // Another session of this identity used the number; the act was not accepted: sign it
    // again above the relay's mark (PROTOCOL.md §3.2).
    S.nextSeq = Math.max(S.nextSeq, (Number.isInteger(f.last_seq) ? f.last_seq : f.seq) + 1);
    const p = pending.params;
    await act(p.kind, p.channel, p.body, p.what, p.onError);
    return;
  }
  const what = pending?.what ? ` (${pending.what})` : "";
  // A repeated cosignature (another session of this identity got there first) is not news.
  if (pending?.kind === "cosign" && f.code === "conflict") return;
  activity(`refused (${f.code}): ${f.reason}${what}`, true);
  if (pending?.onError) pending.onError(f);
}

// ------------------------------------------------------------------------------------------
// Acts.

async function act(kind, channel, body, what, onError) {
  const seq = S.nextSeq++;
  const { frame } = await C.signedAct(S.key, {
    kind, cell: S.cell, channel, actor: S.identity, seq, ts: relayNow(), body,
  });
  S.unacked.set(seq, { frame, what, kind, onError, params: { kind, channel, body, what, onError } });
  if (S.loggedIn) send(frame);
  else activity(`queued (offline): ${what || kind}`);
  return seq;
}

async function decide(entry, reason) {
  const digest = C.toHex(await C.sha256(C.actBytes(entry.record.act)));
  const body = { target: entry.record.seq, target_digest: digest, epoch: S.epoch };
  if (reason !== undefined) body.reason = reason;
  const verb = reason === undefined ? "approve" : "reject";
  await act(verb, entry.record.act.channel, JSON.stringify(body), `${verb} #${entry.record.seq}`);
}

function clockAct(action, extra = {}) {
  return act("clock", null, JSON.stringify({ action, ...extra }), `clock ${action}`);
}

// ------------------------------------------------------------------------------------------
// Records.

function keyOf(actor) {
  if (actor === "relay") return S.relayKey;
  return S.identities.get(actor)?.key ?? null;
}

async function onDeliver(f) {
  const r = f.record;
  if (r.seq <= S.lastDelivered) return; // resumed past it already: no duplicates
  S.lastDelivered = r.seq;
  if (f.released) await ingest(f.released, r.seq);
  await ingest(r, null);
  render();
}

/** Forgets every record: a replay seeking back shows the recording again from its start. */
function resetRecords() {
  for (const m of [S.records, S.timelines, S.unread, S.held, S.hotline, S.escalated]) m.clear();
  S.lastDelivered = -1;
  S.history = K.initialClock();
  S.haltReason = null;
  S.replyTo = null;
}

async function ingest(record, releasedBy) {
  let entry = S.records.get(record.seq);
  if (entry) {
    if (releasedBy !== null) entry.status = { text: `approved by #${releasedBy}`, cls: "ok" };
    S.held.delete(record.seq);
    return entry;
  }
  const verified = await C.verifyRecord(record, S.cell, keyOf);
  // Scenario time as of the record, from the journaled clock (as the transcript and the report stamp it).
  entry = { record, verified, status: null, receipts: [], acked: null, scenario: K.scenarioAt(S.history, record.ts) };
  S.records.set(record.seq, entry);
  const a = record.act;
  const channel = a.channel ?? CELL_EVENTS;
  const list = S.timelines.get(channel) ?? [];
  list.push(record.seq);
  if (releasedBy !== null) list.sort((x, y) => x - y);
  S.timelines.set(channel, list);
  const unseen = S.everLive || record.seq > (S.seen.get(channel) ?? Infinity);
  if (unseen && channel !== S.selected && a.actor !== S.identity) {
    S.unread.set(channel, (S.unread.get(channel) ?? 0) + 1);
  }
  if (!verified) activity(`record #${record.seq} does NOT verify`, true);
  const body = record.body === null ? null : parse(record.body);
  // A reply keeps its place in its thread even if its body is later redacted.
  if (a.kind === "reply" && Number.isInteger(body?.target)) entry.replyTo = body.target;
  switch (a.kind) {
    // Moderated and hotline channels treat a reply as a post (PROTOCOL.md §5.1).
    case "post":
    case "reply": {
      if (releasedBy !== null) {
        entry.status = { text: `approved by #${releasedBy}`, cls: "ok" };
      } else if (policyOf(a.channel) === "moderated" && isParty(a.actor)) {
        entry.status = S.role === "mediator"
          ? { text: "PENDING your decision", cls: "wait" }
          : { text: a.actor === S.identity ? "awaiting approval" : "held", cls: "wait" };
        S.held.set(record.seq, entry);
      }
      if (policyOf(a.channel) === "hotline" && isParty(a.actor)) {
        const policy = S.policies.get(a.channel);
        entry.due = K.dueOf(S.history, record.ts, policy.ack_seconds ?? 60, policy.ack_clock ?? "wall");
        entry.hot = true;
        S.hotline.set(record.seq, entry);
      }
      break;
    }
    case "approve":
    case "reject": {
      const target = body && S.records.get(body.target);
      S.held.delete(body?.target);
      if (target) {
        target.status = a.kind === "approve"
          ? { text: `approved by ${a.actor} (#${record.seq})`, cls: "ok" }
          : { text: `rejected by ${a.actor}: ${body.reason ?? "(no reason)"}`, cls: "bad" };
      }
      break;
    }
    case "ack": {
      const target = body && S.records.get(body.target);
      S.hotline.delete(body?.target);
      if (target) target.acked = { text: `acknowledged by ${a.actor}`, cls: "ok" };
      break;
    }
    case "escalate": {
      const target = body && S.records.get(body.target);
      S.hotline.delete(body?.target);
      if (target) target.acked = { text: "ESCALATED: not acknowledged in time", cls: "bad" };
      if (S.role === "mediator") S.escalated.set(record.seq, entry);
      break;
    }
    case "redact": {
      const target = body && S.records.get(body.target);
      if (target) target.record.body = null;
      break;
    }
    case "receipt": {
      for (const seq of body ? [body.target, ...(body.also ?? [])] : []) {
        const target = S.records.get(seq);
        if (a.actor === S.identity) {
          S.escalated.delete(seq);
          if (target && body.kind === "read") target.readSent = true;
        }
        if (target) target.receipts.push(`${body.kind} by ${a.actor}`);
      }
      break;
    }
    case "clock":
      if (body?.action === "halt") S.haltReason = body.reason ?? null;
      if (body) S.history = K.applyClock(S.history, body.action, record.ts, body.speed);
      break;
    case "grant":
    case "revoke":
      if (body?.identity === S.identity && !READS_ALL.has(S.role)) {
        const at = S.channels.findIndex((c) => c.id === body.channel);
        if (a.kind === "grant") {
          if (at < 0) S.channels.push({ id: body.channel, write: body.access === "member" });
          else if (body.access === "member") S.channels[at].write = true;
        } else if (at >= 0) S.channels.splice(at, 1);
        renderChannels();
      }
      break;
  }
  return entry;
}

// ------------------------------------------------------------------------------------------
// Checkpoints: verify, keep, cosign (witnesses).

async function onCheckpoint(cp) {
  const last = S.lastCheckpoint;
  let problem = null;
  if (cp.cell !== S.cell) problem = `a checkpoint of another cell (${cp.cell})`;
  else if (!(await C.verify(await S.relayKey, C.fromBase64(cp.sig), C.checkpointBytes(cp)))) {
    problem = `checkpoint of size ${cp.size} is not signed by the relay key`;
  } else if (last && cp.size < last.size) {
    problem = `rollback: checkpoint size ${cp.size} after ${last.size}`;
  } else if (last && cp.size === last.size && cp.root !== last.root) {
    problem = `fork: two roots for size ${cp.size}`;
  }
  if (problem) {
    S.fork = problem;
    alarm(`THE RELAY MISBEHAVES: ${problem}. Not cosigned. Tell exercise control.`);
    renderWitness();
    return;
  }
  S.lastCheckpoint = cp;
  if (WITNESS_ROLES.has(S.role) && cp.size > S.cosigned) {
    S.cosigned = cp.size;
    await act("cosign", null, JSON.stringify({ size: cp.size, root: cp.root }), null);
  }
  renderWitness();
}

// ------------------------------------------------------------------------------------------
// Rendering.

function alarm(text) {
  const a = $("alarm");
  a.textContent = text;
  a.hidden = false;
}

function buildConsole(w) {
  $("login").hidden = true;
  $("console").hidden = false;
  const me = $("whoami");
  me.hidden = false;
  $("logout").hidden = false;
  me.replaceChildren(w.identity, el("span", { class: "role" }, w.role),
    el("span", { class: "muted cell-name", title: `cell ${S.cell}` }, ` · ${S.cellName ?? S.cell}`));
  document.title = `${w.identity} (${w.role}) · fusioncell`;
  const role = w.role;
  $("panel-pending").hidden = role !== "mediator";
  $("panel-escalated").hidden = role !== "mediator";
  $("panel-awaiting").hidden = role !== "party";
  $("panel-control").hidden = !(role === "control" || role === "mediator");
  for (const e of document.querySelectorAll("[data-control]")) e.hidden = role !== "control";
  $("panel-observe").hidden = role !== "evaluator";
  $("panel-supervise").hidden = role !== "mediator";
  // Hotline messages concern whoever reads a hotline channel.
  $("panel-hotline").hidden = !w.channels.some((c) => policyOf(c.id) === "hotline");
  $("mute-identity").replaceChildren(
    ...[...S.identities].filter(([id]) => id !== w.identity).map(([id, i]) => el("option", { value: id }, `${id} (${i.role})`)),
  );
  $("mute-channel").replaceChildren(
    el("option", { value: "" }, "every channel"),
    ...w.channels.map((c) => el("option", { value: c.id }, `#${c.id}`)),
  );
  renderOnline();
  const first = w.channels.find((c) => c.write) ?? w.channels[0];
  select(first ? first.id : CELL_EVENTS);
  setInterval(tick, 1000);
}

function select(channel) {
  if (S.replyTo !== null && S.records.get(S.replyTo)?.record.act.channel !== channel) setReplyTo(null);
  S.selected = channel;
  S.unread.set(channel, 0);
  renderChannels();
  render();
  const canPost = !replay.active && channel !== CELL_EVENTS && writes(channel);
  $("compose").hidden = !canPost;
  const policy = policyOf(channel);
  const info = S.policies.get(channel);
  $("timeline-title").textContent = channel === CELL_EVENTS ? "Cell events" : `#${channel}${info?.title && info.title !== channel ? ` — ${info.title}` : ""}`;
  let note = "";
  if (replay.active) note = "Replay of a recorded exercise: read only.";
  else if (S.role === "observer") note = "Observer: read only.";
  else if (channel === CELL_EVENTS) note = "Records without a channel: clock, receipts, observations, cosignatures, relay events.";
  else if (!canPost) note = "Read only for you.";
  else if (policy === "moderated" && S.role === "party") note = "Moderated: your posts reach the others once the mediator approves them.";
  else if (policy === "hotline") note = `Hotline: a party's post must be acknowledged within ${info.ack_seconds ?? 60}s.`;
  $("compose-note").textContent = note;
}

function channelButton(id, label, policy) {
  const n = S.unread.get(id) ?? 0;
  return el("li", {},
    el("button", {
      type: "button",
      "data-channel": id,
      "aria-current": S.selected === id ? "true" : "false",
      onclick: () => select(id),
    },
    el("span", {}, label, policy ? el("span", { class: "policy" }, ` ${policy}`) : null),
    n > 0 ? el("span", { class: "unread", "aria-label": `${n} unread` }, n) : null));
}

function renderChannels() {
  const items = S.channels.map((c) => {
    const p = policyOf(c.id);
    const label = `#${c.id}`;
    return channelButton(c.id, label, `${p && p !== "open" ? p : ""}${c.write ? "" : " ro"}`.trim());
  });
  items.push(channelButton(CELL_EVENTS, "Cell events", ""));
  $("channel-list").replaceChildren(...items);
  const sel = $("inject-channel");
  if (sel && sel.options.length !== S.channels.length) {
    sel.replaceChildren(...S.channels.map((c) => el("option", { value: c.id }, `#${c.id}`)));
  }
}

function statusBadge(s) {
  return s ? el("span", { class: `badge ${s.cls}` }, s.text) : null;
}

/** Whole seconds left on a hotline post's deadline (0 or less: passed). */
function secondsLeft(entry) {
  return Math.ceil(K.remainingMs(entry.due, S.history, relayNow()) / 1000);
}

/** A hotline post's countdown in words: `N s left`, standing still while play does. */
function countdownText(entry) {
  const left = secondsLeft(entry);
  if (left <= 0) return "deadline passed";
  return K.counting(entry.due, S.history) ? `${left}s left` : `${left}s left (stopped while play is)`;
}

function hotlineState(entry) {
  if (!entry.hot) return null;
  if (entry.acked) return entry.acked;
  if (secondsLeft(entry) <= 0) return { text: "HOTLINE — deadline passed", cls: "bad" };
  return { text: `HOTLINE — ack due: ${countdownText(entry)}`, cls: "hot" };
}

function canAck(entry) {
  const a = entry.record.act;
  return S.role === "party" && a.actor !== S.identity && writes(a.channel) && !entry.acked;
}

/** Whether this page may answer `entry` with a `reply`: a post, reply or inject of a channel it
 * writes, once the others can see it (not while held). The relay decides again. */
function canReply(entry) {
  const a = entry.record.act;
  return REPLIABLE.has(a.kind) && a.channel && writes(a.channel) && !S.held.has(entry.record.seq);
}

/** `depth`: how many replies deep this record sits in its thread (0: not a threaded reply). */
function item(entry, depth = 0) {
  const r = entry.record;
  const a = r.act;
  const mark = entry.verified
    ? el("span", { class: "verified", title: "signature and body hash verified in this browser" }, "✓ verified")
    : el("span", { class: "unverified" }, "✗ UNVERIFIED");
  const classes = [];
  if (S.held.has(r.seq)) classes.push("held");
  if (entry.status?.cls === "bad") classes.push("rejected");
  if (entry.hot && !entry.acked) classes.push("hot");
  if (!REPLIABLE.has(a.kind)) classes.push("system");
  if (depth > 0) classes.push("reply", `depth-${Math.min(depth, MAX_INDENT)}`);
  if (S.replyTo === r.seq) classes.push("replying-to");
  const actions = [];
  if (S.role === "mediator" && S.held.has(r.seq)) actions.push(...decisionControls(entry));
  if (entry.hot && S.hotline.has(r.seq) && canAck(entry)) {
    actions.push(el("button", { type: "button", class: "primary", "data-ack": r.seq, onclick: () => ackHotline(entry) }, "Acknowledge"));
  }
  if ((a.kind === "post" || a.kind === "reply") && a.actor !== S.identity && S.role === "party" && !entry.readSent && S.readReceipts === "manual") {
    actions.push(el("button", { type: "button", onclick: () => readReceipt(entry) }, "Mark read"));
  }
  const reply = canReply(entry)
    ? el("button", {
      type: "button",
      class: "reply-button",
      "data-reply": r.seq,
      title: `Reply to #${r.seq}`,
      "aria-label": `Reply to #${r.seq}`,
      onclick: () => setReplyTo(r.seq),
    }, "↩ Reply")
    : null;
  return el("li", { class: classes.join(" "), "data-seq": r.seq, "data-reply-to": depth > 0 ? entry.replyTo : null },
    el("div", { class: "meta" },
      el("span", {}, `#${r.seq}`),
      el("span", { class: "stamp", title: `relay time ${hms(r.ts)}` }, `[${scenarioHms(entry.scenario)}]`),
      el("span", { class: "sender" }, a.actor),
      a.kind !== "post" ? el("span", { class: "badge" }, a.kind) : null,
      mark,
      statusBadge(entry.status),
      entry.hot ? el("span", { class: `badge ${hotlineState(entry).cls}`, "data-hot": r.seq }, hotlineState(entry).text) : null,
      reply,
      S.role === "evaluator" ? evaluation.button(r.seq) : null),
    el("div", { class: "body" }, describe(entry.record)),
    entry.receipts.length ? el("div", { class: "receipts" }, entry.receipts.join(" · ")) : null,
    actions.length ? el("div", { class: "actions" }, actions) : null);
}

/** Where the keyboard focus is, so that a re-render can put it back. */
function focusKey() {
  const a = document.activeElement;
  if (!a || a === document.body) return null;
  const holder = a.closest("[data-seq]");
  const pane = a.closest("#timeline, #pending-list, #awaiting-list, #hotline-list");
  if (!holder || !pane) return null;
  return { pane: pane.id, seq: holder.dataset.seq, tag: a.tagName, text: a.textContent };
}

function restoreFocus(k) {
  if (!k) return;
  const holder = document.querySelector(`#${k.pane} [data-seq="${k.seq}"]`);
  if (!holder) return;
  for (const e of holder.querySelectorAll("button, input")) {
    if (e.tagName === k.tag && (e.tagName === "INPUT" || e.textContent === k.text)) {
      e.focus();
      return;
    }
  }
}

/**
 * The records of one timeline in thread order: each reply right under the record it answers
 * (after that record's earlier replies), with its depth; a record that answers nothing shown
 * here (a post, or a reply whose target is not in this view) starts a thread of its own.
 * `seqs` are in cell order, and a reply always comes after its target, so this is a forest.
 */
function threaded(seqs) {
  const shown = new Set(seqs);
  const replies = new Map(); // target seq → [reply seq], in cell order
  const roots = [];
  for (const s of seqs) {
    const target = S.records.get(s).replyTo;
    if (target !== undefined && target < s && shown.has(target)) {
      if (!replies.has(target)) replies.set(target, []);
      replies.get(target).push(s);
    } else {
      roots.push(s);
    }
  }
  const out = [];
  const stack = roots.reverse().map((s) => [s, 0]);
  while (stack.length) {
    const [s, depth] = stack.pop();
    out.push([s, depth]);
    for (const r of [...(replies.get(s) ?? [])].reverse()) stack.push([r, depth + 1]);
  }
  return out;
}

function render() {
  if (S.selected === null) return;
  const focus = focusKey();
  const tl = $("timeline");
  const atBottom = tl.scrollHeight - tl.scrollTop - tl.clientHeight < 40;
  const seqs = (S.timelines.get(S.selected) ?? []).slice(-500);
  tl.replaceChildren(...threaded(seqs).map(([s, depth]) => item(S.records.get(s), depth)));
  if (atBottom) tl.scrollTop = tl.scrollHeight;
  S.unread.set(S.selected, 0);
  if (seqs.length && seqs[seqs.length - 1] > (S.seen.get(S.selected) ?? -1)) {
    S.seen.set(S.selected, seqs[seqs.length - 1]);
    saveSeen();
  }
  renderChannels();
  renderPanels();
  msel.update();
  restoreFocus(focus);
  autoReceipt(seqs);
}

/** Receipts what this page shows in the open channel, when a person can be reading it (receipts.js). */
function autoReceipt(seqs = (S.timelines.get(S.selected) ?? []).slice(-500)) {
  if (S.readReceipts !== "auto" || !S.autoReceipts || S.role !== "party" || !S.live || !pageIsRead()) return;
  const shown = seqs.map((s) => S.records.get(s)).filter((e) => e && wantsReceipt(e, S.identity) && !S.held.has(e.record.seq));
  for (const e of shown) e.readSent = true;
  S.autoReceipts.add(shown.map((e) => e.record.seq));
}

/** The mediator's decision on a held post: Approve, or Reject with a reason typed beside it.
 * The same controls in the queue and in the timeline; the reason being typed is kept per post. */
function decisionControls(entry) {
  const seq = entry.record.seq;
  const reason = el("input", {
    type: "text",
    placeholder: "reason for rejecting",
    "aria-label": `reason for rejecting #${seq}`,
    "data-reason": seq,
    oninput: (ev) => S.reasons.set(seq, ev.target.value),
  });
  reason.value = S.reasons.get(seq) ?? "";
  return [
    el("button", { type: "button", class: "primary", "data-approve": seq, onclick: () => decide(entry) }, "Approve"),
    reason,
    el("button", {
      type: "button",
      "data-reject": seq,
      onclick: () => {
        if (!reason.value.trim()) { reason.focus(); reason.placeholder = "a reason is required"; return; }
        decide(entry, reason.value.trim());
      },
    }, "Reject"),
  ];
}

function renderPanels() {
  const pending = [...S.held.values()];
  if (S.role === "mediator") {
    $("pending-count").textContent = pending.length;
    $("pending-list").replaceChildren(...pending.map((e) =>
      el("li", { "data-seq": e.record.seq },
        el("div", { class: "meta" }, el("span", {}, `#${e.record.seq}`), el("span", { class: "sender" }, e.record.act.actor), el("span", {}, `→ #${e.record.act.channel}`)),
        el("div", { class: "body" }, describe(e.record)),
        el("div", { class: "actions" }, ...decisionControls(e)))));
  } else if (S.role === "party") {
    const mine = pending.filter((e) => e.record.act.actor === S.identity);
    $("awaiting-list").replaceChildren(...(mine.length ? mine.map((e) =>
      el("li", { "data-seq": e.record.seq },
        el("div", { class: "meta" }, el("span", {}, `#${e.record.seq}`), el("span", {}, `#${e.record.act.channel}`), el("span", { class: "badge wait" }, "awaiting approval")),
        el("div", { class: "body" }, describe(e.record)))) : [el("li", { class: "muted" }, "none")]));
  }
  if (S.role === "mediator") {
    const escalated = [...S.escalated.values()];
    $("escalated-count").textContent = escalated.length;
    $("escalated-list").replaceChildren(...(escalated.length ? escalated.map((e) => {
      const body = parse(e.record.body) ?? {};
      const post = S.records.get(body.target);
      return el("li", { "data-seq": e.record.seq, "data-escalated": body.target },
        el("div", { class: "meta" }, el("span", {}, `#${body.target}`), el("span", { class: "sender" }, body.sender ?? ""), el("span", {}, `#${e.record.act.channel}`), el("span", { class: "badge bad" }, "ESCALATED")),
        el("div", { class: "body" }, post ? describe(post.record) : describe(e.record)),
        el("div", { class: "actions" },
          el("span", { class: "muted small" }, `not acknowledged within ${body.ack_seconds ?? "?"}s`),
          el("button", { type: "button", class: "primary", "data-handled": e.record.seq, onclick: () => readReceipt(e) }, "Handled")));
    }) : [el("li", { class: "muted" }, "no escalation waiting")]));
  }
  const hot = [...S.hotline.values()];
  $("hotline-count").textContent = hot.length;
  $("hotline-list").replaceChildren(...(hot.length ? hot.map((e) => {
    return el("li", { "data-seq": e.record.seq },
      el("div", { class: "meta" }, el("span", {}, `#${e.record.seq}`), el("span", { class: "sender" }, e.record.act.actor), el("span", {}, `#${e.record.act.channel}`)),
      el("div", { class: "body" }, describe(e.record)),
      el("div", { class: "actions" },
        el("span", { class: "countdown", "data-countdown": e.record.seq }, countdownText(e)),
        canAck(e) ? el("button", { type: "button", class: "primary", "data-ack": e.record.seq, onclick: () => ackHotline(e) }, "Acknowledge") : null));
  }) : [el("li", { class: "muted" }, "nothing awaiting acknowledgement")]));
}

function renderOnline() {
  const list = $("online-list");
  if (!list) return;
  $("online-count").textContent = S.online.length;
  list.replaceChildren(...(S.online.length
    ? S.online.map((id) => {
      const role = S.identities.get(id)?.role ?? "?";
      const me = id === S.identity;
      return el("li", { class: me ? "me" : null, "data-online": id }, `${id} · ${role}${me ? " (you)" : ""}`);
    })
    : [el("li", { class: "muted" }, "not known yet")]));
}

function renderWitness() {
  const w = $("witness");
  if (S.fork) {
    w.textContent = S.fork;
    w.className = "small error";
    return;
  }
  const cp = S.lastCheckpoint;
  if (!cp) return;
  const role = WITNESS_ROLES.has(S.role) ? `cosigned up to ${S.cosigned}` : "not a witness";
  w.textContent = `checkpoint: ${cp.size} records, root ${cp.root.slice(0, 16)}…, relay signature ✓, ${role}`;
}

function renderClock() {
  const c = S.clock;
  if (!c) return;
  const banner = $("clock");
  const halt = $("halt");
  banner.hidden = false;
  const t = scenarioHms(K.scenarioAt(c, relayNow()));
  const words = {
    not_started: "EXERCISE NOT STARTED",
    running: `EXERCISE RUNNING ×${c.speed} · scenario ${t}`,
    paused: `EXERCISE PAUSED · scenario ${t}`,
    ended: `EXERCISE ENDED (ENDEX) · scenario ${t}`,
  };
  banner.textContent = words[c.phase] ?? c.phase;
  banner.className = `clock ${c.phase}`;
  banner.dataset.phase = c.halted ? "halted" : c.phase;
  if (c.halted) {
    halt.hidden = false;
    halt.textContent = `⚠ REAL-WORLD EMERGENCY — PLAY HALTED${S.haltReason ? `: ${S.haltReason}` : ""} ⚠`;
  } else {
    halt.hidden = true;
  }
  // The speed is set at STARTEX: once started, the field shows the clock's own.
  const speed = $("clock-speed");
  if (speed && c.phase !== "not_started") {
    speed.value = c.speed;
    speed.disabled = true;
    speed.title = "the clock's speed, set at STARTEX";
  }
  // The relay's rule (PROTOCOL.md §3.3): parties post while play is on, before STARTEX and while running.
  const stopped = c.phase === "paused" || c.phase === "ended" || c.halted;
  $("compose-text").placeholder = S.role === "party" && stopped
    ? `Play is ${c.halted ? "halted" : c.phase}: parties cannot post now`
    : "Message (Enter sends, Shift+Enter: new line)";
}

function tick() {
  renderClock();
  msel.tick();
  for (const e of document.querySelectorAll(".countdown[data-countdown]")) {
    const entry = S.hotline.get(Number(e.dataset.countdown));
    if (entry) e.textContent = countdownText(entry);
  }
  for (const b of document.querySelectorAll("#timeline [data-hot]")) {
    const entry = S.records.get(Number(b.dataset.hot));
    if (!entry) continue;
    const st = hotlineState(entry);
    b.textContent = st.text;
    b.className = `badge ${st.cls}`;
  }
}

// ------------------------------------------------------------------------------------------
// Control: scenario time now.

function scenarioMs() {
  return S.clock ? K.scenarioAt(S.clock, relayNow()) : 0;
}

// ------------------------------------------------------------------------------------------
// User actions.

async function ackHotline(entry) {
  await act("ack", entry.record.act.channel, JSON.stringify({ target: entry.record.seq }), `ack #${entry.record.seq}`);
}

async function readReceipt(entry) {
  entry.readSent = true;
  render();
  await act("receipt", null, JSON.stringify({ target: entry.record.seq, kind: "read" }), `read receipt #${entry.record.seq}`);
}

/** Puts the compose box in reply mode for record `seq` (null: back to a plain post). */
function setReplyTo(seq) {
  S.replyTo = seq;
  const bar = $("compose-reply");
  const entry = seq === null ? null : S.records.get(seq);
  if (!entry) {
    S.replyTo = null;
    bar.hidden = true;
  } else {
    const line = describe(entry.record);
    const short = line.length > 90 ? `${line.slice(0, 89)}…` : line;
    $("compose-reply-to").replaceChildren(
      `↩ Replying to #${seq} `,
      el("span", { class: "sender" }, entry.record.act.actor),
      `: ${short}`,
    );
    bar.hidden = false;
    $("compose-text").focus();
  }
  render();
}

async function onCompose(ev) {
  ev.preventDefault();
  const text = $("compose-text").value;
  if (!text.trim() || !S.selected) return;
  const channel = S.selected;
  const target = S.replyTo;
  $("compose-text").value = "";
  const refused = (err) => {
    if (err.code === "paused") activity("the exercise is paused: parties cannot post now", true);
    // The refused text is not lost: back into the box if the user has not typed since.
    if (!$("compose-text").value && S.selected === channel) {
      $("compose-text").value = text;
      if (target !== null && S.replyTo === null) setReplyTo(target);
    }
  };
  if (target === null) {
    await act("post", channel, text, `post to #${channel}`, refused);
    return;
  }
  setReplyTo(null);
  await act("reply", channel, JSON.stringify({ target, text }), `reply to #${target} on #${channel}`, refused);
}

function wire() {
  $("login-form").addEventListener("submit", onLogin);
  $("logout").addEventListener("click", logOut);
  $("key-file").addEventListener("change", onKeyChosen);
  $("compose").addEventListener("submit", onCompose);
  $("compose-text").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $("compose").requestSubmit();
    } else if (e.key === "Escape" && S.replyTo !== null) {
      e.preventDefault();
      setReplyTo(null);
    }
  });
  $("compose-reply-cancel").addEventListener("click", () => {
    setReplyTo(null);
    $("compose-text").focus();
  });
  $("clock-start").addEventListener("click", () => {
    const speed = Math.max(1, Math.floor(Number($("clock-speed").value) || 1));
    clockAct("start", speed > 1 ? { speed } : {});
  });
  $("clock-pause").addEventListener("click", () => clockAct("pause"));
  $("clock-resume").addEventListener("click", () => clockAct("resume"));
  $("clock-end").addEventListener("click", () => {
    if (confirm("End the exercise (ENDEX)? This cannot be undone.")) clockAct("end");
  });
  $("clock-halt").addEventListener("click", () => {
    const reason = $("halt-reason").value.trim();
    clockAct("halt", reason ? { reason } : {});
  });
  $("inject-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const scenario = scenarioMs();
    const body = {
      id: $("inject-id").value.trim(),
      title: $("inject-title").value.trim(),
      text: $("inject-text").value,
      at_s: Math.floor(scenario / 1000),
    };
    act("inject", $("inject-channel").value, JSON.stringify(body), `inject ${body.id}`);
    e.target.reset();
  });
  const mute = (kind) => {
    const body = { identity: $("mute-identity").value };
    const channel = $("mute-channel").value || null;
    if (channel) body.channel = channel;
    act(kind, channel, JSON.stringify(body), `${kind} ${body.identity}${channel ? ` on #${channel}` : " everywhere"}`);
  };
  $("mute-form").addEventListener("submit", (e) => {
    e.preventDefault();
    mute("mute");
  });
  $("unmute-button").addEventListener("click", () => mute("unmute"));
  $("redact-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const target = Number($("redact-target").value);
    const reason = $("redact-reason").value.trim();
    if (!Number.isInteger(target) || !reason) return;
    act("redact", null, JSON.stringify({ target, reason }), `redact #${target}`);
    e.target.reset();
  });
  evaluation.wire();
  window.addEventListener("focus", () => autoReceipt());
  document.addEventListener("visibilitychange", () => autoReceipt());
  // Alt+1…9 selects a channel; Alt+0 the cell events.
  document.addEventListener("keydown", (e) => {
    if (!e.altKey || S.selected === null) return;
    if (e.key === "0") select(CELL_EVENTS);
    const n = Number(e.key);
    if (n >= 1 && n <= 9 && S.channels[n - 1]) select(S.channels[n - 1].id);
  });
}

const evaluation = new Evaluation({
  act,
  line: (seq) => (S.records.has(seq) ? `${S.records.get(seq).record.act.actor}: ${describe(S.records.get(seq).record)}` : ""),
  $,
});

// Control's (and evaluators') MSEL page.
const msel = new MselView({ state: S, el, parse, act, scenarioMs, scenarioHms });

// The hot wash: a recording played back at the page's own pace.
const replay = new Replay({
  state: S, send, deliver: onDeliver, reset: resetRecords, refresh: tick, select, scenarioHms,
  scenarioAt: K.scenarioAt, el, parse,
});

// For the browser tests: a read-only view of the state.
window.fusioncell = { state: S, replay };

/** Logs in with the key kept in this browser, if the user asked to keep one. */
async function resumeKeptLogin() {
  const kept = await keptLogin().catch(() => null);
  if (!kept || S.key) return;
  S.key = kept.key;
  S.identity = kept.identity;
  S.kept = true;
  $("identity").value = kept.identity;
  $("login-button").disabled = true;
  connect();
}

/** Log out: the kept key is removed, the session closed, the page back to its login. */
async function logOut() {
  await forgetLogin().catch(() => {});
  S.everLoggedIn = false;
  if (S.ws) S.ws.close(1000, "logged out");
  location.reload();
}

wire();
loadCellInfo();
resumeKeptLogin();
