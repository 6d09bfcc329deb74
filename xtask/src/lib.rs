//! Generators of large, valid ward policies for benchmarks. Not shipped in the `ward` binary.
//!
//! The output checks clean (a test in the compiler's benches asserts it), so benchmarks
//! measure the work of a real policy rather than the error path.

use std::fmt::Write;

const FUNCTIONS: [&str; 4] = ["sensing", "actuation", "monitoring", "access_control"];
const PROFILES: [&str; 3] = ["SecProf_2", "SecProf_3", "SecProf_4"];
/// Where the detection rules' `quarantine` moves things: one per policy.
const QUARANTINE_PLACE: &str = "/// Where PAVA moves the things it quarantines.\nclass quarantine \"Quarantine\" {\n  quarantine = true\n}\n\n";

/// One file of about `lines` lines: environments, gateways, services, classes with
/// doc comments, segments, flows and detection rules, in the proportions of a real policy.
pub fn policy(lines: usize) -> String {
    let mut out = String::with_capacity(lines * 32);
    out.push_str(QUARANTINE_PLACE);
    let mut unit = 0;
    let mut counted = 0;
    let mut line_count = 0;
    while line_count < lines {
        write_unit(&mut out, "", unit);
        line_count += out[counted..].matches('\n').count();
        counted = out.len();
        unit += 1;
    }
    // Formatted output ends with exactly one newline.
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

/// The declarations of one unit: a class, its segment, flows and, every 20 units, the
/// environment, gateway, service and detection rule the next units use.
fn write_unit(out: &mut String, prefix: &str, i: usize) {
    let group = i / 20;
    let profile = PROFILES[group % PROFILES.len()];
    if i % 20 == 0 {
        let _ = write!(
            out,
            "/// Deployment scope {group}.\n\
             environment {prefix}env_{group} \"Site {group}\" {{\n  likelihood default = moderate\n  \
             likelihood T22 = high\n  impact default = moderate\n  \
             accept T2, T9, T11, T12, T13, T14, T15, T16, T17, T18, T20, T21, T23, T24 because \"a generated site\"\n}}\n\n\
             gateway {prefix}gw_{group} \"Gateway {group}\" {{\n  address = 10.{}.{}.1\n}}\n\n\
             service {prefix}svc_{group} \"Service {group}\" {{\n  host = \"svc{group}.example\"\n  profile = {profile}\n}}\n\n\
             detect {prefix}logins_{group} \"Failed logins at site {group}\" {{\n  threat = T7\n  severity = high\n  \
             match syslog {{ app = /sshd|dropbear/, msg = /Failed password for .* from (?<src>\\S+)/ }}\n  \
             when count >= 5 within 10m by src\n  then {{ report user, manufacturer; quarantine }}\n}}\n\n",
            group % 250,
            (group / 250) % 250,
        );
    }
    let function = FUNCTIONS[i % FUNCTIONS.len()];
    let _ = write!(
        out,
        "/// Things of kind {i}.\n\
         class {prefix}c_{i} \"Class {i}\" {{\n  function = {function}\n  environment = {prefix}env_{group}\n  \
         capabilities = [x509, tls, secure_update, credential_rotation]\n  profile = {profile}\n  \
         credential_refresh = 30d // rotated monthly\n  match mud \"https://mud.example/{prefix}{i}/*\"\n}}\n\n\
         segment {prefix}s_{i} {{ classes = [{prefix}c_{i}], subnet = 10.{}.{}.0/24, gateway = {prefix}gw_{group} }}\n\n\
         flow {prefix}c_{i} -> {prefix}svc_{group} : tcp/8883 {{ action = report, via = {prefix}gw_{group} }}\n\
         flow {prefix}svc_{group} -> {prefix}c_{i} : tcp/8883 {{ action = configure, via = {prefix}gw_{group} }}\n\
         flow {prefix}c_{i} -> {prefix}gw_{group} : udp/514\n\
         flow {prefix}gw_{group} -> {prefix}c_{i} : udp/5683-5684\n\n",
        (i / 250) % 250,
        i % 250,
    );
}

/// A workspace of `files` files holding `classes` classes in total, ten classes to a segment
/// and four flows per class, as (path, text) pairs: `workspace(200, 5000)` is the issue's
/// 200 files, 5,000 classes, 500 segments and 20,000 flows.
pub fn workspace(files: usize, classes: usize) -> Vec<(String, String)> {
    let files = files.max(1);
    let per_file = classes.div_ceil(files);
    let mut next_segment = 0;
    (0..files)
        .map(|f| {
            let first = f * per_file;
            let count = per_file.min(classes.saturating_sub(first));
            let mut text = String::new();
            if f == 0 {
                text.push_str(QUARANTINE_PLACE);
            }
            // Two or three segments per file: 500 segments for 200 files, as the issue asks.
            let segments = if f % 2 == 0 {
                count.div_ceil(10)
            } else {
                count / 10
            };
            let segments = segments.max(1);
            write_file(&mut text, &format!("f{f}_"), next_segment, count, segments);
            next_segment += segments;
            text.truncate(text.trim_end().len());
            text.push('\n');
            (format!("gen/file_{f:03}.ward"), text)
        })
        .collect()
}

/// `count` classes with their environment, gateway, service, detection rule, flows, and
/// `segments` segments sharing the classes out evenly. Subnets are numbered across the
/// workspace from `first_segment`, so that no two segments overlap (E0503).
fn write_file(out: &mut String, prefix: &str, first_segment: usize, count: usize, segments: usize) {
    let profile = PROFILES[prefix.len() % PROFILES.len()];
    let _ = write!(
        out,
        "/// The site of {prefix}.\n\
         environment {prefix}env \"Site\" {{\n  likelihood default = moderate\n  \
         likelihood T22 = high\n  impact default = moderate\n  \
         accept T2, T9, T11, T12, T13, T14, T15, T16, T17, T18, T20, T21, T23, T24 because \"a generated site\"\n}}\n\n\
         gateway {prefix}gw \"Gateway\" {{\n  address = 10.0.0.1\n}}\n\n\
         service {prefix}svc \"Service\" {{\n  host = \"svc.example\"\n  profile = {profile}\n}}\n\n\
         detect {prefix}logins \"Failed logins\" {{\n  threat = T7\n  severity = high\n  \
         match syslog {{ app = /sshd|dropbear/, msg = /Failed password for .* from (?<src>\\S+)/ }}\n  \
         when count >= 5 within 10m by src\n  then {{ report user, manufacturer; quarantine }}\n}}\n\n"
    );
    for i in 0..count {
        let function = FUNCTIONS[i % FUNCTIONS.len()];
        let _ = write!(
            out,
            "/// Things of kind {i}.\n\
             class {prefix}c_{i} \"Class {i}\" {{\n  function = {function}\n  environment = {prefix}env\n  \
             capabilities = [x509, tls, secure_update, credential_rotation]\n  profile = {profile}\n  \
             credential_refresh = 30d // rotated monthly\n  match mud \"https://mud.example/{prefix}{i}/*\"\n}}\n\n\
             flow {prefix}c_{i} -> {prefix}svc : tcp/8883 {{ action = report, via = {prefix}gw }}\n\
             flow {prefix}svc -> {prefix}c_{i} : tcp/8883 {{ action = configure, via = {prefix}gw }}\n\
             flow {prefix}c_{i} -> {prefix}gw : udp/514\n\
             flow {prefix}gw -> {prefix}c_{i} : udp/5683-5684\n\n"
        );
    }
    for segment in 0..segments {
        let first = count * segment / segments;
        let end = count * (segment + 1) / segments;
        let members: Vec<String> = (first..end).map(|i| format!("{prefix}c_{i}")).collect();
        let _ = write!(
            out,
            "segment {prefix}s_{first} {{\n  classes = [{}]\n  subnet = 10.{}.{}.0/24\n  gateway = {prefix}gw\n}}\n\n",
            members.join(", "),
            (first_segment + segment) / 250 % 250,
            (first_segment + segment) % 250,
        );
    }
}
