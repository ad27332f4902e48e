// The MSEL (the scenario's timeline of injects) as the journal tells it: where every inject
// stands — pending, due, fired, skipped, held — derived from the `inject` and `msel` records
// alone, in journal order, so that a reload or a second controller sees the same. The Rust
// `fusioncell_scenario::Schedule::apply` and `Entry::shown_at` compute the same; the relay's
// tests run this module in node against them over random journals, so the two cannot drift.

/** Checks the shape of a scenario (as `fusioncell scenario export` writes it); returns its
 * injects in firing order: by time, then file order. */
export function scenarioInjects(sc) {
  if (!sc || typeof sc !== "object" || !Array.isArray(sc.injects)) throw new Error("no injects array");
  const out = sc.injects.map((inj, i) => {
    for (const f of ["id", "channel", "title", "text"]) {
      if (typeof inj?.[f] !== "string") throw new Error(`inject ${i + 1}: ${f} is missing`);
    }
    if (!Number.isInteger(inj.at_s) || inj.at_s < 0) throw new Error(`inject ${inj.id}: at_s is not a time`);
    return { ...inj, order: i };
  });
  return out.sort((a, b) => a.at_s - b.at_s || a.order - b.order);
}

// What each `msel` action does: the statuses it applies to, and the status it leaves.
const DECISIONS = {
  skip: { from: ["pending", "held"], to: "skipped" },
  hold: { from: ["pending"], to: "held" },
  release: { from: ["held"], to: "pending" },
};

/** Applies one record (its kind and parsed body) to `statuses` (inject id → status). A
 * decision that does not apply to the inject's status, or names no inject of the scenario,
 * changes nothing. */
export function applyRecord(statuses, kind, body) {
  if (!body || typeof body.id !== "string" || !statuses.has(body.id)) return;
  const now = statuses.get(body.id);
  if (kind === "inject") {
    statuses.set(body.id, "fired");
  } else if (kind === "msel") {
    const d = DECISIONS[body.action];
    if (d && d.from.includes(now)) statuses.set(body.id, d.to);
  }
}

/** The timeline at scenario time `nowMs`: every inject (in firing order) with its status, from
 * `records` ({kind, body} in journal order). A pending timed inject whose time has come is
 * `due`: it fires at once unless play is stopped. */
export function timeline(injects, records, nowMs) {
  const statuses = new Map(injects.map((i) => [i.id, "pending"]));
  for (const r of records) applyRecord(statuses, r.kind, r.body);
  return injects.map((inject) => {
    let status = statuses.get(inject.id);
    if (status === "pending" && !inject.contingency && inject.at_s * 1000 <= nowMs) status = "due";
    return { inject, status };
  });
}

/** The next timed inject still to fire (due or pending), or null. */
export function nextTimed(rows) {
  return rows.find((r) => !r.inject.contingency && (r.status === "due" || r.status === "pending")) ?? null;
}

/** What a controller may do to an inject in `status`: the same transitions as `applyRecord`,
 * and fire, which applies to everything not yet fired. */
export function actionsFor(status) {
  if (status === "fired") return [];
  const out = ["fire"];
  const base = status === "due" ? "pending" : status;
  for (const [action, d] of Object.entries(DECISIONS)) if (d.from.includes(base)) out.push(action);
  return out;
}
