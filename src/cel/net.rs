//! cel-go's network extension (`ip`, `cidr` and their methods) and
//! Cerbos's `inIPAddrRange`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use super::functions::{arg, bind, no_overload, str_arg, Binding};
use super::functions::{Arity::*, CallStyle::*};
use super::goip::{parse_addr, parse_prefix, quote};
use super::program::Activation;
use super::value::{EvalError, EvalResult, Opaque, Value};

/// The network library's bindings (`ip`, `cidr` and their methods).
pub(crate) const BINDINGS: &[Binding] = &[
    bind("ip", Either, Exactly(1), ip_fn),
    bind("cidr", Global, Exactly(1), cidr_fn),
    bind("isIP", Global, Exactly(1), is_ip),
    bind("isCIDR", Global, Exactly(1), is_cidr),
    bind("ip.isCanonical", Global, Exactly(1), is_canonical),
    bind("family", Member, Exactly(1), family),
    bind("isUnspecified", Member, Exactly(1), |_, a| {
        ip_pred(a, |ip| ip.is_unspecified())
    }),
    bind("isLoopback", Member, Exactly(1), |_, a| {
        ip_pred(a, |ip| ip.is_loopback())
    }),
    bind("isGlobalUnicast", Member, Exactly(1), |_, a| {
        ip_pred(a, global_unicast)
    }),
    bind("isLinkLocalMulticast", Member, Exactly(1), |_, a| {
        ip_pred(a, link_local_multicast)
    }),
    bind("isLinkLocalUnicast", Member, Exactly(1), |_, a| {
        ip_pred(a, link_local_unicast)
    }),
    bind("containsIP", Member, Exactly(2), contains_ip),
    bind("containsCIDR", Member, Exactly(2), contains_cidr),
    bind("masked", Member, Exactly(1), masked),
    bind("isMask", Member, Exactly(1), is_mask),
    bind("prefixLength", Member, Exactly(1), prefix_length),
    bind("inIPAddrRange", Either, Exactly(2), in_ip_addr_range),
];

/// The network extension's `parseIPAddr`: Go's `netip.ParseAddr`, then no
/// zone and no IPv4-mapped IPv6 address.
pub(crate) fn parse_ip_strict(s: &str) -> EvalResult<IpAddr> {
    let q = quote(s);
    let addr = parse_addr(s).map_err(|e| {
        EvalError::msg(format!(
            "IP Address {q} parse error during conversion from string: {e}"
        ))
    })?;
    if addr.zoned {
        return Err(EvalError::msg(format!(
            "IP address {q} with zone value is not allowed"
        )));
    }
    if addr.is_4in6() {
        return Err(EvalError::msg(format!(
            "IPv4-mapped IPv6 address {q} is not allowed"
        )));
    }
    Ok(addr.ip)
}

/// The network extension's `parseCIDR`: Go's `netip.ParsePrefix` (which
/// already refuses zones), then no IPv4-mapped IPv6 address.
pub(crate) fn parse_cidr_strict(s: &str) -> EvalResult<(IpAddr, u8)> {
    let q = quote(s);
    let (addr, n) = parse_prefix(s).map_err(|e| {
        EvalError::msg(format!(
            "CIDR {q} parse error during conversion from string: {e}"
        ))
    })?;
    if addr.is_4in6() {
        return Err(EvalError::msg(format!(
            "IPv4-mapped IPv6 address {q} is not allowed"
        )));
    }
    Ok((addr.ip, n))
}

/// Go's `net.ParseCIDR` (as Cerbos's `inIPAddrRange` uses it): the address
/// as `netip.ParseAddr` reads it, without zone, and a decimal prefix length
/// (leading zeros allowed).
fn parse_cidr(s: &str) -> Option<(IpAddr, u8)> {
    let (addr, len) = s.split_once('/')?;
    let addr = parse_addr(addr).ok().filter(|a| !a.zoned)?;
    if len.is_empty() || !len.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let n: u64 = len.trim_start_matches('0').parse().unwrap_or(0);
    let max = if addr.ip.is_ipv4() { 32 } else { 128 };
    (len.len() <= 10 && n <= max).then_some((addr.ip, n as u8))
}

fn unmap(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

/// IP equality as the network extension defines it (IPv4-mapped == IPv4).
pub(crate) fn ip_eq(a: &IpAddr, b: &IpAddr) -> bool {
    unmap(*a) == unmap(*b)
}

fn as_ip(v: &Value) -> Option<IpAddr> {
    match v {
        Value::Opaque(o) => match o.as_ref() {
            Opaque::Ip(ip) => Some(*ip),
            _ => None,
        },
        _ => None,
    }
}

fn as_cidr(v: &Value) -> Option<(IpAddr, u8)> {
    match v {
        Value::Opaque(o) => match o.as_ref() {
            Opaque::Cidr(ip, n) => Some((*ip, *n)),
            _ => None,
        },
        _ => None,
    }
}

fn ip_value(ip: IpAddr) -> Value {
    Value::Opaque(Arc::new(Opaque::Ip(ip)))
}

fn ip_fn(_: &Activation, a: &[Value]) -> EvalResult {
    match arg(a, 0)? {
        Value::String(s) => parse_ip_strict(s).map(ip_value),
        v => match as_cidr(v) {
            Some((ip, _)) => Ok(ip_value(ip)),
            None => Err(no_overload("ip", a)),
        },
    }
}

fn cidr_fn(_: &Activation, a: &[Value]) -> EvalResult {
    let s = str_arg(a, 0).map_err(|_| no_overload("cidr", a))?;
    let (ip, n) = parse_cidr_strict(s)?;
    Ok(Value::Opaque(Arc::new(Opaque::Cidr(ip, n))))
}

fn is_ip(_: &Activation, a: &[Value]) -> EvalResult {
    let s = str_arg(a, 0).map_err(|_| no_overload("isIP", a))?;
    Ok(Value::Bool(parse_ip_strict(s).is_ok()))
}

fn is_cidr(_: &Activation, a: &[Value]) -> EvalResult {
    let s = str_arg(a, 0).map_err(|_| no_overload("isCIDR", a))?;
    Ok(Value::Bool(parse_cidr_strict(s).is_ok()))
}

fn is_canonical(_: &Activation, a: &[Value]) -> EvalResult {
    let s = str_arg(a, 0).map_err(|_| no_overload("ip.isCanonical", a))?;
    let ip = parse_ip_strict(s)?;
    Ok(Value::Bool(ip.to_string() == s))
}

fn family(_: &Activation, a: &[Value]) -> EvalResult {
    match as_ip(arg(a, 0)?) {
        Some(IpAddr::V4(_)) => Ok(Value::Int(4)),
        Some(IpAddr::V6(_)) => Ok(Value::Int(6)),
        None => Err(no_overload("family", a)),
    }
}

fn ip_pred(a: &[Value], f: fn(&IpAddr) -> bool) -> EvalResult {
    match as_ip(arg(a, 0)?) {
        Some(ip) => Ok(Value::Bool(f(&unmap(ip)))),
        None => Err(EvalError::NoSuchOverload),
    }
}

fn link_local_unicast(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.octets()[0] == 169 && v4.octets()[1] == 254,
        IpAddr::V6(v6) => v6.segments()[0] & 0xffc0 == 0xfe80,
    }
}

fn link_local_multicast(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            o[0] == 224 && o[1] == 0 && o[2] == 0
        }
        IpAddr::V6(v6) => v6.segments()[0] & 0xff0f == 0xff02,
    }
}

fn global_unicast(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            *v4 != Ipv4Addr::BROADCAST
                && !v4.is_unspecified()
                && !v4.is_loopback()
                && !v4.is_multicast()
                && !link_local_unicast(ip)
        }
        IpAddr::V6(v6) => {
            !v6.is_unspecified()
                && !v6.is_loopback()
                && !v6.is_multicast()
                && !link_local_unicast(ip)
        }
    }
}

fn mask_bits(ip: &IpAddr, n: u8) -> u128 {
    let (bits, width) = match ip {
        IpAddr::V4(v4) => (u128::from(u32::from(*v4)), 32u32),
        IpAddr::V6(v6) => (u128::from(*v6), 128u32),
    };
    let n = u32::from(n).min(width);
    if n == 0 {
        0
    } else {
        let keep = (!0u128) << (width - n);
        let keep = if width == 32 {
            keep & 0xffff_ffff
        } else {
            keep
        };
        bits & keep
    }
}

fn prefix_contains(net: (IpAddr, u8), ip: &IpAddr) -> bool {
    if net.0.is_ipv4() != ip.is_ipv4() {
        return false;
    }
    mask_bits(&net.0, net.1) == mask_bits(ip, net.1)
}

fn contains_ip(_: &Activation, a: &[Value]) -> EvalResult {
    let net = as_cidr(arg(a, 0)?).ok_or_else(|| no_overload("containsIP", a))?;
    let ip = match arg(a, 1)? {
        Value::String(s) => parse_ip_strict(s)?,
        v => as_ip(v).ok_or_else(|| no_overload("containsIP", a))?,
    };
    Ok(Value::Bool(prefix_contains(net, &unmap(ip))))
}

fn contains_cidr(_: &Activation, a: &[Value]) -> EvalResult {
    let net = as_cidr(arg(a, 0)?).ok_or_else(|| no_overload("containsCIDR", a))?;
    let other = match arg(a, 1)? {
        Value::String(s) => parse_cidr_strict(s)?,
        v => as_cidr(v).ok_or_else(|| no_overload("containsCIDR", a))?,
    };
    Ok(Value::Bool(
        other.1 >= net.1 && prefix_contains(net, &other.0),
    ))
}

fn masked(_: &Activation, a: &[Value]) -> EvalResult {
    let (ip, n) = as_cidr(arg(a, 0)?).ok_or_else(|| no_overload("masked", a))?;
    let bits = mask_bits(&ip, n);
    let ip = match ip {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::from(bits as u32)),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::from(bits)),
    };
    Ok(Value::Opaque(Arc::new(Opaque::Cidr(ip, n))))
}

fn prefix_length(_: &Activation, a: &[Value]) -> EvalResult {
    let (_, n) = as_cidr(arg(a, 0)?).ok_or_else(|| no_overload("prefixLength", a))?;
    Ok(Value::Int(i64::from(n)))
}

fn in_ip_addr_range(_: &Activation, a: &[Value]) -> EvalResult {
    let s = str_arg(a, 0)?;
    let range = str_arg(a, 1)?;
    // Go's net.ParseIP: netip's parser, no zone.
    let ip = parse_addr(s)
        .ok()
        .filter(|a| !a.zoned)
        .map(|a| a.ip)
        .ok_or_else(|| EvalError::msg(format!("invalid IP address: {s}")))?;
    let net = parse_cidr(range)
        .ok_or_else(|| EvalError::msg(format!("invalid CIDR address: {range}")))?;
    // Go's net.IPNet.Contains compares IPv4 and IPv4-mapped forms alike.
    let (nip, ip) = (unmap(net.0), unmap(ip));
    Ok(Value::Bool(prefix_contains((nip, net.1), &ip)))
}

fn is_mask(_: &Activation, a: &[Value]) -> EvalResult {
    let (ip, n) = as_cidr(arg(a, 0)?).ok_or_else(|| no_overload("isMask", a))?;
    let bits = mask_bits(&ip, n);
    let addr = match ip {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    };
    Ok(Value::Bool(bits == addr))
}
