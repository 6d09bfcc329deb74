//! "Did you mean": the closest candidate to a misspelled name, if one is close enough.

/// The candidate nearest to `wrong`, when the edit distance is small for the name's length
/// (one edit for short names, about a third of the length for long ones). Ties go to the
/// first candidate in the order given, so results are stable.
pub fn closest<'a>(wrong: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (wrong.chars().count() / 3).max(1);
    let wrong_folded = fold(wrong);
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        if candidate == wrong {
            continue;
        }
        // Differences of case and underscores only (`secprof2`) beat any real edit.
        let distance = if fold(candidate) == wrong_folded {
            0
        } else {
            // A swap of two neighbours (`cma` for `cam`) is one slip, not two edits.
            strsim::osa_distance(wrong, candidate)
        };
        if distance <= limit && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

fn fold(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn finds_near_names_only() {
        let names = ["SecProf_1", "SecProf_2", "door_lock", "camera"];
        assert_eq!(closest("SecProf2", names), Some("SecProf_2"));
        assert_eq!(closest("SecProf_5", names), Some("SecProf_1"));
        assert_eq!(closest("dor_lock", names), Some("door_lock"));
        assert_eq!(closest("cmaera", names), Some("camera"));
        assert_eq!(closest("secprof_2", names), Some("SecProf_2"));
        assert_eq!(closest("thermostat", names), None);
        assert_eq!(
            closest("camera", names),
            None,
            "an exact match is not a suggestion"
        );
    }
}
