//! Running facade work off the JS thread and settling Promises.
//!
//! Every Promise-returning call runs on napi's tokio runtime; store work (SQLite)
//! additionally runs on tokio's blocking pool. The JS thread only converts
//! arguments and, when the work is done, settles the Promise (rejecting with the
//! coded `Error` from [`crate::error::to_napi`]).

use std::future::Future;

use napi::Env;
use napi::bindgen_prelude::{PromiseRaw, ToNapiValue};
use tieout::CoreError;

use crate::error::to_napi;

/// Runs `fut` on the tokio runtime; the Promise resolves with its value or
/// rejects with the coded JS error.
pub(crate) fn spawn<V, F>(env: &Env, fut: F) -> napi::Result<PromiseRaw<'_, V>>
where
    V: ToNapiValue + Send + 'static,
    F: Future<Output = tieout::Result<V>> + Send + 'static,
{
    env.spawn_future_with_callback(async move { Ok(fut.await) }, |env, result| {
        result.map_err(|e| to_napi(env, &e))
    })
}

/// Runs blocking store work on tokio's blocking pool, as a Promise.
pub(crate) fn blocking<V, F>(env: &Env, work: F) -> napi::Result<PromiseRaw<'_, V>>
where
    V: ToNapiValue + Send + 'static,
    F: FnOnce() -> tieout::Result<V> + Send + 'static,
{
    spawn(env, async move {
        tokio::task::spawn_blocking(work).await.map_err(|e| {
            tieout::Error::Core(CoreError::Store(format!("background task failed: {e}")))
        })?
    })
}

/// A rejected Promise (for argument errors found before any work starts).
pub(crate) fn rejected<V>(env: &Env, e: tieout::Error) -> napi::Result<PromiseRaw<'_, V>>
where
    V: ToNapiValue + Send + 'static,
{
    spawn(env, async move { Err(e) })
}
