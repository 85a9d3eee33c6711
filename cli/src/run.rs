//! `review`, `import` and `events`: the same import path, with progress and approval.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use tieout::{
    AccountInfo, Approval, Books, Error, ImportPlan, ImportRun, Source, StripeEvents, StripeFiles,
    StripeSource,
};

use crate::args::{ImportArgs, SourceArgs};
use crate::fail::{self, Failure};
use crate::plan;
use crate::progress::{Progress, stop_on_ctrl_c};

/// Which of the three commands runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Nothing is written.
    Review,
    /// Import from files or the API.
    Import,
    /// Catch up from the Events API.
    Events,
}

fn open_source(a: &SourceArgs, kind: Kind) -> Result<Box<dyn Source>, Failure> {
    if let Some(dir) = &a.files {
        if kind == Kind::Events {
            return Err(Failure::usage(
                "events reads the Stripe Events API; for event files use import --files DIR",
            ));
        }
        return Ok(Box::new(StripeFiles::new(dir).map_err(Error::from)?));
    }
    let key = std::env::var(&a.api_key_env).map_err(|_| {
        Failure::usage(format!(
            "no Stripe key: set {} (or name another variable with --api-key-env), or read an export with --files DIR",
            a.api_key_env
        ))
    })?;
    let mut source = StripeSource::new(key.trim()).map_err(Error::from)?;
    if let Some(url) = &a.api_base {
        source = source.base_url(url);
    }
    Ok(match kind {
        Kind::Events => Box::new(StripeEvents::new(source)),
        _ => Box::new(source),
    })
}

fn mode(a: &AccountInfo) -> &'static str {
    if a.livemode { "LIVE" } else { "test" }
}

/// Runs `review`, `import` or `events`; the exit code on success (0, or 1 with failed records).
pub async fn run(books_path: &Path, args: &ImportArgs, kind: Kind) -> Result<u8, Failure> {
    let mut plan = plan::build(&args.plan)?;
    let source = open_source(&args.source, kind)?;
    let account = source.verify().await.map_err(Error::from)?;
    // A live account is never written without the approval of a person; the
    // approval covers the plan, so the flag is part of what is reviewed.
    plan.allow_live = plan.allow_live || account.livemode;
    eprintln!(
        "{} account {} ({} data, {} key)",
        account.system,
        account.account,
        mode(&account),
        account.key_kind
    );
    let books = Books::open(books_path)?;
    let stop = stop_on_ctrl_c();
    if kind == Kind::Review {
        let review = review(&books, source.as_ref(), &plan, &stop).await?;
        if args.json {
            let text = serde_json::to_string_pretty(&review)
                .map_err(|e| Failure::io("encoding JSON", e.into()))?;
            println!("{text}");
        } else {
            print!("{}", review.summary_text());
            println!(
                "Approval token (for `tieout import --approval`): {}",
                review.approval.token
            );
        }
        return Ok(if review.failures.is_empty() {
            0
        } else {
            fail::FAILED_RECORDS
        });
    }
    let approval = match &args.approval {
        Some(token) => Some(Approval {
            token: token.trim().to_string(),
        }),
        None if account.livemode => {
            Some(ask_approval(&books, source.as_ref(), &plan, &account, &stop).await?)
        }
        None => None,
    };
    let progress = Progress::new("importing", stop.clone());
    let result = books
        .import_with(
            source.as_ref(),
            &plan,
            approval.as_ref(),
            Some(&|p: &tieout::ImportProgress| progress.page(p)),
        )
        .await;
    progress.finish();
    let run = result.map_err(|e| interrupted(e, progress.pages()))?;
    print_run(&run, args.json)?;
    Ok(if run.totals.failed > 0 {
        fail::FAILED_RECORDS
    } else {
        0
    })
}

async fn review(
    books: &Books,
    source: &dyn Source,
    plan: &ImportPlan,
    stop: &std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> Result<tieout::Review, Failure> {
    let progress = Progress::new("reviewing", stop.clone());
    let result = books
        .review_with(
            source,
            plan,
            Some(&|p: &tieout::ImportProgress| progress.page(p)),
        )
        .await;
    progress.finish();
    result.map_err(|e| interrupted(e, progress.pages()))
}

/// Shows the review of a live import and asks the person to type the account id.
async fn ask_approval(
    books: &Books,
    source: &dyn Source,
    plan: &ImportPlan,
    account: &AccountInfo,
    stop: &std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> Result<Approval, Failure> {
    if !std::io::stdin().is_terminal() {
        return Err(Failure::approval(format!(
            "{} is a live account: run this in a terminal to approve the review, or pass --approval TOKEN from `tieout review --json` of the same plan; nothing was written",
            account.account
        )));
    }
    let review = review(books, source, plan, stop).await?;
    print!("{}", review.summary_text());
    print!(
        "This imports into LIVE books from {}. Type the account id to approve: ",
        account.account
    );
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Failure::io("reading the approval", e))?;
    if answer.trim() != account.account {
        return Err(Failure::approval("not approved; nothing was written"));
    }
    Ok(review.approval)
}

fn interrupted(e: Error, pages: u64) -> Failure {
    if let Error::Interrupted { .. } = e {
        return Failure {
            exit: fail::INTERRUPTED,
            code: "INTERRUPTED".into(),
            message: format!(
                "stopped after {pages} page(s); every page read is committed. Resume from the last committed page with: {}",
                crate::resume::command()
            ),
        };
    }
    e.into()
}

fn print_run(run: &ImportRun, json: bool) -> Result<(), Failure> {
    if json {
        let text = serde_json::to_string_pretty(run)
            .map_err(|e| Failure::io("encoding JSON", e.into()))?;
        println!("{text}");
        return Ok(());
    }
    let t = &run.totals;
    println!(
        "{} {}: {} created, {} updated, {} unchanged, {} skipped, {} failed",
        run.id,
        run.status.as_str(),
        t.created,
        t.updated,
        t.unchanged,
        t.skipped,
        t.failed
    );
    for f in run.failures.iter().take(20) {
        println!("  failed {} {}: {}", f.object, f.external_id, f.error);
    }
    if run.failures.len() > 20 {
        println!(
            "  ... {} more (tieout history --format json)",
            run.failures.len() - 20
        );
    }
    for n in &run.notes {
        println!("  note: {n}");
    }
    Ok(())
}
