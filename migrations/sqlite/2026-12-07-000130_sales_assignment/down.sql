DROP TABLE company_territories;
DROP TABLE territories;
DROP TABLE assignment_rules;
