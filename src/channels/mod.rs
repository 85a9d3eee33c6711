//! Channels that deliver follow-ups: SMTP email and Slack incoming webhooks.
//! Both pass the write's idempotency key on so a receiver can drop a
//! redelivery after a crash in the ambiguous window (see [`crate::writes`]).

mod slack;
mod smtp;

pub use slack::{SlackDigest, SlackWebhook};
pub use smtp::{SmtpChannel, SmtpConfig, SmtpSecurity};
