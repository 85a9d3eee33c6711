//! Progress of a long command: a live bar on a terminal, plain log lines otherwise.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tieout::ImportProgress;

/// Plain lines are written at most this often (and on the first and last page).
const PLAIN_EVERY: Duration = Duration::from_secs(2);

/// Reports records read, records/s, pages, failures so far and an ETA when the
/// source knows its total.
pub struct Progress {
    what: &'static str,
    bar: Option<ProgressBar>,
    started: Instant,
    pages: AtomicU64,
    records: AtomicU64,
    failures: AtomicU64,
    last_line: Mutex<Option<Instant>>,
    stop: Arc<AtomicBool>,
}

impl Progress {
    /// Draws on stderr when it is a terminal, else writes plain lines there.
    pub fn new(what: &'static str, stop: Arc<AtomicBool>) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} {prefix} {human_pos} records  {per_sec}  {msg}  [{elapsed_precise}]",
                )
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.set_prefix(what);
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Progress {
            what,
            bar,
            started: Instant::now(),
            pages: AtomicU64::new(0),
            records: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            last_line: Mutex::new(None),
            stop,
        }
    }

    /// The callback the import calls after each page; false asks it to stop.
    pub fn page(&self, p: &ImportProgress) -> bool {
        let (done, total, failures) = (p.records, p.total, p.failures);
        let pages = self.pages.fetch_add(1, Ordering::Relaxed) + 1;
        self.records.store(done, Ordering::Relaxed);
        self.failures.store(failures, Ordering::Relaxed);
        match &self.bar {
            Some(bar) => {
                if let Some(t) = total {
                    if bar.length() != Some(t) {
                        bar.set_length(t);
                        bar.set_style(
                            ProgressStyle::with_template(
                                "{prefix} [{bar:30}] {human_pos}/{human_len} records  {per_sec}  {msg}  ETA {eta}",
                            )
                            .unwrap_or_else(|_| ProgressStyle::default_bar())
                            .progress_chars("=> "),
                        );
                    }
                }
                bar.set_position(done);
                bar.set_message(format!("{pages} pages  failures: {failures}"));
            }
            None => {
                let mut last = self.last_line.lock().unwrap_or_else(|p| p.into_inner());
                if last.is_none_or(|t| t.elapsed() >= PLAIN_EVERY) {
                    *last = Some(Instant::now());
                    self.line(done, total, pages, failures);
                }
            }
        }
        !self.stop.load(Ordering::SeqCst)
    }

    fn line(&self, done: u64, total: Option<u64>, pages: u64, failures: u64) {
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        let rate = done as f64 / secs;
        let mut line = format!(
            "{}: {done} records, {pages} pages, failures: {failures}, {rate:.0} records/s",
            self.what
        );
        if let Some(t) = total.filter(|t| *t >= done && rate > 0.0) {
            let eta = (t - done) as f64 / rate;
            line.push_str(&format!(", {t} total, ETA {eta:.0}s"));
        }
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{line}");
    }

    /// Clears the bar (or writes the last plain line) once the command ends.
    pub fn finish(&self) {
        let pages = self.pages.load(Ordering::Relaxed);
        let done = self.records.load(Ordering::Relaxed);
        let failures = self.failures.load(Ordering::Relaxed);
        match &self.bar {
            Some(bar) => bar.finish(),
            None => self.line(done, None, pages, failures),
        }
    }

    /// Pages seen so far.
    pub fn pages(&self) -> u64 {
        self.pages.load(Ordering::Relaxed)
    }
}

/// A flag Ctrl-C sets; the import stops after the page in flight.
pub fn stop_on_ctrl_c() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            flag.store(true, Ordering::SeqCst);
            eprintln!("\nstopping after the current page (Ctrl-C again to abort)...");
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(i32::from(crate::fail::INTERRUPTED));
            }
        }
    });
    stop
}
