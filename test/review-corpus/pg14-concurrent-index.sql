-- case: concurrent index on 14.2
-- expect: SW-L-CONCURRENT-INDEX-PG14
-- pg: 14.2
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer ON orders (customer_id);

-- case: concurrent index on 14.0
-- expect: SW-L-CONCURRENT-INDEX-PG14
-- pg: 14.0
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer ON orders (customer_id);

-- case: concurrent index on 14.3
-- expect: SW-L-CONCURRENT-INDEX-PG14
-- pg: 14.3
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer ON orders (customer_id);

-- case: concurrent index on 14.4
-- expect: none
-- pg: 14.4
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer ON orders (customer_id);

-- case: concurrent index on 13
-- expect: none
-- pg: 13.12
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer ON orders (customer_id);

-- case: concurrent index on 15
-- expect: none
-- pg: 15
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer ON orders (customer_id);

-- case: plain index on 14.1
-- expect: require-concurrent-index-creation
-- pg: 14.1
CREATE INDEX IF NOT EXISTS orders_customer ON orders (customer_id);

-- case: reindex concurrently on 14.2
-- expect: SW-L-CONCURRENT-INDEX-PG14
-- pg: 14.2
REINDEX INDEX CONCURRENTLY orders_customer;

-- case: reindex concurrently on 14.4
-- expect: none
-- pg: 14.4
REINDEX INDEX CONCURRENTLY orders_customer;

-- case: unique concurrent index on 14.3
-- expect: SW-L-CONCURRENT-INDEX-PG14
-- pg: 14.3
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_email ON users (email);

-- case: concurrent index on 14 without a minor is taken as 14.0
-- expect: SW-L-CONCURRENT-INDEX-PG14
-- pg: 14
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer ON orders (customer_id);
