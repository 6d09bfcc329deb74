//! A manufacturer's PKI made with Debian's `openssl`, as the MUD signature tests need it: a
//! CA, a signer it certifies, and detached CMS signatures of files (shared by
//! gateway/tests/mud_signature.rs and tests/api_door.rs).

use std::path::Path;
use std::process::Command;

pub fn openssl(dir: &Path, args: &[&str]) {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

pub fn available() -> bool {
    if Command::new("openssl").arg("version").output().is_ok() {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("CI must have openssl (Debian's openssl package)");
    }
    eprintln!("SKIPPED: the MUD signature test needs openssl (CI runs it)");
    false
}

/// A CA (`<ca>.pem`) and a signer it certifies (`<signer>.pem`, `<signer>.key`), of `kind`:
/// `rsa` or `ec`.
pub fn pki(dir: &Path, ca: &str, signer: &str, kind: &str) {
    let key = |name: &str| match kind {
        "ec" => openssl(
            dir,
            &[
                "ecparam",
                "-name",
                "prime256v1",
                "-genkey",
                "-noout",
                "-out",
                &format!("{name}.key"),
            ],
        ),
        _ => openssl(
            dir,
            &[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-out",
                &format!("{name}.key"),
            ],
        ),
    };
    key(ca);
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-new",
            "-key",
            &format!("{ca}.key"),
            "-out",
            &format!("{ca}.pem"),
            "-subj",
            &format!("/CN={ca}"),
            "-days",
            "30",
        ],
    );
    key(signer);
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-key",
            &format!("{signer}.key"),
            "-out",
            &format!("{signer}.csr"),
            "-subj",
            &format!("/CN={signer}"),
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &format!("{signer}.csr"),
            "-CA",
            &format!("{ca}.pem"),
            "-CAkey",
            &format!("{ca}.key"),
            "-CAcreateserial",
            "-out",
            &format!("{signer}.pem"),
            "-days",
            "30",
        ],
    );
}

/// `mud.json` in `dir` signed by `signer` (detached, DER, into `out`): the signature's bytes.
pub fn sign(dir: &Path, signer: &str, out: &str, extra: &[&str]) -> Vec<u8> {
    sign_file(dir, signer, "mud.json", out, extra);
    std::fs::read(dir.join(out)).expect("signature")
}

/// `input` signed by `signer` (`<signer>.pem`, `<signer>.key` in `dir`), detached, DER, into
/// `out`, as `openssl cms -sign` makes it.
pub fn sign_file(dir: &Path, signer: &str, input: &str, out: &str, extra: &[&str]) {
    let (cert, key) = (format!("{signer}.pem"), format!("{signer}.key"));
    let mut args = vec![
        "cms", "-sign", "-binary", "-in", input, "-signer", &cert, "-inkey", &key, "-outform",
        "DER", "-out", out, "-md", "sha256",
    ];
    args.extend_from_slice(extra);
    openssl(dir, &args);
}
