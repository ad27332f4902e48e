//! Development certificates: a CA and a relay certificate it signs, for a cell that has no
//! certificates of its own. Clients trust exactly this CA (`relay.ca` in the cell file).

use std::net::IpAddr;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};

/// A CA and a relay certificate, as PEM.
pub struct DevCerts {
    /// The CA certificate clients trust.
    pub ca_pem: String,
    /// The CA's private key (keep it to issue more certificates; not needed to run).
    pub ca_key_pem: String,
    /// The relay's certificate.
    pub relay_pem: String,
    /// The relay's TLS private key.
    pub relay_key_pem: String,
}

/// Makes a development CA named after the cell and a relay certificate for `hosts` (DNS names
/// or IP addresses); `localhost`, `127.0.0.1` and `::1` are always included.
pub fn dev_certs(cell: &str, hosts: &[String]) -> Result<DevCerts, rcgen::Error> {
    let mut ca_params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(
        DnType::CommonName,
        format!("fusioncell development CA ({cell})"),
    );
    dn.push(DnType::OrganizationName, "fusioncell (development only)");
    ca_params.distinguished_name = dn;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_key = KeyPair::generate()?;
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca_params, &ca_key);

    let mut names: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
    for h in hosts {
        if !names.contains(h) {
            names.push(h.clone());
        }
    }
    let mut params = CertificateParams::default();
    params.subject_alt_names = names
        .iter()
        .map(|n| match n.parse::<IpAddr>() {
            Ok(ip) => Ok(SanType::IpAddress(ip)),
            Err(_) => n.clone().try_into().map(SanType::DnsName),
        })
        .collect::<Result<_, _>>()?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, format!("fusioncell relay ({cell})"));
    params.distinguished_name = dn;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let relay_key = KeyPair::generate()?;
    let relay_cert = params.signed_by(&relay_key, &issuer)?;
    Ok(DevCerts {
        ca_pem: ca_cert.pem(),
        ca_key_pem: ca_key.serialize_pem(),
        relay_pem: relay_cert.pem(),
        relay_key_pem: relay_key.serialize_pem(),
    })
}
