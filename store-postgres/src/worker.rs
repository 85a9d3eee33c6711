//! The connection thread: one `postgres::Client` owned by a dedicated OS
//! thread, reached over a channel.
//!
//! The `Store` trait is synchronous and the facade calls it from inside its
//! async code on a Tokio runtime. The synchronous `postgres` client runs its
//! own small runtime and must never do that on a runtime thread (a runtime
//! inside a runtime panics), so every database call is shipped to this thread
//! and the caller waits for the answer, as it waits for SQLite's disk I/O.

use std::sync::mpsc;
use std::thread::JoinHandle;

use postgres::{Client, NoTls};

use crate::error::PostgresError;

type Job = Box<dyn FnOnce(&mut Client) + Send>;

/// The handle of a connection thread. Dropping it closes the connection.
#[derive(Debug)]
pub(crate) struct Worker {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Worker {
    /// Starts the thread and connects; fails when the server cannot be reached.
    pub(crate) fn connect(url: &str) -> Result<Worker, PostgresError> {
        let (jobs, inbox) = mpsc::channel::<Job>();
        let (ready, started) = mpsc::channel();
        let url = url.to_string();
        let thread = std::thread::Builder::new()
            .name("tieout-postgres".into())
            .spawn(move || {
                let mut client = match Client::connect(&url, NoTls) {
                    Ok(c) => c,
                    Err(e) => {
                        let _ = ready.send(Err(e));
                        return;
                    }
                };
                let _ = ready.send(Ok(()));
                while let Ok(job) = inbox.recv() {
                    if client.is_closed() {
                        // A dropped connection (server restart, pooler reset):
                        // reconnect once per job; the job reports any failure.
                        if let Ok(c) = Client::connect(&url, NoTls) {
                            client = c;
                        }
                    }
                    job(&mut client);
                }
            })
            .map_err(|e| PostgresError::Worker(e.to_string()))?;
        match started.recv() {
            Ok(Ok(())) => Ok(Worker {
                jobs: Some(jobs),
                thread: Some(thread),
            }),
            Ok(Err(e)) => Err(PostgresError::Postgres(e)),
            Err(_) => Err(PostgresError::Worker("it exited while connecting".into())),
        }
    }

    /// Runs `f` with the connection on the connection thread and returns its
    /// result.
    pub(crate) fn run<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Client) -> Result<R, PostgresError> + Send + 'static,
    ) -> Result<R, PostgresError> {
        let (reply, answer) = mpsc::sync_channel(1);
        let job: Job = Box::new(move |client| {
            let _ = reply.send(f(client));
        });
        self.jobs
            .as_ref()
            .ok_or_else(|| PostgresError::Worker("closed".into()))?
            .send(job)
            .map_err(|_| PostgresError::Worker("it is no longer running".into()))?;
        answer
            .recv()
            .map_err(|_| PostgresError::Worker("it stopped during a call".into()))?
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // Closing the channel ends the thread's loop; the client closes with it.
        drop(self.jobs.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
