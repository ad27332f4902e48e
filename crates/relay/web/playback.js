// The hot wash: on a playback relay (`fusioncell audit serve`, which announces a `recording`),
// the console takes the pace into its own hands. It asks once for the whole recording as its
// identity saw it (a `playhead` at the end), keeps it, and shows it up to its own playhead:
// play, pause, seek, speed, step to the next record, jump to an inject — a facilitator
// stepping through the exercise in front of the room. A REPLAY banner stays on top and there
// is no compose box: a recording does not change.

const $ = (id) => document.getElementById(id);
const SPEEDS = [1, 2, 5, 10, 30, 60, 120, 600];
const TICK_MS = 250;

/** The relay time at which a deliver frame was delivered live (a released post: its approval's). */
const tsOf = (f) => f.record.ts;

/** Milliseconds as `h:mm:ss`. */
function elapsed(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(s / 3600)}:${String(Math.floor(s / 60) % 60).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}

export class Replay {
  /** `deps`: the console's state `S`, `send`, `deliver` (a deliver frame, as received live),
   * `reset` (forget every record), `refresh` (redraw clock and countdowns), `select` (a
   * channel), `scenarioHms`, `scenarioAt`, `el`, `parse`. */
  constructor(deps) {
    this.d = deps;
    this.active = false;
    this.frames = []; // every deliver frame of the recording, in order
    this.fed = 0; // how many of them the console shows
    this.at = 0; // the playhead: relay time of the recording
    this.playing = false;
    this.speed = 1;
    this.feeding = null; // the feed under way
    this.timer = null;
  }

  /** The relay's `recording` frame: this page watches a recording. */
  start(f) {
    this.active = true;
    this.first = f.first_ts;
    this.last = f.last_ts;
    this.at = f.first_ts;
    document.body.classList.add("replaying");
    $("replay").hidden = false;
    $("replay-count").textContent = `${f.records} records`;
    const seek = $("replay-seek");
    seek.max = String(Math.max(0, this.last - this.first));
    seek.addEventListener("input", () => this.seek(this.first + Number(seek.value)));
    $("replay-play").addEventListener("click", () => this.toggle());
    $("replay-step").addEventListener("click", () => this.step());
    $("replay-end").addEventListener("click", () => this.seek(this.last));
    const speed = $("replay-speed");
    speed.replaceChildren(...SPEEDS.map((s) => this.d.el("option", { value: s }, `×${s}`)));
    speed.addEventListener("change", () => this.setSpeed(Number(speed.value)));
    $("replay-jump").addEventListener("change", (e) => {
      const seq = Number(e.target.value);
      e.target.value = "";
      if (Number.isInteger(seq)) this.jump(seq);
    });
    // Everything this identity saw, at once: the pace is this page's from now on.
    this.d.send({ type: "playhead", at: this.last });
    this.sync();
  }

  /** A deliver frame from the playback relay: kept, shown once the playhead reaches it. */
  receive(f) {
    const prev = this.frames[this.frames.length - 1];
    if (prev && f.record.seq <= prev.record.seq) return;
    this.frames.push(f);
    if (f.record.act.kind === "inject") this.listInject(f);
    this.feed();
  }

  listInject(f) {
    const body = f.record.body === null ? null : this.d.parse(f.record.body);
    const label = body ? `${body.id} — ${body.title}` : `#${f.record.seq} (redacted)`;
    $("replay-jump").append(this.d.el("option", { value: f.record.seq }, `${elapsed(tsOf(f) - this.first)}  ${label}`));
  }

  /** Shows every kept frame up to the playhead, in order (one feed at a time). */
  feed() {
    if (this.feeding) {
      this.feeding.again = true;
      return this.feeding.done;
    }
    // Marked as under way before it starts: a feed with nothing to show ends at once.
    const run = { again: false };
    this.feeding = run;
    run.done = (async () => {
      do {
        run.again = false;
        if (this.fed > 0 && tsOf(this.frames[this.fed - 1]) > this.at) {
          // Back in time: start again from nothing and show up to the playhead.
          this.d.reset();
          this.fed = 0;
        }
        while (this.fed < this.frames.length && tsOf(this.frames[this.fed]) <= this.at) {
          await this.d.deliver(this.frames[this.fed]);
          this.fed++;
        }
      } while (run.again);
      this.feeding = null;
      this.sync();
    })();
    return run.done;
  }

  now() {
    return this.playing ? Math.min(this.last, this.base + (Date.now() - this.since) * this.speed) : this.at;
  }

  toggle() {
    if (this.playing) return this.pause();
    if (this.at >= this.last) this.seek(this.first);
    this.playing = true;
    this.base = this.at;
    this.since = Date.now();
    this.timer = setInterval(() => this.advance(), TICK_MS);
    this.sync();
  }

  pause() {
    this.at = this.now();
    this.playing = false;
    clearInterval(this.timer);
    this.sync();
  }

  advance() {
    this.at = this.now();
    if (this.at >= this.last) this.pause();
    this.feed();
    this.sync();
  }

  setSpeed(speed) {
    this.at = this.now();
    this.base = this.at;
    this.since = Date.now();
    this.speed = speed;
  }

  seek(t) {
    this.at = Math.max(this.first, Math.min(this.last, t));
    this.base = this.at;
    this.since = Date.now();
    return this.feed();
  }

  /** To the next record this identity saw. */
  step() {
    const next = this.frames[this.fed];
    if (next) return this.seek(tsOf(next));
  }

  /** To an inject (shown as the last record), its channel open. */
  async jump(seq) {
    const f = this.frames.find((x) => x.record.seq === seq);
    if (!f) return;
    if (this.playing) this.pause();
    await this.seek(tsOf(f));
    this.d.select(f.record.act.channel ?? "");
  }

  /** The clock, the controls and the position as of the playhead. */
  sync() {
    if (!this.active) return;
    const S = this.d.state;
    S.offset = this.at - Date.now();
    S.clock = S.history;
    $("replay-seek").value = String(this.at - this.first);
    $("replay-play").textContent = this.playing ? "❚❚ Pause" : "▶ Play";
    $("replay-play").setAttribute("aria-pressed", String(this.playing));
    $("replay-at").textContent =
      `${elapsed(this.at - this.first)} / ${elapsed(this.last - this.first)} · scenario ${this.d.scenarioHms(this.d.scenarioAt(S.clock, this.at))} · ${this.fed} of ${this.frames.length} shown`;
    this.d.refresh();
  }
}
