//! Go's `net/netip` address and prefix parsing, with its error messages:
//! cel-go's network extension quotes them in its conversion errors, and
//! Cerbos reports those verbatim.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An address parsed by [`parse_addr`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct GoAddr {
    /// The address (without its zone).
    pub ip: IpAddr,
    /// Whether an IPv6 zone (`%eth0`) was given.
    pub zoned: bool,
}

impl GoAddr {
    /// Go's `Addr.Is4In6`: an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`).
    pub(crate) fn is_4in6(&self) -> bool {
        matches!(self.ip, IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some())
    }
}

/// Go's `strconv.Quote`.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => {
                let n = c as u32;
                if n <= 0xffff {
                    out.push_str(&format!("\\u{n:04x}"));
                } else {
                    out.push_str(&format!("\\U{n:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn addr_error(input: &str, msg: &str, at: Option<&str>) -> String {
    match at {
        Some(at) if !at.is_empty() => {
            format!("ParseAddr({}): {msg} (at {})", quote(input), quote(at))
        }
        _ => format!("ParseAddr({}): {msg}", quote(input)),
    }
}

/// Go's `netip.ParseAddr`; the error is its `Error()` text.
pub(crate) fn parse_addr(s: &str) -> Result<GoAddr, String> {
    for c in s.bytes() {
        match c {
            b'.' => {
                let mut f = [0u8; 4];
                parse_ipv4_fields(s, s, &mut f)?;
                return Ok(GoAddr {
                    ip: IpAddr::V4(Ipv4Addr::from(f)),
                    zoned: false,
                });
            }
            b':' => return parse_ipv6(s),
            b'%' => return Err(addr_error(s, "missing IPv6 address", None)),
            _ => {}
        }
    }
    Err(addr_error(s, "unable to parse IP", None))
}

/// Parses the dotted quad `part` of `input` into `fields`.
fn parse_ipv4_fields(input: &str, part: &str, fields: &mut [u8; 4]) -> Result<(), String> {
    let b = part.as_bytes();
    let (mut val, mut pos, mut digits) = (0u32, 0usize, 0usize);
    for (i, &c) in b.iter().enumerate() {
        if c.is_ascii_digit() {
            if digits == 1 && val == 0 {
                return Err(addr_error(
                    input,
                    "IPv4 field has octet with leading zero",
                    None,
                ));
            }
            val = val * 10 + u32::from(c - b'0');
            digits += 1;
            if val > 255 {
                return Err(addr_error(input, "IPv4 field has value >255", None));
            }
        } else if c == b'.' {
            if i == 0 || i == b.len() - 1 || b.get(i - 1) == Some(&b'.') {
                return Err(addr_error(
                    input,
                    "IPv4 field must have at least one digit",
                    part.get(i..),
                ));
            }
            if pos == 3 {
                return Err(addr_error(input, "IPv4 address too long", None));
            }
            fields[pos] = val as u8;
            pos += 1;
            val = 0;
            digits = 0;
        } else {
            return Err(addr_error(input, "unexpected character", part.get(i..)));
        }
    }
    if pos < 3 {
        return Err(addr_error(input, "IPv4 address too short", None));
    }
    fields[3] = val as u8;
    Ok(())
}

fn parse_ipv6(input: &str) -> Result<GoAddr, String> {
    let (mut s, zoned) = match input.find('%') {
        Some(i) => {
            if i + 1 == input.len() {
                return Err(addr_error(input, "zone must be a non-empty string", None));
            }
            (&input[..i], true)
        }
        None => (input, false),
    };
    let err = |msg: &str, at: &str| Err(addr_error(input, msg, Some(at)));
    let mut ip = [0u8; 16];
    let mut ellipsis: Option<usize> = None;
    if s.starts_with("::") {
        ellipsis = Some(0);
        s = &s[2..];
        if s.is_empty() {
            return Ok(GoAddr {
                ip: IpAddr::V6(Ipv6Addr::UNSPECIFIED),
                zoned,
            });
        }
    }
    let mut i = 0usize;
    while i < 16 {
        let b = s.as_bytes();
        let mut off = 0usize;
        let mut acc = 0u32;
        while let Some(&c) = b.get(off) {
            let d = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                b'A'..=b'F' => c - b'A' + 10,
                _ => break,
            };
            acc = (acc << 4) + u32::from(d);
            if off > 3 {
                return err("each group must have 4 or less digits", s);
            }
            if acc > 0xffff {
                return err("IPv6 field has value >=2^16", s);
            }
            off += 1;
        }
        if off == 0 {
            return err("each colon-separated field must have at least one digit", s);
        }
        if b.get(off) == Some(&b'.') {
            if ellipsis.is_none() && i != 12 {
                return err(
                    "embedded IPv4 address must replace the final 2 fields of the address",
                    s,
                );
            }
            if i + 4 > 16 {
                return err(
                    "too many hex fields to fit an embedded IPv4 at the end of the address",
                    s,
                );
            }
            let mut f = [0u8; 4];
            parse_ipv4_fields(input, s, &mut f)?;
            ip[i..i + 4].copy_from_slice(&f);
            s = "";
            i += 4;
            break;
        }
        ip[i] = (acc >> 8) as u8;
        ip[i + 1] = acc as u8;
        i += 2;
        s = &s[off..];
        if s.is_empty() {
            break;
        }
        if !s.starts_with(':') {
            return err("unexpected character, want colon", s);
        } else if s.len() == 1 {
            return err("colon must be followed by more characters", s);
        }
        s = &s[1..];
        if s.starts_with(':') {
            if ellipsis.is_some() {
                return err("multiple :: in address", s);
            }
            ellipsis = Some(i);
            s = &s[1..];
            if s.is_empty() {
                break;
            }
        }
    }
    if !s.is_empty() {
        return err("trailing garbage after address", s);
    }
    if i < 16 {
        let Some(e) = ellipsis else {
            return Err(addr_error(input, "address string too short", None));
        };
        let n = 16 - i;
        for j in (e..i).rev() {
            ip[j + n] = ip[j];
        }
        for b in ip.iter_mut().skip(e).take(n) {
            *b = 0;
        }
    } else if ellipsis.is_some() {
        return err("the :: must expand to at least one field of zeros", s);
    }
    Ok(GoAddr {
        ip: IpAddr::V6(Ipv6Addr::from(ip)),
        zoned,
    })
}

/// Go's `netip.ParsePrefix`; the error is its `Error()` text.
pub(crate) fn parse_prefix(s: &str) -> Result<(GoAddr, u8), String> {
    let fail = |msg: &str| format!("netip.ParsePrefix({}): {msg}", quote(s));
    let Some(i) = s.rfind('/') else {
        return Err(fail("no '/'"));
    };
    let addr = parse_addr(&s[..i]).map_err(|e| fail(&e))?;
    if addr.zoned {
        return Err(fail("IPv6 zones cannot be present in a prefix"));
    }
    let bits = &s[i + 1..];
    let bad = || fail(&format!("bad bits after slash: {}", quote(bits)));
    if bits.len() > 1 && !matches!(bits.as_bytes().first(), Some(b'1'..=b'9')) {
        return Err(bad());
    }
    // strconv.Atoi: an optional sign, then decimal digits.
    let digits = bits.strip_prefix(['+', '-']).unwrap_or(bits);
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    let n: i64 = match bits.parse() {
        Ok(n) => n,
        Err(_) => return Err(bad()),
    };
    let max = if addr.ip.is_ipv4() { 32 } else { 128 };
    if !(0..=max).contains(&n) {
        return Err(fail("prefix length out of range"));
    }
    Ok((addr, n as u8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_as_go_does() {
        assert_eq!(parse_addr("::ffff:1.2.3.4").map(|a| a.is_4in6()), Ok(true));
        assert_eq!(parse_addr("fe80::1%eth0").map(|a| a.zoned), Ok(true));
        assert_eq!(
            parse_addr("2001:db8::1").map(|a| a.ip.to_string()),
            Ok("2001:db8::1".to_string())
        );
        let cases = [
            ("abc", "ParseAddr(\"abc\"): unable to parse IP"),
            (
                "2024-01-02T03:04:05Z",
                "ParseAddr(\"2024-01-02T03:04:05Z\"): unexpected character, want colon (at \"-01-02T03:04:05Z\")",
            ),
            (
                "10.0.0.0/8",
                "ParseAddr(\"10.0.0.0/8\"): unexpected character (at \"/8\")",
            ),
            ("1.2.3", "ParseAddr(\"1.2.3\"): IPv4 address too short"),
            ("01.2.3.4", "ParseAddr(\"01.2.3.4\"): IPv4 field has octet with leading zero"),
            ("%x", "ParseAddr(\"%x\"): missing IPv6 address"),
        ];
        for (s, want) in cases {
            assert_eq!(parse_addr(s), Err(want.to_string()), "{s}");
        }
    }

    #[test]
    fn prefixes_parse_as_go_does() {
        assert_eq!(
            parse_prefix("10.0.0.0/8").map(|(a, n)| (a.ip.to_string(), n)),
            Ok(("10.0.0.0".to_string(), 8))
        );
        let cases = [
            ("1h", "netip.ParsePrefix(\"1h\"): no '/'"),
            (
                "1.2.3.4/",
                "netip.ParsePrefix(\"1.2.3.4/\"): bad bits after slash: \"\"",
            ),
            (
                "1.2.3.4/08",
                "netip.ParsePrefix(\"1.2.3.4/08\"): bad bits after slash: \"08\"",
            ),
            (
                "1.2.3.4/33",
                "netip.ParsePrefix(\"1.2.3.4/33\"): prefix length out of range",
            ),
            (
                "Europe/Paris",
                "netip.ParsePrefix(\"Europe/Paris\"): ParseAddr(\"Europe\"): unable to parse IP",
            ),
        ];
        for (s, want) in cases {
            assert_eq!(parse_prefix(s), Err(want.to_string()), "{s}");
        }
    }
}
