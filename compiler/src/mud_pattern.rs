//! `match mud` patterns: which MUD URLs a pattern matches, how specific it is, and whether
//! two patterns can match one URL. The gateway classifies things with these (PASC's
//! classification) and the checker uses them to report, before any onboarding, two classes
//! that would claim the same things equally.

/// The pattern that makes a class the quarantine class.
pub const QUARANTINE_PATTERN: &str = "*";

/// Whether `text` matches `pattern`, where `*` stands for any run of characters.
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// How specific a pattern is: its literal characters. Of the patterns that match a URL, the
/// most specific decides its class.
pub fn specificity(pattern: &str) -> usize {
    pattern.bytes().filter(|&b| b != b'*').count()
}

/// A URL both patterns match, if there is one: the shortest the search finds, each `*` as
/// little as it can. Dynamic programming over positions in both patterns (a `*` on either
/// side either ends or takes one more character of the other side), so quadratic in the
/// patterns' lengths, which are URLs.
pub fn common_match(a: &str, b: &str) -> Option<String> {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (n, m) = (a.len(), b.len());
    // reach[i][j]: from positions (i, j), both patterns can finish on one common text.
    let mut reach = vec![vec![false; m + 1]; n + 1];
    for i in (0..=n).rev() {
        for j in (0..=m).rev() {
            reach[i][j] = match (a.get(i), b.get(j)) {
                (None, None) => true,
                (Some(b'*'), _) if reach[i + 1][j] => true,
                (_, Some(b'*')) if reach[i][j + 1] => true,
                (Some(b'*'), Some(&y)) if y != b'*' => reach[i][j + 1],
                (Some(&x), Some(b'*')) if x != b'*' => reach[i + 1][j],
                (Some(&x), Some(&y)) => x == y && x != b'*' && reach[i + 1][j + 1],
                _ => false,
            };
        }
    }
    if !reach[0][0] {
        return None;
    }
    // Walk one path and write the characters it consumes: stars end as soon as they can.
    let (mut i, mut j) = (0, 0);
    let mut text = Vec::new();
    while i < n || j < m {
        match (a.get(i), b.get(j)) {
            (Some(b'*'), _) if reach[i + 1][j] => i += 1,
            (_, Some(b'*')) if reach[i][j + 1] => j += 1,
            (Some(b'*'), Some(&y)) => {
                text.push(y);
                j += 1;
            }
            (Some(&x), Some(b'*')) => {
                text.push(x);
                i += 1;
            }
            (Some(&x), Some(_)) => {
                text.push(x);
                i += 1;
                j += 1;
            }
            // Unreachable from a reachable state; stop rather than loop.
            _ => break,
        }
    }
    String::from_utf8(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_as_the_gateway_classifies() {
        assert!(glob("https://a.example/*", "https://a.example/x"));
        assert!(glob("https://a.example/*", "https://a.example/"));
        assert!(!glob("https://a.example/*", "https://b.example/x"));
        assert!(glob("*", ""));
        assert!(glob("https://*.example/lock*", "https://x.example/lock-2"));
        assert!(glob("https://a.example/*", "https://a.example/x/y"));
        assert!(!glob("https://a.example/x", "https://a.example/xy"));
        assert!(glob("a*b*c", "aXbYbZc"));
        assert!(!glob("a*b*c", "aXbYbZ"));
    }

    #[test]
    fn common_matches_are_found_and_match_both() {
        let cases = [
            ("https://a.example/*", "https://a.example/*", true),
            ("https://a.example/x", "https://a.example/x", true),
            ("https://a.example/*", "https://*.example/x", true),
            ("https://a.example/*", "https://b.example/*", false),
            ("https://*/lock", "https://a.example/*", true),
            ("*x", "y*", true),
            ("a*b", "a*c", false),
            ("", "*", true),
            ("", "a", false),
        ];
        for (a, b, expected) in cases {
            let found = common_match(a, b);
            assert_eq!(found.is_some(), expected, "{a} / {b}: {found:?}");
            if let Some(url) = found {
                assert!(glob(a, &url) && glob(b, &url), "{a} / {b}: {url}");
            }
        }
    }
}
