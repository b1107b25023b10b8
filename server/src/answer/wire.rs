//! DNS wire-format numbers both answer paths read and write (RFC 1035, RFC 6891).

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
