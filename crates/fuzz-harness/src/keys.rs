//! Key files (`fusioncell-keys`): PKCS#8 private keys in PEM or DER, SPKI public keys in PEM.

use fusioncell_keys::{PublicKey, SigningKey};

/// A key file: a private key that loads writes PEM and DER that load as the same key, and its
/// signature verifies under its public key; a public key that loads writes PEM that loads as
/// the same key. The raw bytes are also tried as PKCS#8 DER.
pub fn key_pem(data: &[u8]) -> bool {
    let mut accepted = false;
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(key) = SigningKey::from_pkcs8_pem(text) {
            same_key(&key);
            accepted = true;
        }
        if let Ok(public) = PublicKey::from_pem(text) {
            let again = PublicKey::from_pem(&public.to_pem()).expect("a written public key loads");
            assert_eq!(again.bytes(), public.bytes());
            accepted = true;
        }
    }
    if let Ok(key) = SigningKey::from_pkcs8_der(data) {
        same_key(&key);
        accepted = true;
    }
    accepted
}

fn same_key(key: &SigningKey) {
    let public = key.public_key();
    let pem = SigningKey::from_pkcs8_pem(&key.to_pkcs8_pem()).expect("a written PEM loads");
    assert_eq!(pem.public_key().bytes(), public.bytes());
    let der = SigningKey::from_pkcs8_der(&key.to_pkcs8_der()).expect("a written DER loads");
    assert_eq!(der.public_key().bytes(), public.bytes());
    let sig = key.sign(b"fusioncell fuzz");
    assert!(public.verify(b"fusioncell fuzz", &sig).is_ok());
}
