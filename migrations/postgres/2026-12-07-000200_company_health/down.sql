DROP TABLE health_settings;
DROP TABLE company_health;
