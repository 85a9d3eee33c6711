//! JS callbacks the import calls from its worker thread: progress and
//! post-import actions. Each call is queued to the JS thread through a
//! ThreadsafeFunction and the worker waits for the callback's return value (the
//! JS thread is free meanwhile: the import never runs on it).

use std::sync::Arc;
use std::sync::mpsc;

use napi::bindgen_prelude::{FnArgs, FromNapiValue, Unknown};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Status, ValueType};

use crate::records::ImportRun;
use crate::values::count;

/// `onProgress(done, total | null, failures)`: return `false` to stop after the current page.
pub type ProgressFn = ThreadsafeFunction<
    FnArgs<(i64, Option<i64>, i64)>,
    Unknown<'static>,
    FnArgs<(i64, Option<i64>, i64)>,
    Status,
    false,
>;

/// A post-import action: `(run) => void | boolean | string`.
pub type ActionFn = ThreadsafeFunction<ImportRun, Unknown<'static>, ImportRun, Status, false>;

/// What a JS callback gave back.
pub(crate) enum Returned {
    /// `undefined`, `null` or anything else that is not a refusal.
    Ok,
    /// `true`.
    True,
    /// `false`.
    False,
    /// A string (an action's failure reason).
    Text(String),
    /// It threw (message), or could not be called.
    Threw(String),
}

fn read(ret: napi::Result<Unknown<'static>>) -> Returned {
    match ret {
        Err(e) => Returned::Threw(e.reason.clone()),
        Ok(v) => match v.get_type() {
            Ok(ValueType::Boolean) => match bool::from_unknown(v) {
                Ok(false) => Returned::False,
                Ok(true) => Returned::True,
                _ => Returned::Ok,
            },
            Ok(ValueType::String) => match String::from_unknown(v) {
                Ok(s) => Returned::Text(s),
                Err(_) => Returned::Ok,
            },
            _ => Returned::Ok,
        },
    }
}

/// Calls `f` on the JS thread and waits for what it returns. `None` when the
/// call could not be queued (the environment is shutting down).
pub(crate) fn call_and_wait<
    T: 'static,
    A: 'static + napi::bindgen_prelude::JsValuesTupleIntoVec,
    const WEAK: bool,
>(
    f: &ThreadsafeFunction<T, Unknown<'static>, A, Status, false, WEAK>,
    value: T,
) -> Option<Returned> {
    let (tx, rx) = mpsc::channel();
    let status = f.call_with_return_value(
        value,
        ThreadsafeFunctionCallMode::Blocking,
        move |ret, _env| {
            let _ = tx.send(read(ret));
            Ok(())
        },
    );
    if status != Status::Ok {
        return None;
    }
    rx.recv().ok()
}

/// The facade's progress callback over a JS `onProgress`. Returning `false` (or
/// throwing) stops the import after the current page (`INTERRUPTED`).
pub(crate) fn progress(
    f: Arc<ProgressFn>,
) -> impl Fn(&tieout::ImportProgress) -> bool + Send + Sync {
    move |p| {
        let args = FnArgs::from((count(p.records), p.total.map(count), count(p.failures)));
        match call_and_wait(&f, args) {
            Some(Returned::False | Returned::Threw(_)) => false,
            Some(_) | None => true,
        }
    }
}

/// The facade's post-import action over a JS function: `false`, a string (the
/// reason) or a throw fail it.
pub(crate) fn action(
    name: String,
    f: Arc<ActionFn>,
) -> impl Fn(&tieout::Books, &tieout::ImportRun) -> Result<(), String> + Send + Sync + 'static {
    move |_books, run| match call_and_wait(&f, ImportRun::from(run)) {
        Some(Returned::Ok | Returned::True) => Ok(()),
        Some(Returned::False) => Err(format!("{name} returned false")),
        Some(Returned::Text(reason)) => Err(reason),
        Some(Returned::Threw(message)) => Err(format!("{name} threw: {message}")),
        None => Err(format!(
            "{name} could not be called (the JS environment is shutting down)"
        )),
    }
}
