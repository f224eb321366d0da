-- Signup funnel by country
WITH signups AS (
    SELECT user_id, country, signup_date FROM mart.dim_users
)
SELECT country, count(*) AS users
FROM signups
WHERE signup_date >= DATE '2024-01-01'
GROUP BY country;

-- Sessions by device (device was renamed to device_type in 0010)
SELECT device, count(*) FROM raw.sessions GROUP BY device;

-- Events by name (the column is event_type)
SELECT e.event_name, count(*) FROM raw.events e GROUP BY 1;

-- Last activity of paying users (view)
SELECT user_id, last_active FROM mart.active_users WHERE plan <> 'free';
