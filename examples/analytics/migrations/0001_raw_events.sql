CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS mart;

-- Events as they arrive from the tracking pipeline.
CREATE TABLE raw.events (
    event_id    UUID PRIMARY KEY,
    session_id  VARCHAR NOT NULL,
    user_id     BIGINT,
    event_type  VARCHAR NOT NULL,
    "Payload"   JSON,
    occurred_at TIMESTAMP NOT NULL
);
