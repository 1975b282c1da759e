-- case: add a nullable column
-- expect: none
ALTER TABLE users ADD COLUMN IF NOT EXISTS nickname text;

-- case: add a required column without default
-- expect: adding-required-field
ALTER TABLE users ADD COLUMN IF NOT EXISTS nickname text NOT NULL;

-- case: add a column with a constant default on 16
-- expect: none
ALTER TABLE users ADD COLUMN IF NOT EXISTS locale text NOT NULL DEFAULT 'en';

-- case: add a column with a constant default on 10 rewrites
-- expect: adding-field-with-default
-- pg: 10
ALTER TABLE users ADD COLUMN IF NOT EXISTS locale text DEFAULT 'en';

-- case: add a column with a volatile default
-- expect: adding-field-with-default
ALTER TABLE users ADD COLUMN IF NOT EXISTS token uuid DEFAULT gen_random_uuid();

-- case: add an int column
-- expect: prefer-bigint-over-int
ALTER TABLE users ADD COLUMN IF NOT EXISTS score int;

-- case: add a smallint column
-- expect: prefer-bigint-over-smallint
ALTER TABLE users ADD COLUMN IF NOT EXISTS rank smallint;

-- case: add a varchar column
-- expect: prefer-text-field
ALTER TABLE users ADD COLUMN IF NOT EXISTS code varchar(20);

-- case: add a char column
-- expect: ban-char-field
ALTER TABLE users ADD COLUMN IF NOT EXISTS country char(2);

-- case: add a timestamp without time zone
-- expect: prefer-timestamp-tz
ALTER TABLE users ADD COLUMN IF NOT EXISTS seen_at timestamp;

-- case: add a timestamptz
-- expect: none
ALTER TABLE users ADD COLUMN IF NOT EXISTS seen_at timestamptz;

-- case: add a serial column
-- expect: prefer-bigint-over-int, prefer-identity
ALTER TABLE users ADD COLUMN IF NOT EXISTS seq serial;

-- case: change a column type
-- expect: changing-column-type
ALTER TABLE users ALTER COLUMN score TYPE bigint;

-- case: set not null
-- expect: adding-not-nullable-field
ALTER TABLE users ALTER COLUMN email SET NOT NULL;

-- case: drop not null
-- expect: ban-drop-not-null
ALTER TABLE users ALTER COLUMN email DROP NOT NULL;

-- case: set a default only
-- expect: none
ALTER TABLE users ALTER COLUMN locale SET DEFAULT 'en';

-- case: add a column without if not exists is fine inside the runner's transaction
-- expect: none
ALTER TABLE users ADD COLUMN nickname text;
