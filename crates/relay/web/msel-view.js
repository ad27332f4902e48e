// Control's workspace: the whole MSEL on one full-width page — every inject with its time,
// move, channel, title, notes and where it stands (derived from the journal by msel.js), the
// countdown to the next, fire/skip/hold/release, a filter by move, and the clock controls.
// Evaluators see the same page read-only. The scenario comes from the relay after login (its
// `scenario` frame, sent to control and evaluators only): no file to load.
import * as M from "./msel.js";

const $ = (id) => document.getElementById(id);

/** Seconds as `5 min 20 s`, `2 h 03 min` or `40 s` (as `exercise run status` writes them). */
function span(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor(s / 60) % 60).padStart(2, "0")} min`;
}

export class MselView {
  /** `deps`: the console's state `S`, and its `el`, `parse`, `act`, `scenarioMs`, `scenarioHms`. */
  constructor(deps) {
    this.d = deps;
    this.scenario = null; // {title, injects, moves}
    this.records = []; // the inject and msel records ({kind, body}), in journal order
    this.counted = 0; // how many of S.records were looked at
    this.drawn = ""; // the statuses the table was last drawn with
    this.open = false;
    $("msel-back").addEventListener("click", () => this.show(false));
    $("view-msel").addEventListener("click", () => this.show(!this.open));
    $("msel-move").addEventListener("change", () => this.draw(true));
  }

  /** The relay's `scenario` frame. */
  setScenario(sc) {
    try {
      const injects = M.scenarioInjects(sc);
      const moves = Array.isArray(sc.moves) ? sc.moves.filter((m) => typeof m?.id === "string") : [];
      this.scenario = { title: String(sc.title ?? "scenario"), injects, moves };
    } catch (e) {
      this.scenario = null;
      $("msel-info").textContent = `The relay's scenario does not read: ${e.message}`;
      return;
    }
    const { el } = this.d;
    $("msel-title").textContent = this.scenario.title;
    $("msel-move").replaceChildren(
      el("option", { value: "" }, "every move"),
      ...this.scenario.moves.map((m) => el("option", { value: m.id }, `${m.id}${m.title ? ` — ${m.title}` : ""}`)),
    );
    $("view-msel").hidden = false;
    this.draw(true);
  }

  /** Shows the MSEL page (or the channels). The clock controls move with it, so the same
   * buttons run the clock on either page. */
  show(open) {
    this.open = open && this.scenario !== null;
    $("msel-view").hidden = !this.open;
    $("console").hidden = this.open;
    $("view-msel").textContent = this.open ? "Channels" : "MSEL";
    $("view-msel").setAttribute("aria-pressed", String(this.open));
    const controls = $("clock-controls");
    if (this.d.state.role === "control") {
      (this.open ? $("msel-clock-slot") : $("clock-controls-home")).append(controls);
    }
    if (this.open) this.draw(true);
  }

  /** New records may have arrived: takes the inject and msel ones, redraws if that changed. */
  update() {
    const S = this.d.state;
    if (S.records.size === this.counted) return;
    this.counted = S.records.size;
    const seqs = [...S.records.keys()].sort((a, b) => a - b);
    this.records = [];
    for (const seq of seqs) {
      const r = S.records.get(seq).record;
      if ((r.act.kind !== "inject" && r.act.kind !== "msel") || r.body === null) continue;
      this.records.push({ kind: r.act.kind, body: this.d.parse(r.body) });
    }
    this.draw(false);
  }

  rows() {
    return M.timeline(this.scenario.injects, this.records, this.d.scenarioMs());
  }

  /** Every second: statuses that came due, and the countdown. */
  tick() {
    if (this.scenario) this.draw(false);
  }

  draw(force) {
    if (!this.scenario) return;
    const rows = this.rows();
    this.countdown(rows);
    const key = rows.map((r) => r.status).join(",");
    if (!force && key === this.drawn) return;
    this.drawn = key;
    const counts = {};
    for (const r of rows) counts[r.status] = (counts[r.status] ?? 0) + 1;
    $("msel-counts").textContent = ["due", "pending", "held", "fired", "skipped"]
      .map((s) => `${counts[s] ?? 0} ${s}`).join(" · ");
    $("msel").classList.toggle("read-only", this.d.state.role !== "control");
    const move = $("msel-move").value;
    const shown = rows.filter((r) => !move || r.inject.move === move);
    $("msel-body").replaceChildren(...shown.map((r) => this.row(r)));
    const next = M.nextTimed(rows);
    for (const tr of document.querySelectorAll("#msel-body tr")) {
      const current = next !== null && tr.dataset.inject === next.inject.id;
      tr.classList.toggle("next", current);
      if (current) tr.setAttribute("aria-current", "true");
    }
  }

  countdown(rows) {
    const next = M.nextTimed(rows);
    const c = this.d.state.clock;
    const out = $("msel-next");
    if (!next) {
      out.textContent = "Every timed inject has fired or been skipped.";
      return;
    }
    const { inject } = next;
    const head = `Next: ${inject.id} “${inject.title}” on #${inject.channel} at ${this.d.scenarioHms(inject.at_s * 1000)}`;
    if (next.status === "due") {
      out.textContent = `${head} — due now${c?.phase === "running" ? "" : " (fires when play runs)"}.`;
      return;
    }
    const wait = (inject.at_s * 1000 - this.d.scenarioMs()) / 1000;
    let real = "";
    if (c?.phase === "running" && c.speed > 1) real = `, about ${span(wait / c.speed)} at ×${c.speed}`;
    else if (c?.phase !== "running") real = ", once play runs";
    out.textContent = `${head} — in ${span(wait)} of scenario time${real}.`;
  }

  row({ inject, status }) {
    const { el, state } = this.d;
    const control = state.role === "control";
    const verbs = {
      fire: () => this.fire(inject),
      skip: () => this.decide(inject, "skip"),
      hold: () => this.decide(inject, "hold"),
      release: () => this.decide(inject, "release"),
    };
    const buttons = control
      ? M.actionsFor(status).map((a) => el("button", {
        type: "button", class: a === "fire" ? "primary" : null, [`data-${a}`]: inject.id,
        "aria-label": `${a} ${inject.id}`, onclick: verbs[a],
      }, a[0].toUpperCase() + a.slice(1)))
      : [];
    const expected = Array.isArray(inject.expected) ? inject.expected.filter((x) => typeof x === "string") : [];
    return el("tr", { class: status, "data-inject": inject.id, "data-status": status, "data-move": inject.move ?? "" },
      el("td", { class: "mono" }, this.d.scenarioHms(inject.at_s * 1000)),
      el("td", { class: "mono" }, inject.id),
      el("td", { class: "mono" }, inject.move ?? ""),
      el("td", { class: "mono" }, `#${inject.channel}`),
      el("td", {},
        el("div", { class: "title" }, inject.title,
          inject.contingency ? el("span", { class: "badge wait" }, "contingency") : null),
        typeof inject.notes === "string" && inject.notes ? el("div", { class: "notes" }, `Notes: ${inject.notes}`) : null,
        expected.length ? el("div", { class: "expected" }, `Expected: ${expected.join("; ")}`) : null),
      el("td", { class: "status" }, el("span", { class: `pill ${status}` }, status)),
      el("td", {}, el("div", { class: "actions" }, buttons)));
  }

  /** Delivers the inject: only what players may see — never notes, expected actions or the objective. */
  fire(inj) {
    const body = { id: inj.id };
    if (typeof inj.move === "string") body.phase = inj.move;
    if (typeof inj.from === "string") body.from = inj.from;
    if (typeof inj.to === "string") body.to = inj.to;
    Object.assign(body, { title: inj.title, text: inj.text, at_s: inj.at_s });
    return this.d.act("inject", inj.channel, JSON.stringify(body), `inject ${inj.id}`);
  }

  /** Skips, holds or releases an inject: journaled, so every controller's page shows it. */
  decide(inj, action) {
    return this.d.act("msel", null, JSON.stringify({ id: inj.id, action }), `${action} ${inj.id}`);
  }
}
