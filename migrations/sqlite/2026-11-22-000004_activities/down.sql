DROP TABLE activity_links;
DROP TABLE activities;
