//! Repeatable `key=value` flags (`--plugin-config`, `-m/--user-metadata`), read as
//! notation's `ParseFlagMap` reads them: split at the first `=`, neither side empty, a
//! later duplicate wins.

use std::collections::BTreeMap;

/// A `key=value` flag value without its `=` or with an empty side.
#[derive(Debug, thiserror::Error)]
#[error("could not parse flag {flag}: key-value pair requires \"=\" as separator")]
pub struct KeyValueError {
    /// The flag's long name, without dashes.
    pub flag: &'static str,
}

/// The pairs in the order of each key's last occurrence: `verify -m` checks them in this
/// order and reports the first one missing.
pub fn parse_pairs(
    values: &[String],
    flag: &'static str,
) -> Result<Vec<(String, String)>, KeyValueError> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for value in values {
        let Some((k, v)) = value
            .split_once('=')
            .filter(|(k, v)| !k.is_empty() && !v.is_empty())
        else {
            return Err(KeyValueError { flag });
        };
        pairs.retain(|(existing, _)| existing != k);
        pairs.push((k.to_string(), v.to_string()));
    }
    Ok(pairs)
}

/// The pairs as a map (sorted by key).
pub fn parse_map(
    values: &[String],
    flag: &'static str,
) -> Result<BTreeMap<String, String>, KeyValueError> {
    Ok(parse_pairs(values, flag)?.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_duplicates_win_and_keep_the_last_place() {
        let p = parse_pairs(
            &["a=b=c".into(), "x=1".into(), "a=d".into()],
            "user-metadata",
        )
        .unwrap();
        assert_eq!(p, vec![("x".into(), "1".into()), ("a".into(), "d".into())]);
        let m = parse_map(
            &["a=b=c".into(), "x=1".into(), "x=2".into()],
            "plugin-config",
        )
        .unwrap();
        assert_eq!(
            m,
            BTreeMap::from([("a".into(), "b=c".into()), ("x".into(), "2".into())])
        );
    }

    #[test]
    fn a_pair_needs_both_sides() {
        for bad in ["a", "=v", "k=", ""] {
            let e = parse_pairs(&[bad.into()], "user-metadata").unwrap_err();
            assert_eq!(
                e.to_string(),
                "could not parse flag user-metadata: key-value pair requires \"=\" as separator"
            );
        }
    }
}
