//! A minimal, bounds-checked DER reader: just enough ASN.1 to pull public
//! keys out of SPKI, PKCS#1, PKCS#8, SEC1 and X.509 structures. Definite
//! lengths only, minimal length encodings only, single-byte tags only; every
//! read is checked, nothing recurses.

use super::error::KeyError;

pub(crate) const TAG_INTEGER: u8 = 0x02;
pub(crate) const TAG_BIT_STRING: u8 = 0x03;
pub(crate) const TAG_OCTET_STRING: u8 = 0x04;
pub(crate) const TAG_NULL: u8 = 0x05;
pub(crate) const TAG_OID: u8 = 0x06;
pub(crate) const TAG_SEQUENCE: u8 = 0x30;
pub(crate) const TAG_CONTEXT_0: u8 = 0xA0;
pub(crate) const TAG_CONTEXT_1: u8 = 0xA1;

fn bad(msg: &str) -> KeyError {
    KeyError::Invalid(format!("DER: {msg}"))
}

/// A cursor over DER bytes.
#[derive(Clone, Copy)]
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(input: &'a [u8]) -> Self {
        Reader { rest: input }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    pub(crate) fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// Reads one TLV, returning its tag and contents.
    pub(crate) fn read_any(&mut self) -> Result<(u8, &'a [u8]), KeyError> {
        let (&tag, after_tag) = self.rest.split_first().ok_or_else(|| bad("truncated"))?;
        if tag & 0x1F == 0x1F {
            return Err(bad("multi-byte tags are not supported"));
        }
        let (&first, mut after_len) = after_tag.split_first().ok_or_else(|| bad("truncated"))?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let count = usize::from(first & 0x7F);
            if count == 0 || count > 4 {
                return Err(bad("unsupported length encoding"));
            }
            let bytes = after_len.get(..count).ok_or_else(|| bad("truncated"))?;
            after_len = after_len.get(count..).ok_or_else(|| bad("truncated"))?;
            if bytes.first() == Some(&0) {
                return Err(bad("non-minimal length"));
            }
            let len = bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            if len < 0x80 {
                return Err(bad("non-minimal length"));
            }
            len
        };
        let value = after_len.get(..len).ok_or_else(|| bad("truncated"))?;
        self.rest = after_len.get(len..).ok_or_else(|| bad("truncated"))?;
        Ok((tag, value))
    }

    /// Reads one TLV that must carry `tag`.
    pub(crate) fn read(&mut self, tag: u8) -> Result<&'a [u8], KeyError> {
        let (t, v) = self.read_any()?;
        if t != tag {
            return Err(bad(&format!("expected tag {tag:#04x}, found {t:#04x}")));
        }
        Ok(v)
    }

    /// Reads a TLV with `tag` if it is next, else leaves the cursor alone.
    pub(crate) fn read_optional(&mut self, tag: u8) -> Result<Option<&'a [u8]>, KeyError> {
        if self.peek_tag() == Some(tag) {
            self.read(tag).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Reads a SEQUENCE and returns a reader over its contents.
    pub(crate) fn sequence(&mut self) -> Result<Reader<'a>, KeyError> {
        self.read(TAG_SEQUENCE).map(Reader::new)
    }

    /// Reads a non-negative INTEGER, returning its magnitude without the
    /// sign-padding zero byte.
    pub(crate) fn unsigned_integer(&mut self) -> Result<&'a [u8], KeyError> {
        let v = self.read(TAG_INTEGER)?;
        match v {
            [] => Err(bad("empty INTEGER")),
            [first, ..] if first & 0x80 != 0 => Err(bad("negative INTEGER")),
            [0, second, ..] if second & 0x80 == 0 => Err(bad("non-minimal INTEGER")),
            [0, rest @ ..] if !rest.is_empty() => Ok(rest),
            _ => Ok(v),
        }
    }

    /// Reads a BIT STRING that must have no unused bits.
    pub(crate) fn bit_string(&mut self) -> Result<&'a [u8], KeyError> {
        let v = self.read(TAG_BIT_STRING)?;
        match v.split_first() {
            Some((0, bits)) => Ok(bits),
            _ => Err(bad("BIT STRING with unused bits")),
        }
    }

    /// Fails unless everything was consumed.
    pub(crate) fn finish(&self) -> Result<(), KeyError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(bad("trailing data"))
        }
    }
}

/// Object identifiers we recognise (DER contents, without tag and length).
pub(crate) mod oid {
    /// rsaEncryption 1.2.840.113549.1.1.1
    pub(crate) const RSA: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];
    /// id-RSASSA-PSS 1.2.840.113549.1.1.10
    pub(crate) const RSA_PSS: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0A];
    /// id-ecPublicKey 1.2.840.10045.2.1
    pub(crate) const EC_PUBLIC_KEY: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01];
    /// prime256v1 1.2.840.10045.3.1.7
    pub(crate) const P256: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];
    /// secp384r1 1.3.132.0.34
    pub(crate) const P384: &[u8] = &[0x2B, 0x81, 0x04, 0x00, 0x22];
    /// secp521r1 1.3.132.0.35
    pub(crate) const P521: &[u8] = &[0x2B, 0x81, 0x04, 0x00, 0x23];
    /// id-Ed25519 1.3.101.112
    pub(crate) const ED25519: &[u8] = &[0x2B, 0x65, 0x70];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_and_integers() {
        let mut r = Reader::new(&[0x02, 0x02, 0x00, 0x80]);
        assert_eq!(r.unsigned_integer().unwrap(), &[0x80]);
        assert!(Reader::new(&[0x02, 0x02, 0x00, 0x01])
            .unsigned_integer()
            .is_err());
        assert!(Reader::new(&[0x02, 0x01, 0x80]).unsigned_integer().is_err());
        assert!(Reader::new(&[0x04, 0x81, 0x05, 1, 2, 3, 4, 5])
            .read_any()
            .is_err());
        assert!(Reader::new(&[0x04, 0x80]).read_any().is_err());
        assert!(Reader::new(&[0x04, 0x05, 1]).read_any().is_err());
        assert!(Reader::new(&[0x1F, 0x01, 0x00]).read_any().is_err());
        let mut long = vec![0x04, 0x81, 0x80];
        long.extend(std::iter::repeat_n(7u8, 0x80));
        let (t, v) = Reader::new(&long).read_any().unwrap();
        assert_eq!((t, v.len()), (0x04, 0x80));
    }
}
