CREATE TABLE reviews (
    id          BIGSERIAL PRIMARY KEY,
    product_id  BIGINT NOT NULL REFERENCES products (id),
    user_id     BIGINT NOT NULL REFERENCES users (id),
    rating      SMALLINT NOT NULL,
    body        TEXT
);

CREATE VIEW product_ratings AS
SELECT p.id AS product_id, p.title, avg(r.rating) AS avg_rating, count(*) AS review_count
FROM products p
JOIN reviews r ON r.product_id = p.id
GROUP BY p.id, p.title;
