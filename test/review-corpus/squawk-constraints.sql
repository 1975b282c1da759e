-- case: add a foreign key
-- expect: adding-foreign-key-constraint, constraint-missing-not-valid
ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id);

-- case: add a foreign key not valid
-- expect: none
ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;

-- case: validate a foreign key
-- expect: none
ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk;

-- case: add a column with a reference
-- expect: adding-foreign-key-constraint
ALTER TABLE orders ADD COLUMN IF NOT EXISTS shop_id bigint REFERENCES shops (id);

-- case: add a unique constraint
-- expect: constraint-missing-not-valid, disallowed-unique-constraint
ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);

-- case: add a unique constraint using an index
-- expect: none
ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;

-- case: add a primary key
-- expect: adding-serial-primary-key-field, constraint-missing-not-valid
ALTER TABLE events ADD PRIMARY KEY (id);

-- case: add a primary key using an index
-- expect: none
ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_id_idx;

-- case: add a check constraint
-- expect: constraint-missing-not-valid
ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total >= 0);

-- case: drop a constraint
-- expect: none
ALTER TABLE orders DROP CONSTRAINT IF EXISTS total_positive;

-- case: create table with references inline, and no index on them
-- expect: SW-L-FK-NO-INDEX
CREATE TABLE IF NOT EXISTS lines (id bigint PRIMARY KEY, order_id bigint NOT NULL REFERENCES orders (id));

-- case: domain with a check constraint
-- expect: ban-create-domain-with-constraint
CREATE DOMAIN positive_amount AS numeric CHECK (VALUE > 0);

-- case: NOT VALID then VALIDATE in one file, which the runner runs in two transactions
-- expect: none
ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;

-- case: a table created in the same migration gets no rules meant for tables with rows
-- expect: none
CREATE TABLE tags (name text);
ALTER TABLE tags ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;
ALTER TABLE tags ADD COLUMN label text NOT NULL;
ALTER TABLE tags ADD CONSTRAINT tags_label_key UNIQUE (label);
