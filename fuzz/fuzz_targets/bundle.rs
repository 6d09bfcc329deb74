//! The signed bundle reader (COSE_Sign1, CBOR, LZ4 chunks) on a real signed bundle with the
//! fuzzer's changes: no panic, and a bundle is accepted only with the very files that were
//! signed (a change the signature does not cover, in the unprotected header, may pass; one
//! to anything signed may not).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use ward_compiler::Policy;
use ward_compiler::bundle::Bundle;
use ward_compiler::bundle::sign::{generate_key, load_signed, sign, signing_key, verifying_key};
use ward_compiler::emit::{BuildOptions, build};

struct Signed {
    bytes: Vec<u8>,
    bundle: Bundle,
    key: ed25519_dalek::VerifyingKey,
}

fn signed() -> &'static Signed {
    static SIGNED: OnceLock<Signed> = OnceLock::new();
    SIGNED.get_or_init(|| {
        let mut policy = Policy::default();
        policy.add_file(
            "p.ward",
            "class plug { function = sensing, profile = SecProf_1, capabilities = [x509, tls, second_factor] }\n\
             segment plugs { classes = [plug], subnet = 10.1.0.0/24 }\n",
        );
        let bundle = build(policy.db(), policy.workspace(), BuildOptions::default())
            .expect("the seed policy builds");
        let (private, public) = generate_key().expect("key");
        let bytes = sign(&bundle, &signing_key(&private).expect("key"), 7).expect("signed");
        Signed {
            bytes,
            bundle,
            key: verifying_key(&public).expect("key"),
        }
    })
}

fuzz_target!(|changes: Vec<(u32, u8)>| {
    let signed = signed();
    let mut bytes = signed.bytes.clone();
    for (at, xor) in changes.iter().take(16) {
        let at = *at as usize % bytes.len();
        bytes[at] ^= xor;
    }
    // A truncation or an extension too, when the fuzzer says so.
    if let Some((at, _)) = changes.first()
        && at % 7 == 0
    {
        bytes.truncate(*at as usize % (bytes.len() + 1));
    }
    if let Ok(loaded) = load_signed(&bytes, &signed.key) {
        assert_eq!(
            loaded.bundle.files, signed.bundle.files,
            "accepted files that were not signed"
        );
    }
});
