//! Inbound e-mail: a raw RFC 5322 message (as a mail provider's inbound webhook or a mailbox
//! poller hands it over) read into what a CRM keeps of it, with mail-parser: who sent it, the
//! thread it belongs to, its text, its attachments, and whether a machine sent it (an
//! auto-reply, a bulk or list message, a delivery report), which must never open a ticket nor
//! be answered (two auto-responders would answer each other forever).

use std::borrow::Cow;

use mail_parser::{HeaderValue, MessageParser, MimeHeaders};

/// Why a message is a machine's, not a person's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Automated {
    /// `Auto-Submitted` other than `no` (RFC 3834), or an autoresponder's own header.
    AutoReply,
    /// `Precedence: bulk | junk | list`, or a mailing list's `List-Id` / `List-Unsubscribe`.
    Bulk,
    /// A delivery status notification (`multipart/report; report-type=delivery-status`, or from
    /// the mailer daemon with an empty return path).
    Bounce,
}

impl Automated {
    pub fn as_str(self) -> &'static str {
        match self {
            Automated::AutoReply => "auto_reply",
            Automated::Bulk => "bulk",
            Automated::Bounce => "bounce",
        }
    }
}

/// A sender or recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    pub name: Option<String>,
    /// Lower-cased.
    pub address: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

/// A message as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbound {
    /// Without angle brackets.
    pub message_id: Option<String>,
    /// The Message-IDs it answers (`In-Reply-To`), then its thread (`References`, oldest first).
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    pub from: Option<Party>,
    pub to: Vec<Party>,
    pub cc: Vec<Party>,
    pub subject: String,
    /// The plain-text body, its lines ending in `\n`; a message with only HTML gets the HTML's text.
    pub text: String,
    pub html: Option<String>,
    pub attachments: Vec<Attachment>,
    pub automated: Option<Automated>,
}

impl Inbound {
    /// Every Message-ID the message names as its ancestors, nearest first: where a reply finds
    /// its thread.
    pub fn ancestors(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self.in_reply_to.iter().map(String::as_str).collect();
        for id in self.references.iter().rev() {
            if !ids.contains(&id.as_str()) {
                ids.push(id);
            }
        }
        ids
    }
}

/// Reads a raw message; `Err` when it is not an e-mail at all (no header block).
pub fn parse(raw: &[u8]) -> Result<Inbound, String> {
    let message = MessageParser::default().parse(raw).ok_or("not an RFC 5322 message")?;
    if message.headers().is_empty() {
        return Err("not an RFC 5322 message: no headers".into());
    }
    let parties = |address: Option<&mail_parser::Address<'_>>| -> Vec<Party> {
        address
            .map(|a| {
                a.iter()
                    .filter_map(|addr| {
                        let address = addr.address()?.trim().to_lowercase();
                        (!address.is_empty()).then(|| Party { name: addr.name().map(str::to_string), address })
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let report = report_type(&message);
    let mut attachments = Vec::new();
    for part in message.attachments() {
        // A delivery report's own parts (the status, the returned headers) are not files.
        let content_type = part
            .content_type()
            .map(|ct| match ct.subtype() {
                Some(sub) => format!("{}/{}", ct.ctype(), sub),
                None => ct.ctype().to_string(),
            })
            .unwrap_or_else(|| "application/octet-stream".to_string())
            .to_lowercase();
        let filename = part.attachment_name().map(str::to_string);
        if report.is_some() && filename.is_none() && content_type.starts_with("message/") {
            continue;
        }
        attachments.push(Attachment {
            filename: filename.unwrap_or_else(|| "attachment".to_string()),
            content_type,
            data: part.contents().to_vec(),
        });
    }
    let from = parties(message.from()).into_iter().next();
    Ok(Inbound {
        message_id: message.message_id().map(unbracket).filter(|id| !id.is_empty()),
        in_reply_to: ids(message.in_reply_to()),
        references: ids(message.references()),
        to: parties(message.to()),
        cc: parties(message.cc()),
        subject: message.subject().unwrap_or_default().trim().to_string(),
        // Lines end in \n, as the API stores text (they arrive as \r\n).
        text: message.body_text(0).map(|t| t.replace("\r\n", "\n")).unwrap_or_default().trim().to_string(),
        // mail-parser offers a text-only message's text as HTML too: only a real HTML part counts.
        html: message
            .html_part(0)
            .filter(|part| matches!(part.body, mail_parser::PartType::Html(_)))
            .and_then(|_| message.body_html(0))
            .map(Cow::into_owned),
        automated: automated(&message, from.as_ref(), report.as_deref()),
        from,
        attachments,
    })
}

fn unbracket(id: &str) -> String {
    id.trim().trim_start_matches('<').trim_end_matches('>').trim().to_string()
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    let list: Vec<String> = match value {
        HeaderValue::Text(id) => vec![unbracket(id)],
        HeaderValue::TextList(ids) => ids.iter().map(|id| unbracket(id)).collect(),
        _ => Vec::new(),
    };
    list.into_iter().filter(|id| !id.is_empty()).collect()
}

/// A `multipart/report`'s `report-type` (lower-cased): `delivery-status` for a bounce,
/// `disposition-notification` for a read receipt, `feedback-report` for an abuse report.
fn report_type(message: &mail_parser::Message<'_>) -> Option<String> {
    let ct = message.content_type()?;
    let report =
        ct.ctype().eq_ignore_ascii_case("multipart") && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report"));
    report.then(|| ct.attribute("report-type").unwrap_or_default().to_ascii_lowercase())
}

fn automated(message: &mail_parser::Message<'_>, from: Option<&Party>, report: Option<&str>) -> Option<Automated> {
    let header = |name: &'static str| message.header_raw(name).map(str::trim);
    let is_report = report == Some("delivery-status");
    let from_daemon = from.is_some_and(|f| {
        let local = f.address.split('@').next().unwrap_or_default();
        local == "mailer-daemon" || local == "postmaster"
    });
    let empty_return_path =
        header("Return-Path").is_some_and(|p| p.trim_matches(|c| c == '<' || c == '>' || c == ' ').is_empty());
    if is_report
        || (from_daemon && empty_return_path)
        || from_daemon && message.subject().is_some_and(is_bounce_subject)
    {
        return Some(Automated::Bounce);
    }
    // Read receipts and abuse reports are machines' too, never a person's request.
    if report.is_some() {
        return Some(Automated::AutoReply);
    }
    if header("Auto-Submitted").is_some_and(|v| !v.eq_ignore_ascii_case("no"))
        || header("X-Autoreply").is_some()
        || header("X-Autorespond").is_some()
    {
        return Some(Automated::AutoReply);
    }
    let precedence = header("Precedence").map(str::to_ascii_lowercase);
    if precedence.as_deref().is_some_and(|p| matches!(p, "bulk" | "junk" | "list"))
        || header("List-Id").is_some()
        || header("List-Unsubscribe").is_some()
    {
        return Some(Automated::Bulk);
    }
    None
}

fn is_bounce_subject(subject: &str) -> bool {
    let subject = subject.to_ascii_lowercase();
    ["undeliverable", "delivery status notification", "mail delivery failed", "returned mail"]
        .iter()
        .any(|s| subject.contains(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A customer's reply from a common mail client: quoted-printable text, an HTML alternative
    /// and a PDF attached, in a thread of two earlier messages.
    const REPLY: &str = "Return-Path: <ada@example.com>\r\n\
Message-ID: <CAF1reply@mail.example.com>\r\n\
In-Reply-To: <msg_01second@acme.example>\r\n\
References: <msg_01first@acme.example>\r\n <msg_01second@acme.example>\r\n\
From: \"Ada Lovelace\" <Ada@Example.com>\r\n\
To: Acme support <support@acme.example>\r\n\
Cc: grace@example.com, \"Charles\" <charles@example.com>\r\n\
Subject: =?UTF-8?B?UmU6IE15IG9yZGVyIGhhc27igJl0IGFycml2ZWQ=?=\r\n\
Date: Mon, 7 Dec 2026 10:15:02 +0000\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"outer\"\r\n\
\r\n\
--outer\r\n\
Content-Type: multipart/alternative; boundary=\"inner\"\r\n\
\r\n\
--inner\r\n\
Content-Type: text/plain; charset=\"UTF-8\"\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\
\r\n\
It still hasn=E2=80=99t arrived. The invoice is attached.\r\n\
--inner\r\n\
Content-Type: text/html; charset=\"UTF-8\"\r\n\
\r\n\
<p>It still hasn&rsquo;t arrived. The invoice is attached.</p>\r\n\
--inner--\r\n\
--outer\r\n\
Content-Type: application/pdf; name=\"invoice-1042.pdf\"\r\n\
Content-Disposition: attachment; filename=\"invoice-1042.pdf\"\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
JVBERi0xLjQKJcfsj6IKMSAwIG9iago=\r\n\
--outer--\r\n";

    #[test]
    fn a_reply_reads_with_its_thread_text_and_attachment() {
        let mail = parse(REPLY.as_bytes()).unwrap();
        assert_eq!(mail.message_id.as_deref(), Some("CAF1reply@mail.example.com"));
        assert_eq!(mail.in_reply_to, ["msg_01second@acme.example"]);
        assert_eq!(mail.references, ["msg_01first@acme.example", "msg_01second@acme.example"]);
        assert_eq!(mail.ancestors(), ["msg_01second@acme.example", "msg_01first@acme.example"]);
        assert_eq!(mail.from, Some(Party { name: Some("Ada Lovelace".into()), address: "ada@example.com".into() }));
        let cc: Vec<&str> = mail.cc.iter().map(|p| p.address.as_str()).collect();
        assert_eq!(cc, ["grace@example.com", "charles@example.com"]);
        assert_eq!(mail.subject, "Re: My order hasn\u{2019}t arrived");
        assert_eq!(mail.text, "It still hasn\u{2019}t arrived. The invoice is attached.");
        assert!(mail.html.as_deref().unwrap().contains("<p>"));
        assert_eq!(mail.attachments.len(), 1);
        assert_eq!(mail.attachments[0].filename, "invoice-1042.pdf");
        assert_eq!(mail.attachments[0].content_type, "application/pdf");
        assert!(mail.attachments[0].data.starts_with(b"%PDF-1.4"));
        assert_eq!(mail.automated, None);
    }

    #[test]
    fn text_only_mail_has_no_html_and_a_forwarded_message_is_a_file() {
        let raw = "From: bob@example.com\r\nTo: support@acme.example\r\nSubject: Fwd: the quote\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"m\"\r\n\r\n\
--m\r\nContent-Type: text/plain\r\n\r\nSee the message below.\r\n\
--m\r\nContent-Type: message/rfc822\r\n\r\nFrom: carol@example.com\r\nSubject: Quote\r\n\r\nThe quote.\r\n\
--m--\r\n";
        let mail = parse(raw.as_bytes()).unwrap();
        assert_eq!(mail.text, "See the message below.");
        assert_eq!(mail.html, None);
        assert_eq!(mail.attachments.len(), 1, "the forwarded message is kept");
        assert_eq!(mail.attachments[0].content_type, "message/rfc822");
        assert_eq!(mail.automated, None);
    }

    #[test]
    fn a_read_receipt_is_a_machine_but_no_bounce() {
        let raw = "From: ada@example.com\r\nTo: support@acme.example\r\nSubject: Read: Your ticket\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=disposition-notification; boundary=\"r\"\r\n\r\n\
--r\r\nContent-Type: text/plain\r\n\r\nYour message was read.\r\n\
--r\r\nContent-Type: message/disposition-notification\r\n\r\nDisposition: manual-action/MDN-sent-manually; displayed\r\n\
--r--\r\n";
        let mail = parse(raw.as_bytes()).unwrap();
        assert_eq!(mail.automated, Some(Automated::AutoReply));
        assert!(mail.attachments.is_empty());
    }

    #[test]
    fn html_only_mail_gets_its_text() {
        let raw = "From: bob@example.com\r\nTo: support@acme.example\r\nSubject: Help\r\n\
Content-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>My <b>login</b> fails.</p></body></html>\r\n";
        let mail = parse(raw.as_bytes()).unwrap();
        assert!(mail.text.contains("My login fails."), "{:?}", mail.text);
        assert_eq!(mail.message_id, None);
        assert!(mail.attachments.is_empty());
    }

    #[test]
    fn machines_are_told_apart_from_people() {
        let with = |headers: &str| {
            let raw = format!(
                "From: someone@example.com\r\nTo: support@acme.example\r\nSubject: Hi\r\n{headers}\r\nBody\r\n"
            );
            parse(raw.as_bytes()).unwrap().automated
        };
        assert_eq!(with(""), None);
        assert_eq!(with("Auto-Submitted: no\r\n"), None);
        assert_eq!(with("Auto-Submitted: auto-replied\r\n"), Some(Automated::AutoReply));
        assert_eq!(with("X-Autoreply: yes\r\n"), Some(Automated::AutoReply));
        assert_eq!(with("Precedence: bulk\r\n"), Some(Automated::Bulk));
        assert_eq!(with("List-Id: <news.example.com>\r\n"), Some(Automated::Bulk));
    }

    #[test]
    fn a_delivery_report_is_a_bounce_and_its_parts_are_not_files() {
        let raw = "Return-Path: <>\r\n\
From: Mail Delivery System <MAILER-DAEMON@mx.example.com>\r\n\
To: support@acme.example\r\n\
Subject: Undelivered Mail Returned to Sender\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\
\r\n\
--b\r\n\
Content-Type: text/plain\r\n\
\r\n\
I'm sorry to have to inform you that your message could not be delivered.\r\n\
--b\r\n\
Content-Type: message/delivery-status\r\n\
\r\n\
Reporting-MTA: dns; mx.example.com\r\n\
\r\n\
Final-Recipient: rfc822; gone@example.com\r\n\
Action: failed\r\n\
Status: 5.1.1\r\n\
--b\r\n\
Content-Type: message/rfc822\r\n\
\r\n\
Message-ID: <msg_01first@acme.example>\r\n\
From: support@acme.example\r\n\
To: gone@example.com\r\n\
Subject: Your ticket\r\n\
\r\n\
Hello\r\n\
--b--\r\n";
        let mail = parse(raw.as_bytes()).unwrap();
        assert_eq!(mail.automated, Some(Automated::Bounce));
        assert!(mail.attachments.is_empty(), "{:?}", mail.attachments);
        assert_eq!(mail.from.unwrap().address, "mailer-daemon@mx.example.com");
    }

    #[test]
    fn what_is_not_mail_is_refused() {
        assert!(parse(b"").is_err());
    }
}
