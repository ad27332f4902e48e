// Keeping the login key across reloads, when the user asks ("Keep me logged in on this
// browser"): the WebCrypto key the page imported — Ed25519, sign only, NOT extractable — is
// stored as the CryptoKey object itself in this origin's IndexedDB. The browser keeps the key
// material; no script, this page's included, can read it back, only sign with it. Log out
// removes it. The trade-off is written in SECURITY.md ("The console's kept login key").

const DB = "fusioncell-console";
const STORE = "login";
const ENTRY = "kept";

function database() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function request(mode, makeRequest) {
  const db = await database();
  try {
    return await new Promise((resolve, reject) => {
      const req = makeRequest(db.transaction(STORE, mode).objectStore(STORE));
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  } finally {
    db.close();
  }
}

/** Keeps `key` (which must be a non-extractable signing key) for `identity` of `cell`. */
export async function keepLogin(identity, cell, key) {
  if (!(key instanceof CryptoKey) || key.extractable || key.type !== "private") {
    throw new Error("only a non-extractable private key is kept");
  }
  await request("readwrite", (s) => s.put({ identity, cell, key }, ENTRY));
}

/** The kept login ({identity, cell, key}), or null. */
export async function keptLogin() {
  const kept = await request("readonly", (s) => s.get(ENTRY));
  return kept && kept.key instanceof CryptoKey && typeof kept.identity === "string" ? kept : null;
}

/** Removes the kept login (log-out, or a kept key the relay refused). */
export async function forgetLogin() {
  await request("readwrite", (s) => s.delete(ENTRY));
}
