//! Email over SMTP with `lettre`: one message per follow-up, plain text and
//! HTML, `Message-ID` derived from the write key plus an `X-Tieout-Key`
//! header.

use std::time::Duration;

use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};
use tieout_core::CoreError;
use tieout_core::writes::WriteIntent;

use crate::error::Result;
use crate::writes::{Channel, Outcome};

/// How the SMTP connection is secured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain text: local relays and test servers only.
    Plain,
    /// Plain connection upgraded with STARTTLS (required).
    StartTls,
    /// TLS from the first byte (SMTPS, port 465).
    Tls,
}

/// Where and as whom email is sent.
#[derive(Clone, Debug)]
pub struct SmtpConfig {
    /// Server host name.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// Connection security.
    pub security: SmtpSecurity,
    /// Login, if the server needs one.
    pub username: Option<String>,
    /// Password for `username`.
    pub password: Option<String>,
    /// Sender, e.g. `Accounts <ar@example.com>`.
    pub from: String,
    /// Reply-To, if different from the sender.
    pub reply_to: Option<String>,
    /// Connection and command timeout.
    pub timeout: Duration,
    /// Extra root certificates to trust (PEM text, one or more
    /// `CERTIFICATE` blocks), e.g. a company's private CA or a test CA, on
    /// top of the platform's trust store. Checked when the channel is made.
    pub ca_pem: Option<String>,
}

/// The `X-Tieout-Key` header: the write's idempotency key.
#[derive(Clone, Debug)]
struct TieoutKey(String);

impl Header for TieoutKey {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("X-Tieout-Key")
    }

    fn parse(s: &str) -> std::result::Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(TieoutKey(s.to_string()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// The email channel.
pub struct SmtpChannel {
    config: SmtpConfig,
    transport: SmtpTransport,
    from: Mailbox,
    reply_to: Option<Mailbox>,
}

impl std::fmt::Debug for SmtpChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpChannel")
            .field("host", &self.config.host)
            .field("port", &self.config.port)
            .finish_non_exhaustive()
    }
}

fn invalid(what: &str, e: impl std::fmt::Display) -> crate::error::Error {
    CoreError::Invalid(format!("{what}: {e}")).into()
}

/// The `Message-ID` of a write: `<key@tieout>`.
pub fn message_id(key: &str) -> String {
    format!("<{key}@tieout>")
}

/// The TLS parameters for `config`'s host: the platform's roots plus the
/// certificates of `ca_pem`. A `ca_pem` without a certificate, with bad
/// base64 or with a certificate that does not parse is an error here.
fn tls_parameters(config: &SmtpConfig) -> Result<TlsParameters> {
    let mut b = TlsParameters::builder(config.host.clone());
    if let Some(pem) = &config.ca_pem {
        if !pem.contains("-----BEGIN CERTIFICATE-----") {
            return Err(invalid(
                "ca_pem",
                "no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)",
            ));
        }
        let cert = Certificate::from_pem(pem.as_bytes()).map_err(|e| invalid("ca_pem", e))?;
        b = b.add_root_certificate(cert);
    }
    let what = if config.ca_pem.is_some() {
        "TLS parameters with ca_pem"
    } else {
        "TLS parameters"
    };
    b.build().map_err(|e| invalid(what, e))
}

impl SmtpChannel {
    /// A channel sending through `config`'s server; addresses are checked here.
    pub fn new(config: SmtpConfig) -> Result<SmtpChannel> {
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|e| invalid("from address", e))?;
        let reply_to = match &config.reply_to {
            Some(r) => Some(r.parse().map_err(|e| invalid("reply-to address", e))?),
            None => None,
        };
        let tls = match config.security {
            SmtpSecurity::Plain => {
                // A given CA is still checked, so a bad one is found now and
                // not when the security is switched on later.
                if config.ca_pem.is_some() {
                    tls_parameters(&config)?;
                }
                Tls::None
            }
            SmtpSecurity::StartTls => Tls::Required(tls_parameters(&config)?),
            SmtpSecurity::Tls => Tls::Wrapper(tls_parameters(&config)?),
        };
        let mut b = SmtpTransport::builder_dangerous(config.host.as_str())
            .port(config.port)
            .tls(tls)
            .timeout(Some(config.timeout));
        if let (Some(u), Some(p)) = (&config.username, &config.password) {
            b = b.credentials(Credentials::new(u.clone(), p.clone()));
        }
        Ok(SmtpChannel {
            transport: b.build(),
            config,
            from,
            reply_to,
        })
    }

    fn message(&self, intent: &WriteIntent) -> std::result::Result<Message, String> {
        let p = &intent.payload;
        let s = |k: &str| p.get(k).and_then(|v| v.as_str()).map(str::to_string);
        let to_email = s("to_email").ok_or("no recipient email")?;
        let to = match s("to_name") {
            Some(n) => format!("{n} <{to_email}>"),
            None => to_email,
        };
        let to: Mailbox = to.parse().map_err(|e| format!("recipient: {e}"))?;
        let mut b = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(s("subject").unwrap_or_default())
            .message_id(Some(message_id(&intent.key)))
            .header(TieoutKey(intent.key.clone()));
        if let Some(r) = &self.reply_to {
            b = b.reply_to(r.clone());
        }
        let text = s("text").unwrap_or_default();
        let body = match s("html") {
            Some(html) => b.multipart(MultiPart::alternative_plain_html(text, html)),
            None => b.singlepart(SinglePart::plain(text)),
        };
        body.map_err(|e| e.to_string())
    }
}

impl Channel for SmtpChannel {
    fn perform(&self, intent: &WriteIntent, _attempt: u32) -> Outcome {
        let msg = match self.message(intent) {
            Ok(m) => m,
            Err(error) => {
                return Outcome::Failed {
                    error,
                    retryable: false,
                };
            }
        };
        match self.transport.send(&msg) {
            Ok(resp) => Outcome::Delivered {
                request_id: Some(message_id(&intent.key)),
                detail: serde_json::json!({
                    "smtp_code": resp.code().to_string(),
                    "smtp_message": resp.message().collect::<Vec<_>>().join(" "),
                }),
            },
            Err(e) if e.is_permanent() => Outcome::Failed {
                error: e.to_string(),
                retryable: false,
            },
            // Refused before DATA was accepted (connection, TLS, 4xx): nothing
            // was delivered, try again later. A timeout may have delivered.
            Err(e) if e.is_timeout() => Outcome::Unknown {
                error: e.to_string(),
            },
            Err(e) => Outcome::Failed {
                error: e.to_string(),
                retryable: true,
            },
        }
    }
}
