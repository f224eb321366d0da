-- Deactivate users without orders
UPDATE users SET is_active = FALSE
WHERE id NOT IN (SELECT user_id FROM orders);

-- Restock a product
INSERT INTO products (sku, title, price_cents, stock) VALUES ('SKU-1', 'Mug', 1200, 10);

-- Remove empty orders
DELETE FROM orders WHERE total_cents = 0 AND status = 'cancelled';
