//! DNS cookies (RFC 7873), with server cookies built as RFC 9018 says, so that
//! several servers sharing a secret (`--cookie-secret`) accept each other's.
//!
//! A client sends an 8-byte client cookie, and once it has one, the 16-byte
//! server cookie it was given. The server always answers normally and echoes
//! the client cookie with a fresh server cookie (RFC 7873 §5.2.3, BIND's
//! default); a server cookie that verifies shows the client really receives
//! at its address, which exempts it from rate limiting. Both answer paths call
//! [`reply`] so they write the same bytes.
//!
//! Server cookie: version 1, three reserved bytes, a 32-bit timestamp (Unix
//! seconds, serial arithmetic), and SipHash-2-4 keyed with the 16-byte secret
//! over client cookie | version | reserved | timestamp | client address. The
//! hash is computed over the reserved bytes as received (RFC 9018 A.3), and a
//! cookie verifies from one hour in the past to five minutes in the future.

use std::fmt;
use std::hash::Hasher;
use std::net::IpAddr;

use siphasher::sip::SipHasher24;

/// The EDNS option code of COOKIE.
pub const OPTION_COOKIE: u16 = 10;
/// Length of a client cookie.
pub const CLIENT_COOKIE_LEN: usize = 8;
/// Length of an RFC 9018 server cookie.
pub const SERVER_COOKIE_LEN: usize = 16;
/// Length of the COOKIE option data the server sends: client and server cookie.
pub const REPLY_LEN: usize = CLIENT_COOKIE_LEN + SERVER_COOKIE_LEN;
/// The server cookie version RFC 9018 defines.
const VERSION: u8 = 1;
/// How old a server cookie may be and still verify (RFC 9018 §4.3), seconds.
const MAX_AGE_S: i32 = 3600;
/// How far in the future a server cookie may be dated (clock skew between
/// servers sharing a secret), seconds.
const MAX_AHEAD_S: i32 = 300;

/// The 16-byte key every server cookie is hashed with.
#[derive(Clone, PartialEq, Eq)]
pub struct CookieSecret([u8; 16]);

impl fmt::Debug for CookieSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A secret never reaches a log.
        f.write_str("CookieSecret(..)")
    }
}

/// A `--cookie-secret` that is not 32 hexadecimal digits.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "expected 32 hexadecimal digits (16 bytes), e.g. e5e973e5a6b2a43f48e7dc849e37bfcf; got {0}"
)]
pub struct BadSecret(String);

impl CookieSecret {
    /// The secret `bytes`.
    pub const fn new(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// A secret from the operating system's random source: what each server
    /// uses unless it is told to share one.
    pub fn random() -> Self {
        Self(rand::random())
    }

    /// The secret written as 32 hexadecimal digits.
    pub fn from_hex(text: &str) -> Result<Self, BadSecret> {
        let describe = || {
            if text.len() == 32 {
                "a character that is not a hexadecimal digit".to_owned()
            } else {
                format!("{} characters", text.len())
            }
        };
        if text.len() != 32 || !text.is_ascii() {
            return Err(BadSecret(describe()));
        }
        let mut bytes = [0u8; 16];
        for (byte, pair) in bytes.iter_mut().zip(text.as_bytes().chunks_exact(2)) {
            let pair = std::str::from_utf8(pair).map_err(|_| BadSecret(describe()))?;
            *byte = u8::from_str_radix(pair, 16).map_err(|_| BadSecret(describe()))?;
        }
        Ok(Self(bytes))
    }
}

/// What a query's COOKIE option said, once checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CookieStatus {
    /// No COOKIE option (or no EDNS at all).
    Absent,
    /// A client cookie alone, or with a server cookie that does not verify
    /// (another secret, too old, not RFC 9018's format): answered with a
    /// fresh server cookie, as for a first contact.
    Fresh,
    /// A server cookie this server (or one sharing its secret) issued to this
    /// client address within the time window.
    Verified,
    /// Not a cookie option RFC 7873 allows (length other than 8 or 16 to 40,
    /// or more than one COOKIE option): answered with FORMERR.
    Malformed,
}

/// The server cookie for `client_cookie` at `client`, with `version`,
/// `reserved` and `timestamp` as given (RFC 9018 §4.4).
pub fn server_cookie(
    secret: &CookieSecret,
    client_cookie: &[u8; CLIENT_COOKIE_LEN],
    version: u8,
    reserved: [u8; 3],
    timestamp: u32,
    client: IpAddr,
) -> [u8; SERVER_COOKIE_LEN] {
    let mut hasher = SipHasher24::new_with_key(&secret.0);
    hasher.write(client_cookie);
    hasher.write(&[version]);
    hasher.write(&reserved);
    hasher.write(&timestamp.to_be_bytes());
    match client {
        IpAddr::V4(v4) => hasher.write(&v4.octets()),
        IpAddr::V6(v6) => hasher.write(&v6.octets()),
    }
    let mut cookie = [0u8; SERVER_COOKIE_LEN];
    cookie[0] = version;
    cookie[1..4].copy_from_slice(&reserved);
    cookie[4..8].copy_from_slice(&timestamp.to_be_bytes());
    // The reference SipHash writes its 64-bit result little-endian.
    cookie[8..].copy_from_slice(&hasher.finish().to_le_bytes());
    cookie
}

/// The COOKIE option data to send back for a query's option `data`, from
/// `client` at `now` (Unix seconds, truncated to 32 bits as the timestamp
/// field is), and whether the query's server cookie verified. `Err` for a
/// malformed option.
pub fn reply(
    data: &[u8],
    secret: &CookieSecret,
    client: IpAddr,
    now: u32,
) -> Result<(CookieStatus, [u8; REPLY_LEN]), Malformed> {
    let Some((client_cookie, server)) = data.split_first_chunk::<CLIENT_COOKIE_LEN>() else {
        return Err(Malformed);
    };
    // RFC 7873 §4: a server cookie is 8 to 32 bytes.
    if !(server.is_empty() || (8..=32).contains(&server.len())) {
        return Err(Malformed);
    }
    let status = if verifies(server, client_cookie, secret, client, now) {
        CookieStatus::Verified
    } else {
        CookieStatus::Fresh
    };
    let mut out = [0u8; REPLY_LEN];
    out[..CLIENT_COOKIE_LEN].copy_from_slice(client_cookie);
    out[CLIENT_COOKIE_LEN..].copy_from_slice(&server_cookie(
        secret,
        client_cookie,
        VERSION,
        [0; 3],
        now,
        client,
    ));
    Ok((status, out))
}

/// A COOKIE option RFC 7873 §5.2.2 answers with FORMERR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed;

/// Whether `server` is an RFC 9018 cookie issued for `client_cookie` at
/// `client` with `secret`, dated within the window around `now`.
fn verifies(
    server: &[u8],
    client_cookie: &[u8; CLIENT_COOKIE_LEN],
    secret: &CookieSecret,
    client: IpAddr,
    now: u32,
) -> bool {
    let Ok(server) = <&[u8; SERVER_COOKIE_LEN]>::try_from(server) else {
        return false;
    };
    let timestamp = u32::from_be_bytes([server[4], server[5], server[6], server[7]]);
    // Serial arithmetic (RFC 1982): the difference as a signed 32-bit number.
    let age = now.wrapping_sub(timestamp) as i32;
    if server[0] != VERSION || !(-MAX_AHEAD_S..=MAX_AGE_S).contains(&age) {
        return false;
    }
    let reserved = [server[1], server[2], server[3]];
    let expected = server_cookie(secret, client_cookie, VERSION, reserved, timestamp, client);
    // Compared without an early exit, so timing tells nothing about the hash.
    expected
        .iter()
        .zip(server)
        .fold(0u8, |diff, (a, b)| diff | (a ^ b))
        == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    fn secret(text: &str) -> CookieSecret {
        CookieSecret::from_hex(text).unwrap()
    }

    /// RFC 9018 Appendix A, every example: the query's option, the client's
    /// address, the secret, the time, and the option the server sends back.
    #[test]
    fn rfc_9018_appendix_a() {
        let a = "e5e973e5a6b2a43f48e7dc849e37bfcf";
        let cases = [
            // A.1: learning a new server cookie.
            (
                "2464c4abcf10c957",
                "198.51.100.100",
                a,
                1_559_731_985,
                CookieStatus::Fresh,
                "2464c4abcf10c957010000005cf79f111f8130c3eee29480",
            ),
            // A.2: the same client 40 minutes later, renewed.
            (
                "2464c4abcf10c957010000005cf79f111f8130c3eee29480",
                "198.51.100.100",
                a,
                1_559_734_385,
                CookieStatus::Verified,
                "2464c4abcf10c957010000005cf7a871d4a564a1442aca77",
            ),
            // A.3: reserved bytes set in the query's cookie. The example calls
            // it valid, but it is 1 h 52 min old, past RFC 9018 §4.3's hour:
            // answered fresh (its hash is checked at its own time below).
            (
                "fc93fc62807ddb8601abcdef5cf78f71a314227b6679ebf5",
                "203.0.113.203",
                a,
                1_559_734_700,
                CookieStatus::Fresh,
                "fc93fc62807ddb86010000005cf7a9acf73a7810aca2381e",
            ),
            // A.4: IPv6; answered with the new secret.
            (
                "22681ab97d52c298010000005cf7c57926556bd0934c72f8",
                "2001:db8:220:1:59de:d0f4:8769:82b8",
                "445536bcd2513298075a5d379663c962",
                1_559_741_961,
                CookieStatus::Fresh,
                "22681ab97d52c298010000005cf7c609a6bb79d16625507a",
            ),
        ];
        for (query, client, key, now, status, expected) in cases {
            let client: IpAddr = client.parse().unwrap();
            let (got_status, got) = reply(&hex(query), &secret(key), client, now).unwrap();
            assert_eq!(got.to_vec(), hex(expected), "{query} from {client}");
            assert_eq!(got_status, status, "{query} from {client}");
        }
        // A.3's cookie, hashed over its reserved bytes, verifies when issued.
        let (status, _) = reply(
            &hex("fc93fc62807ddb8601abcdef5cf78f71a314227b6679ebf5"),
            &secret(a),
            "203.0.113.203".parse().unwrap(),
            1_559_727_985,
        )
        .unwrap();
        assert_eq!(status, CookieStatus::Verified);
        // A.4's query cookie was made with the old secret, and verifies with it.
        let (status, _) = reply(
            &hex("22681ab97d52c298010000005cf7c57926556bd0934c72f8"),
            &secret("dd3bdf9344b678b185a6f5cb60fca715"),
            "2001:db8:220:1:59de:d0f4:8769:82b8".parse().unwrap(),
            1_559_741_961,
        )
        .unwrap();
        assert_eq!(status, CookieStatus::Verified);
    }

    #[test]
    fn a_cookie_verifies_only_for_its_address_client_cookie_and_window() {
        let key = secret("e5e973e5a6b2a43f48e7dc849e37bfcf");
        let client: IpAddr = "192.0.2.1".parse().unwrap();
        let issued = 1_800_000_000;
        let (_, option) = reply(&hex("0102030405060708"), &key, client, issued).unwrap();
        let status = |data: &[u8], from: &str, now: u32| {
            reply(data, &key, from.parse().unwrap(), now).unwrap().0
        };
        assert_eq!(status(&option, "192.0.2.1", issued), CookieStatus::Verified);
        assert_eq!(
            status(&option, "192.0.2.1", issued + 3600),
            CookieStatus::Verified
        );
        assert_eq!(
            status(&option, "192.0.2.1", issued + 3601),
            CookieStatus::Fresh,
            "too old"
        );
        assert_eq!(
            status(&option, "192.0.2.1", issued - 300),
            CookieStatus::Verified
        );
        assert_eq!(
            status(&option, "192.0.2.1", issued - 301),
            CookieStatus::Fresh,
            "future"
        );
        assert_eq!(
            status(&option, "192.0.2.2", issued),
            CookieStatus::Fresh,
            "another address"
        );
        let mut other_client = option;
        other_client[0] ^= 1;
        assert_eq!(
            status(&other_client, "192.0.2.1", issued),
            CookieStatus::Fresh
        );
        let mut forged = option;
        forged[23] ^= 1;
        assert_eq!(status(&forged, "192.0.2.1", issued), CookieStatus::Fresh);
        let mut version_2 = option;
        version_2[8] = 2;
        assert_eq!(status(&version_2, "192.0.2.1", issued), CookieStatus::Fresh);
        // A server cookie of another server's length is not ours: answered fresh.
        assert_eq!(
            status(&option[..20], "192.0.2.1", issued),
            CookieStatus::Fresh
        );
    }

    #[test]
    fn lengths_rfc_7873_does_not_allow_are_malformed() {
        let key = CookieSecret::random();
        let client: IpAddr = "2001:db8::1".parse().unwrap();
        for len in (0..8).chain(9..16).chain(41..48) {
            assert_eq!(
                reply(&vec![7; len], &key, client, 0),
                Err(Malformed),
                "{len} bytes"
            );
        }
        for len in [8, 16, 24, 40] {
            assert!(reply(&vec![7; len], &key, client, 0).is_ok(), "{len} bytes");
        }
    }

    #[test]
    fn secrets_are_32_hex_digits_and_never_printed() {
        assert!(CookieSecret::from_hex("E5E973E5A6B2A43F48E7DC849E37BFCF").is_ok());
        let short = CookieSecret::from_hex("e5e973").unwrap_err();
        assert!(short.to_string().contains("got 6 characters"), "{short}");
        let bad = CookieSecret::from_hex("g5e973e5a6b2a43f48e7dc849e37bfcf").unwrap_err();
        assert!(bad.to_string().contains("not a hexadecimal digit"), "{bad}");
        assert!(CookieSecret::from_hex("é5e973e5a6b2a43f48e7dc849e37bfc").is_err());
        assert_eq!(format!("{:?}", CookieSecret::random()), "CookieSecret(..)");
        assert_ne!(CookieSecret::random(), CookieSecret::random());
    }
}
