//! Go `time.ParseDuration`, so `--expiry 24h`, `90m`, `1h30m`, `1.5h` and `1s` mean what
//! they mean to notation, with Go's error texts.

use notation::go::fmt::GoQuoted;

/// Why a duration did not parse, in Go's words (the input is quoted as Go's `%q` does).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("time: invalid duration {}", GoQuoted(.0.as_str()))]
    Invalid(String),
    #[error("time: missing unit in duration {}", GoQuoted(.0.as_str()))]
    MissingUnit(String),
    #[error("time: unknown unit {} in duration {}", GoQuoted(.unit.as_str()), GoQuoted(.input.as_str()))]
    UnknownUnit { unit: String, input: String },
}

/// Parse a Go duration string.
pub fn parse_go_duration(s: &str) -> Result<time::Duration, DurationError> {
    let invalid = || DurationError::Invalid(s.to_string());
    let (negative, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Ok(time::Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total_nanos: i128 = 0;
    while !rest.is_empty() {
        let digits_end = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        let number = &rest[..digits_end];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return Err(invalid());
        }
        rest = &rest[digits_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..unit_end];
        rest = &rest[unit_end..];
        let unit_nanos: i128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "" => return Err(DurationError::MissingUnit(s.to_string())),
            other => {
                return Err(DurationError::UnknownUnit {
                    unit: other.to_string(),
                    input: s.to_string(),
                })
            }
        };
        let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
        let int: i128 = if int_part.is_empty() {
            0
        } else {
            int_part.parse().map_err(|_| invalid())?
        };
        let mut value = int.checked_mul(unit_nanos).ok_or_else(invalid)?;
        let mut scale = unit_nanos;
        for d in frac_part.bytes() {
            scale /= 10;
            value += i128::from(d - b'0') * scale;
        }
        total_nanos = total_nanos.checked_add(value).ok_or_else(invalid)?;
        if total_nanos > i64::MAX as i128 {
            return Err(invalid());
        }
    }
    let nanos = if negative { -total_nanos } else { total_nanos };
    Ok(time::Duration::nanoseconds(nanos as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_go() {
        assert_eq!(parse_go_duration("24h").unwrap(), time::Duration::hours(24));
        assert_eq!(
            parse_go_duration("3h20m").unwrap(),
            time::Duration::minutes(200)
        );
        assert_eq!(
            parse_go_duration("1.5h").unwrap(),
            time::Duration::minutes(90)
        );
        assert_eq!(
            parse_go_duration("-5m").unwrap(),
            time::Duration::minutes(-5)
        );
        assert_eq!(parse_go_duration("0").unwrap(), time::Duration::ZERO);
        assert_eq!(parse_go_duration("0s").unwrap(), time::Duration::ZERO);
        assert_eq!(
            parse_go_duration("1500ms").unwrap(),
            time::Duration::milliseconds(1500)
        );
        assert_eq!(
            parse_go_duration("1d").unwrap_err().to_string(),
            "time: unknown unit \"d\" in duration \"1d\""
        );
        assert_eq!(
            parse_go_duration("1").unwrap_err().to_string(),
            "time: missing unit in duration \"1\""
        );
        assert_eq!(
            parse_go_duration("").unwrap_err().to_string(),
            "time: invalid duration \"\""
        );
        assert_eq!(
            parse_go_duration("h").unwrap_err().to_string(),
            "time: invalid duration \"h\""
        );
    }
}
