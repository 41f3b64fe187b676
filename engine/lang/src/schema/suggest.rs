//! "Did you mean …?" suggestions by edit distance, as HCL makes them.

/// Levenshtein distance between two strings (by characters).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The closest candidate to `given` when it is within HCL's threshold
/// (an edit distance below 3); ties go to the earlier candidate.
pub fn suggest<'a, I>(given: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        let d = edit_distance(given, c);
        if d < 3 && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// `" Did you mean \"x\"?"` or the empty string.
pub fn did_you_mean<'a, I>(given: &str, candidates: I) -> String
where
    I: IntoIterator<Item = &'a str>,
{
    match suggest(given, candidates) {
        Some(s) => format!(" Did you mean {s:?}?"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("instance_typ", "instance_type"), 1);
        assert_eq!(edit_distance("same", "same"), 0);
    }

    #[test]
    fn suggestions_pick_the_closest_within_threshold() {
        let c = ["instance_type", "instance_types", "region"];
        assert_eq!(suggest("instance_typ", c), Some("instance_type"));
        assert_eq!(suggest("regoin", c), Some("region"));
        assert_eq!(suggest("completely_else", c), None);
        assert_eq!(did_you_mean("regin", c), " Did you mean \"region\"?");
        assert_eq!(did_you_mean("zzz", c), "");
    }
}
