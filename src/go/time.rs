//! Go's `time` layouts, as notation prints times in messages, logs and `inspect` output.
//!
//! Times are printed in the offset they carry; the library's times are UTC, so Go's
//! `Time.String` suffix is always `+0000 UTC`.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::OffsetDateTime;

/// Go's `time.Time.String()` (and `%v`) of a UTC time: `2006-01-02 15:04:05 +0000 UTC`,
/// with the fraction of a second after the seconds when there is one (trailing zeros
/// dropped: `.5`, `.123456789`).
pub fn string(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let fmt = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    let base = t.format(&fmt).unwrap_or_default();
    let nanos = t.nanosecond();
    if nanos == 0 {
        format!("{base} +0000 UTC")
    } else {
        let frac = format!("{nanos:09}");
        format!("{base}.{} +0000 UTC", frac.trim_end_matches('0'))
    }
}

/// Go's `time.RFC1123Z` layout: `Mon, 02 Jan 2006 15:04:05 -0700`.
pub(crate) fn rfc1123z(t: OffsetDateTime) -> String {
    let fmt = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] [offset_hour sign:mandatory][offset_minute]"
    );
    t.format(&fmt).unwrap_or_else(|_| t.to_string())
}

/// Go's `time.RFC3339` layout: whole seconds, `Z` or `±hh:mm`.
pub fn rfc3339(t: OffsetDateTime) -> String {
    let t = t.replace_nanosecond(0).unwrap_or(t);
    t.format(&Rfc3339).unwrap_or_default()
}

/// Go's `time.RFC3339Nano` layout: [`rfc3339`] with the fraction of a second, trailing
/// zeros dropped.
pub(crate) fn rfc3339_nano(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// Go's `time.ANSIC` layout, `Mon Jan _2 15:04:05 2006`.
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

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn time_string_like_go() {
        assert_eq!(
            string(datetime!(2026-11-23 09:17:56 UTC)),
            "2026-11-23 09:17:56 +0000 UTC"
        );
        assert_eq!(
            string(datetime!(2026-11-23 10:17:56 +01:00)),
            "2026-11-23 09:17:56 +0000 UTC"
        );
        assert_eq!(
            string(datetime!(2026-12-05 14:43:26.655 +01:00)),
            "2026-12-05 13:43:26.655 +0000 UTC"
        );
        assert_eq!(
            string(datetime!(0001-01-01 0:00 UTC)),
            "0001-01-01 00:00:00 +0000 UTC"
        );
    }

    #[test]
    fn layouts() {
        assert_eq!(
            rfc1123z(datetime!(2030-01-01 0:00 UTC)),
            "Tue, 01 Jan 2030 00:00:00 +0000"
        );
        assert_eq!(
            ansic(datetime!(2026-11-03 09:15:09 UTC)),
            "Tue Nov  3 09:15:09 2026"
        );
        assert_eq!(
            ansic(datetime!(2056-11-22 09:15:03 UTC)),
            "Wed Nov 22 09:15:03 2056"
        );
        assert_eq!(
            rfc3339(datetime!(2026-11-23 09:15:09.5 UTC)),
            "2026-11-23T09:15:09Z"
        );
        assert_eq!(
            rfc3339(datetime!(2026-11-23 10:15:09 +01:00)),
            "2026-11-23T10:15:09+01:00"
        );
        assert_eq!(
            rfc3339_nano(datetime!(2026-11-23 09:15:09.25 UTC)),
            "2026-11-23T09:15:09.25Z"
        );
    }
}
