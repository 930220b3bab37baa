//! SASL for SMTP AUTH (RFC 4954): the PLAIN (RFC 4616), LOGIN
//! (draft-murchison-sasl-login) and XOAUTH2 (Google's OAuth 2.0 SASL profile)
//! mechanisms, for the client (encode a response) and the server (check and
//! decode one), with strict base64 (RFC 4648 §4: padding required, no
//! whitespace, canonical trailing bits) into caller buffers.
//!
//! ```
//! use embedded_smtp::sasl::{self, Credentials, Decoded};
//!
//! // Client: the PLAIN initial response of RFC 4954 §4.1's example.
//! let mut buf = [0u8; 64];
//! let n = sasl::plain_response("", "test", "1234", &mut buf).unwrap();
//! assert_eq!(&buf[..n], b"AHRlc3QAMTIzNA==");
//!
//! // Server: the engine hands the base64 text over; the application decodes it.
//! let creds = Credentials::Plain { response: "AHRlc3QAMTIzNA==" };
//! let mut scratch = [0u8; 64];
//! let Decoded::Plain(p) = creds.decode(&mut scratch).unwrap() else { unreachable!() };
//! assert_eq!((p.authzid, p.authcid, p.password), ("", "test", "1234"));
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::syntax::{Invalid, WriteError};

/// The LOGIN mechanism's first challenge, base64 of `Username:`.
pub const LOGIN_USERNAME_CHALLENGE: &str = "VXNlcm5hbWU6";
/// The LOGIN mechanism's second challenge, base64 of `Password:`.
pub const LOGIN_PASSWORD_CHALLENGE: &str = "UGFzc3dvcmQ6";

/// Why a SASL response was refused. The peer is at fault (a server answers
/// `501 5.5.2` for [`SaslError::Base64`], `535 5.7.8` for
/// [`SaslError::Malformed`]), except for [`SaslError::BufferTooSmall`], which
/// is a resource error of the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum SaslError {
    /// Not strict base64 (RFC 4648 §4).
    Base64,
    /// Valid base64 whose content is not what the mechanism defines (PLAIN
    /// without its two NULs, a field that is not UTF-8, a malformed XOAUTH2).
    Malformed,
    /// The scratch buffer is too small; `needed` bytes are required.
    BufferTooSmall {
        /// Bytes needed for the decoded response.
        needed: usize,
    },
}

impl core::fmt::Display for SaslError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SaslError::Base64 => f.write_str("SASL response is not valid base64"),
            SaslError::Malformed => f.write_str("SASL response does not match the mechanism"),
            SaslError::BufferTooSmall { needed } => {
                write!(f, "scratch buffer too small: {needed} bytes needed")
            }
        }
    }
}

impl core::error::Error for SaslError {}

/// Base64-encodes `data` into `out`; returns the length written.
pub fn base64_encode(data: &[u8], out: &mut [u8]) -> Result<usize, WriteError> {
    let needed = data.len().div_ceil(3) * 4;
    if out.len() < needed {
        return Err(WriteError::BufferTooSmall { needed });
    }
    STANDARD
        .encode_slice(data, out)
        .map_err(|_| WriteError::BufferTooSmall { needed })
}

/// Decodes strict base64 `text` into `out`.
pub fn base64_decode<'o>(text: &[u8], out: &'o mut [u8]) -> Result<&'o [u8], SaslError> {
    let needed = check_base64(text)?;
    if out.len() < needed {
        return Err(SaslError::BufferTooSmall { needed });
    }
    let n = STANDARD
        .decode_slice(text, out)
        .map_err(|_| SaslError::Base64)?;
    Ok(&out[..n])
}

/// Checks that `text` is strict base64 (RFC 4648 §4: the standard alphabet,
/// padding to a multiple of 4, `=` only at the end and at most two, the
/// unused bits of the last character zero) without a buffer to decode into
/// (a server validates a response before it hands it to the application);
/// returns the decoded length. An empty text is valid (length 0).
///
/// It accepts exactly what the `base64` crate's strict `STANDARD` engine
/// decodes (`tests::check_base64_agrees_with_the_base64_crate`), in a few
/// dozen instructions: the crate's decoder, which needs an output buffer,
/// was 1.5 KiB of a server firmware's flash for this yes-or-no answer.
pub fn check_base64(text: &[u8]) -> Result<usize, SaslError> {
    if !text.len().is_multiple_of(4) {
        return Err(SaslError::Base64);
    }
    let pad = text.iter().rev().take_while(|&&b| b == b'=').count();
    if pad > 2 {
        return Err(SaslError::Base64);
    }
    let mut last = 0;
    for &b in &text[..text.len() - pad] {
        last = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return Err(SaslError::Base64),
        };
    }
    // One `=`: the last character carries 2 unused bits; two: 4.
    let unused = match pad {
        1 => 0b11,
        2 => 0b1111,
        _ => 0,
    };
    if last & unused != 0 {
        return Err(SaslError::Base64);
    }
    Ok(text.len() / 4 * 3 - pad)
}

fn refuse_controls(field: &str, also: &[u8]) -> Result<(), Invalid> {
    if field
        .bytes()
        .any(|b| b == 0 || b == b'\r' || b == b'\n' || also.contains(&b))
    {
        Err(Invalid::ControlByte)
    } else {
        Ok(())
    }
}

/// Encodes a PLAIN response (RFC 4616): base64 of
/// `authzid NUL authcid NUL password`. A NUL, CR or LF in any field is
/// refused (INJ-07), and so is an empty `authcid`.
pub fn plain_response(
    authzid: &str,
    authcid: &str,
    password: &str,
    out: &mut [u8],
) -> Result<usize, WriteError> {
    for f in [authzid, authcid, password] {
        refuse_controls(f, &[])?;
    }
    if authcid.is_empty() {
        return Err(Invalid::Argument.into());
    }
    encode_parts(
        &[
            authzid.as_bytes(),
            b"\0",
            authcid.as_bytes(),
            b"\0",
            password.as_bytes(),
        ],
        out,
    )
}

/// Encodes one LOGIN response (the user name or the password): base64 of
/// the text. NUL, CR and LF are refused.
pub fn login_response(text: &str, out: &mut [u8]) -> Result<usize, WriteError> {
    refuse_controls(text, &[])?;
    base64_encode(text.as_bytes(), out)
}

/// Encodes an XOAUTH2 response: base64 of
/// `user=` user `^Aauth=Bearer ` token `^A^A`. NUL, CR, LF and `^A` in
/// either field are refused.
pub fn xoauth2_response(user: &str, token: &str, out: &mut [u8]) -> Result<usize, WriteError> {
    refuse_controls(user, &[1])?;
    refuse_controls(token, &[1, b' '])?;
    if user.is_empty() || token.is_empty() {
        return Err(Invalid::Argument.into());
    }
    encode_parts(
        &[
            b"user=",
            user.as_bytes(),
            b"\x01auth=Bearer ",
            token.as_bytes(),
            b"\x01\x01",
        ],
        out,
    )
}

/// Base64 of the concatenation of `parts`, streamed in 3-octet groups so no
/// intermediate buffer is needed.
fn encode_parts(parts: &[&[u8]], out: &mut [u8]) -> Result<usize, WriteError> {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let needed = len.div_ceil(3) * 4;
    if out.len() < needed {
        return Err(WriteError::BufferTooSmall { needed });
    }
    let mut group = [0u8; 3];
    let mut filled = 0;
    let mut written = 0;
    for &b in parts.iter().flat_map(|p| p.iter()) {
        group[filled] = b;
        filled += 1;
        if filled == 3 {
            written += STANDARD
                .encode_slice(group, &mut out[written..])
                .map_err(|_| WriteError::BufferTooSmall { needed })?;
            filled = 0;
        }
    }
    if filled > 0 {
        written += STANDARD
            .encode_slice(&group[..filled], &mut out[written..])
            .map_err(|_| WriteError::BufferTooSmall { needed })?;
    }
    Ok(written)
}

/// A decoded PLAIN response (RFC 4616 §2: `[authzid] UTF8NUL authcid UTF8NUL passwd`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Plain<'s> {
    /// The authorization identity; empty when the client did not give one.
    pub authzid: &'s str,
    /// The authentication identity (the user name); never empty.
    pub authcid: &'s str,
    /// The password.
    pub password: &'s str,
}

impl<'s> Plain<'s> {
    /// Splits a decoded PLAIN message.
    pub fn parse(decoded: &'s [u8]) -> Result<Plain<'s>, SaslError> {
        let text = core::str::from_utf8(decoded).map_err(|_| SaslError::Malformed)?;
        let mut it = text.split('\0');
        match (it.next(), it.next(), it.next(), it.next()) {
            (Some(authzid), Some(authcid), Some(password), None)
                if !authcid.is_empty() && password.len() <= 255 =>
            {
                Ok(Plain {
                    authzid,
                    authcid,
                    password,
                })
            }
            _ => Err(SaslError::Malformed),
        }
    }
}

/// A decoded XOAUTH2 response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct XOAuth2<'s> {
    /// The user (an email address).
    pub user: &'s str,
    /// The OAuth 2.0 bearer token.
    pub token: &'s str,
}

impl<'s> XOAuth2<'s> {
    /// Parses `user=` user `^Aauth=Bearer ` token `^A^A`.
    pub fn parse(decoded: &'s [u8]) -> Result<XOAuth2<'s>, SaslError> {
        let text = core::str::from_utf8(decoded).map_err(|_| SaslError::Malformed)?;
        let rest = text.strip_prefix("user=").ok_or(SaslError::Malformed)?;
        let (user, rest) = rest.split_once('\x01').ok_or(SaslError::Malformed)?;
        let rest = rest.strip_prefix("auth=").ok_or(SaslError::Malformed)?;
        let (scheme, token) = rest.split_once(' ').ok_or(SaslError::Malformed)?;
        let token = token.strip_suffix("\x01\x01").ok_or(SaslError::Malformed)?;
        if user.is_empty()
            || token.is_empty()
            || !scheme.eq_ignore_ascii_case("Bearer")
            || token.contains('\x01')
        {
            return Err(SaslError::Malformed);
        }
        Ok(XOAuth2 { user, token })
    }
}

/// Credentials a server engine received, still base64 as sent (already
/// checked to be strict base64), borrowing the input. Decode them with
/// [`Credentials::decode`] into a scratch buffer of your own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Credentials<'a> {
    /// A PLAIN response.
    Plain {
        /// base64 of `authzid NUL authcid NUL password`.
        response: &'a str,
    },
    /// The two LOGIN responses.
    Login {
        /// base64 of the user name.
        username: &'a str,
        /// base64 of the password.
        password: &'a str,
    },
    /// An XOAUTH2 response.
    XOAuth2 {
        /// base64 of the XOAUTH2 message.
        response: &'a str,
    },
}

/// Decoded [`Credentials`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Decoded<'s> {
    /// PLAIN.
    Plain(Plain<'s>),
    /// LOGIN.
    Login {
        /// The user name.
        username: &'s str,
        /// The password.
        password: &'s str,
    },
    /// XOAUTH2.
    XOAuth2(XOAuth2<'s>),
}

impl Credentials<'_> {
    /// Decodes into `scratch` (at most 3/4 of the base64 length is needed).
    pub fn decode<'s>(&self, scratch: &'s mut [u8]) -> Result<Decoded<'s>, SaslError> {
        match *self {
            Credentials::Plain { response } => Ok(Decoded::Plain(Plain::parse(base64_decode(
                response.as_bytes(),
                scratch,
            )?)?)),
            Credentials::XOAuth2 { response } => Ok(Decoded::XOAuth2(XOAuth2::parse(
                base64_decode(response.as_bytes(), scratch)?,
            )?)),
            Credentials::Login { username, password } => {
                let ulen = check_base64(username.as_bytes())?;
                let plen = check_base64(password.as_bytes())?;
                if scratch.len() < ulen + plen {
                    return Err(SaslError::BufferTooSmall {
                        needed: ulen + plen,
                    });
                }
                let (a, b) = scratch.split_at_mut(ulen);
                let u = base64_decode(username.as_bytes(), a)?;
                let p = base64_decode(password.as_bytes(), b)?;
                let utf8 = |s| core::str::from_utf8(s).map_err(|_| SaslError::Malformed);
                let (username, password) = (utf8(u)?, utf8(p)?);
                if username.is_empty() || username.contains('\0') || password.contains('\0') {
                    return Err(SaslError::Malformed);
                }
                Ok(Decoded::Login { username, password })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    #[test]
    fn rfc4954_plain_example_and_login_challenges() {
        let mut buf = [0u8; 64];
        // RFC 4954 §4.1: "AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ=" is authzid "test", authcid "test", password "1234".
        let n = plain_response("test", "test", "1234", &mut buf).unwrap();
        assert_eq!(&buf[..n], b"dGVzdAB0ZXN0ADEyMzQ=");
        let n = base64_encode(b"Username:", &mut buf).unwrap();
        assert_eq!(&buf[..n], LOGIN_USERNAME_CHALLENGE.as_bytes());
        let n = base64_encode(b"Password:", &mut buf).unwrap();
        assert_eq!(&buf[..n], LOGIN_PASSWORD_CHALLENGE.as_bytes());
    }

    #[test]
    fn strict_base64() {
        assert_eq!(check_base64(b""), Ok(0));
        assert_eq!(check_base64(b"AAAA"), Ok(3));
        assert_eq!(check_base64(b"AA=="), Ok(1));
        for bad in [
            &b"A"[..],
            b"AAA",
            b"A===",
            b"AA=A",
            b"AA AA",
            b"!!!!",
            b"AB==",
            b"AAAA\r\n",
            b"=AAA",
        ] {
            assert_eq!(
                check_base64(bad),
                Err(SaslError::Base64),
                "{:?}",
                core::str::from_utf8(bad)
            );
        }
        // Long input: padding only at the very end, across chunk boundaries.
        let mut long = [b'A'; 128];
        assert_eq!(check_base64(&long), Ok(96));
        long[63] = b'=';
        assert_eq!(check_base64(&long), Err(SaslError::Base64));
    }

    /// Texts over part of the base64 alphabet (with and without unused low
    /// bits), `=` often, and a few strangers; half of them a multiple of 4
    /// long, where the interesting cases are.
    fn base64ish() -> impl proptest::strategy::Strategy<Value = std::vec::Vec<u8>> {
        use proptest::prelude::*;
        let byte = proptest::sample::select(&b"AQgwBCDz09+/====a!- \r"[..]);
        prop_oneof![
            proptest::collection::vec(byte.clone(), 0..14),
            (0usize..4).prop_flat_map(move |k| proptest::collection::vec(byte.clone(), 4 * k)),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]
        /// The same verdict and length as the `base64` crate's strict decoder.
        #[test]
        fn check_base64_agrees_with_the_base64_crate(text in base64ish()) {
            let mut out = [0u8; 16];
            let reference = STANDARD.decode_slice(&text, &mut out).ok();
            proptest::prop_assert_eq!(check_base64(&text).ok(), reference);
        }
    }

    #[test]
    fn inj07_credentials_with_nul_cr_lf_are_refused() {
        let mut buf = [0u8; 64];
        for (z, c, p) in [
            ("", "u\0", "p"),
            ("", "u", "p\r"),
            ("a\n", "u", "p"),
            ("", "", "p"),
        ] {
            assert!(plain_response(z, c, p, &mut buf).is_err());
        }
        assert!(login_response("u\r\nQUIT", &mut buf).is_err());
        assert!(xoauth2_response("u\x01", "t", &mut buf).is_err());
    }

    #[test]
    fn xoauth2_round_trip() {
        let mut buf = [0u8; 128];
        let n = xoauth2_response(
            "someuser@example.com",
            "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg",
            &mut buf,
        )
        .unwrap();
        let text = core::str::from_utf8(&buf[..n]).unwrap();
        let mut scratch = [0u8; 128];
        let Decoded::XOAuth2(x) = (Credentials::XOAuth2 { response: text })
            .decode(&mut scratch)
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(x.user, "someuser@example.com");
        assert_eq!(x.token, "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg");
    }

    #[test]
    fn plain_structure_is_checked() {
        let mut scratch = [0u8; 64];
        let mut enc = [0u8; 64];
        for raw in [
            &b"user\0pass"[..],
            b"\0\0pass",
            b"a\0b\0c\0d",
            b"\xff\0u\0p",
        ] {
            let n = base64_encode(raw, &mut enc).unwrap();
            let creds = Credentials::Plain {
                response: core::str::from_utf8(&enc[..n]).unwrap(),
            };
            assert_eq!(
                creds.decode(&mut scratch),
                Err(SaslError::Malformed),
                "{raw:?}"
            );
        }
    }
}
