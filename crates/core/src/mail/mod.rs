//! Outbound e-mail, shared by every domain (ticket replies, surveys, sign-in links).
//!
//! [`queue`] records a message and enqueues its sending on the caller's connection, so it goes
//! out only if the change that sends it commits, and exactly as recorded. The `mail.send` job
//! sends it over SMTP (lettre, `CRM_SMTP_URL`) and records how it went: `sent` with the
//! server's answer, `failed` with the error (a permanent refusal, no server configured, or
//! `CRM_MAIL_MAX_ATTEMPTS` spent), or still `queued` with the error of an attempt the job queue
//! retries with its backoff. The job ends in the transaction that records the outcome; a
//! worker that dies after the server took the message and before that commit sends it again
//! when its lease runs out: at least once, both copies under the same `Message-ID` (mail
//! clients thread them together; not every receiver drops the second). The job has more
//! attempts than `CRM_MAIL_MAX_ATTEMPTS`, so the handler, not the queue, gives up on a message
//! (after a crash, a panic or a database error on its last attempt) and records it `failed`.
//! An erased person's address (`crate::privacy`) is refused.

pub mod dto;
pub mod inbound;
pub mod model;
pub mod routes;

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart};
use lettre::{Address, Message, SmtpTransport, Transport};
use serde_json::json;

use crate::auth::Actor;
use crate::auth::secrets::Keys;
use crate::config::Config;
use crate::db::DbConnection;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::jobs::{JobContext, JobError, JobResult};
use model::MailMessage;

/// The job that sends one message.
pub const SEND_KIND: &str = "mail.send";

const MAX_RECIPIENTS: usize = 50;
const MAX_REFERENCES: usize = 50;
/// Attempts the job has beyond the message's: room for the handler to record the give-up.
const GIVE_UP_ATTEMPTS: i32 = 2;
const MAX_SUBJECT: usize = 998;
const MAX_BODY_BYTES: usize = 1024 * 1024;
/// How long one SMTP command may take before the attempt counts as failed (and is retried).
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// A message to send, as a domain (or the API) gives it.
#[derive(Debug, Clone, Default)]
pub struct Outgoing {
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    /// The Message-ID this one answers, without angle brackets.
    pub in_reply_to: Option<String>,
    /// The thread's Message-IDs, oldest first.
    pub references: Vec<String>,
    /// What the message is about: (record type, record id).
    pub record: Option<(String, String)>,
}

/// Checks the mail settings at start-up: the sender reads as a mailbox, the SMTP URL as a server.
pub fn check_settings(config: &Config) -> Result<(), String> {
    sender(config)?;
    if !config.smtp_url.is_empty() {
        SmtpTransport::from_url(config.smtp_url.expose()).map_err(|e| format!("CRM_SMTP_URL: {e}"))?;
    }
    if !(1..=20).contains(&config.mail_max_attempts) {
        return Err("CRM_MAIL_MAX_ATTEMPTS must be 1 to 20".into());
    }
    Ok(())
}

fn sender(config: &Config) -> Result<Mailbox, String> {
    config
        .mail_from
        .parse::<Mailbox>()
        .map_err(|e| format!("CRM_MAIL_FROM must be an address or \"Name <address>\", got {:?}: {e}", config.mail_from))
}

/// The address messages go out from (`CRM_MAIL_FROM`), lower-cased: mail from it is the
/// platform's own, never to be answered.
pub fn sender_address(config: &Config) -> Option<String> {
    sender(config).ok().map(|from| from.email.to_string().to_lowercase())
}

/// A Message-ID as the API takes it: RFC 5322's `msg-id` without its angle brackets, dot-atom
/// text on both sides of one `@` (ASCII letters, digits, `.` and ``!#$%&'*+-/=?^_`{|}~``).
pub fn is_message_id(id: &str) -> bool {
    let atext = |part: &str| {
        !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c))
    };
    id.len() <= 250 && id.split_once('@').is_some_and(|(local, domain)| atext(local) && atext(domain))
}

/// What is wrong with `outgoing`, by JSON pointer of the API's body.
fn problems(outgoing: &Outgoing) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if outgoing.to.is_empty() || outgoing.to.len() > MAX_RECIPIENTS {
        errors.push(FieldError::new("/to", "invalid_length", format!("give 1 to {MAX_RECIPIENTS} recipients")));
    }
    for (i, to) in outgoing.to.iter().enumerate() {
        if to.parse::<Address>().is_err() {
            errors.push(FieldError::new(format!("/to/{i}"), "invalid_email", "not an e-mail address"));
        }
    }
    let subject = outgoing.subject.trim();
    if subject.is_empty() || subject.chars().count() > MAX_SUBJECT || subject.chars().any(char::is_control) {
        errors.push(FieldError::new("/subject", "invalid_subject", "one line of 1 to 998 characters"));
    }
    if outgoing.text.trim().is_empty() {
        errors.push(FieldError::new("/text", "required", "every message has a plain-text body"));
    }
    if outgoing.text.len() + outgoing.html.as_ref().map_or(0, String::len) > MAX_BODY_BYTES {
        errors.push(FieldError::new("/text", "too_large", "the text and the HTML may hold 1 MiB together"));
    }
    if outgoing.html.as_deref().is_some_and(|html| html.trim().is_empty()) {
        errors.push(FieldError::new("/html", "blank", "leave the HTML out rather than empty"));
    }
    if outgoing.references.len() > MAX_REFERENCES {
        errors.push(FieldError::new("/references", "too_many", format!("at most {MAX_REFERENCES} Message-IDs")));
    }
    if let Some((record_type, record_id)) = &outgoing.record {
        let valid = |v: &str| {
            (1..=100).contains(&v.len()) && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        };
        if !valid(record_type) {
            errors.push(FieldError::new("/record_type", "invalid_record_type", "1 to 100 letters, digits, _ or -"));
        }
        if !valid(record_id) {
            errors.push(FieldError::new("/record_id", "invalid_record_id", "1 to 100 letters, digits, _ or -"));
        }
    }
    if outgoing.in_reply_to.as_deref().is_some_and(|id| !is_message_id(id)) {
        errors.push(FieldError::new("/in_reply_to", "invalid_message_id", "a Message-ID as local@domain, no <>"));
    }
    for (i, id) in outgoing.references.iter().enumerate() {
        if !is_message_id(id) {
            errors.push(FieldError::new(
                format!("/references/{i}"),
                "invalid_message_id",
                "a Message-ID as local@domain, no <>",
            ));
        }
    }
    errors
}

/// Records `outgoing` as queued and enqueues its sending, on the caller's connection (in its
/// transaction): a 422 for a message that cannot be sent (an erased person among the
/// recipients included), and nothing recorded.
pub fn queue(
    conn: &mut DbConnection,
    keys: &Keys,
    actor: &Actor,
    config: &Config,
    outgoing: Outgoing,
) -> ApiResult<MailMessage> {
    let mut errors = problems(&outgoing);
    if errors.is_empty() {
        let to: Vec<&str> = outgoing.to.iter().map(String::as_str).collect();
        let erased = crate::privacy::erased_among(conn, keys, &actor.scope(), &to)?;
        for (i, address) in outgoing.to.iter().enumerate().filter(|(_, a)| erased.contains(a)) {
            let detail = format!("{address} belonged to an erased person: they are not written to again");
            errors.push(FieldError::new(format!("/to/{i}"), "erased_recipient", detail));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let from = sender(config).map_err(ApiError::internal)?;
    let id = crate::id::new_id(model::ID_PREFIX);
    let now = crate::time::now();
    let attempts = config.mail_max_attempts + GIVE_UP_ATTEMPTS;
    let job_id = crate::jobs::model::enqueue(conn, actor, SEND_KIND, &json!({ "message": id }), &json!({}), attempts)?;
    let (record_type, record_id) = outgoing.record.unzip();
    let message = MailMessage {
        message_id: format!("{id}@{}", from.email.domain()),
        id,
        org_id: actor.org_id.clone(),
        from_address: from.to_string(),
        to_addresses: serde_json::to_string(&outgoing.to)?,
        subject: outgoing.subject.trim().to_string(),
        text_body: outgoing.text,
        html_body: outgoing.html,
        in_reply_to: outgoing.in_reply_to,
        reference_ids: serde_json::to_string(&outgoing.references)?,
        record_type,
        record_id,
        status: model::QUEUED.to_string(),
        attempts: 0,
        provider_id: None,
        error: None,
        job_id,
        created_by: actor.principal_id().to_string(),
        created_at: now,
        updated_at: now,
        sent_at: None,
    };
    model::insert(conn, &message)?;
    Ok(message)
}

/// Why an attempt did not send: `permanent` when trying again cannot help.
struct Failure {
    error: String,
    permanent: bool,
}

impl Failure {
    fn permanent(error: impl Into<String>) -> Self {
        Failure { error: error.into(), permanent: true }
    }
}

/// The message as it goes on the wire, with its threading headers.
fn build(message: &MailMessage) -> Result<Message, String> {
    let from = message.from_address.parse::<Mailbox>().map_err(|e| format!("sender: {e}"))?;
    let mut builder = Message::builder()
        .from(from)
        .subject(message.subject.clone())
        .message_id(Some(format!("<{}>", message.message_id)))
        .date_now();
    for to in message.to() {
        builder = builder.to(to.parse::<Mailbox>().map_err(|e| format!("recipient {to}: {e}"))?);
    }
    if let Some(id) = &message.in_reply_to {
        builder = builder.in_reply_to(format!("<{id}>"));
    }
    let references = message.references();
    if !references.is_empty() {
        builder = builder.references(references.iter().map(|id| format!("<{id}>")).collect::<Vec<_>>().join(" "));
    }
    let text = message.text_body.clone();
    match &message.html_body {
        Some(html) => builder.multipart(MultiPart::alternative_plain_html(text, html.clone())),
        None => builder.header(ContentType::TEXT_PLAIN).body(text),
    }
    .map_err(|e| e.to_string())
}

/// One attempt at sending: the server's answer (its queue id) when it took the message.
fn deliver(config: &Config, message: &MailMessage) -> Result<String, Failure> {
    if config.smtp_url.is_empty() {
        return Err(Failure::permanent("no SMTP server is configured (set CRM_SMTP_URL)"));
    }
    let email = build(message).map_err(|e| Failure::permanent(format!("the message cannot be built: {e}")))?;
    let transport = SmtpTransport::from_url(config.smtp_url.expose())
        .map_err(|e| Failure::permanent(format!("CRM_SMTP_URL: {e}")))?
        .timeout(Some(SMTP_TIMEOUT))
        .build();
    match transport.send(&email) {
        Ok(answer) => Ok(answer.message().collect::<Vec<_>>().join(" ")),
        Err(e) => Err(Failure { error: e.to_string(), permanent: e.is_permanent() }),
    }
}

/// The `mail.send` job: one attempt at one message, its outcome recorded with the job's.
pub fn send_job(ctx: &JobContext) -> JobResult {
    let id = ctx
        .payload
        .get("message")
        .and_then(|v| v.as_str())
        .ok_or_else(|| JobError::Permanent("the job names no message".into()))?
        .to_string();
    let scope = ctx.actor.scope();
    let message = ctx
        .read(|conn| model::find(conn, &scope, &id))?
        .ok_or_else(|| JobError::Permanent(format!("message {id} is gone")))?;
    if message.status != model::QUEUED {
        return Ok(());
    }
    let (attempt, budget) = (ctx.job.attempts, ctx.state.config.mail_max_attempts);
    let outcome = if attempt > budget {
        // The attempts ran out without an outcome (the worker died, or the database failed).
        Err(Failure::permanent(format!("gave up after {budget} attempts without an answer")))
    } else {
        deliver(&ctx.state.config, &message)
    };
    let attempt = attempt.min(budget);
    let done = json!({ "message": id });
    let retry = match &outcome {
        Err(failure) if !failure.permanent && attempt < budget => Some(failure.error.clone()),
        _ => None,
    };
    ctx.write(|conn| match (&outcome, &retry) {
        (Ok(answer), _) => {
            model::record_attempt(conn, &scope, &id, attempt, model::SENT, Some(answer), None)?;
            ctx.complete(conn, &done)
        }
        (Err(failure), None) => {
            model::record_attempt(conn, &scope, &id, attempt, model::FAILED, None, Some(&failure.error))?;
            ctx.fail(conn, &done, &failure.error)
        }
        (Err(failure), Some(_)) => {
            model::record_attempt(conn, &scope, &id, attempt, model::QUEUED, None, Some(&failure.error))?;
            // Fenced: a worker that lost the job records nothing.
            ctx.checkpoint(conn, &done)
        }
    })?;
    match retry {
        Some(error) => Err(JobError::Retry(error)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_local_at_domain_without_brackets() {
        assert!(is_message_id("msg_01abc@acme.example"));
        assert!(!is_message_id("<msg_01abc@acme.example>"));
        assert!(!is_message_id("no-at-sign"));
        assert!(!is_message_id("a b@acme.example"));
        assert!(!is_message_id("@acme.example"));
        assert!(!is_message_id("caf\u{e9}@acme.example"));
        assert!(!is_message_id("a\"b@acme.example"));
        assert!(!is_message_id("a,b@acme.example"));
        assert!(!is_message_id("a@b@acme.example"));
        assert!(is_message_id("CAF1+x=y@mail.example.com"));
    }

    #[test]
    fn a_message_without_recipients_subject_or_text_is_refused_field_by_field() {
        let outgoing =
            Outgoing { to: vec!["not an address".into()], subject: "two\nlines".into(), ..Outgoing::default() };
        let pointers: Vec<String> = problems(&outgoing).into_iter().map(|e| e.pointer).collect();
        assert_eq!(pointers, ["/to/0", "/subject", "/text"]);
    }
}
