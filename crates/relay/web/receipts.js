// Automatic read receipts (the cell's `read_receipts = "auto"`, the default): a record shown in
// the open channel of a page that is visible and focused is receipted by the console, with no
// button to press. Receipts are signed acts and count against the identity's rate limit
// (PROTOCOL.md §9: `acts_per_minute`, `act_burst`, shared by all its sessions), so they are
// batched — one `receipt` act covers up to 256 records (`target` and `also`, §5.1) — and paced:
// at most one receipt act per interval, the interval leaving three quarters of the sustained
// rate to what the user does. A busy channel therefore never gets its reader rate limited.

/** Records one receipt act may cover: `target` and up to 255 `also`. */
export const MAX_BATCH = 256;

/** Kinds a person reads: messages on a channel. */
const READABLE = new Set(["post", "reply", "inject"]);

/** Milliseconds between two receipt acts: a quarter of `actsPerMinute`, never under a second. */
export function receiptInterval(actsPerMinute) {
  const share = Math.max(1, Math.floor((Number(actsPerMinute) || 100) / 4));
  return Math.max(1000, Math.ceil(60000 / share));
}

/** The body of one receipt act covering `seqs` (ascending, at most MAX_BATCH): the latest is the target. */
export function receiptBody(seqs) {
  const body = { target: seqs[seqs.length - 1], kind: "read" };
  if (seqs.length > 1) body.also = seqs.slice(0, -1);
  return body;
}

/** Whether the person at this page can be said to see it: the tab shown and the window focused. */
export function pageIsRead(doc = document) {
  return doc.visibilityState === "visible" && doc.hasFocus();
}

/** Whether `entry` (a console record) is one `me` should receipt once shown. */
export function wantsReceipt(entry, me) {
  const a = entry.record.act;
  return READABLE.has(a.kind) && a.actor !== me && !entry.readSent && entry.record.body !== undefined;
}

/**
 * Collects shown records and sends them as paced batches. `send(body, seqs)` signs and sends one
 * receipt act; `now` and the timer functions are the page's.
 */
export class AutoReceipts {
  constructor(send, interval, { debounceMs = 400, now = () => Date.now() } = {}) {
    this.send = send;
    this.interval = interval;
    this.debounceMs = debounceMs;
    this.now = now;
    this.pending = new Set();
    this.nextAllowed = 0;
    this.timer = null;
    this.sentActs = 0;
  }

  /** Queues records for receipting; the batch goes out once the debounce and the pace allow. */
  add(seqs) {
    for (const s of seqs) this.pending.add(s);
    if (this.pending.size) this.schedule();
  }

  schedule() {
    if (this.timer !== null) return;
    const wait = Math.max(this.debounceMs, this.nextAllowed - this.now());
    this.timer = setTimeout(() => this.flush(), wait);
  }

  flush() {
    this.timer = null;
    if (!this.pending.size) return;
    const seqs = [...this.pending].sort((x, y) => x - y).slice(0, MAX_BATCH);
    for (const s of seqs) this.pending.delete(s);
    this.nextAllowed = this.now() + this.interval;
    this.sentActs += 1;
    this.send(receiptBody(seqs), seqs);
    if (this.pending.size) this.schedule();
  }
}
