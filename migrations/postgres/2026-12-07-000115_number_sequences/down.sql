DROP TABLE number_sequences;
