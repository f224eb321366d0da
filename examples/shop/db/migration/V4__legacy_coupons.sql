CREATE TABLE coupons (
    code        TEXT PRIMARY KEY,
    percent_off INTEGER NOT NULL
);
