//! Fixed-size byte values and their text forms on the wire: digests, public keys and nonces
//! as lowercase hex, signatures as standard base64 (with padding).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! hex_bytes {
    ($(#[$doc:meta])* $name:ident, $len:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub [u8; $len]);

        impl $name {
            /// Length in bytes.
            pub const LEN: usize = $len;

            /// Parses lowercase or uppercase hex of exactly [`Self::LEN`] bytes.
            pub fn from_hex(s: &str) -> Result<Self, String> {
                let mut out = [0u8; $len];
                hex::decode_to_slice(s, &mut out).map_err(|e| {
                    format!("expected {} hex characters: {e}", 2 * $len)
                })?;
                Ok(Self(out))
            }

            /// Lowercase hex.
            pub fn to_hex(&self) -> String {
                hex::encode(self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.to_hex())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_hex())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_hex())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = std::borrow::Cow::<str>::deserialize(d)?;
                Self::from_hex(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

hex_bytes!(
    /// A SHA-256 digest.
    Digest,
    32
);
hex_bytes!(
    /// An Ed25519 public key (32 bytes, RFC 8032 encoding).
    PublicKeyBytes,
    32
);
hex_bytes!(
    /// A 32-byte login challenge from the relay's CSPRNG.
    Nonce,
    32
);

/// An Ed25519 signature (64 bytes), base64 on the wire.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SignatureBytes(pub [u8; 64]);

impl SignatureBytes {
    /// Length in bytes.
    pub const LEN: usize = 64;

    /// Parses standard base64 of exactly 64 bytes.
    pub fn from_base64(s: &str) -> Result<Self, String> {
        let v = B64
            .decode(s)
            .map_err(|e| format!("signature is not base64: {e}"))?;
        let arr: [u8; 64] = v
            .try_into()
            .map_err(|v: Vec<u8>| format!("signature must be 64 bytes, got {}", v.len()))?;
        Ok(Self(arr))
    }

    /// Standard base64 with padding.
    pub fn to_base64(&self) -> String {
        B64.encode(self.0)
    }
}

impl fmt::Debug for SignatureBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SignatureBytes({})", self.to_base64())
    }
}

impl Serialize for SignatureBytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_base64())
    }
}

impl<'de> Deserialize<'de> for SignatureBytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<str>::deserialize(d)?;
        Self::from_base64(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_length() {
        let d = Digest([0xab; 32]);
        let s = serde_json::to_string(&d).unwrap();
        assert_eq!(serde_json::from_str::<Digest>(&s).unwrap(), d);
        assert!(Digest::from_hex("abcd").is_err());
        assert!(Digest::from_hex(&"zz".repeat(32)).is_err());
    }

    #[test]
    fn signature_length_is_checked() {
        let sig = SignatureBytes([7; 64]);
        let s = serde_json::to_string(&sig).unwrap();
        assert_eq!(serde_json::from_str::<SignatureBytes>(&s).unwrap(), sig);
        assert!(SignatureBytes::from_base64("AAAA").is_err());
        assert!(SignatureBytes::from_base64("not base64!").is_err());
    }
}
