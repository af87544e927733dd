//! The service domain's event types (its part of the catalog).

use crm_core::registry::EventType;

const TICKET: Option<&str> = Some("TicketOut");

pub const EVENTS: &[EventType] = &[
    EventType::new("ticket.created", "A ticket was created (by the API, an upsert or an inbound e-mail).", TICKET),
    EventType::new(
        "ticket.updated",
        "A ticket's fields changed, its status and assignment as they were; `previous_attributes` holds the old \
         values.",
        TICKET,
    ),
    EventType::new(
        "ticket.status_changed",
        "A ticket's status moved (perhaps with other changes): solved, reopened by a reply, closed…",
        TICKET,
    ),
    EventType::new("ticket.assigned", "A ticket's assignee or team changed (its status as it was).", TICKET),
    EventType::new(
        "ticket.comment_added",
        "A comment was added to a ticket: an agent's public reply (e-mailed to the requester) or internal note, or \
         the requester's e-mailed reply. The object is the comment.",
        Some("CommentOut"),
    ),
    EventType::new(
        "ticket.sla_warning",
        "A ticket's first response or resolution is due within its SLA policy's `warn_before_minutes`.",
        TICKET,
    ),
    EventType::new(
        "ticket.sla_breached",
        "A ticket missed its first response or resolution target; the object is the ticket as the policy's \
         escalation left it (priority raised, handed to a team).",
        TICKET,
    ),
    EventType::new("survey.created", "A CSAT or NPS survey was created.", Some("SurveyOut")),
    EventType::new("survey.updated", "A survey's name, question, link or activity changed.", Some("SurveyOut")),
    EventType::new("survey.deleted", "A survey was deleted.", Some("SurveyOut")),
    EventType::new(
        "survey.response_received",
        "A survey was answered: a ticket rated (CSAT, 1–5, from the e-mailed link or the portal; a new rating \
         replaces the ticket's last) or an NPS survey (0–10). The object is the response.",
        Some("ResponseOut"),
    ),
    EventType::new("sla_policy.created", "An SLA policy was created.", Some("SlaPolicyOut")),
    EventType::new("sla_policy.updated", "An SLA policy changed.", Some("SlaPolicyOut")),
    EventType::new("sla_policy.deleted", "An SLA policy was deleted.", Some("SlaPolicyOut")),
    EventType::new(
        "ticket_routing.updated",
        "How a team takes new tickets changed (the object's id is the team's).",
        Some("RoutingOut"),
    ),
    EventType::new("kb_category.created", "A knowledge-base category was created.", Some("CategoryOut")),
    EventType::new("kb_category.updated", "A knowledge-base category changed.", Some("CategoryOut")),
    EventType::new("kb_category.deleted", "An empty knowledge-base category was deleted.", Some("CategoryOut")),
    EventType::new(
        "kb_article.created",
        "A knowledge-base article was created (its first revision).",
        Some("ArticleOut"),
    ),
    EventType::new(
        "kb_article.updated",
        "A knowledge-base article changed (a new title or body is a new revision), or went back to draft.",
        Some("ArticleOut"),
    ),
    EventType::new(
        "kb_article.published",
        "A knowledge-base article was published: the public site shows it.",
        Some("ArticleOut"),
    ),
    EventType::new("kb_article.deleted", "A knowledge-base article was deleted.", Some("ArticleOut")),
    EventType::new(
        "kb_site.updated",
        "The public knowledge-base site's slug or name changed (the object has no id: it is the organization's).",
        Some("SiteOut"),
    ),
    EventType::new(
        "health_settings.updated",
        "The customer health weights changed (the object has no id: it is the organization's).",
        Some("HealthSettingsOut"),
    ),
    EventType::new(
        "business_hours.updated",
        "The business hours changed (the object has no id of its own: it is the organization's).",
        Some("BusinessHoursOut"),
    ),
    EventType::new("ticket.deleted", "A ticket was moved to the trash.", TICKET),
    EventType::new("ticket.restored", "A ticket was restored from the trash.", TICKET),
];
