//! `tieout`: the command-line tool over the tieout library.
//!
//! Exit codes: 0 ok; 1 finished with failed records; 2 usage; 3 approval
//! needed; 4 source or store error; 130 interrupted (resume by running again).

mod args;
mod cases_cmd;
mod dates;
mod fail;
mod followups_cmd;
mod ledger_cmd;
mod output;
mod plan;
mod progress;
mod query;
mod report;
mod resume;
mod run;

use std::process::ExitCode;

use clap::Parser;
use tieout::Books;

use args::{Cli, Command};
use fail::Failure;

async fn dispatch(cli: Cli) -> Result<u8, Failure> {
    let open = || Books::open(&cli.books).map_err(Failure::from);
    match &cli.command {
        Command::Review(a) => run::run(&cli.books, a, run::Kind::Review).await,
        Command::Import(a) => run::run(&cli.books, a, run::Kind::Import).await,
        Command::Events(a) => run::run(&cli.books, a, run::Kind::Events).await,
        Command::Reconcile(a) => report::run(&open()?, a, true).map(|()| 0),
        Command::Report(a) => report::run(&open()?, a, false).map(|()| 0),
        Command::Invoices(a) => query::invoices(&open()?, a).map(|()| 0),
        Command::Payments(a) => query::payments(&open()?, a).map(|()| 0),
        Command::Allocations(a) => query::allocations(&open()?, a).map(|()| 0),
        Command::History(a) => query::history(&open()?, a).map(|()| 0),
        Command::Cases(a) => cases_cmd::cases(&open()?, a).map(|()| 0),
        Command::Aging(a) => cases_cmd::aging(&open()?, a).map(|()| 0),
        Command::Export(a) => ledger_cmd::export(&open()?, a).map(|()| 0),
        Command::Balance(a) => ledger_cmd::balance(&open()?, a).map(|()| 0),
        Command::FollowUps(a) => {
            // The channels' clients block: off the async runtime's workers.
            let books = open()?;
            tokio::task::block_in_place(|| followups_cmd::follow_ups(&books, a))
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli).await {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            eprintln!("{f}");
            ExitCode::from(f.exit)
        }
    }
}
