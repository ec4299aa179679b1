//! "Did you mean …?" for near-miss keys and values.

/// The candidate closest to `word` by edit distance (letters swapped,
/// added, dropped or changed, case ignored), when it is close enough to be
/// a slip: one edit for words of up to 3 characters, two up to 6, three
/// beyond. Ties go to the first candidate.
pub(crate) fn closest<'c>(
    word: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    let word: Vec<char> = word.to_lowercase().chars().collect();
    let limit = match word.len() {
        0 => return None,
        1..=3 => 1,
        4..=6 => 2,
        _ => 3,
    };
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        let bound = best.map_or(limit, |(distance, _)| distance - 1);
        if candidate.chars().count().abs_diff(word.len()) > bound {
            continue;
        }
        let lower: Vec<char> = candidate.to_lowercase().chars().collect();
        if let Some(distance) = distance(&word, &lower, bound)
            && best.is_none_or(|(best, _)| distance < best)
        {
            best = Some((distance, candidate));
            if distance == 0 {
                break;
            }
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// The optimal string alignment distance of `a` and `b` (Levenshtein with
/// adjacent transpositions), or `None` when it exceeds `bound`.
fn distance(a: &[char], b: &[char], bound: usize) -> Option<usize> {
    let width = b.len() + 1;
    let mut rows = vec![0usize; width * (a.len() + 1)];
    for (j, cell) in rows[..width].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        rows[i * width] = i;
        let mut row_min = i;
        for j in 1..width {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[(i - 1) * width + j] + 1)
                .min(rows[i * width + j - 1] + 1)
                .min(rows[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[(i - 2) * width + j - 2] + 1);
            }
            rows[i * width + j] = d;
            row_min = row_min.min(d);
        }
        if row_min > bound {
            return None;
        }
    }
    let d = rows[a.len() * width + b.len()];
    (d <= bound).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn near_misses_find_their_word() {
        let server = ["hostname", "helo", "ipv4", "ipv6", "ttl"];
        assert_eq!(closest("ip6", server), Some("ipv6"));
        assert_eq!(closest("ip4", server), Some("ipv4"));
        assert_eq!(closest("hostnmae", server), Some("hostname"));
        assert_eq!(closest("Hostname", server), Some("hostname"));
        assert_eq!(closest("addresses", server), None);
        assert_eq!(closest("fial", ["fail", "softfail"]), Some("fail"));
        assert_eq!(closest("sotfail", ["fail", "softfail"]), Some("softfail"));
        assert_eq!(closest("server", ["servers", "domains"]), Some("servers"));
        assert_eq!(closest("x", ["ttl"]), None);
    }
}
