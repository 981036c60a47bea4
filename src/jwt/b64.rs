//! Strict base64 decoders, hand-written.
//!
//! JOSE needs base64url *without* padding and must reject every non-canonical
//! spelling (stray padding, trailing bits set in the last character), or two
//! different strings would decode to the same signed bytes. PEM bodies and
//! Cerbos's `local.data` use standard padded base64. Both fit in one small
//! table-driven routine, which costs less wasm than the `base64` crate's
//! engine machinery and keeps the strictness rules in plain sight.

use thiserror::Error;

/// Why a base64 string was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Base64Error {
    /// A byte outside the alphabet (including `=` where padding is not allowed).
    #[error("invalid base64 character at offset {0}")]
    InvalidByte(usize),
    /// A length that no encoder produces (one character left over).
    #[error("invalid base64 length")]
    InvalidLength,
    /// The last character carries bits that an encoder always leaves at zero.
    #[error("non-canonical base64 (trailing bits set)")]
    NonCanonical,
    /// Padding in the wrong place or of the wrong amount.
    #[error("invalid base64 padding")]
    InvalidPadding,
}

#[derive(Clone, Copy)]
enum Alphabet {
    Url,
    Standard,
}

fn sextet(c: u8, alphabet: Alphabet) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'-' if matches!(alphabet, Alphabet::Url) => Some(62),
        b'_' if matches!(alphabet, Alphabet::Url) => Some(63),
        b'+' if matches!(alphabet, Alphabet::Standard) => Some(62),
        b'/' if matches!(alphabet, Alphabet::Standard) => Some(63),
        _ => None,
    }
}

/// Decodes unpadded base64 in `alphabet`; `offset` only shifts error positions.
fn decode_unpadded(
    input: &[u8],
    alphabet: Alphabet,
    offset: usize,
) -> Result<Vec<u8>, Base64Error> {
    if input.len() % 4 == 1 {
        return Err(Base64Error::InvalidLength);
    }
    let mut out = Vec::with_capacity(input.len() / 4 * 3 + 2);
    let mut acc: u32 = 0;
    let mut bits: u32 = 0;
    for (i, &c) in input.iter().enumerate() {
        let v = sextet(c, alphabet).ok_or(Base64Error::InvalidByte(offset + i))?;
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    // INVARIANT: after the loop `bits` is 0, 2 or 4 and `acc` holds exactly the
    // leftover low bits; a canonical encoder always leaves them zero.
    if acc != 0 {
        return Err(Base64Error::NonCanonical);
    }
    Ok(out)
}

/// Decodes base64url without padding (RFC 7515 §2), rejecting `=`, the
/// standard alphabet's `+`/`/`, whitespace and non-zero trailing bits.
pub fn decode_url(input: &[u8]) -> Result<Vec<u8>, Base64Error> {
    decode_unpadded(input, Alphabet::Url, 0)
}

/// Decodes standard padded base64 (RFC 4648 §4). With `skip_whitespace`,
/// ASCII whitespace anywhere is ignored (PEM bodies, wrapped config values);
/// padding is mandatory and must be canonical either way.
pub fn decode_standard(input: &[u8], skip_whitespace: bool) -> Result<Vec<u8>, Base64Error> {
    let compact: Vec<u8>;
    let data: &[u8] = if skip_whitespace {
        compact = input
            .iter()
            .copied()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        &compact
    } else {
        input
    };
    if data.len() % 4 != 0 {
        return Err(Base64Error::InvalidLength);
    }
    let pad = data.iter().rev().take_while(|&&c| c == b'=').count();
    if pad > 2 {
        return Err(Base64Error::InvalidPadding);
    }
    let body = data
        .get(..data.len() - pad)
        .ok_or(Base64Error::InvalidPadding)?;
    if body.contains(&b'=') {
        return Err(Base64Error::InvalidPadding);
    }
    // With padding stripped, a full quad minus `pad` characters must remain.
    if pad > 0 && body.len() % 4 != 4 - pad {
        return Err(Base64Error::InvalidPadding);
    }
    decode_unpadded(body, Alphabet::Standard, 0)
}

/// Encodes base64url without padding (used for cache keys in tests and by
/// callers that need to echo values back).
pub fn encode_url(input: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b0 = u32::from(chunk.first().copied().unwrap_or(0));
        let b1 = u32::from(chunk.get(1).copied().unwrap_or(0));
        let b2 = u32::from(chunk.get(2).copied().unwrap_or(0));
        let n = (b0 << 16) | (b1 << 8) | b2;
        let emit = chunk.len() + 1;
        for k in 0..emit {
            let idx = ((n >> (18 - 6 * k)) & 63) as usize;
            out.push(char::from(T[idx]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_roundtrip_and_strictness() {
        for len in 0..40usize {
            let data: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let enc = encode_url(&data);
            assert_eq!(decode_url(enc.as_bytes()).unwrap(), data);
        }
        assert_eq!(decode_url(b"QQ").unwrap(), b"A");
        // "QR" has trailing bits set: same byte as "QQ", must be refused.
        assert_eq!(decode_url(b"QR"), Err(Base64Error::NonCanonical));
        assert_eq!(decode_url(b"QQ=="), Err(Base64Error::InvalidByte(2)));
        assert_eq!(decode_url(b"Q"), Err(Base64Error::InvalidLength));
        assert_eq!(decode_url(b"a+b/"), Err(Base64Error::InvalidByte(1)));
        assert_eq!(decode_url(b"ab c"), Err(Base64Error::InvalidByte(2)));
    }

    #[test]
    fn standard_padding_rules() {
        assert_eq!(decode_standard(b"QQ==", false).unwrap(), b"A");
        assert_eq!(decode_standard(b"QUI=", false).unwrap(), b"AB");
        assert_eq!(decode_standard(b"QUJD", false).unwrap(), b"ABC");
        assert_eq!(decode_standard(b"QUJD\nRA==\n", true).unwrap(), b"ABCD");
        assert!(decode_standard(b"QQ", false).is_err());
        assert!(decode_standard(b"QQ=A", false).is_err());
        assert!(decode_standard(b"Q===", false).is_err());
        assert!(decode_standard(b"QR==", false).is_err());
        assert!(decode_standard(b"QU=D", false).is_err());
        assert!(decode_standard(b"QUJD\n", false).is_err());
    }
}
