//! DNS wire-format numbers both answer paths read and write (RFC 1035, RFC 6891),
//! and the few steps that walk a message without parsing it, shared by the
//! metrics' labels and the rate limiter's slip replies.

/// Length of the fixed message header.
pub const HEADER_LEN: usize = 12;
/// The UDP payload a client without EDNS accepts.
pub const CLASSIC_UDP_PAYLOAD: u16 = 512;
/// Class IN.
pub const CLASS_IN: u16 = 1;
/// The OPT pseudo-record's type (EDNS).
pub const TYPE_OPT: u16 = 41;
/// The longest name, in wire bytes.
pub const MAX_NAME_LEN: usize = 255;

/// The big-endian `u16` at `at`, if the bytes are there.
pub fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*bytes.get(at)?, *bytes.get(at + 1)?]))
}

/// The offset past the record starting at `at`.
pub fn skip_record(message: &[u8], at: usize) -> Option<usize> {
    let name_end = skip_name(message, at)?;
    // TYPE, CLASS, TTL, then RDLENGTH.
    let rdlength = usize::from(u16_at(message, name_end + 8)?);
    Some(name_end + 10 + rdlength)
}

/// The offset past the (possibly compressed) name starting at `at`.
pub fn skip_name(message: &[u8], mut at: usize) -> Option<usize> {
    loop {
        let len = *message.get(at)?;
        match len {
            0 => return Some(at + 1),
            // A compression pointer ends the name.
            0xc0..=0xff => return Some(at + 2),
            1..=63 => at += 1 + usize::from(len),
            _ => return None,
        }
    }
}
