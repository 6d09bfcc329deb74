//! The little CBOR (RFC 8949) that signed bundles need, read and written by hand: a general
//! decoder builds a value tree first, which for tens of megabytes costs more than the
//! signature check. Only definite lengths; every length is checked against the input.

/// Reads the CBOR head at `at`: (major type, argument, position after it). Only definite
/// lengths: ward writes no indefinite ones.
pub fn cbor_head(bytes: &[u8], at: usize) -> Option<(u8, u64, usize)> {
    let first = *bytes.get(at)?;
    let major = first >> 5;
    let info = first & 0x1f;
    let (value, size) = match info {
        0..=23 => (u64::from(info), 0),
        24 => (u64::from(*bytes.get(at + 1)?), 1),
        25 => (
            u64::from(u16::from_be_bytes(
                bytes.get(at + 1..at + 3)?.try_into().ok()?,
            )),
            2,
        ),
        26 => (
            u64::from(u32::from_be_bytes(
                bytes.get(at + 1..at + 5)?.try_into().ok()?,
            )),
            4,
        ),
        27 => (
            u64::from_be_bytes(bytes.get(at + 1..at + 9)?.try_into().ok()?),
            8,
        ),
        _ => return None,
    };
    Some((major, value, at + 1 + size))
}

/// The item of major type `want` at `at`, as a slice, and the position after it.
pub fn cbor_string(bytes: &[u8], at: usize, want: u8) -> Option<(&[u8], usize)> {
    let (major, len, start) = cbor_head(bytes, at)?;
    let end = usize::try_from(len)
        .ok()
        .and_then(|len| start.checked_add(len))
        .filter(|end| *end <= bytes.len())?;
    (major == want).then(|| (&bytes[start..end], end))
}

/// A CBOR head in its shortest form, as deterministic encoding requires.
pub fn write_head(out: &mut Vec<u8>, major: u8, len: usize) {
    let major = major << 5;
    let len = len as u64;
    if len < 24 {
        out.push(major | len as u8);
    } else if let Ok(len) = u8::try_from(len) {
        out.extend_from_slice(&[major | 24, len]);
    } else if let Ok(len) = u16::try_from(len) {
        out.push(major | 25);
        out.extend_from_slice(&len.to_be_bytes());
    } else if let Ok(len) = u32::try_from(len) {
        out.push(major | 26);
        out.extend_from_slice(&len.to_be_bytes());
    } else {
        out.push(major | 27);
        out.extend_from_slice(&len.to_be_bytes());
    }
}

/// A text key and byte-string value, as in a map of files.
pub fn write_file_entry(out: &mut Vec<u8>, path: &str, content: &[u8]) {
    write_head(out, 3, path.len());
    out.extend_from_slice(path.as_bytes());
    write_head(out, 2, content.len());
    out.extend_from_slice(content);
}

/// A map of path (text) -> content (bytes), borrowed from `bytes`, in the order written.
pub fn read_file_map(bytes: &[u8]) -> Result<Vec<(&str, &[u8])>, String> {
    let (major, count, mut at) = cbor_head(bytes, 0).ok_or("no map")?;
    if major != 5 {
        return Err("no map".to_string());
    }
    let mut files = Vec::new();
    for _ in 0..count {
        let (path, next) = cbor_string(bytes, at, 3).ok_or("a path is truncated or not text")?;
        let path = std::str::from_utf8(path).map_err(|_| "a path is not UTF-8")?;
        let (content, next) = cbor_string(bytes, next, 2)
            .ok_or_else(|| format!("`{path}` is truncated or not a byte string"))?;
        files.push((path, content));
        at = next;
    }
    if at != bytes.len() {
        return Err("trailing bytes".to_string());
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn encoded(files: &[(&str, &[u8])]) -> Vec<u8> {
        let map: BTreeMap<String, ciborium::Value> = files
            .iter()
            .map(|(p, b)| (p.to_string(), ciborium::Value::Bytes(b.to_vec())))
            .collect();
        let mut out = Vec::new();
        ciborium::into_writer(&map, &mut out).expect("encodes");
        out
    }

    #[test]
    fn reads_and_writes_what_ciborium_does() {
        let big = vec![7u8; 70_000];
        let files: [(&str, &[u8]); 3] = [("a.json", b"{}"), ("b/c.cbor", &big), ("empty", b"")];
        let bytes = encoded(&files);
        assert_eq!(read_file_map(&bytes).expect("decodes"), files.to_vec());
        let mut written = vec![0xa3];
        for (path, content) in files {
            write_file_entry(&mut written, path, content);
        }
        assert_eq!(written, bytes);
    }

    #[test]
    fn refuses_bad_input_without_panicking() {
        let bytes = encoded(&[("a.json", b"{\"x\": 1}"), ("b", b"xyz")]);
        for end in 0..bytes.len() {
            assert!(read_file_map(&bytes[..end]).is_err(), "truncated at {end}");
        }
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert!(read_file_map(&trailing).is_err());
        // A map claiming 2^64-1 entries, a text claiming a huge length.
        assert!(read_file_map(&[0xbb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(
            read_file_map(&[0xa1, 0x7b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).is_err()
        );
        // Indefinite lengths, a number where a path should be.
        assert!(read_file_map(&[0xbf]).is_err());
        assert!(read_file_map(&[0xa1, 0x01, 0x40]).is_err());
    }
}
