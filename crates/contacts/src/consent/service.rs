//! Consent use cases. A change is recorded as a change of the contact (`contact.consent_changed`),
//! so it shows in the contact's timeline and history. Withdrawing or denying e-mail consent
//! puts the contact's addresses on the suppression list (reason `unsubscribed`); granting it
//! again takes them off, unless they are there for another reason (bounced, complained).

use crm_core::auth::{Action, Actor};
use crm_core::change::{self, Change};
use crm_core::db::DbConnection;
use crm_core::error::{ApiError, ApiResult};
use crm_core::http::trimmed;
use crm_core::scope::Scope;
use crm_core::state::AppState;

use super::dto::{Channel, ConsentIn, ConsentOut, ConsentStatus, ContactConsents, LawfulBasis};
use super::model::{self, ConsentFields};
use crate::contact::dto::ContactOut;
use crate::permissions;
use crate::suppression::dto::SuppressionReason;

/// Recorded times may be this far ahead of the server's clock (clock skew), no more.
const MAX_SKEW_SECONDS: i64 = 300;

/// The live contact in the scope's sight, or 404.
pub(crate) fn live_contact(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<ContactOut> {
    crate::contact::model::find(conn, scope, id)?.map(ContactOut::from).ok_or_else(|| ApiError::not_found("contact"))
}

/// Every channel's consent, `unknown` where nothing was recorded.
pub fn all_channels(conn: &mut DbConnection, scope: &Scope, contact_id: &str) -> ApiResult<Vec<ConsentOut>> {
    let rows: Vec<ConsentOut> =
        model::for_contact(conn, scope, contact_id)?.into_iter().map(ConsentOut::from).collect();
    Ok(Channel::ALL
        .into_iter()
        .map(|channel| {
            rows.iter()
                .find(|c| c.channel == channel)
                .cloned()
                .unwrap_or_else(|| ConsentOut::unknown(contact_id, channel))
        })
        .collect())
}

pub async fn list(state: &AppState, actor: &Actor, contact_id: String) -> ApiResult<ContactConsents> {
    actor.require(permissions::CONTACTS, Action::Read)?;
    let scope = actor.scope();
    state
        .db
        .read(move |conn| {
            live_contact(conn, &scope, &contact_id)?;
            Ok(ContactConsents { data: all_channels(conn, &scope, &contact_id)? })
        })
        .await
}

fn fields(input: ConsentIn) -> ApiResult<ConsentFields> {
    let now = crm_core::time::now();
    let recorded_at = input.recorded_at.unwrap_or(now);
    if recorded_at > now + chrono::Duration::seconds(MAX_SKEW_SECONDS) {
        return Err(ApiError::invalid_field("/recorded_at", "in_future", "must not be in the future"));
    }
    let lawful_basis = input.lawful_basis.or((input.status == ConsentStatus::Granted).then_some(LawfulBasis::Consent));
    Ok(ConsentFields {
        status: input.status.as_str().to_string(),
        lawful_basis: lawful_basis.map(|b| b.as_str().to_string()),
        source: trimmed(input.source),
        recorded_at,
    })
}

/// Records a contact's consent on a channel. Sending what is recorded already (without a new
/// `recorded_at`) changes nothing.
pub async fn set(
    state: &AppState,
    actor: &Actor,
    contact_id: String,
    channel: String,
    input: ConsentIn,
) -> ApiResult<ConsentOut> {
    actor.require(permissions::CONTACTS, Action::Write)?;
    let channel = Channel::parse(&channel).ok_or_else(|| ApiError::not_found("consent channel"))?;
    let unchanged_time = input.recorded_at.is_none();
    let fields = fields(input)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            // One consent change per contact at a time: two first answers cannot both insert.
            crate::contact::service::CONTACTS.lock(conn, &actor.scope(), &contact_id)?;
            let contact = live_contact(conn, &actor.scope(), &contact_id)?;
            let before = model::find(conn, &actor.scope(), &contact_id, channel.as_str())?;
            if let Some(current) = &before
                && current.status == fields.status
                && current.lawful_basis == fields.lawful_basis
                && current.source == fields.source
                && (unchanged_time || current.recorded_at == fields.recorded_at)
            {
                return Ok(ConsentOut::from(current.clone()));
            }
            model::save(conn, &actor.scope(), &contact_id, channel.as_str(), &fields, before.is_some())?;
            let after = model::find(conn, &actor.scope(), &contact_id, channel.as_str())?
                .map(ConsentOut::from)
                .ok_or_else(|| ApiError::internal("consent vanished"))?;
            let b = serde_json::to_value(
                before.map(ConsentOut::from).unwrap_or(ConsentOut::unknown(&contact_id, channel)),
            )?;
            let a = serde_json::to_value(&after)?;
            change::record(
                conn,
                &actor,
                Change {
                    resource: "contact",
                    id: &contact_id,
                    action: "consent_changed",
                    before: Some(&b),
                    after: Some(&a),
                },
            )?;
            if channel == Channel::Email {
                follow_email_consent(conn, &actor, &contact, &fields)?;
            }
            Ok(after)
        })
        .await
}

/// Unsubscribing suppresses the contact's addresses; re-subscribing lifts `unsubscribed` entries.
fn follow_email_consent(
    conn: &mut DbConnection,
    actor: &Actor,
    contact: &ContactOut,
    fields: &ConsentFields,
) -> ApiResult<()> {
    let source = format!("consent:{}", fields.source.as_deref().unwrap_or("api"));
    for entry in &contact.emails {
        match fields.status.as_str() {
            "withdrawn" | "denied" => {
                crate::suppression::service::suppress_in(
                    conn,
                    actor,
                    &entry.address,
                    SuppressionReason::Unsubscribed,
                    Some(&source),
                )?;
            }
            "granted" => {
                crate::suppression::service::lift_in(conn, actor, &entry.address, SuppressionReason::Unsubscribed)?
            }
            _ => {}
        }
    }
    Ok(())
}
