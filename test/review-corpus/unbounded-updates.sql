-- case: update without where
-- expect: SW-L-UNBOUNDED-UPDATE
UPDATE accounts SET plan = 'free';

-- case: update with where
-- expect: none
UPDATE accounts SET plan = 'free' WHERE plan IS NULL;

-- case: delete without where
-- expect: SW-L-UNBOUNDED-UPDATE, SW-L-IRREVERSIBLE
DELETE FROM sessions;

-- case: delete without where but with a down
-- expect: SW-L-UNBOUNDED-UPDATE
-- down: SELECT 1;
DELETE FROM sessions;

-- case: delete with where and no down
-- expect: SW-L-IRREVERSIBLE
DELETE FROM sessions WHERE expires_at < now();

-- case: update from another table without where on the target
-- expect: SW-L-UNBOUNDED-UPDATE
UPDATE orders SET total = 0 FROM customers;

-- case: update with a join condition in where
-- expect: none
UPDATE orders o SET region = c.region FROM customers c WHERE c.id = o.customer_id;

-- case: update with returning and no where
-- expect: SW-L-UNBOUNDED-UPDATE
UPDATE counters SET value = value + 1 RETURNING value;

-- case: batched update with a limit subquery
-- expect: none
UPDATE events SET processed = true WHERE id IN (SELECT id FROM events WHERE NOT processed LIMIT 1000);

-- case: schema qualified update without where
-- expect: SW-L-UNBOUNDED-UPDATE
UPDATE billing.invoices SET currency = 'EUR';

-- case: two unbounded statements
-- expect: SW-L-UNBOUNDED-UPDATE
-- down: SELECT 1;
UPDATE a SET x = 1;
DELETE FROM b;

-- case: delete using with a where
-- expect: none
-- down: SELECT 1;
DELETE FROM orders o USING customers c WHERE c.id = o.customer_id AND c.deleted;

-- case: insert select is not an update
-- expect: none
INSERT INTO archive SELECT * FROM orders WHERE created_at < '2020-01-01';

-- case: update in a CTE is checked too? no: only top-level statements count
-- expect: none
WITH moved AS (SELECT id FROM orders WHERE archived) SELECT count(*) FROM moved;

-- case: delete inside a CTE moves every row
-- expect: SW-L-UNBOUNDED-UPDATE, SW-L-IRREVERSIBLE
WITH moved AS (DELETE FROM events RETURNING *) INSERT INTO events_archive SELECT * FROM moved;
