//! RFC 5424 (and tolerated RFC 3164) parsing, log-file lines, and both TCP framings of RFC 6587
//! (octet counting, LF): no panic, and a stream framed in two pieces gives the frames it gives
//! whole.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ward_pava::framing::Decoder;

fuzz_target!(|data: &[u8]| {
    let _ = ward_pava::syslog::parse(data, 2026);
    let _ = ward_pava::syslog::parse_file_line(data, 2026);
    let mut whole = Vec::new();
    Decoder::new(512).push(data, &mut whole);
    // Raw bytes, so that real lines seed the corpus; the cut is a hash of them.
    let cut = data.iter().fold(0usize, |h, b| {
        h.wrapping_mul(31).wrapping_add(usize::from(*b))
    }) % (data.len() + 1);
    let mut pieces = Vec::new();
    let mut decoder = Decoder::new(512);
    decoder.push(&data[..cut], &mut pieces);
    decoder.push(&data[cut..], &mut pieces);
    assert_eq!(
        whole, pieces,
        "framing depends on how the stream was cut at {cut}"
    );
});
