//! MUD signatures (RFC 8520 section 13) made by Debian's `openssl cms`, as a manufacturer
//! would: detached, DER, with the signer's certificate. RSA and ECDSA P-256 signers verify
//! against their CA; a signer of another CA, altered bytes, an opaque signature and junk do
//! not.

use std::path::Path;
use std::time::SystemTime;

use ward_gateway::mud_signature::{anchors_from_pem, verify};

#[path = "../../tests/support/openssl.rs"]
mod openssl;
use openssl::{available, pki, sign};

#[test]
fn signatures_of_the_manufacturer_verify_and_others_do_not() {
    if !available() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let dir = dir.path();
    let mud = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../mud/tests/fixtures/nist-unsw-devices/tplinkplugMud.json"),
    )
    .expect("MUD");
    std::fs::write(dir.join("mud.json"), &mud).expect("write");
    let now = SystemTime::now();
    for kind in ["rsa", "ec"] {
        let (ca, signer) = (format!("maker-ca-{kind}"), format!("maker-signer-{kind}"));
        pki(dir, &ca, &signer, kind);
        let anchors =
            anchors_from_pem(&std::fs::read_to_string(dir.join(format!("{ca}.pem"))).expect("CA"))
                .expect("anchors");
        let signature = sign(dir, &signer, &format!("{kind}.p7s"), &[]);
        let verified = verify(&mud, &signature, &anchors, now);
        assert!(
            verified.as_deref().is_ok_and(|s| s.contains(&signer)),
            "{kind}: {verified:?}"
        );
        // The signature value changed (its last byte, at the end of the DER).
        let mut tampered = signature.clone();
        if let Some(last) = tampered.last_mut() {
            *last ^= 1;
        }
        let refused = verify(&mud, &tampered, &anchors, now).expect_err("tampered");
        assert!(refused.contains("does not verify"), "{kind}: {refused}");
        // One byte of the file changed.
        let mut altered = mud.clone();
        altered[10] ^= 1;
        let refused = verify(&altered, &signature, &anchors, now).expect_err("altered");
        assert!(refused.contains("other bytes"), "{refused}");
        // The signature carrying its content (opaque) is not a MUD signature.
        let opaque = sign(dir, &signer, &format!("{kind}-opaque.p7s"), &["-nodetach"]);
        let refused = verify(&mud, &opaque, &anchors, now).expect_err("opaque");
        assert!(refused.contains("detached"), "{refused}");
    }
    // A signer certified by another CA (the same name, even): not this manufacturer's.
    pki(dir, "other-ca", "maker-signer-rsa", "rsa");
    let forged = sign(dir, "maker-signer-rsa", "forged.p7s", &[]);
    let anchors =
        anchors_from_pem(&std::fs::read_to_string(dir.join("maker-ca-rsa.pem")).expect("CA"))
            .expect("anchors");
    let refused = verify(&mud, &forged, &anchors, now).expect_err("forged");
    assert!(refused.contains("trust anchor"), "{refused}");
    // Expired: judged a year from now.
    let later = now + std::time::Duration::from_secs(365 * 86_400);
    let signature = std::fs::read(dir.join("ec.p7s")).expect("signature");
    let anchors =
        anchors_from_pem(&std::fs::read_to_string(dir.join("maker-ca-ec.pem")).expect("CA"))
            .expect("anchors");
    let refused = verify(&mud, &signature, &anchors, later).expect_err("expired");
    assert!(refused.contains("not valid now"), "{refused}");
    // Junk.
    assert!(verify(&mud, b"not a signature", &anchors, now).is_err());
    assert!(verify(&mud, &[], &anchors, now).is_err());
}
