//! Times printed the way Go notation prints them.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::OffsetDateTime;

/// Go's `time.ANSIC` layout, `Mon Jan _2 15:04:05 2006`, in the value's own offset.
pub fn ansic(t: OffsetDateTime) -> String {
    let day = format!("{:>2}", t.day());
    let fmt_a = format_description!("[weekday repr:short] [month repr:short]");
    let fmt_b = format_description!("[hour]:[minute]:[second] [year]");
    format!(
        "{} {} {}",
        t.format(&fmt_a).expect("valid format"),
        day,
        t.format(&fmt_b).expect("valid format")
    )
}

/// RFC 3339 without fractional seconds, in the value's own offset (`Z` for UTC).
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.replace_nanosecond(0)
        .unwrap_or(t)
        .format(&Rfc3339)
        .expect("RFC 3339 formats any time")
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn formats() {
        assert_eq!(
            ansic(datetime!(2026-11-03 09:15:09 UTC)),
            "Tue Nov  3 09:15:09 2026"
        );
        assert_eq!(
            ansic(datetime!(2056-11-22 09:15:03 UTC)),
            "Wed Nov 22 09:15:03 2056"
        );
        assert_eq!(
            rfc3339(datetime!(2026-11-23 09:15:09 UTC)),
            "2026-11-23T09:15:09Z"
        );
        assert_eq!(
            rfc3339(datetime!(2026-11-23 10:15:09 +01:00)),
            "2026-11-23T10:15:09+01:00"
        );
    }
}
