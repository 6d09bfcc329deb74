//! Parses a file N times (for profiling the parser): `parse_only FILE N`.
fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_default();
    let n: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1);
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let start = std::time::Instant::now();
    let mut items = 0;
    for _ in 0..n {
        items += ward_lang::parse(&text).file.items.len();
    }
    eprintln!("{items} items, {:?} per parse", start.elapsed() / n as u32);
}
