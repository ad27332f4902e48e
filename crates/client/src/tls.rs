//! TLS client settings: trust exactly the cell's CA, TLS 1.3, the ring provider.

use std::sync::Arc;

use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use crate::ClientError;

/// Client settings that trust the certificates in `ca_pem` (and nothing else).
pub fn client_config(ca_pem: &[u8]) -> Result<Arc<ClientConfig>, ClientError> {
    let mut roots = RootCertStore::empty();
    let mut found = 0;
    for cert in CertificateDer::pem_slice_iter(ca_pem) {
        let cert = cert.map_err(|e| ClientError::Ca(e.to_string()))?;
        roots
            .add(cert)
            .map_err(|e| ClientError::Ca(e.to_string()))?;
        found += 1;
    }
    if found == 0 {
        return Err(ClientError::Ca("no CERTIFICATE block found".into()));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| ClientError::Ca(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
