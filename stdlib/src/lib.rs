//! The ward standard library: the draft's threats, mitigations, capabilities and security
//! profiles, and detection rules for its threats, written in ward and embedded in every binary. The compiler always loads it.

/// One file of the standard library.
#[derive(Clone, Copy, Debug)]
pub struct StdlibFile {
    /// The path users see in diagnostics and in "go to definition": `<stdlib>/threats.ward`.
    pub path: &'static str,
    pub text: &'static str,
}

/// The files of the standard library, in a fixed order.
pub const FILES: &[StdlibFile] = &[
    StdlibFile {
        path: "<stdlib>/threats.ward",
        text: include_str!("../ward/threats.ward"),
    },
    StdlibFile {
        path: "<stdlib>/mitigations.ward",
        text: include_str!("../ward/mitigations.ward"),
    },
    StdlibFile {
        path: "<stdlib>/capabilities.ward",
        text: include_str!("../ward/capabilities.ward"),
    },
    StdlibFile {
        path: "<stdlib>/profiles.ward",
        text: include_str!("../ward/profiles.ward"),
    },
    StdlibFile {
        path: "<stdlib>/detections.ward",
        text: include_str!("../ward/detections.ward"),
    },
    StdlibFile {
        path: "<stdlib>/endpoints.ward",
        text: include_str!("../ward/endpoints.ward"),
    },
];

/// Whether a path names a file of the standard library.
pub fn is_stdlib_path(path: &str) -> bool {
    path.starts_with("<stdlib>/")
}
