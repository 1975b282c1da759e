-- case: add an exclusion constraint to an existing table
-- (squawk asks for NOT VALID, which PostgreSQL does not allow on exclusion constraints: hence our rule)
-- expect: SW-L-EXCLUSION-CONSTRAINT, constraint-missing-not-valid
ALTER TABLE booking ADD CONSTRAINT no_overlap EXCLUDE USING gist (room_id WITH =, during WITH &&);

-- case: exclusion constraint in create table
-- expect: none
CREATE TABLE IF NOT EXISTS booking (id bigint PRIMARY KEY, room_id bigint, during tstzrange, EXCLUDE USING gist (during WITH &&));

-- case: exclusion constraint on a table created in the same migration
-- expect: none
CREATE TABLE IF NOT EXISTS booking (id bigint PRIMARY KEY, during tstzrange);
ALTER TABLE booking ADD CONSTRAINT no_overlap EXCLUDE USING gist (during WITH &&);

-- case: exclusion constraint on a qualified table
-- expect: SW-L-EXCLUSION-CONSTRAINT, constraint-missing-not-valid
ALTER TABLE sched.slots ADD CONSTRAINT slots_no_overlap EXCLUDE USING gist (during WITH &&);

-- case: exclusion constraint with a where clause
-- expect: SW-L-EXCLUSION-CONSTRAINT, constraint-missing-not-valid
ALTER TABLE booking ADD CONSTRAINT active_no_overlap EXCLUDE USING gist (during WITH &&) WHERE (NOT cancelled);

-- case: check constraint is not an exclusion constraint
-- expect: constraint-missing-not-valid
ALTER TABLE booking ADD CONSTRAINT positive_price CHECK (price > 0);

-- case: check constraint not valid
-- expect: none
ALTER TABLE booking ADD CONSTRAINT positive_price CHECK (price > 0) NOT VALID;

-- case: validate a constraint
-- expect: none
ALTER TABLE booking VALIDATE CONSTRAINT positive_price;

-- case: dropping an exclusion constraint with a down
-- expect: none
-- down: SELECT 1;
ALTER TABLE booking DROP CONSTRAINT IF EXISTS no_overlap;

-- case: two exclusion constraints on existing tables
-- expect: SW-L-EXCLUSION-CONSTRAINT, constraint-missing-not-valid
ALTER TABLE a ADD CONSTRAINT a_x EXCLUDE USING gist (r WITH &&);
ALTER TABLE b ADD CONSTRAINT b_x EXCLUDE USING gist (r WITH &&);
