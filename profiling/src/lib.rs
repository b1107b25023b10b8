//! satloc-profiling: placeholder, built in issue 4 (temporary no-op API stub by the lead).
#[macro_export]
macro_rules! progress {
    ($name:literal) => {};
}
#[macro_export]
macro_rules! latency_begin {
    ($name:literal) => {};
}
#[macro_export]
macro_rules! latency_end {
    ($name:literal) => {};
}
pub fn thread_init() {}
pub mod cpu {
    #[derive(Debug)]
    pub struct CpuProfile;
    #[derive(Debug)]
    pub struct Error;
    impl std::fmt::Display for Error {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("built without the pprof feature")
        }
    }
    impl std::error::Error for Error {}
    impl CpuProfile {
        pub fn start(_: &std::path::Path) -> Result<Self, Error> {
            Err(Error)
        }
        pub fn finish(self) -> Result<(), Error> {
            Ok(())
        }
    }
}
