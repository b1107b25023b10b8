//! DNS labels for catalogue objects.
//!
//! Every object answers at its NORAD number, at a label made from its name, and
//! at any aliases. Labels are compared case-insensitively, as DNS names are.

/// Aliases every satloc server knows, applied when the object is in the catalogue.
pub const DEFAULT_ALIASES: &[(&str, u64)] = &[
    ("iss", 25544),
    ("hubble", 20580),
    ("hst", 20580),
    ("css", 48274),
    ("tiangong", 48274),
];

/// The longest DNS label.
pub const MAX_LABEL_LEN: usize = 63;

/// Makes a DNS label from an object name: lower case, every run of characters
/// other than `a-z0-9` turned into one `-`, no leading or trailing `-`, at most
/// 63 characters. `"ISS (ZARYA)"` becomes `"iss-zarya"`. Returns `None` for a
/// name with no letters or digits.
pub fn label_from_name(name: &str) -> Option<String> {
    let mut label = String::with_capacity(name.len());
    let mut pending_dash = false;
    for ch in name.chars() {
        if ch.is_ascii_alphanumeric() {
            if pending_dash && !label.is_empty() {
                label.push('-');
            }
            pending_dash = false;
            label.push(ch.to_ascii_lowercase());
        } else {
            pending_dash = true;
        }
    }
    if label.len() > MAX_LABEL_LEN {
        label.truncate(MAX_LABEL_LEN);
        while label.ends_with('-') {
            label.pop();
        }
    }
    (!label.is_empty()).then_some(label)
}

/// Why a user-supplied label was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    /// Empty, or longer than a DNS label can be.
    #[error("label \"{0}\" must be 1 to 63 characters")]
    Length(String),
    /// A character other than a letter, a digit or `-`.
    #[error("label \"{0}\" may hold only letters, digits and '-'")]
    Characters(String),
    /// A leading or trailing `-`.
    #[error("label \"{0}\" may not start or end with '-'")]
    EdgeDash(String),
}

/// Checks a user-supplied alias label (`--alias LABEL=ID`) and lower-cases it.
pub fn validate_label(label: &str) -> Result<String, LabelError> {
    if label.is_empty() || label.len() > MAX_LABEL_LEN {
        return Err(LabelError::Length(label.to_owned()));
    }
    if !label
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(LabelError::Characters(label.to_owned()));
    }
    if label.starts_with('-') || label.ends_with('-') {
        return Err(LabelError::EdgeDash(label.to_owned()));
    }
    Ok(label.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_from_names() {
        assert_eq!(label_from_name("ISS (ZARYA)").as_deref(), Some("iss-zarya"));
        assert_eq!(
            label_from_name("GPS BIIR-2  (PRN 13)").as_deref(),
            Some("gps-biir-2-prn-13")
        );
        assert_eq!(
            label_from_name("  MOLNIYA 1-91 ").as_deref(),
            Some("molniya-1-91")
        );
        assert_eq!(label_from_name("ÉCHO–1").as_deref(), Some("cho-1"));
        assert_eq!(label_from_name("(( ))"), None);
        let long = "A".repeat(70);
        assert_eq!(label_from_name(&long).unwrap().len(), 63);
    }

    #[test]
    fn alias_labels_are_checked() {
        assert_eq!(validate_label("Station-1").unwrap(), "station-1");
        assert!(validate_label("").is_err());
        assert!(validate_label("a.b").is_err());
        assert!(validate_label("-a").is_err());
        assert!(validate_label(&"x".repeat(64)).is_err());
    }
}
