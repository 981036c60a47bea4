//! RFC 3339 timestamps for `options.now`, parsed with the same rules (and
//! error texts) as Go's `time.Parse(time.RFC3339Nano, …)`, which Cerbos uses.

/// A point in time: seconds and nanoseconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub seconds: i64,
    /// Nanoseconds within the second.
    pub nanos: u32,
}

use crate::cel::time::{days_from_civil, days_in_month};

const LAYOUT: &str = "2006-01-02T15:04:05.999999999Z07:00";

impl Timestamp {
    /// Parses an RFC 3339 timestamp; the error text matches Go's.
    pub fn parse_rfc3339(value: &str) -> Result<Timestamp, String> {
        let mut rest = value;
        let cannot = |rest: &str, elem: &str| {
            format!("parsing time {value:?} as {LAYOUT:?}: cannot parse {rest:?} as {elem:?}")
        };
        let year = take_digits(&mut rest, 4).ok_or_else(|| cannot(rest, "2006"))?;
        expect(&mut rest, '-').ok_or_else(|| cannot(rest, "-"))?;
        let month = take_digits(&mut rest, 2).ok_or_else(|| cannot(rest, "01"))?;
        expect(&mut rest, '-').ok_or_else(|| cannot(rest, "-"))?;
        let day = take_digits(&mut rest, 2).ok_or_else(|| cannot(rest, "02"))?;
        expect(&mut rest, 'T').ok_or_else(|| cannot(rest, "T"))?;
        let hour = take_digits(&mut rest, 2).ok_or_else(|| cannot(rest, "15"))?;
        expect(&mut rest, ':').ok_or_else(|| cannot(rest, ":"))?;
        let minute = take_digits(&mut rest, 2).ok_or_else(|| cannot(rest, "04"))?;
        expect(&mut rest, ':').ok_or_else(|| cannot(rest, ":"))?;
        let second = take_digits(&mut rest, 2).ok_or_else(|| cannot(rest, "05"))?;
        let mut nanos: u32 = 0;
        if let Some(frac) = rest.strip_prefix(['.', ',']) {
            let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return Err(cannot(rest, ".999999999"));
            }
            let (d, tail) = frac.split_at(digits);
            let mut scaled = String::from(d);
            scaled.truncate(9);
            while scaled.len() < 9 {
                scaled.push('0');
            }
            nanos = scaled.parse().map_err(|_| cannot(rest, ".999999999"))?;
            rest = tail;
        }
        let offset_secs: i64 = if let Some(r) = rest.strip_prefix('Z') {
            rest = r;
            0
        } else {
            let sign = match rest.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return Err(cannot(rest, "Z07:00")),
            };
            let mut r = &rest[1..];
            let oh = take_digits(&mut r, 2).ok_or_else(|| cannot(rest, "Z07:00"))?;
            expect(&mut r, ':').ok_or_else(|| cannot(rest, "Z07:00"))?;
            let om = take_digits(&mut r, 2).ok_or_else(|| cannot(rest, "Z07:00"))?;
            rest = r;
            sign * (oh * 3600 + om * 60)
        };
        if !rest.is_empty() {
            return Err(format!("parsing time {value:?}: extra text: {rest:?}"));
        }
        let range = |what: &str| format!("parsing time {value:?}: {what} out of range");
        if !(1..=12).contains(&month) {
            return Err(range("month"));
        }
        if day < 1 || day > days_in_month(year, month) {
            return Err(range("day"));
        }
        if hour > 23 {
            return Err(range("hour"));
        }
        if minute > 59 {
            return Err(range("minute"));
        }
        if second > 59 {
            return Err(range("second"));
        }
        let days = days_from_civil(year, month, day);
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_secs;
        Ok(Timestamp { seconds, nanos })
    }

    /// Formats as RFC 3339 in UTC (`2022-08-02T15:00:00Z`).
    pub fn to_rfc3339(&self) -> String {
        match crate::cel::time::Timestamp::new(self.seconds, self.nanos) {
            Some(t) => t.to_rfc3339(),
            // Outside CEL's year range: still say which instant it was.
            None => format!("{}s+{}ns since the Unix epoch", self.seconds, self.nanos),
        }
    }
}

fn take_digits(rest: &mut &str, n: usize) -> Option<i64> {
    let b = rest.as_bytes();
    if b.len() < n || !b[..n].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v = rest[..n].parse().ok()?;
    *rest = &rest[n..];
    Some(v)
}

fn expect(rest: &mut &str, c: char) -> Option<()> {
    *rest = rest.strip_prefix(c)?;
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats() {
        let t = Timestamp::parse_rfc3339("2022-08-02T15:00:00Z").unwrap();
        assert_eq!(t.seconds, 1_659_452_400);
        assert_eq!(t.to_rfc3339(), "2022-08-02T15:00:00Z");
        let t = Timestamp::parse_rfc3339("2022-08-02T17:00:00.5+02:00").unwrap();
        assert_eq!((t.seconds, t.nanos), (1_659_452_400, 500_000_000));
        assert_eq!(
            Timestamp::parse_rfc3339("1969-12-31T23:59:59Z")
                .unwrap()
                .seconds,
            -1
        );
    }

    #[test]
    fn go_error_texts() {
        assert_eq!(
            Timestamp::parse_rfc3339("blah").unwrap_err(),
            r#"parsing time "blah" as "2006-01-02T15:04:05.999999999Z07:00": cannot parse "blah" as "2006""#
        );
        assert!(Timestamp::parse_rfc3339("2022-13-01T00:00:00Z")
            .unwrap_err()
            .ends_with("month out of range"));
        assert!(Timestamp::parse_rfc3339("2022-01-01T00:00:00Zx")
            .unwrap_err()
            .contains("extra text"));
    }
}
