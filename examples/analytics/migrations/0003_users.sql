CREATE TABLE mart.dim_users (
    user_id     BIGINT PRIMARY KEY,
    signup_date DATE NOT NULL,
    plan        VARCHAR NOT NULL DEFAULT 'free',
    country     VARCHAR
);
