// The canonical bytes of PROTOCOL.md §5, built with DataView from typed fields, and the
// WebCrypto Ed25519 and SHA-256 operations on them. No DOM: the tests import this module alone
// and compare it with the vectors of PROTOCOL.md §10.

const enc = new TextEncoder();

/** Lowercase hex of bytes. */
export function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Bytes of a hex string (either case); throws on anything else. */
export function fromHex(hex) {
  if (typeof hex !== "string" || hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new Error("not a hex string");
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

/** Standard base64 with padding. */
export function toBase64(bytes) {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** Bytes of standard base64. */
export function fromBase64(text) {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** UTF-8 bytes of a string. */
export function utf8(text) {
  return enc.encode(text);
}

/** Concatenates byte arrays. */
export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** `"fusioncell/v1/" + name` then one 0x00 byte. */
export function tag(name) {
  return concat(utf8(`fusioncell/v1/${name}`), new Uint8Array([0]));
}

/** lp(x): u32be(len) ‖ x; `x` is bytes or a string (UTF-8). */
export function lp(x) {
  const bytes = typeof x === "string" ? utf8(x) : x;
  const out = new Uint8Array(4 + bytes.length);
  new DataView(out.buffer).setUint32(0, bytes.length, false);
  out.set(bytes, 4);
  return out;
}

/** u64be of a non-negative integer (a Number up to 2^53, or a BigInt). */
export function u64be(n) {
  const v = BigInt(n);
  if (v < 0n || v > 0xffffffffffffffffn) throw new Error(`u64 out of range: ${n}`);
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, v, false);
  return out;
}

/** i64be, two's complement. */
export function i64be(n) {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigInt64(0, BigInt(n), false);
  return out;
}

function fixed(hex, len, what) {
  const b = fromHex(hex);
  if (b.length !== len) throw new Error(`${what}: expected ${len} bytes`);
  return b;
}

/** §5.2 act bytes of an act header object (`channel` absent or null: empty). */
export function actBytes(act) {
  return concat(
    tag(act.kind),
    lp(act.cell),
    lp(act.channel ?? ""),
    lp(act.actor),
    u64be(act.seq),
    i64be(act.ts),
    fixed(act.body_sha256, 32, "body_sha256"),
  );
}

/** §5.3 login bytes. */
export function loginBytes(cell, nonceHex, relayKeyHex, identity) {
  return concat(
    tag("login"),
    lp(cell),
    fixed(nonceHex, 32, "nonce"),
    fixed(relayKeyHex, 32, "relay_key"),
    lp(identity),
  );
}

/** §5.7 directory bytes: the identities (`{id, role, public_key}`) in byte order of their ids. */
export function directoryBytes(cell, identities) {
  const sorted = [...identities].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const count = new Uint8Array(4);
  new DataView(count.buffer).setUint32(0, sorted.length, false);
  return concat(
    tag("directory"),
    lp(cell),
    count,
    ...sorted.flatMap((i) => [lp(i.id), lp(i.role), fixed(i.public_key, 32, "public_key")]),
  );
}

/** §5.4 leaf bytes of a record. */
export function leafBytes(record) {
  return concat(
    tag("leaf"),
    u64be(record.seq),
    i64be(record.ts),
    lp(actBytes(record.act)),
    fromBase64(record.sig),
  );
}

/** §5.5 checkpoint bytes. */
export function checkpointBytes(cp) {
  return concat(
    tag("checkpoint"),
    lp(cp.cell),
    u64be(cp.size),
    fixed(cp.root, 32, "root"),
    i64be(cp.ts),
  );
}

/** SHA-256 of bytes. */
export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

/** SHA-256(0x00 ‖ leaf). */
export async function leafHash(leaf) {
  return sha256(concat(new Uint8Array([0]), leaf));
}

/** SHA-256(0x01 ‖ left ‖ right). */
export async function nodeHash(left, right) {
  return sha256(concat(new Uint8Array([1]), left, right));
}

/** RFC 9162 Merkle tree hash of a list of leaf hashes (at least one). */
export async function treeRoot(hashes) {
  if (hashes.length === 1) return hashes[0];
  let k = 1;
  while (k * 2 < hashes.length) k *= 2;
  return nodeHash(await treeRoot(hashes.slice(0, k)), await treeRoot(hashes.slice(k)));
}

const PKCS8_V1_PREFIX = "302e020100300506032b657004220420";
const SPKI_PREFIX = "302a300506032b6570032100";

/**
 * The DER of a PEM `PRIVATE KEY` document holding an Ed25519 PKCS#8 v1 key (RFC 8410), the
 * form `fusioncell keygen` and `openssl genpkey` write. Throws a readable error otherwise.
 */
export function pkcs8FromPem(text) {
  const m = /-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\s]+)-----END PRIVATE KEY-----/.exec(text);
  if (!m) throw new Error("this file is not a PEM private key (-----BEGIN PRIVATE KEY-----)");
  let der;
  try {
    der = fromBase64(m[1].replace(/\s+/g, ""));
  } catch {
    throw new Error("the private key file's base64 is damaged");
  }
  if (der.length !== 48 || toHex(der.subarray(0, 16)) !== PKCS8_V1_PREFIX) {
    throw new Error("not an Ed25519 PKCS#8 v1 private key (expected 48 bytes, RFC 8410)");
  }
  return der;
}

/** Imports a private key (PKCS#8 DER) for signing; not extractable. */
export async function importPrivateKey(der) {
  return crypto.subtle.importKey("pkcs8", der, { name: "Ed25519" }, false, ["sign"]);
}

/** The 32-byte public key of a PKCS#8 v1 seed, derived by WebCrypto (via a JWK export of a
 * throwaway extractable import, which is then dropped). */
export async function publicKeyOf(der) {
  const k = await crypto.subtle.importKey("pkcs8", der, { name: "Ed25519" }, true, ["sign"]);
  const jwk = await crypto.subtle.exportKey("jwk", k);
  const b64 = jwk.x.replace(/-/g, "+").replace(/_/g, "/");
  return fromBase64(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
}

/** Imports a raw 32-byte public key (hex) for verifying. */
export async function importPublicKey(hex) {
  const raw = fixed(hex, 32, "public key");
  return crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, true, ["verify"]);
}

/** The SPKI DER of a raw public key, for comparison with key files. */
export function spkiOf(publicHex) {
  return concat(fromHex(SPKI_PREFIX), fixed(publicHex, 32, "public key"));
}

/** Ed25519 signature (64 bytes). */
export async function sign(privateKey, bytes) {
  return new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, privateKey, bytes));
}

/** Ed25519 verification; false on any malformed input. */
export async function verify(publicKey, sigBytes, bytes) {
  try {
    return await crypto.subtle.verify({ name: "Ed25519" }, publicKey, sigBytes, bytes);
  } catch {
    return false;
  }
}

/**
 * Builds a signed `act` frame: the header with the body's hash, the signature over the act
 * bytes. Returns the frame object (send it with JSON.stringify) and the act bytes.
 */
export async function signedAct(privateKey, { kind, cell, channel, actor, seq, ts, body }) {
  const act = { kind, cell };
  if (channel) act.channel = channel;
  Object.assign(act, { actor, seq, ts, body_sha256: toHex(await sha256(utf8(body))) });
  const bytes = actBytes(act);
  const sig = toBase64(await sign(privateKey, bytes));
  return { frame: { type: "act", act, body, sig }, bytes };
}

/**
 * Checks a delivered record (PROTOCOL.md §4.3): the cell, the body hash (unless redacted) and
 * the signature with `keyOf(actor)` (a CryptoKey, or null when the actor is unknown).
 */
export async function verifyRecord(record, cell, keyOf) {
  const act = record.act;
  if (!act || act.cell !== cell) return false;
  if (record.body !== null && record.body !== undefined) {
    const h = toHex(await sha256(utf8(record.body)));
    if (h !== String(act.body_sha256).toLowerCase()) return false;
  }
  const key = await keyOf(act.actor);
  if (!key) return false;
  let sig;
  try {
    sig = fromBase64(record.sig);
  } catch {
    return false;
  }
  if (sig.length !== 64) return false;
  return verify(key, sig, actBytes(act));
}
