//! What an import reports after each page: records read, the total when the
//! source knows it, pages, and the records that failed so far.

/// The state of a review or import after one page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportProgress {
    /// Records read so far in this run.
    pub records: u64,
    /// Records the source holds in all, when it knows.
    pub total: Option<u64>,
    /// Pages read so far in this run.
    pub pages: u64,
    /// Records that failed so far in this run (each has its error in the run's failures).
    pub failures: u64,
}

/// Called after each page; return `false` to stop after the current page
/// (what was read is committed, and the next import resumes).
pub type Progress<'a> = &'a (dyn Fn(&ImportProgress) -> bool + Send + Sync);
