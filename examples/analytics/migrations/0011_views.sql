CREATE VIEW mart.active_users AS
SELECT u.user_id, u.plan, max(a.activity_date) AS last_active
FROM mart.dim_users u
JOIN mart.fct_daily_activity a ON a.user_id = u.user_id
GROUP BY u.user_id, u.plan;
