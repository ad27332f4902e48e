// A record's body in one line of words, without its sequence number, time, actor or channel:
// the same line `connect`, `listen`, `audit replay` and the report print (the Rust describer,
// `fusioncell_cell::describe`, with one module per act kind). The relay's tests compare this
// module with the Rust one over a record of every act kind, so the two cannot drift apart.
// Bodies are as PROTOCOL.md §5.1 gives them.

/** What a redacted body reads as. */
export const REDACTED = "[redacted]";

// An optional field as the Rust `Option`: present (even empty) or absent (missing or null).
const has = (v) => v !== undefined && v !== null;

const KINDS = {
  post: (_b, text) => text,
  reply: (b) => `re #${b.target}: ${b.text}`,
  approve: (b) => `approved #${b.target} — released to the channel`,
  reject: (b) => `rejected #${b.target}: ${has(b.reason) ? b.reason : "(no reason)"}`,
  mute: (b) => muted("muted", b),
  unmute: (b) => muted("unmuted", b),
  grant: (b) => `granted ${b.identity} ${b.access} access to #${b.channel}`,
  revoke: (b) => `revoked ${b.identity}'s access to #${b.channel}`,
  redact: (b) => `redacted the body of #${b.target}: ${b.reason}`,
  clock: (b) => {
    const reason = has(b.reason) ? `: ${b.reason}` : "";
    switch (b.action) {
      case "start":
        return `STARTEX (×${has(b.speed) ? b.speed : 1})${reason}`;
      case "pause":
        return `play paused${reason}`;
      case "resume":
        return `play resumed${reason}`;
      case "end":
        return `ENDEX${reason}`;
      case "halt":
        return `REAL-WORLD EMERGENCY — PLAY HALTED${reason}`;
      default:
        return `clock ${b.action}${reason}`;
    }
  },
  inject: (b) => `EXERCISE EXERCISE EXERCISE INJECT ${b.id} "${b.title}": ${b.text}`,
  msel: (b) => `MSEL: inject ${b.id} ${{ skip: "skipped", hold: "held", release: "released" }[b.action]}`,
  observe: (b) => {
    const refs = (b.refs ?? []).map((r) => `#${r}`).join(", ");
    const about = has(b.about) ? ` (about ${b.about})` : "";
    const rating = has(b.rating) ? `: ${b.rating}` : "";
    const objective = has(b.objective) ? ` [objective ${b.objective}${rating}]` : "";
    return `observation on ${refs}${about}${objective}: ${b.text}`;
  },
  receipt: (b) => {
    const targets = [b.target, ...(b.also ?? [])].map((t) => `#${t}`).join(", ");
    return `${b.kind === "delivered" ? "received" : "read"} ${targets}`;
  },
  ack: (b) => `acknowledged #${b.target}`,
  cosign: (b) => `cosigned the checkpoint of size ${b.size}`,
  open: (b) => `cell ${b.cell} opened: ${b.identities.length} identities, ${b.channels.length} channels`,
  security: (b) => `security: ${b.event}${has(b.identity) ? ` (${b.identity})` : ""}: ${b.reason}`,
  recovered: (b) => `relay restarted: ${b.records} records intact, ${b.truncated_bytes} torn bytes cut off`,
  escalate: (b) => `#${b.target} from ${b.sender} not acknowledged within ${b.ack_seconds} s: escalated to the mediator`,
};

function muted(verb, b) {
  return has(b.channel) ? `${verb} ${b.identity} on #${b.channel}` : `${verb} ${b.identity} on every channel`;
}

/**
 * The one-line description of `record` (`{act: {kind, ...}, body}` as delivered; a `null`
 * body was redacted). A body the relay accepted always decodes for its kind; one that does
 * not (never sent by a relay) is shown as its text.
 */
export function describe(record) {
  const kind = record.act.kind;
  const text = record.body;
  if (text === null || text === undefined) return REDACTED;
  const words = KINDS[kind];
  if (!words) return `a \`${kind}\` act`;
  if (kind === "post") return text;
  try {
    const body = JSON.parse(text);
    return body !== null && typeof body === "object" ? words(body, text) : text;
  } catch {
    return text;
  }
}
