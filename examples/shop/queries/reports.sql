-- Revenue per customer, biggest first
SELECT u.id, u.email, sum(o.total_cents) AS revenue_cents
FROM users u
JOIN orders o ON o.user_id = u.id
GROUP BY u.id, u.email
ORDER BY revenue_cents DESC
LIMIT 20;

-- Active customers by country
SELECT country, count(*) AS customers
FROM users
WHERE is_active
GROUP BY country;

-- Best rated products with at least 5 reviews
WITH rated AS (
    SELECT product_id, avg_rating, review_count FROM product_ratings
)
SELECT p.sku, p.title, rated.avg_rating
FROM rated
JOIN products p ON p.id = rated.product_id
WHERE rated.review_count >= 5
ORDER BY rated.avg_rating DESC;

-- Orders of the last week with their items
SELECT o.id, o.ordered_at, i.product_id, i.quantity
FROM orders o
JOIN order_items i ON i.order_id = o.id
WHERE o.ordered_at > now() - INTERVAL '7 days';
