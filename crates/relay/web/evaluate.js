// The evaluator's observations, against the exercise's objectives (HSEEP's Exercise Evaluation
// Guide). An observation is attached to records from the records themselves — an "Observe"
// button on each — never by typing record numbers. The evaluator picks one of the scenario's
// objectives and rates it P, S, M or U.
//
// Where the objectives come from: the scenario's `[[objective]]` tables, in the `scenario` frame
// the relay sends control and evaluators after login (PROTOCOL.md §3), as `fusioncell scenario
// export` writes it; no file to load. The relay checks an objective id's form only; this panel
// offers only the scenario's objectives, and the after-action report lists any other id apart.
import { el } from "./dom.js";

/** HSEEP's ratings, as the `observe` act carries them (PROTOCOL.md §5.1). */
export const RATINGS = [
  ["P", "Performed without challenges"],
  ["S", "Performed with some challenges"],
  ["M", "Performed with major challenges"],
  ["U", "Unable to be performed"],
];

/** The objectives of a scenario export, checked for shape; throws with the reason. */
export function objectivesOf(scenario) {
  if (!scenario || typeof scenario !== "object") throw new Error("not a JSON object");
  const list = scenario.objectives ?? [];
  if (!Array.isArray(list)) throw new Error("`objectives` is not a list");
  return list.map((o, i) => {
    if (typeof o?.id !== "string" || typeof o?.title !== "string") throw new Error(`objectives[${i}] lacks an id or a title`);
    return { id: o.id, title: o.title, capability: o.capability ?? null, tasks: Array.isArray(o.tasks) ? o.tasks : [] };
  });
}

/**
 * The body of an `observe` act from what the form holds; throws with a reason a person can act
 * on when it is not one the relay would accept or the scenario declares.
 */
export function observeBody({ refs, text, about, objective, rating }, objectives) {
  if (!text.trim()) throw new Error("write the observation");
  if (rating && !objective) throw new Error("a rating is of an objective: choose the objective");
  if (objective && !objectives.some((o) => o.id === objective)) throw new Error(`objective ${objective} is not in the scenario`);
  if (rating && !RATINGS.some(([r]) => r === rating)) throw new Error(`rating ${rating}: expected P, S, M or U`);
  const body = { refs: [...refs].sort((x, y) => x - y), text };
  if (about.trim()) body.about = about.trim();
  if (objective) body.objective = objective;
  if (rating) body.rating = rating;
  return body;
}

export class Evaluation {
  /**
   * `act(kind, channel, body, what)` signs and sends; `line(seq)` describes a record in one
   * line; `$` finds an element of the page by id.
   */
  constructor({ act, line, $ }) {
    this.act = act;
    this.line = line;
    this.$ = $;
    this.refs = [];
    this.objectives = [];
  }

  /** Connects the panel's controls. */
  wire() {
    const $ = this.$;
    $("observe-objective").addEventListener("change", () => this.renderRating());
    $("observe-form").addEventListener("submit", (e) => this.onSubmit(e));
    this.setObjectives([], null);
    this.renderRefs();
  }

  /** The objectives the evaluator may rate, and where they came from (for the panel's note). */
  setObjectives(list, source) {
    this.objectives = list;
    const select = this.$("observe-objective");
    const none = list.length ? "— no objective —" : "— load the scenario to rate an objective —";
    select.replaceChildren(
      el("option", { value: "" }, none),
      ...list.map((o) => el("option", { value: o.id, title: o.capability ?? "" }, `${o.id}: ${o.title}`)),
    );
    this.$("observe-objectives-info").textContent = source
      ? `${list.length} objectives from ${source}.`
      : "The relay serves no scenario: observations can still be recorded, without an objective or rating.";
    this.renderRating();
  }

  /** The scenario the relay sent: its objectives, or none with the reason if it has none. */
  setScenario(scenario) {
    try {
      this.setObjectives(objectivesOf(scenario), "the relay's scenario");
    } catch (e) {
      this.setObjectives([], null);
      this.$("observe-objectives-info").textContent = `The relay's scenario has no usable objectives: ${e.message}`;
    }
  }

  renderRating() {
    const objective = this.$("observe-objective").value;
    const rating = this.$("observe-rating");
    rating.disabled = !objective;
    if (!objective) rating.value = "";
    const chosen = this.objectives.find((o) => o.id === objective);
    this.$("observe-tasks").replaceChildren(
      ...(chosen ? [
        chosen.capability ? el("li", {}, el("strong", {}, "Core capability: "), chosen.capability) : null,
        ...chosen.tasks.map((t) => el("li", {}, t)),
      ] : []),
    );
  }

  /** The "Observe" button under a record. */
  button(seq) {
    const chosen = this.refs.includes(seq);
    return el("button", {
      type: "button",
      class: chosen ? "observe-button chosen" : "observe-button",
      "data-observe": seq,
      "aria-pressed": chosen ? "true" : "false",
      title: chosen ? `#${seq} is in the observation` : `Attach an observation to #${seq}`,
      onclick: () => this.toggle(seq),
    }, chosen ? "✎ Observing" : "✎ Observe");
  }

  /** Adds a record to the observation, or takes it out again. */
  toggle(seq) {
    this.refs = this.refs.includes(seq) ? this.refs.filter((r) => r !== seq) : [...this.refs, seq];
    this.renderRefs();
    for (const b of document.querySelectorAll(`button[data-observe="${seq}"]`)) b.replaceWith(this.button(seq));
    if (this.refs.includes(seq)) this.$("observe-text").focus();
  }

  renderRefs() {
    const box = this.$("observe-refs");
    if (!this.refs.length) {
      box.replaceChildren(el("p", { class: "small muted" }, "A general observation. Choose “✎ Observe” on records to attach it to them."));
      return;
    }
    box.replaceChildren(...this.refs.map((seq) => {
      const text = this.line(seq);
      const short = text.length > 70 ? `${text.slice(0, 69)}…` : text;
      return el("div", { class: "observe-ref", "data-ref": seq },
        el("span", {}, `#${seq} `, short),
        el("button", { type: "button", class: "link", "aria-label": `Remove #${seq}`, onclick: () => this.toggle(seq) }, "×"));
    }));
  }

  onSubmit(e) {
    e.preventDefault();
    const $ = this.$;
    const error = $("observe-error");
    let body;
    try {
      body = observeBody({
        refs: this.refs,
        text: $("observe-text").value,
        about: $("observe-about").value,
        objective: $("observe-objective").value,
        rating: $("observe-rating").value,
      }, this.objectives);
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
      return;
    }
    error.hidden = true;
    const what = body.objective ? `observation on ${body.objective}${body.rating ? ` (${body.rating})` : ""}` : "observation";
    this.act("observe", null, JSON.stringify(body), what);
    const done = this.refs;
    this.refs = [];
    $("observe-text").value = "";
    $("observe-about").value = "";
    $("observe-rating").value = "";
    this.renderRefs();
    for (const seq of done) for (const b of document.querySelectorAll(`button[data-observe="${seq}"]`)) b.replaceWith(this.button(seq));
  }
}
