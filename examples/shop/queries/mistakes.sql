-- Customers' names (typo in a column name)
SELECT u.id, u.nme FROM users u;

-- Orders by date (the column was renamed to ordered_at in V10)
SELECT id, placed_at FROM orders;

-- Coupons were dropped in V10
SELECT code FROM coupons;

-- Quantities per order (correct: id is only in orders, quantity only in order_items)
SELECT id, quantity FROM orders JOIN order_items ON order_items.order_id = orders.id;

-- Ambiguous column: product_id is in both tables
SELECT product_id FROM reviews JOIN order_items ON order_items.product_id = reviews.product_id;

-- Broken syntax
SELECT FROM WHERE users;
