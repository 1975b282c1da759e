import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { issueText, loadSpec, SpecError } from '.';

const examples = join(__dirname, '../../../examples');

/** `line:column path: message` for each issue, the way a person reads them. */
async function issuesOf(yaml: string): Promise<string[]> {
  try {
    await loadSpec(yaml, 'bad.yaml');
  } catch (error) {
    if (!(error instanceof SpecError)) throw error;
    return error.issues.map((issue) => `${issue.line}:${issue.column} ${issueText(issue)}`);
  }
  throw new Error('the spec loaded although it is invalid');
}

const base = (entities: string, rest = '') => `name: shop\nentities:\n${entities}${rest}`;

describe('the examples', () => {
  it.each(['ecommerce.yaml', 'saas.yaml', 'metrics.yaml'])('%s loads', async (file) => {
    const spec = await loadSpec(readFileSync(join(examples, file), 'utf8'), file);
    expect(spec.entities.length).toBeGreaterThan(3);
    expect(spec.accessPatterns.length).toBeGreaterThan(2);
  });

  it('reads ecommerce.yaml into names, columns and durations', async () => {
    const spec = await loadSpec(readFileSync(join(examples, 'ecommerce.yaml'), 'utf8'));
    const order = spec.entities.find((e) => e.name === 'order')!;
    expect(order.fields.map((f) => f.column)).toEqual([
      'customer_id',
      'shipping_address_id',
      'status',
      'total',
      'placed_at',
    ]);
    expect(order.fields[0]).toMatchObject({ kind: 'ref', entity: 'customer', onDelete: 'restrict', nullable: false });
    expect(order.fields[2]).toMatchObject({
      kind: 'enum',
      values: ['pending', 'paid', 'shipped', 'cancelled'],
      default: "'pending'",
      typeName: 'order_status',
    });
    expect(order.fields[3]).toMatchObject({ kind: 'scalar', type: 'numeric(12,2)', check: 'total >= 0' });
    expect(order.volume).toEqual({ rows: 50_000_000, growthPerDay: 200_000 });
    expect(spec.entities.find((e) => e.name === 'product')!.manyToMany).toEqual([
      {
        name: 'categories',
        entity: 'category',
        table: 'product_categories',
        columns: ['product_id', 'category_id'],
        position: { line: 35, column: 7 },
      },
    ]);
    expect(spec.requirements).toMatchObject({
      consistency: 'strong',
      rpo: { text: '5m', seconds: 300 },
      rto: { seconds: 3600 },
      multiTenantKey: null,
      retention: { order: { text: '7y' } },
    });
    expect(spec.accessPatterns[0]).toMatchObject({
      name: 'recent orders of a customer',
      perSecond: 500,
      position: { line: 57, column: 5 },
      sqlPosition: { line: 58, column: 10 },
    });
    expect(spec.postgres).toBe(16);
    expect(spec.schema).toBe('public');
  });
});

describe('invalid specs: every error, with its path, position and fix', () => {
  const cases: [string, string, string[]][] = [
    [
      'a reference to a misspelt entity',
      base('  customer:\n    fields: { email: text }\n  order:\n    fields:\n      customer: { ref: custmer }\n'),
      ["7:24 entities.order.fields.customer.ref: unknown entity 'custmer'; did you mean 'customer'?"],
    ],
    [
      'unknown keys at every level, with the closest known one',
      'name: shop\nentitys: {}\n',
      [
        "2:1 entitys: unknown key 'entitys'; did you mean 'entities'?",
        '1:1 entities: a spec needs at least one entity: entities: { customer: { fields: { email: text } } }',
      ],
    ],
    [
      'a field key and a value misspelt',
      base(
        '  customer:\n    fields:\n      email: { type: text, uniqe: true }\n  order:\n    fields:\n      customer: { ref: customer, on_delete: cascde }\n',
      ),
      [
        "5:28 entities.customer.fields.email.uniqe: unknown key 'uniqe'; did you mean 'unique'?",
        "8:45 entities.order.fields.customer.on_delete: unknown value 'cascde'; did you mean 'cascade'?",
      ],
    ],
    [
      'on_delete set default, which a reference column cannot honour',
      base(
        '  a:\n    fields: { x: text }\n  b:\n    fields:\n      a: { ref: a, on_delete: set default, nullable: true }\n',
      ),
      [
        "7:31 entities.b.fields.a.on_delete: unknown value 'set default': use one of restrict, cascade, set null, no action",
      ],
    ],
    [
      'types a new design should not use, each with what to write instead',
      base(
        '  t:\n    fields:\n      a: varchar(40)\n      b: json\n      c: timestamp\n      d: serial\n      e: strng\n      f: string\n',
      ),
      [
        "5:10 entities.t.fields.a: type 'varchar(40)' is not accepted: use 'text' (bound the length with check: \"char_length(COLUMN) <= N\" if it matters)",
        "6:10 entities.t.fields.b: type 'json' is not accepted: use 'jsonb': it can be indexed and compared, and drops duplicate keys",
        "7:10 entities.t.fields.c: type 'timestamp' is not accepted: use 'timestamptz': a timestamp without time zone is read differently by every client's time zone",
        "8:10 entities.t.fields.d: type 'serial' is not accepted: every entity gets 'id bigint GENERATED ALWAYS AS IDENTITY'; use 'bigint' for a plain number",
        "9:10 entities.t.fields.e: unknown type 'strng'; did you mean 'text'?",
        "10:10 entities.t.fields.f: unknown type 'string'; did you mean 'text'?",
      ],
    ],
    [
      'a numeric type cut at its comma inside { }',
      base('  t:\n    fields:\n      total: { type: numeric(12,2) }\n'),
      [
        '5:33 entities.t.fields.total.2): \'2)\' is the rest of a type cut at its comma: inside { } quote the type, e.g. type: "numeric(12,2)"',
        '5:22 entities.t.fields.total.type: type \'numeric(12\' was cut at its comma: inside { } a comma ends the value, so quote the type, e.g. type: "numeric(12,2)"',
      ],
    ],
    [
      'set null on a column that may not be null, and on_delete on a non-reference',
      base(
        '  a:\n    fields: { x: text }\n  b:\n    fields:\n      a: { ref: a, on_delete: set null }\n      y: { type: text, on_delete: cascade }\n',
      ),
      [
        "7:31 entities.b.fields.a.on_delete: on_delete 'set null' needs a column that may be null: add nullable: true, or use restrict or cascade",
        '8:35 entities.b.fields.y.on_delete: on_delete applies to a ref field only: remove it, or make the field a ref',
      ],
    ],
    [
      'a field with two kinds, a field with none, and a field named id',
      base('  t:\n    fields:\n      a: { type: text, enum: [x] }\n      b: { unique: true }\n      id: bigint\n'),
      [
        '5:7 entities.t.fields.a: a field has exactly one of type, ref or enum; this one has type and enum',
        '6:7 entities.t.fields.b: a field needs one of type, ref or enum',
        "7:7 entities.t.fields.id: 'id' is the key every entity gets (bigint GENERATED ALWAYS AS IDENTITY): remove this field",
      ],
    ],
    [
      'names that are not plain SQL names',
      base('  OrderLine:\n    fields:\n      unitPrice: integer\n'),
      [
        "3:3 entities.OrderLine: 'OrderLine' is not a plain SQL name: use lower case letters, digits and underscores, e.g. 'order_line'",
        "5:7 entities.OrderLine.fields.unitPrice: 'unitPrice' is not a plain SQL name: use lower case letters, digits and underscores, e.g. 'unit_price'",
      ],
    ],
    [
      'generated names that collide: a join table or an enum type named like a table',
      base(
        '  order:\n    fields:\n      status: { enum: [open, done] }\n    many_to_many: { line: order_status }\n  order_status:\n    fields: { x: text }\n  order_line:\n    fields: { y: text }\n',
      ),
      [
        "6:21 entities.order.many_to_many.line: the join table of order.many_to_many.line would be named 'order_line', as is the table of entity order_line: rename one of them",
        "5:7 entities.order.fields.status: the enum type of order.status would be named 'order_status', as is the table of entity order_status: rename one of them",
      ],
    ],
    [
      "names past PostgreSQL's 63 bytes, made from two names",
      base(
        '  place:\n    fields:\n      bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb: { ref: place, nullable: true }\n    many_to_many: { rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr: place }\n',
      ),
      [
        "5:7 entities.place.fields.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb: its column 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb_id' is 64 bytes; PostgreSQL cuts names at 63: shorten the field name",
        "6:21 entities.place.many_to_many.rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr: the join table of place.many_to_many.rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr, 'place_rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr', is 66 bytes; PostgreSQL cuts names at 63: shorten the names it is made of",
      ],
    ],
    [
      'two fields that become the same column',
      base('  c:\n    fields: { x: text }\n  t:\n    fields:\n      c: { ref: c }\n      c_id: bigint\n'),
      ["8:7 entities.t.fields.c_id: becomes column 'c_id', as field 'c' does: rename one of them"],
    ],
    [
      'an enum default that is not one of its values, and a check that does not parse',
      base(
        '  t:\n    fields:\n      s: { enum: [open, done], default: opne }\n      n: { type: integer, check: ">= >= 0" }\n',
      ),
      [
        "5:41 entities.t.fields.s.default: 'opne' is not one of the enum's values; did you mean 'open'?",
        '6:34 entities.t.fields.n.check: \'n >= >= 0\' is not an SQL expression: syntax error at or near ">=": write a condition such as ">= 0" or "char_length(n) <= 80"',
      ],
    ],
    [
      'a default and a check that reach beyond the database (modeling would run them on a shadow)',
      base(
        '  t:\n    fields:\n      a: { type: text, default_sql: "pg_read_file(\'/etc/passwd\')" }\n      n: { type: integer, check: "> (SELECT count(*) FROM pg_catalog.pg_ls_dir(\'/\'))" }\n',
      ),
      [
        "5:37 entities.t.fields.a.default_sql: 'pg_read_file('/etc/passwd')' calls or names pg_read_file, which reads or writes the server's files; a design stays within its database: write an expression such as now() or 0",
        "6:34 entities.t.fields.n.check: 'n > (SELECT count(*) FROM pg_catalog.pg_ls_dir('/'))' calls or names pg_ls_dir, which reads or writes the server's files; a design stays within its database: write a condition such as \">= 0\" or \"char_length(n) <= 80\"",
      ],
    ],
    [
      'composite unique on a field that does not exist',
      base('  t:\n    fields: { name: text, code: text }\n    unique: [[name, cod]]\n'),
      ["5:21 entities.t.unique[0][1]: unknown field 'cod'; did you mean 'code'?"],
    ],
    [
      'a many-to-many relation to an unknown entity',
      base(
        '  post:\n    fields: { title: text }\n    many_to_many: { tags: tga }\n  tag:\n    fields: { name: text }\n',
      ),
      ["5:27 entities.post.many_to_many.tags: unknown entity 'tga'; did you mean 'tag'?"],
    ],
    [
      'access patterns: a misspelt table, a misspelt column, SQL that does not parse, a missing rate, two of one name',
      base(
        '  customer:\n    fields: { email: text }\n',
        'access_patterns:\n' +
          '  - name: a\n    sql: SELECT id FROM custmer WHERE email = $1\n    per_second: 1\n' +
          '  - name: b\n    sql: SELECT id FROM customer WHERE emial = $1\n    per_second: 1\n' +
          '  - name: c\n    sql: SELEC id FROM customer\n    per_second: 1\n' +
          '  - name: c\n    sql: SELECT id FROM customer\n',
      ),
      [
        "7:10 access_patterns[0].sql: unknown table 'custmer'; did you mean 'customer'?",
        "10:10 access_patterns[1].sql: table 'customer' has no column 'emial'; did you mean 'email'?",
        '13:10 access_patterns[2].sql: the SQL does not parse: syntax error at or near "SELEC" (line 1, column 1 of the SQL)',
        "15:5 access_patterns[3]: missing 'per_second'",
        "15:11 access_patterns[3].name: another access pattern is already named 'c': give each a name of its own",
      ],
    ],
    [
      'an access pattern that reads a server file (modeling plans it on a shadow)',
      base(
        '  customer:\n    fields: { email: text }\n',
        "access_patterns:\n  - name: a\n    sql: SELECT lo_import('/etc/passwd') FROM customer\n    per_second: 1\n",
      ),
      [
        '7:10 access_patterns[0].sql: the SQL calls or names lo_import, which uses large objects, which belong to the whole database and reach server files (lo_import, lo_export); a design stays within its database',
      ],
    ],
    [
      'requirements: durations, consistency, tenant key and retention',
      base(
        '  org:\n    fields: { name: text }\n  task:\n    fields: { title: text }\n',
        'requirements:\n  consistency: strng\n  rpo: 5 minutes\n  multi_tenant_key: org\n  retention: { tsk: 1y }\n',
      ),
      [
        "8:16 requirements.consistency: unknown value 'strng'; did you mean 'strong'?",
        "9:8 requirements.rpo: expected a duration such as 30s, 5m, 1h, 7d or 7y, found string '5 minutes'",
        "11:16 requirements.retention.tsk: unknown entity 'tsk'; did you mean 'task'?",
        "5:3 entities.task: multi_tenant_key is 'org' but task has no field referencing it: add 'org: { ref: org }', or 'shared: true' if every tenant sees the same rows",
      ],
    ],
    [
      'writes are checked too: the target of an INSERT and the columns of an UPDATE',
      base(
        '  customer:\n    fields: { email: text }\n',
        'access_patterns:\n' +
          '  - name: sign up\n    sql: INSERT INTO custmer (email) VALUES ($1)\n    per_second: 1\n' +
          '  - name: change email\n    sql: UPDATE customer SET email = $1 WHERE emial = $2\n    per_second: 1\n',
      ),
      [
        "7:10 access_patterns[0].sql: unknown table 'custmer'; did you mean 'customer'?",
        "10:10 access_patterns[1].sql: table 'customer' has no column 'emial'; did you mean 'email'?",
      ],
    ],
    [
      'the columns an INSERT lists and an UPDATE sets are the target table’s',
      base(
        '  customer:\n    fields: { email: text, name: text }\n',
        'access_patterns:\n' +
          '  - name: sign up\n    sql: INSERT INTO customer (emial, aa) VALUES ($1, $2)\n    per_second: 1\n' +
          '  - name: rename\n    sql: UPDATE customer SET nmae = $1 WHERE id = $2\n    per_second: 1\n' +
          '  - name: rename by alias\n    sql: UPDATE customer c SET name = $1 WHERE c.id = $2\n    per_second: 1\n',
      ),
      [
        "7:10 access_patterns[0].sql: table 'customer' has no column 'emial'; did you mean 'email'?",
        "7:10 access_patterns[0].sql: table 'customer' has no column 'aa': its columns are id, email, name",
        "10:10 access_patterns[1].sql: table 'customer' has no column 'nmae'; did you mean 'name'?",
      ],
    ],
    [
      'shared: true without a multi_tenant_key',
      base('  plan:\n    fields: { name: text }\n    shared: true\n'),
      [
        "5:13 entities.plan.shared: 'shared: true' only means something with requirements.multi_tenant_key: set the tenant entity there, or remove 'shared'",
      ],
    ],
    [
      'a YAML syntax error',
      'name: shop\nentities:\n  customer: { fields: { email: text }\n',
      ['4:1 Flow map in block collection must be sufficiently indented and end with a }: fix the YAML syntax here'],
    ],
    [
      'an unsupported PostgreSQL version',
      base('  t:\n    fields: { a: text }\n', 'postgres: 9\n'),
      ['5:11 postgres: PostgreSQL 9 is not supported: use a major version from 13 to 18'],
    ],
  ];

  it.each(cases)('%s', async (_name, yaml, expected) => {
    expect(await issuesOf(yaml)).toEqual(expected);
  });

  it('throws one SpecError naming the file, every issue, and how to go on', async () => {
    const error = await loadSpec(cases[0]![1], 'shop.yaml').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpecError);
    expect((error as SpecError).name).toBe('SpecError');
    expect((error as SpecError).message).toBe(
      "shop.yaml has 1 error; fix it and run again:\n  shop.yaml:7:24: entities.order.fields.customer.ref: unknown entity 'custmer'; did you mean 'customer'?",
    );
  });
});
