-- Coupons moved to the pricing service.
DROP TABLE coupons;

ALTER TABLE orders ADD COLUMN total_cents INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orders RENAME COLUMN placed_at TO ordered_at;
