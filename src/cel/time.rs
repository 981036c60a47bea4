//! Timestamps and durations with cel-go's ranges, parsing and formatting.
//!
//! Calendar arithmetic is done here on plain integers (proleptic Gregorian,
//! days since the Unix epoch); only the IANA offset lookup goes elsewhere
//! (`super::tz`: jiff natively, the host's `Intl` in the runtime wasm).

/// Seconds of 0001-01-01T00:00:00Z, the smallest CEL timestamp.
pub const MIN_TIMESTAMP_SECS: i64 = -62_135_596_800;
/// Seconds of 9999-12-31T23:59:59Z, the largest CEL timestamp (plus nanos).
pub const MAX_TIMESTAMP_SECS: i64 = 253_402_300_799;

/// A point in time with nanosecond precision, within 0001-01-01..9999-12-31 UTC.
///
/// Like Go's `time.Time` in cel-go, a timestamp parsed from text remembers
/// the UTC offset it was written with: `string(ts)` and rendered outputs use
/// it, while equality, ordering, arithmetic and the getters (UTC unless a
/// zone is given) only look at the instant.
#[derive(Debug, Clone, Copy)]
pub struct Timestamp {
    /// Seconds since the Unix epoch.
    pub secs: i64,
    /// Nanoseconds within the second, `0..1_000_000_000`.
    pub nanos: u32,
    /// UTC offset in seconds used when formatting (0 prints as `Z`).
    pub offset: i32,
}

impl PartialEq for Timestamp {
    fn eq(&self, o: &Self) -> bool {
        (self.secs, self.nanos) == (o.secs, o.nanos)
    }
}

impl Eq for Timestamp {}

impl PartialOrd for Timestamp {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}

impl Ord for Timestamp {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.secs, self.nanos).cmp(&(o.secs, o.nanos))
    }
}

impl std::hash::Hash for Timestamp {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        (self.secs, self.nanos).hash(h);
    }
}

/// A signed span of time in nanoseconds (Go's `time.Duration` range, ±~292 years).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration {
    /// Length in nanoseconds.
    pub nanos: i64,
}

impl Timestamp {
    /// A timestamp, if within the CEL range.
    pub fn new(secs: i64, nanos: u32) -> Option<Timestamp> {
        if nanos >= 1_000_000_000 || !(MIN_TIMESTAMP_SECS..=MAX_TIMESTAMP_SECS).contains(&secs) {
            return None;
        }
        Some(Timestamp {
            secs,
            nanos,
            offset: 0,
        })
    }

    /// From nanoseconds since the epoch (always in range).
    pub fn from_unix_nanos(n: i128) -> Option<Timestamp> {
        let secs = i64::try_from(n.div_euclid(1_000_000_000)).ok()?;
        let nanos = u32::try_from(n.rem_euclid(1_000_000_000)).ok()?;
        Timestamp::new(secs, nanos)
    }

    /// Nanoseconds since the epoch.
    pub fn unix_nanos(&self) -> i128 {
        i128::from(self.secs) * 1_000_000_000 + i128::from(self.nanos)
    }

    /// `self + d` (keeping the formatting offset), or `None` out of range.
    pub fn add(&self, d: Duration) -> Option<Timestamp> {
        Timestamp::from_unix_nanos(self.unix_nanos() + i128::from(d.nanos))
            .map(|t| t.with_offset(self.offset))
    }

    /// The same instant, formatted with UTC offset `offset` seconds.
    pub fn with_offset(self, offset: i32) -> Timestamp {
        Timestamp { offset, ..self }
    }

    /// `self - other` as a duration, or `None` if it does not fit.
    pub fn sub(&self, other: &Timestamp) -> Option<Duration> {
        let n = self.unix_nanos() - other.unix_nanos();
        i64::try_from(n).ok().map(|nanos| Duration { nanos })
    }

    /// RFC 3339 with trailing-zero-trimmed fraction (Go's `RFC3339Nano`), in
    /// the offset the timestamp was written with (`Z` for UTC).
    pub fn to_rfc3339(&self) -> String {
        let off = i64::from(self.offset);
        let f = self.fields(off);
        let mut s = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            f.year, f.month, f.day, f.hour, f.minute, f.second
        );
        if self.nanos != 0 {
            let mut frac = format!("{:09}", self.nanos);
            while frac.ends_with('0') {
                frac.pop();
            }
            s.push('.');
            s.push_str(&frac);
        }
        if off == 0 {
            s.push('Z');
        } else {
            let sign = if off < 0 { '-' } else { '+' };
            let a = off.abs();
            s.push_str(&format!("{sign}{:02}:{:02}", a / 3600, (a % 3600) / 60));
        }
        s
    }

    /// RFC 3339 in UTC (`Z`), whatever offset the timestamp was written with.
    pub fn to_rfc3339_utc(&self) -> String {
        self.with_offset(0).to_rfc3339()
    }

    /// Broken-down fields in the zone with UTC offset `offset_secs`.
    pub fn fields(&self, offset_secs: i64) -> TimeFields {
        let local = self.secs + offset_secs;
        let days = local.div_euclid(86_400);
        let sod = local.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        // 1970-01-01 was a Thursday (4, with Sunday = 0).
        let weekday = (days + 4).rem_euclid(7);
        let yday = days - days_from_civil(year, 1, 1);
        TimeFields {
            year,
            month,
            day,
            hour: sod / 3600,
            minute: (sod % 3600) / 60,
            second: sod % 60,
            millis: i64::from(self.nanos / 1_000_000),
            weekday,
            yday,
        }
    }
}

/// Calendar fields of a timestamp in some zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeFields {
    /// Full year.
    pub year: i64,
    /// Month 1..=12.
    pub month: i64,
    /// Day of month 1..=31.
    pub day: i64,
    /// Hour 0..=23.
    pub hour: i64,
    /// Minute 0..=59.
    pub minute: i64,
    /// Second 0..=59.
    pub second: i64,
    /// Milliseconds 0..=999.
    pub millis: i64,
    /// Day of week, Sunday = 0.
    pub weekday: i64,
    /// Day of year, 0-based.
    pub yday: i64,
}

impl Duration {
    /// `self + o`, or `None` on overflow.
    pub fn checked_add(self, o: Duration) -> Option<Duration> {
        self.nanos
            .checked_add(o.nanos)
            .map(|nanos| Duration { nanos })
    }

    /// `self - o`, or `None` on overflow.
    pub fn checked_sub(self, o: Duration) -> Option<Duration> {
        self.nanos
            .checked_sub(o.nanos)
            .map(|nanos| Duration { nanos })
    }

    /// cel-go's `string(duration)`: Go's `d.Seconds()` (a float) printed as
    /// the shortest decimal, then `s`.
    pub fn to_cel_string(&self) -> String {
        let secs = self.nanos / 1_000_000_000;
        let frac = self.nanos % 1_000_000_000;
        let f = secs as f64 + frac as f64 / 1e9;
        format!("{f}s")
    }

    /// The form Cerbos renders durations in outputs (same as `string(d)`).
    pub fn to_proto_json(&self) -> String {
        self.to_cel_string()
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Proleptic Gregorian date of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Days in month `m` (1–12) of proleptic Gregorian year `y`.
pub fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ => {
            if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 {
                29
            } else {
                28
            }
        }
    }
}

fn digits(b: &[u8], at: usize, n: usize) -> Option<i64> {
    let s = b.get(at..at + n)?;
    let mut v = 0i64;
    for c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(c - b'0');
    }
    Some(v)
}

/// Parses an RFC 3339 timestamp as cel-go's `timestamp(string)` does
/// (Go `time.Parse(time.RFC3339, s)`), checking the CEL range.
pub fn parse_timestamp(s: &str) -> Result<Timestamp, String> {
    let err = || format!("parsing time \"{s}\" as \"2006-01-02T15:04:05Z07:00\": cannot parse");
    let b = s.as_bytes();
    let year = digits(b, 0, 4).ok_or_else(err)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return Err(err());
    }
    let month = digits(b, 5, 2).ok_or_else(err)?;
    let day = digits(b, 8, 2).ok_or_else(err)?;
    if b.get(10) != Some(&b'T') {
        return Err(err());
    }
    let hour = digits(b, 11, 2).ok_or_else(err)?;
    if b.get(13) != Some(&b':') || b.get(16) != Some(&b':') {
        return Err(err());
    }
    let minute = digits(b, 14, 2).ok_or_else(err)?;
    let second = digits(b, 17, 2).ok_or_else(err)?;
    let mut i = 19;
    let mut nanos: u32 = 0;
    if b.get(i) == Some(&b'.') || b.get(i) == Some(&b',') {
        i += 1;
        let start = i;
        let mut scale = 100_000_000u32;
        while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
            nanos += u32::from(c - b'0') * scale;
            scale /= 10;
            i += 1;
        }
        if i == start {
            return Err(err());
        }
    }
    let offset = match b.get(i) {
        Some(b'Z') => {
            i += 1;
            0
        }
        Some(sign @ (b'+' | b'-')) => {
            let oh = digits(b, i + 1, 2).ok_or_else(err)?;
            if b.get(i + 3) != Some(&b':') {
                return Err(err());
            }
            let om = digits(b, i + 4, 2).ok_or_else(err)?;
            if oh > 23 || om > 59 {
                return Err(err());
            }
            let o = oh * 3600 + om * 60;
            let o = if *sign == b'-' { -o } else { o };
            i += 6;
            o
        }
        _ => return Err(err()),
    };
    if i != b.len() {
        return Err(err());
    }
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return Err(format!("parsing time \"{s}\": out of range"));
    }
    let secs =
        days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset;
    Timestamp::new(secs, nanos)
        .map(|t| t.with_offset(offset as i32))
        .ok_or_else(|| "timestamp out of range".to_string())
}

/// Parses a duration the way Go's `time.ParseDuration` does
/// (`"1h30m"`, `"-1.5s"`, `"300ms"`, units `ns us µs μs ms s m h`).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let err = || format!("time: invalid duration \"{s}\"");
    let b = s.as_bytes();
    let mut i = 0;
    let mut neg = false;
    if let Some(c @ (b'-' | b'+')) = b.first() {
        neg = *c == b'-';
        i = 1;
    }
    if &b[i..] == b"0" {
        return Ok(Duration { nanos: 0 });
    }
    if i >= b.len() {
        return Err(err());
    }
    let mut total: u128 = 0;
    while i < b.len() {
        // Integer part.
        let start = i;
        let mut whole: u128 = 0;
        while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
            whole = whole
                .checked_mul(10)
                .and_then(|w| w.checked_add(u128::from(c - b'0')))
                .filter(|w| *w < (1u128 << 64))
                .ok_or_else(err)?;
            i += 1;
        }
        let had_whole = i > start;
        let mut frac: u128 = 0;
        let mut frac_scale: u128 = 1;
        let mut had_frac = false;
        if b.get(i) == Some(&b'.') {
            i += 1;
            while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
                had_frac = true;
                if frac_scale < 1_000_000_000_000_000_000 {
                    frac = frac * 10 + u128::from(c - b'0');
                    frac_scale *= 10;
                }
                i += 1;
            }
        }
        if !had_whole && !had_frac {
            return Err(err());
        }
        let ustart = i;
        while let Some(c) = b.get(i) {
            if *c == b'.' || c.is_ascii_digit() {
                break;
            }
            i += 1;
        }
        let unit = std::str::from_utf8(&b[ustart..i]).map_err(|_| err())?;
        let mult: u128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "" => return Err(format!("time: missing unit in duration \"{s}\"")),
            _ => return Err(format!("time: unknown unit \"{unit}\" in duration \"{s}\"")),
        };
        let v = whole
            .checked_mul(mult)
            .and_then(|v| v.checked_add(frac * mult / frac_scale))
            .ok_or_else(err)?;
        total = total.checked_add(v).ok_or_else(err)?;
        if total > (1u128 << 63) {
            return Err(err());
        }
    }
    let nanos = if neg {
        0i128 - i128::try_from(total).map_err(|_| err())?
    } else {
        i128::try_from(total).map_err(|_| err())?
    };
    i64::try_from(nanos)
        .map(|nanos| Duration { nanos })
        .map_err(|_| err())
}

/// UTC offset in seconds of the zone `tz` at time `t`: an IANA name or a
/// numeric offset `[+-]HH:MM`, as cel-go accepts them.
pub fn zone_offset(tz: &str, t: &Timestamp) -> Result<i64, String> {
    if let Some(colon) = tz.find(':') {
        let (h, m) = (&tz[..colon], &tz[colon + 1..]);
        let hr: i64 =
            go_atoi(h).ok_or_else(|| format!("strconv.Atoi: parsing {h:?}: invalid syntax"))?;
        let min: i64 =
            go_atoi(m).ok_or_else(|| format!("strconv.Atoi: parsing {m:?}: invalid syntax"))?;
        let offset = if tz.starts_with('-') {
            hr * 60 - min
        } else {
            hr * 60 + min
        };
        return Ok(offset * 60);
    }
    if tz.is_empty() || tz == "UTC" {
        return Ok(0);
    }
    super::tz::offset_seconds(tz, t.secs)
}

fn go_atoi(s: &str) -> Option<i64> {
    let (neg, d) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if d.is_empty() || d.len() > 18 || !d.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let v: i64 = d.parse().ok()?;
    Some(if neg { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for days in [-719_162i64, -1, 0, 1, 10_957, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
    }

    #[test]
    fn timestamps_parse_and_format() {
        let t = parse_timestamp("2021-04-22T10:05:20.021-05:00").expect("ts");
        assert_eq!(t.to_rfc3339(), "2021-04-22T10:05:20.021-05:00");
        assert_eq!(t.to_rfc3339_utc(), "2021-04-22T15:05:20.021Z");
        assert_eq!(t, parse_timestamp("2021-04-22T15:05:20.021Z").expect("ts"));
        assert!(parse_timestamp("2021-04-22t15:05:20z").is_err());
        assert!(parse_timestamp("0001-01-01T00:00:00Z").is_ok());
        assert!(parse_timestamp("0000-12-31T23:59:59Z").is_err());
        assert!(parse_timestamp("2021-02-29T00:00:00Z").is_err());
        let f = t.fields(-5 * 3600);
        assert_eq!((f.year, f.month, f.day, f.hour), (2021, 4, 22, 10));
        assert_eq!(f.weekday, 4);
    }

    #[test]
    fn durations_parse_like_go() {
        assert_eq!(
            parse_duration("1h30m").map(|d| d.nanos),
            Ok(5_400_000_000_000)
        );
        assert_eq!(parse_duration("-1.5s").map(|d| d.nanos), Ok(-1_500_000_000));
        assert_eq!(parse_duration("0").map(|d| d.nanos), Ok(0));
        assert!(parse_duration("1").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("1d").is_err());
        assert_eq!(
            Duration {
                nanos: 1_500_000_000
            }
            .to_cel_string(),
            "1.5s"
        );
        assert_eq!(
            Duration {
                nanos: -500_000_000
            }
            .to_cel_string(),
            "-0.5s"
        );
    }

    #[test]
    fn zones() {
        let t = parse_timestamp("2021-04-20T15:05:20.021Z").expect("ts");
        assert_eq!(zone_offset("-05:00", &t), Ok(-18_000));
        assert_eq!(zone_offset("NZ", &t), Ok(12 * 3600));
        assert!(zone_offset("Nowhere/Land", &t).is_err());
    }
}
