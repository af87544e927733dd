//! The sales domain's event types (its part of the catalog).

use crm_core::registry::EventType;

const PIPELINE: Option<&str> = Some("PipelineOut");
const DEAL: Option<&str> = Some("DealOut");
const LEAD: Option<&str> = Some("LeadOut");
const PRODUCT: Option<&str> = Some("ProductOut");
const PRICE_BOOK: Option<&str> = Some("PriceBookOut");
const QUOTE: Option<&str> = Some("QuoteOut");
const ORDER: Option<&str> = Some("OrderOut");
const QUOTA: Option<&str> = Some("QuotaOut");

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
    EventType::new("lead.assigned", "A lead got the owner its assignment rules picked.", LEAD),
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
        "A deal moved to another stage of the same kind (of its pipeline or another one), perhaps with other \
         changes.",
        DEAL,
    ),
    EventType::new("deal.won", "A deal moved to a won stage.", DEAL),
    EventType::new("deal.lost", "A deal moved to a lost stage; `lost_reason` says why.", DEAL),
    EventType::new("deal.reopened", "A won or lost deal moved back to an open stage.", DEAL),
    EventType::new("deal.deleted", "A deal was moved to the trash.", DEAL),
    EventType::new("deal.restored", "A deal was restored from the trash.", DEAL),
    EventType::new("product.created", "A product was created.", PRODUCT),
    EventType::new("product.updated", "A product's SKU, name, description, state or list prices changed.", PRODUCT),
    EventType::new("product.deleted", "A product no line named was deleted.", PRODUCT),
    EventType::new("price_book.created", "A price book was created.", PRICE_BOOK),
    EventType::new("price_book.updated", "A price book's name, state or prices changed.", PRICE_BOOK),
    EventType::new("price_book.deleted", "A price book was deleted.", PRICE_BOOK),
    EventType::new("quote.created", "A draft quote was created, with its number.", QUOTE),
    EventType::new("quote.updated", "A draft quote's lines, dates, notes or links changed.", QUOTE),
    EventType::new("quote.sent", "A quote was sent: it no longer changes.", QUOTE),
    EventType::new("quote.accepted", "A sent quote was accepted (`order_id` names the order it became).", QUOTE),
    EventType::new("quote.rejected", "A sent quote was rejected.", QUOTE),
    EventType::new("quote.expired", "A sent quote's `valid_until` passed undecided.", QUOTE),
    EventType::new("quote.deleted", "A draft quote was deleted.", QUOTE),
    EventType::new("order.created", "An order was created (from an accepted quote or directly).", ORDER),
    EventType::new("order.updated", "An order's status, customer, deal or external ids changed.", ORDER),
    EventType::new("order.cancelled", "An order was cancelled.", ORDER),
    EventType::new(
        "currency_rates.updated",
        "The base currency or the exchange rates changed (the object's id is the organization's).",
        Some("CurrencyRatesOut"),
    ),
    EventType::new("lead_scoring_rule.created", "A lead scoring rule was created.", Some("ScoringRuleOut")),
    EventType::new("lead_scoring_rule.updated", "A lead scoring rule changed.", Some("ScoringRuleOut")),
    EventType::new("lead_scoring_rule.deleted", "A lead scoring rule was deleted.", Some("ScoringRuleOut")),
    EventType::new("assignment_rule.created", "A lead assignment rule was created.", Some("AssignmentRuleOut")),
    EventType::new("assignment_rule.updated", "A lead assignment rule changed.", Some("AssignmentRuleOut")),
    EventType::new("assignment_rule.deleted", "A lead assignment rule was deleted.", Some("AssignmentRuleOut")),
    EventType::new("territory.created", "A territory was created.", Some("TerritoryOut")),
    EventType::new(
        "territory.updated",
        "A territory's criteria, owner, priority or state changed.",
        Some("TerritoryOut"),
    ),
    EventType::new("territory.deleted", "A territory was deleted.", Some("TerritoryOut")),
    EventType::new("quota.created", "A quota was set for a user and period.", QUOTA),
    EventType::new("quota.updated", "A quota's amount changed.", QUOTA),
    EventType::new("quota.deleted", "A quota was deleted.", QUOTA),
];
