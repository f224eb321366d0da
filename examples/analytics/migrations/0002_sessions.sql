CREATE TABLE raw.sessions (
    session_id  VARCHAR PRIMARY KEY,
    user_id     BIGINT,
    device      VARCHAR,
    started_at  TIMESTAMP NOT NULL,
    ended_at    TIMESTAMP
);

-- A large seed of reference data; only the DDL matters for the schema.
INSERT INTO raw.sessions VALUES ('s-1', 1, 'ios', TIMESTAMP '2024-01-01 10:00:00', NULL);
