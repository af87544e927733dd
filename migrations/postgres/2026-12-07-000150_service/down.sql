DROP TABLE ticket_messages;
DROP TABLE ticket_comments;
DROP TABLE tickets;
