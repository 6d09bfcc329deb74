//! What a client certificate says of its holder: its name (the subject's common name, else
//! its first DNS name) and, for a thing's 802.1AR certificate, the MUD URL extension of
//! RFC 8520 section 10 (id-pe-mud-url, 1.3.6.1.5.5.7.1.25: an IA5String).

use rustls_pki_types::CertificateDer;

/// The OID of the MUD URL extension, as x509-parser prints OIDs.
const MUD_URL_OID: &str = "1.3.6.1.5.5.7.1.25";
/// The longest MUD URL read from a certificate (a URL is an onboarding key, not a payload).
const MAX_MUD_URL: usize = 2048;

/// What the API knows of a caller from its verified certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientCertificate {
    pub name: String,
    pub mud_url: Option<String>,
}

/// Reads a certificate the TLS layer has already verified against the client CA.
pub fn read(cert: &CertificateDer<'_>) -> Option<ClientCertificate> {
    let name = crate::pava::tls::identity(cert)?;
    let (_, parsed) = x509_parser::parse_x509_certificate(cert.as_ref()).ok()?;
    let mud_url = parsed
        .extensions()
        .iter()
        .find(|e| e.oid.to_id_string() == MUD_URL_OID)
        .and_then(|e| ia5_string(e.value));
    Some(ClientCertificate { name, mud_url })
}

/// A DER IA5String (tag 22) of printable ASCII, short form or long form length.
fn ia5_string(der: &[u8]) -> Option<String> {
    let (&tag, rest) = der.split_first()?;
    if tag != 0x16 {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, body) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 2 || rest.len() < count {
            return None;
        }
        let len = rest[..count]
            .iter()
            .fold(0usize, |n, b| (n << 8) | usize::from(*b));
        (len, &rest[count..])
    };
    if len != body.len() || len > MAX_MUD_URL || !body.iter().all(|b| (0x21..0x7f).contains(b)) {
        return None;
    }
    String::from_utf8(body.to_vec()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ia5_strings_read_in_short_and_long_form() {
        let url = b"https://example.com/lock";
        let mut short = vec![0x16, url.len() as u8];
        short.extend_from_slice(url);
        assert_eq!(
            ia5_string(&short).as_deref(),
            Some("https://example.com/lock")
        );
        let long_url = format!("https://example.com/{}", "a".repeat(200));
        let mut long = vec![0x16, 0x81, long_url.len() as u8];
        long.extend_from_slice(long_url.as_bytes());
        assert_eq!(ia5_string(&long), Some(long_url));
        // Another tag, a length that lies, a space, a control character.
        assert_eq!(ia5_string(&[0x0c, 1, b'a']), None);
        assert_eq!(ia5_string(&[0x16, 5, b'a']), None);
        assert_eq!(ia5_string(&[0x16, 1, b' ']), None);
        assert_eq!(ia5_string(&[0x16, 1, 0x07]), None);
    }
}
