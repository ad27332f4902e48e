// The exercise clock and hotline deadlines, as the relay computes them (the Rust
// `fusioncell_wire::clock::Clock` and `fusioncell_cell::Due`): scenario time runs at the
// clock's speed while play runs; play time is relay time counted while play is on (before
// STARTEX and while running). A hotline deadline counts in one of them (the channel's
// `ack_clock`), so it stands still whenever play does. The relay's tests run this module in
// node against the Rust one over random clock schedules, so the two cannot drift apart.

const playOn = (c) => c.phase === "not_started" || c.phase === "running";

/** The clock before any clock record. */
export function initialClock() {
  return { phase: "not_started", halted: false, speed: 1, scenario_ms: 0, since_ms: 0, play_ms: 0 };
}

/** Scenario time at relay time `now`. */
export function scenarioAt(c, now) {
  return c.phase === "running" ? c.scenario_ms + Math.max(0, now - c.since_ms) * c.speed : c.scenario_ms;
}

/** Play time at relay time `now`. */
export function playAt(c, now) {
  return playOn(c) ? (c.play_ms ?? 0) + Math.max(0, now - c.since_ms) : (c.play_ms ?? 0);
}

/** The clock after a (relay-accepted) clock act `action` at relay time `ts`. */
export function applyClock(c, action, ts, speed) {
  const next = { ...c, scenario_ms: scenarioAt(c, ts), play_ms: playAt(c, ts), since_ms: ts };
  switch (action) {
    case "start":
      return { ...next, phase: "running", speed: Math.max(1, speed ?? 1), scenario_ms: 0 };
    case "pause":
      return { ...next, phase: "paused" };
    case "resume":
      return { ...next, phase: "running", halted: false };
    case "end":
      return { ...next, phase: "ended", halted: false };
    case "halt":
      return { ...next, phase: "paused", halted: true };
    default:
      return c;
  }
}

/** The deadline of a hotline post made at relay time `ts` under clock `c`. */
export function dueOf(c, ts, ackSeconds, ackClock) {
  return ackClock === "scenario"
    ? { scenario: scenarioAt(c, ts) + ackSeconds * 1000 }
    : { play: playAt(c, ts) + ackSeconds * 1000 };
}

/** Whether deadline `d` counts down now under clock `c`. */
export function counting(d, c) {
  return "scenario" in d ? c.phase === "running" : playOn(c);
}

/** Relay milliseconds left at `now` if play goes on at the clock's speed (0 once passed). */
export function remainingMs(d, c, now) {
  if ("scenario" in d) return Math.ceil(Math.max(0, d.scenario - scenarioAt(c, now)) / Math.max(1, c.speed));
  return Math.max(0, d.play - playAt(c, now));
}
