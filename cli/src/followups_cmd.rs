//! `follow-ups`: review what a policy would send, then send it exactly once
//! (live-mode books need the review approved, as `import` does).

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::NaiveDate;
use clap::{Args, Subcommand, ValueEnum};
use tieout::Books;
use tieout::channels::{SlackWebhook, SmtpChannel, SmtpConfig, SmtpSecurity};
use tieout::collect::{CompiledPolicy, FollowUpReview};
use tieout::core::collect::FollowUpPolicy;
use tieout::core::writes::WriteApproval;
use tieout::writes::{Channels, WriteOptions};

use crate::dates::start_or_now;
use crate::fail::{self, Failure};

/// `tieout follow-ups ...`.
#[derive(Debug, Args)]
pub struct FollowUpsArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: FollowUpsAction,
}

/// The `follow-ups` subcommands.
#[derive(Debug, Subcommand)]
pub enum FollowUpsAction {
    /// Show every message a run would send now, rendered; nothing is sent.
    Review(ReviewFollowUpsArgs),
    /// Send the follow-ups that are due, each exactly once.
    Run(RunFollowUpsArgs),
}

/// The policy and the time, shared by `review` and `run`.
#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// The follow-up policy: a JSON file (version, steps with days, channel and
    /// template, paused, opted_out, quiet_days).
    #[arg(long, value_name = "FILE")]
    pub policy: PathBuf,
    /// Plan as of this day (default: now).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<NaiveDate>,
}

/// `tieout follow-ups review`.
#[derive(Debug, Args)]
pub struct ReviewFollowUpsArgs {
    /// The policy.
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// Print the review as JSON (it holds the approval token).
    #[arg(long)]
    pub json: bool,
}

/// How the SMTP connection is secured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Security {
    /// STARTTLS, required.
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No TLS: local relays and test servers only.
    Plain,
}

/// `tieout follow-ups run`.
#[derive(Debug, Args)]
pub struct RunFollowUpsArgs {
    /// The policy.
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// SMTP server for the `email` channel.
    #[arg(long, value_name = "HOST")]
    pub smtp_host: Option<String>,
    /// SMTP port.
    #[arg(long, value_name = "PORT", default_value_t = 587)]
    pub smtp_port: u16,
    /// SMTP connection security.
    #[arg(long, value_enum, default_value_t)]
    pub smtp_security: Security,
    /// SMTP login (the password is read from the variable --smtp-password-env names).
    #[arg(long, value_name = "USER")]
    pub smtp_user: Option<String>,
    /// The environment variable holding the SMTP password.
    #[arg(long, value_name = "NAME", default_value = "SMTP_PASSWORD")]
    pub smtp_password_env: String,
    /// A PEM file of extra root certificates to trust for the SMTP server
    /// (a private CA).
    #[arg(long, value_name = "FILE")]
    pub smtp_ca_file: Option<PathBuf>,
    /// Sender, e.g. "Accounts <ar@example.com>".
    #[arg(long, value_name = "MAILBOX")]
    pub from: Option<String>,
    /// The environment variable holding the Slack webhook URL (`slack` channel).
    #[arg(long, value_name = "NAME")]
    pub slack_webhook_env: Option<String>,
    /// The approval token of an earlier `tieout follow-ups review --json`
    /// (for unattended runs on live books).
    #[arg(long, value_name = "TOKEN")]
    pub approval: Option<String>,
    /// Print what was sent as JSON.
    #[arg(long)]
    pub json: bool,
}

fn load_policy(path: &Path) -> Result<CompiledPolicy, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::io(&format!("reading {}", path.display()), e))?;
    let policy: FollowUpPolicy = serde_json::from_str(&text)
        .map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?;
    Ok(CompiledPolicy::new(policy)?)
}

fn review_text(r: &FollowUpReview) -> String {
    let mut out = format!(
        "Follow-ups for {} ({} books): {} to send\n",
        r.plan.account,
        if r.plan.livemode { "LIVE" } else { "test" },
        r.plan.intents.len()
    );
    for i in &r.items {
        let p = &i.planned;
        let subject = i
            .intent
            .payload
            .get("subject")
            .and_then(|s| s.as_str())
            .unwrap_or("");
        out.push_str(&format!(
            "  {} {:<8} {:<16} {} {} {} open  to {}  \"{subject}\"{}\n",
            p.planned_at.format("%Y-%m-%d"),
            p.channel,
            p.step,
            p.invoice_number
                .as_deref()
                .unwrap_or(&p.invoice_external_id),
            p.currency.code(),
            p.open_amount,
            p.customer_email.as_deref().unwrap_or("-"),
            if i.already_sent {
                "  (already sent)"
            } else if i.already_done {
                "  (cancelled)"
            } else {
                ""
            }
        ));
    }
    out
}

fn review_json(r: &FollowUpReview) -> serde_json::Value {
    serde_json::json!({
        "account": r.plan.account,
        "livemode": r.plan.livemode,
        "approval": { "token": r.approval.token },
        "items": r.items.iter().map(|i| serde_json::json!({
            "planned": i.planned,
            "key": i.intent.key,
            "payload": i.intent.payload,
            "already_sent": i.already_sent,
            "already_done": i.already_done,
        })).collect::<Vec<_>>(),
    })
}

fn channels(a: &RunFollowUpsArgs) -> Result<Channels, Failure> {
    let mut channels = Channels::new();
    if let Some(host) = &a.smtp_host {
        let from = a
            .from
            .clone()
            .ok_or_else(|| Failure::usage("--smtp-host needs --from (the sender)"))?;
        let password = a
            .smtp_user
            .as_ref()
            .map(|_| std::env::var(&a.smtp_password_env).ok())
            .unwrap_or(None);
        let config = SmtpConfig {
            host: host.clone(),
            port: a.smtp_port,
            security: match a.smtp_security {
                Security::Starttls => SmtpSecurity::StartTls,
                Security::Tls => SmtpSecurity::Tls,
                Security::Plain => SmtpSecurity::Plain,
            },
            username: a.smtp_user.clone(),
            password,
            from,
            reply_to: None,
            timeout: Duration::from_secs(30),
            ca_pem: match &a.smtp_ca_file {
                Some(path) => Some(
                    std::fs::read_to_string(path)
                        .map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?,
                ),
                None => None,
            },
        };
        channels = channels.with("email", SmtpChannel::new(config)?);
    }
    if let Some(name) = &a.slack_webhook_env {
        let url = std::env::var(name)
            .map_err(|_| Failure::usage(format!("no Slack webhook URL: set {name}")))?;
        channels = channels.with(
            "slack",
            SlackWebhook::new(url.trim(), Duration::from_secs(30))?,
        );
    }
    Ok(channels)
}

/// Asks the person to type the account id after showing the review.
fn ask(review: &FollowUpReview) -> Result<WriteApproval, Failure> {
    if !std::io::stdin().is_terminal() {
        return Err(Failure::approval(format!(
            "{} is a live account: run this in a terminal to approve the review, or pass --approval TOKEN from `tieout follow-ups review --json`; nothing was sent",
            review.plan.account
        )));
    }
    print!("{}", review_text(review));
    print!(
        "This sends to customers of LIVE account {}. Type the account id to approve: ",
        review.plan.account
    );
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Failure::io("reading the approval", e))?;
    if answer.trim() != review.plan.account {
        return Err(Failure::approval("not approved; nothing was sent"));
    }
    Ok(review.approval.clone())
}

/// Runs `tieout follow-ups ...` (blocking: the channels use blocking clients).
pub fn follow_ups(books: &Books, a: &FollowUpsArgs) -> Result<u8, Failure> {
    match &a.action {
        FollowUpsAction::Review(r) => {
            let policy = load_policy(&r.policy.policy)?;
            let review = books.review_follow_ups(&policy, start_or_now(r.policy.as_of))?;
            if r.json {
                let text = serde_json::to_string_pretty(&review_json(&review))
                    .map_err(|e| Failure::io("encoding JSON", e.into()))?;
                println!("{text}");
            } else {
                print!("{}", review_text(&review));
                println!(
                    "Approval token (for `tieout follow-ups run --approval`): {}",
                    review.approval.token
                );
            }
            Ok(0)
        }
        FollowUpsAction::Run(r) => {
            let policy = load_policy(&r.policy.policy)?;
            let now = start_or_now(r.policy.as_of);
            let channels = channels(r)?;
            let approval = match &r.approval {
                Some(token) => Some(WriteApproval {
                    token: token.trim().to_string(),
                }),
                None => {
                    let review = books.review_follow_ups(&policy, now)?;
                    if review.plan.livemode {
                        Some(ask(&review)?)
                    } else {
                        None
                    }
                }
            };
            let report = books.run_follow_ups(
                &policy,
                &channels,
                now,
                approval.as_ref(),
                &WriteOptions::default(),
            )?;
            if r.json {
                let v = serde_json::json!({
                    "delivered": report.delivered, "resolved": report.resolved,
                    "already_done": report.already_done, "cancelled": report.cancelled,
                    "retrying": report.retrying, "failed": report.failed,
                    "unknown": report.unknown,
                });
                println!("{v:#}");
            } else {
                println!(
                    "{} sent, {} resolved, {} already done, {} cancelled, {} retrying, {} failed, {} unknown",
                    report.delivered.len(),
                    report.resolved.len(),
                    report.already_done.len(),
                    report.cancelled.len(),
                    report.retrying.len(),
                    report.failed.len(),
                    report.unknown.len()
                );
            }
            Ok(
                if report.failed.is_empty()
                    && report.unknown.is_empty()
                    && report.retrying.is_empty()
                {
                    0
                } else {
                    fail::FAILED_RECORDS
                },
            )
        }
    }
}
