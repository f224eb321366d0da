-- Weekly active users by plan
SELECT date_trunc('week', a.activity_date) AS week, u.plan, count(DISTINCT a.user_id) AS wau
FROM mart.fct_daily_activity a
JOIN mart.dim_users u ON u.user_id = a.user_id
GROUP BY ALL
ORDER BY week;

-- Sessions per device type
SELECT device_type, count(*) AS sessions
FROM raw.sessions
GROUP BY device_type;

-- Payload of the latest events (quoted identifier)
SELECT e."Payload", e.occurred_at
FROM raw.events e
ORDER BY e.occurred_at DESC
LIMIT 10;
