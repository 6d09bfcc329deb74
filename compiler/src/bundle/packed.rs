//! The payload of a signed bundle: the bundle's files in CBOR, in LZ4-compressed chunks.
//!
//! The payload is a CBOR array of byte strings. Each is an LZ4 block (uncompressed size
//! prepended) holding a CBOR map from path (text) to content (bytes); the first holds
//! `manifest.json` alone, the others the remaining files in path order, about 1 MB each.
//!
//! Why compressed: Ed25519 hashes the whole payload with SHA-512, which has no hardware help
//! here (~0.5 GB/s in sha2). A bundle is repetitive text (JSON, nftables, Markdown): the
//! 5,000-class benchmark bundle packs from 48.6 MB to about 6 MB, so the signature check is
//! 8x cheaper and a gateway downloads 8x less. LZ4 because its decoder (~5 GB/s, pure Rust,
//! no unsafe) costs a fraction of the SHA-256 digests that follow it. Why chunks: LZ4 looks
//! back only 64 KB, so 1 MB chunks compress as well as one stream, and the chunks are
//! unpacked and checked on all cores. Compressing each file on its own packed to 15 MB: most
//! files are small and alike.
//!
//! No decompressed size is believed before the manifest accounts for it.

use std::collections::HashMap;

use super::Bundle;
use super::cbor::{cbor_head, cbor_string, read_file_map, write_file_entry, write_head};
use super::parallel;
use super::sign::{FileEntry, Manifest, SignError, read_manifest};

/// The most a signed bundle may unpack to: a bound for unverified input (`ward diff`
/// without a key), far above any real policy (the 5,000-class benchmark is ~50 MB).
pub const MAX_UNPACKED_BYTES: usize = 1 << 30;

/// The manifest is unpacked before anything vouches for its size: it gets its own bound.
const MAX_MANIFEST_BYTES: usize = 64 << 20;

/// Files are packed in runs of about this many bytes.
const CHUNK_BYTES: usize = 1 << 20;

/// The payload of a bundle.
pub fn pack(bundle: &Bundle) -> Result<Vec<u8>, SignError> {
    let manifest = bundle
        .files
        .get("manifest.json")
        .ok_or_else(|| SignError::Malformed("no manifest.json".to_string()))?;
    let mut chunks: Vec<Vec<(&str, &[u8])>> = vec![vec![("manifest.json", manifest)]];
    let mut current: Vec<(&str, &[u8])> = Vec::new();
    let mut size = 0;
    for (path, content) in &bundle.files {
        if path == "manifest.json" {
            continue;
        }
        if !current.is_empty() && size + content.len() > CHUNK_BYTES {
            chunks.push(std::mem::take(&mut current));
            size = 0;
        }
        current.push((path, content));
        size += content.len();
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    let compressed = parallel::map(&chunks, |files| {
        let mut raw = Vec::with_capacity(files.iter().map(|(p, c)| p.len() + c.len() + 18).sum());
        write_head(&mut raw, 5, files.len());
        for (path, content) in files {
            write_file_entry(&mut raw, path, content);
        }
        Ok(lz4_flex::block::compress_prepend_size(&raw))
    })?;
    let mut out = Vec::with_capacity(compressed.iter().map(|c| c.len() + 9).sum::<usize>() + 9);
    write_head(&mut out, 4, compressed.len());
    for chunk in compressed {
        write_head(&mut out, 2, chunk.len());
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// Unpacks a payload and checks it against its manifest: format version, every listed file
/// present once with its size and digest, nothing unlisted.
pub fn unpack(payload: &[u8]) -> Result<(Bundle, Manifest), SignError> {
    let (manifest_bytes, manifest, contents) = walk(payload, true)?;
    let mut files: std::collections::BTreeMap<String, Vec<u8>> = contents
        .into_iter()
        .filter_map(|(at, content)| Some((manifest.files.get(at)?.path.clone(), content?)))
        .collect();
    files.insert("manifest.json".to_string(), manifest_bytes);
    Ok((Bundle { files }, manifest))
}

/// Checks a payload as `unpack` does, keeping nothing but the manifest: each chunk is
/// unpacked into the worker's scratch buffer, so checking a 50 MB bundle allocates (and
/// page-faults) no 50 MB.
pub fn check(payload: &[u8]) -> Result<Manifest, SignError> {
    walk(payload, false).map(|(_, manifest, _)| manifest)
}

/// A file found in a chunk: its index in the manifest, and its content when kept.
type Found = (usize, Option<Vec<u8>>);

/// Reads every chunk, checks every file, and (with `keep`) returns their contents.
fn walk(payload: &[u8], keep: bool) -> Result<(Vec<u8>, Manifest, Vec<Found>), SignError> {
    thread_local! {
        static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let chunks = chunks(payload)?;
    let (first, rest) = chunks
        .split_first()
        .ok_or_else(|| SignError::Malformed("the payload has no manifest".to_string()))?;
    let manifest_bytes = manifest_chunk(first)?;
    let manifest = read_manifest(&manifest_bytes)?;
    let sizes = within_budget(&manifest, rest)?;
    let index: HashMap<&str, usize> = manifest
        .files
        .iter()
        .enumerate()
        .map(|(at, entry)| (entry.path.as_str(), at))
        .collect();
    let work: Vec<(&[u8], usize)> = rest.iter().copied().zip(sizes).collect();
    let found = parallel::map(&work, |(chunk, size)| {
        SCRATCH.with_borrow_mut(|scratch| {
            if scratch.len() < *size {
                scratch.resize(*size, 0);
            }
            let raw = unpack_chunk(chunk, &mut scratch[..*size])?;
            let files = read_file_map(raw).map_err(|what| {
                SignError::Malformed(format!("the payload is not a map of files ({what})"))
            })?;
            let mut found = Vec::with_capacity(files.len());
            for (path, content) in files {
                let at = *index
                    .get(path)
                    .ok_or_else(|| SignError::Digest(format!("`{path}` is not in the manifest")))?;
                digest_matches(&manifest.files[at], content)?;
                found.push((at, keep.then(|| content.to_vec())));
            }
            Ok(found)
        })
    })?;
    let found: Vec<Found> = found.into_iter().flatten().collect();
    let mut seen = vec![false; manifest.files.len()];
    for (at, _) in &found {
        if std::mem::replace(&mut seen[*at], true) {
            let path = &manifest.files[*at].path;
            return Err(SignError::Digest(format!("`{path}` appears twice")));
        }
    }
    if let Some(at) = seen.iter().position(|seen| !seen) {
        let path = &manifest.files[at].path;
        return Err(SignError::Digest(format!("`{path}` is missing")));
    }
    Ok((manifest_bytes, manifest, found))
}

/// The payload's chunks: a CBOR array of byte strings.
fn chunks(payload: &[u8]) -> Result<Vec<&[u8]>, SignError> {
    let malformed = || SignError::Malformed("the payload is not an array of chunks".to_string());
    let (major, count, mut at) = cbor_head(payload, 0).ok_or_else(malformed)?;
    if major != 4 || count > payload.len() as u64 {
        return Err(malformed());
    }
    let mut chunks = Vec::new();
    for _ in 0..count {
        let (chunk, next) = cbor_string(payload, at, 2).ok_or_else(malformed)?;
        chunks.push(chunk);
        at = next;
    }
    if at != payload.len() {
        return Err(malformed());
    }
    Ok(chunks)
}

/// The first chunk: `manifest.json`, alone.
fn manifest_chunk(chunk: &[u8]) -> Result<Vec<u8>, SignError> {
    let malformed = || SignError::Malformed("the first chunk is not the manifest".to_string());
    let (size, _) = lz4_flex::block::uncompressed_size(chunk).map_err(|_| malformed())?;
    if size > MAX_MANIFEST_BYTES {
        return Err(malformed());
    }
    let mut raw = vec![0; size];
    let raw = unpack_chunk(chunk, &mut raw)?;
    match read_file_map(raw).map_err(|_| malformed())?.as_slice() {
        [("manifest.json", manifest)] => Ok(manifest.to_vec()),
        _ => Err(malformed()),
    }
}

/// The unpacked size of each chunk, once their sum fits what the manifest lists (its files
/// plus the CBOR around them): a chunk claiming more is refused before any allocation.
fn within_budget(manifest: &Manifest, chunks: &[&[u8]]) -> Result<Vec<usize>, SignError> {
    let listed: usize = manifest
        .files
        .iter()
        .map(|e| e.bytes.saturating_add(e.path.len() + 18))
        .fold(0, usize::saturating_add);
    if listed > MAX_UNPACKED_BYTES {
        return Err(SignError::Malformed(format!(
            "the manifest lists {listed} bytes, more than the {MAX_UNPACKED_BYTES} a bundle may hold"
        )));
    }
    let budget = listed + 9 * chunks.len();
    let mut claimed = 0usize;
    let mut sizes = Vec::with_capacity(chunks.len());
    for chunk in chunks {
        let (size, _) = lz4_flex::block::uncompressed_size(chunk).map_err(|_| {
            SignError::Malformed("a chunk of the payload is not LZ4-compressed".to_string())
        })?;
        claimed = claimed.saturating_add(size);
        if claimed > budget {
            return Err(SignError::Malformed(
                "the payload unpacks to more than its manifest lists".to_string(),
            ));
        }
        sizes.push(size);
    }
    Ok(sizes)
}

/// Decompresses a chunk into `out` (sized from its prefix), which it must fill exactly.
fn unpack_chunk<'a>(chunk: &[u8], out: &'a mut [u8]) -> Result<&'a [u8], SignError> {
    let malformed =
        || SignError::Malformed("a chunk of the payload is not LZ4-compressed".to_string());
    let (_, body) = lz4_flex::block::uncompressed_size(chunk).map_err(|_| malformed())?;
    let written = lz4_flex::block::decompress_into(body, out).map_err(|_| malformed())?;
    if written != out.len() {
        return Err(malformed());
    }
    Ok(out)
}

fn digest_matches(entry: &FileEntry, bytes: &[u8]) -> Result<(), SignError> {
    if entry.matches(bytes) {
        Ok(())
    } else {
        Err(SignError::Digest(format!(
            "`{}` does not match its digest",
            entry.path
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle(files: &[(&str, &[u8])]) -> Bundle {
        let mut bundle = Bundle::default();
        let mut entries = Vec::new();
        for (path, content) in files {
            bundle.files.insert(path.to_string(), content.to_vec());
            entries.push(serde_json::json!({
                "path": path, "bytes": content.len(), "sha256": super::super::sha256_hex(content)
            }));
        }
        let manifest = serde_json::json!({ "format_version": 1, "files": entries });
        bundle.files.insert(
            "manifest.json".to_string(),
            serde_json::to_vec(&manifest).expect("JSON"),
        );
        bundle
    }

    #[test]
    fn packs_and_unpacks_in_several_chunks() {
        let big = vec![b'x'; 3 * CHUNK_BYTES / 2];
        let original = bundle(&[("a", b"1"), ("b", &big), ("c", &big), ("d", b"")]);
        let payload = pack(&original).expect("packs");
        assert!(chunks(&payload).expect("chunks").len() >= 3);
        assert!(payload.len() < big.len() / 10);
        let (unpacked, manifest) = unpack(&payload).expect("unpacks");
        assert_eq!(unpacked, original);
        assert_eq!(manifest.files.len(), 4);
        assert_eq!(check(&payload).expect("checks").files.len(), 4);
    }

    #[test]
    fn refuses_payloads_that_do_not_match_the_manifest() {
        let original = bundle(&[("a", b"1"), ("b", b"2")]);
        // A file the manifest does not list, a listed file missing.
        let mut extra = original.clone();
        extra.files.insert("z".into(), b"!".to_vec());
        let payload = pack(&extra).expect("packs");
        assert!(matches!(check(&payload), Err(SignError::Digest(m)) if m.contains("`z`")));
        let mut fewer = original.clone();
        fewer.files.remove("b");
        let payload = pack(&fewer).expect("packs");
        assert!(
            matches!(check(&payload), Err(SignError::Digest(m)) if m.contains("`b` is missing"))
        );
        // Truncated anywhere: refused, no panic.
        let payload = pack(&original).expect("packs");
        for end in 0..payload.len() {
            assert!(check(&payload[..end]).is_err(), "truncated at {end}");
        }
    }

    #[test]
    fn a_chunk_claiming_more_than_the_manifest_lists_is_not_unpacked() {
        let original = bundle(&[("a", b"1")]);
        let payload = pack(&original).expect("packs");
        let parts = chunks(&payload).expect("chunks");
        // The second chunk replaced by one claiming 4 GB.
        let mut forged = Vec::new();
        write_head(&mut forged, 4, 2);
        write_head(&mut forged, 2, parts[0].len());
        forged.extend_from_slice(parts[0]);
        let bomb = [0xff, 0xff, 0xff, 0xff, 0x00];
        write_head(&mut forged, 2, bomb.len());
        forged.extend_from_slice(&bomb);
        assert!(matches!(
            check(&forged),
            Err(SignError::Malformed(m)) if m.contains("more than its manifest lists")
        ));
    }
}
