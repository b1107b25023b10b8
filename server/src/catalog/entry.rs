//! What every element-set parser produces: the entries it read and the ones it
//! could not, each with the line it starts on.

/// One element set read from a source, with the line it starts on.
#[derive(Debug, Clone)]
pub struct ParsedEntry {
    /// 1-based line of the source where the entry starts.
    pub line: usize,
    /// The elements as the `sgp4` crate parsed them.
    pub elements: sgp4::Elements,
}

/// A problem with one entry of a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryError {
    /// 1-based line of the source.
    pub line: usize,
    /// What is wrong, for a person.
    pub message: String,
}

impl EntryError {
    pub(crate) fn new(line: usize, message: impl Into<String>) -> Self {
        Self {
            line,
            message: message.into(),
        }
    }
}
