//! The sales domain's event types (its part of the catalog).

use crm_core::registry::EventType;

const PIPELINE: Option<&str> = Some("PipelineOut");
const DEAL: Option<&str> = Some("DealOut");
const LEAD: Option<&str> = Some("LeadOut");

pub const EVENTS: &[EventType] = &[
    EventType::new("lead.created", "A lead was created (by the API or an upsert).", LEAD),
    EventType::new(
        "lead.updated",
        "A lead's fields or status changed; `previous_attributes` holds the old values.",
        LEAD,
    ),
    EventType::new(
        "lead.converted",
        "A lead was converted: `converted_to` names the contact (and company and deal) it became.",
        LEAD,
    ),
    EventType::new("lead.deleted", "A lead was moved to the trash.", LEAD),
    EventType::new("lead.restored", "A lead was restored from the trash.", LEAD),
    EventType::new("pipeline.created", "A pipeline was created, with its stages.", PIPELINE),
    EventType::new(
        "pipeline.updated",
        "A pipeline's name, position or stages (added, renamed, reordered, removed) changed.",
        PIPELINE,
    ),
    EventType::new("pipeline.deleted", "A pipeline without deals was deleted.", PIPELINE),
    EventType::new("deal.created", "A deal was created.", DEAL),
    EventType::new(
        "deal.updated",
        "A deal's fields changed without a change of stage; `previous_attributes` holds the old values.",
        DEAL,
    ),
    EventType::new(
        "deal.stage_changed",
        "A deal moved to another open stage (of its pipeline or another one), perhaps with other changes.",
        DEAL,
    ),
    EventType::new("deal.won", "A deal moved to a won stage.", DEAL),
    EventType::new("deal.lost", "A deal moved to a lost stage; `lost_reason` says why.", DEAL),
    EventType::new("deal.reopened", "A won or lost deal moved back to an open stage.", DEAL),
    EventType::new("deal.deleted", "A deal was moved to the trash.", DEAL),
    EventType::new("deal.restored", "A deal was restored from the trash.", DEAL),
];
