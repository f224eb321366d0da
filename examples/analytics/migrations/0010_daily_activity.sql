-- Runs after 0003 even though "0010" < "0003" would be false as text: numeric order.
CREATE TABLE mart.fct_daily_activity (
    activity_date DATE NOT NULL,
    user_id       BIGINT NOT NULL REFERENCES mart.dim_users (user_id),
    sessions      INTEGER NOT NULL,
    events        INTEGER NOT NULL,
    PRIMARY KEY (activity_date, user_id)
);

ALTER TABLE mart.dim_users ADD COLUMN referrer VARCHAR;
ALTER TABLE raw.sessions RENAME COLUMN device TO device_type;
