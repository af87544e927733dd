DROP TABLE ticket_routing;
DROP TABLE sla_policies;
DROP TABLE business_hours;
DROP TABLE ticket_messages;
DROP TABLE ticket_comments;
DROP TABLE tickets;
