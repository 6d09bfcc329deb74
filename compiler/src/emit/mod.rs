//! The policy bundle's contents: every file a gateway needs, emitted from the IR, with a
//! manifest of digests. Files are kept in a sorted map and contain no timestamps: the same
//! sources give byte-identical bundles. The container they travel in (signed, packed) is
//! `crate::bundle`.

pub mod cedar;
pub mod devices;
pub mod graph;
pub mod nft;
pub mod pava;
pub mod report;

use std::collections::BTreeMap;

use serde_json::{Value, json};

pub use crate::bundle::{Bundle, FORMAT_VERSION, sha256_hex, sha256_hex_bytes};
use crate::db::{Db, Workspace};
use crate::ir::build_ir;

/// Options of a build.
#[derive(Clone, Copy, Debug, Default)]
pub struct BuildOptions<'a> {
    /// Also write Sigma rules under `sigma/`.
    pub sigma: bool,
    /// Where the policy's sources are browsed (`https://git.example/policy/blob/main/`):
    /// report.html links each `file.ward:12` to `BASE/file.ward#L12`.
    pub source_url: Option<&'a str>,
    /// The policy's tests, run on this bundle (`ward build --test`): the report says how
    /// they went.
    pub tests: Option<&'a report::TestResults>,
}

#[derive(Debug)]
pub enum BuildError {
    /// The policy has errors; nothing is built.
    Invalid(crate::CheckResult),
    /// The compiler produced something its own validators refuse.
    Bug(String),
}

fn json_bytes(value: &Value) -> Vec<u8> {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text.into_bytes()
}

/// CBOR of a JSON value (RFC 8949): the same content, smaller and faster to read.
pub fn cbor_bytes(value: &Value) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

/// Builds the bundle of a workspace, or says why not.
pub fn build(
    db: &dyn Db,
    workspace: Workspace,
    options: BuildOptions,
) -> Result<Bundle, BuildError> {
    let result = crate::check::check(db, workspace);
    if result.has_errors() {
        return Err(BuildError::Invalid(result));
    }
    let ir = build_ir(db, workspace);
    let mut files = BTreeMap::new();
    let add_json = |files: &mut BTreeMap<String, Vec<u8>>, stem: &str, value: &Value| {
        files.insert(format!("{stem}.json"), json_bytes(value));
        cbor_bytes(value).map(|cbor| {
            files.insert(format!("{stem}.cbor"), cbor);
        })
    };
    for class in &ir.classes {
        add_json(
            &mut files,
            &format!("devices/{}", class.name),
            &devices::device(&ir, class),
        )
        .map_err(BuildError::Bug)?;
    }
    add_json(&mut files, "pava/rules", &pava::rules(&ir)).map_err(BuildError::Bug)?;
    if options.sigma {
        for rule in &ir.detections {
            files.insert(
                format!("sigma/{}.yml", rule.name),
                pava::sigma(rule).into_bytes(),
            );
        }
    }
    files.insert(
        "firewall/ruleset.nft".to_string(),
        nft::ruleset(&ir).into_bytes(),
    );
    let schema = cedar::schema(&ir);
    let policies = cedar::policies(&ir);
    cedar::validate(&schema, &policies).map_err(|bug| BuildError::Bug(bug.to_string()))?;
    files.insert("cedar/schema.cedarschema".to_string(), schema.into_bytes());
    files.insert("cedar/policy.cedar".to_string(), policies.into_bytes());
    let report = report::markdown(db, workspace, &ir, options.tests);
    files.insert(
        "report.html".to_string(),
        report::html(&report, &graph::svg(&ir), options.source_url).into_bytes(),
    );
    files.insert("report.md".to_string(), report.into_bytes());
    // The IR, for `ward diff`: CBOR, as it is for tools, not people.
    files.insert(
        "ir.cbor".to_string(),
        cbor_bytes(&json!(ir)).map_err(BuildError::Bug)?,
    );

    let manifest = manifest(db, workspace, &files);
    files.insert("manifest.json".to_string(), json_bytes(&manifest));
    Ok(Bundle { files })
}

/// The manifest: format version, revision, compiler, source and file digests.
fn manifest(db: &dyn Db, workspace: Workspace, files: &BTreeMap<String, Vec<u8>>) -> Value {
    let entries: Vec<Value> = files
        .iter()
        .map(|(path, bytes)| json!({ "path": path, "sha256": sha256_hex(bytes), "bytes": bytes.len() }))
        .collect();
    let mut sources: Vec<(String, String)> = workspace
        .files(db)
        .iter()
        .map(|f| (f.path(db).clone(), sha256_hex(f.text(db).as_bytes())))
        .collect();
    sources.sort();
    let mut revision_input = String::new();
    for (path, bytes) in files {
        revision_input.push_str(&format!("{path} {}\n", sha256_hex(bytes)));
    }
    json!({
        "format": "ward.bundle",
        "format_version": FORMAT_VERSION,
        "revision": sha256_hex(revision_input.as_bytes()),
        "compiler": format!("ward {}", env!("CARGO_PKG_VERSION")),
        "sources": sources.iter().map(|(p, d)| json!({ "path": p, "sha256": d })).collect::<Vec<_>>(),
        "files": entries,
    })
}
