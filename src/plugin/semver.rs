//! SemVer 2.0 parsing and precedence, for plugin versions (no `v` prefix).

use std::cmp::Ordering;

/// A parsed `X.Y.Z[-pre][+build]` version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    core: [u64; 3],
    pre: Vec<String>,
}

/// Parse a SemVer string; `None` when invalid.
pub fn parse(s: &str) -> Option<Version> {
    let s = match s.split_once('+') {
        Some((v, build)) => {
            if !valid_idents(build, false) {
                return None;
            }
            v
        }
        None => s,
    };
    let (core, pre) = match s.split_once('-') {
        Some((c, p)) => {
            if !valid_idents(p, true) {
                return None;
            }
            (c, p.split('.').map(str::to_string).collect())
        }
        None => (s, vec![]),
    };
    let parts: Vec<&str> = core.split('.').collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let num = |p: &str| -> Option<u64> {
        if p.is_empty()
            || !p.bytes().all(|b| b.is_ascii_digit())
            || (p.len() > 1 && p.starts_with('0'))
        {
            return None;
        }
        p.parse().ok()
    };
    Some(Version {
        core: [num(a)?, num(b)?, num(c)?],
        pre,
    })
}

fn valid_idents(s: &str, numeric_no_leading_zero: bool) -> bool {
    s.split('.').all(|id| {
        !id.is_empty()
            && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !(numeric_no_leading_zero
                && id.len() > 1
                && id.starts_with('0')
                && id.bytes().all(|b| b.is_ascii_digit()))
    })
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.core
            .cmp(&other.core)
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => compare_pre(&self.pre, &other.pre),
            })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

fn compare_pre(a: &[String], b: &[String]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(m), Ok(n)) => m.cmp(&n),
            (Ok(_), Err(_)) => Ordering::Less,
            (Err(_), Ok(_)) => Ordering::Greater,
            (Err(_), Err(_)) => x.cmp(y),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

/// A version string that is not a semantic version, in notation's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0} is not a valid semantic version")]
pub struct InvalidVersion(pub String);

/// Compare two version strings; the error names the first invalid one as notation does.
pub fn compare(a: &str, b: &str) -> Result<Ordering, InvalidVersion> {
    let invalid = |v: &str| InvalidVersion(v.to_string());
    let pa = parse(a).ok_or_else(|| invalid(a))?;
    let pb = parse(b).ok_or_else(|| invalid(b))?;
    Ok(pa.cmp(&pb))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence() {
        let order = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.1",
            "1.10.0",
        ];
        for w in order.windows(2) {
            assert_eq!(compare(w[0], w[1]), Ok(Ordering::Less), "{w:?}");
        }
        assert_eq!(compare("1.0.0+b1", "1.0.0+b2"), Ok(Ordering::Equal));
        for bad in ["v1.0.0", "1.0", "01.0.0", "1.0.0-", "1.0.0-01", ""] {
            assert!(parse(bad).is_none(), "{bad}");
        }
    }
}
