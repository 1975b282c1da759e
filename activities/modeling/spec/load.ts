import type { Node } from 'yaml';
import { isScalar } from 'yaml';
import { didYouMean } from '../../../config/did-you-mean';
import {
  entries,
  isYamlMap,
  isYamlSeq,
  pathText,
  scalarValue,
  YamlSource,
  type Position,
  type YamlPath,
} from '../../../config/yaml-source';
import { quoteIdent, quoteLiteral } from '../../../postgres/names';
import { normalizeColumnType } from './column-types';
import { checkPatternSql, checkSqlExpression, type SpecTables } from './sql-check';
import {
  NEEDS,
  type AccessPattern,
  type Consistency,
  type DesignSpec,
  type Duration,
  type Entity,
  type Field,
  type ManyToMany,
  type Need,
  type OnDelete,
  type Requirements,
} from './types';

/** One thing wrong with a spec: where, what, and (in the message) the likely fix. */
export interface SpecIssue extends Position {
  path: string;
  message: string;
}

/** `entities.order.fields.customer.ref: unknown entity 'custmer'; did you mean 'customer'?` */
export function issueText(issue: SpecIssue): string {
  return issue.path ? `${issue.path}: ${issue.message}` : issue.message;
}

/**
 * A spec that cannot be modelled. Every error is listed, not only the first, so one edit fixes them
 * all; the name lets Temporal treat it as non-retryable (the same spec fails the same way).
 */
export class SpecError extends Error {
  override name = 'SpecError';
  constructor(
    readonly issues: SpecIssue[],
    readonly fileName?: string,
  ) {
    const file = fileName ?? 'spec';
    super(
      `${fileName ?? 'the spec'} has ${issues.length} error${issues.length === 1 ? '' : 's'}; fix ${issues.length === 1 ? 'it' : 'them'} and run again:\n` +
        issues.map((issue) => `  ${file}:${issue.line}:${issue.column}: ${issueText(issue)}`).join('\n'),
    );
  }
}

const TOP_KEYS = ['name', 'postgres', 'schema', 'entities', 'access_patterns', 'requirements'];
const ENTITY_KEYS = ['fields', 'unique', 'volume', 'many_to_many', 'shared'];
const FIELD_KEYS = ['type', 'ref', 'enum', 'unique', 'pii', 'nullable', 'check', 'default', 'default_sql', 'on_delete'];
const VOLUME_KEYS = ['rows', 'growth_per_day'];
const PATTERN_KEYS = ['name', 'sql', 'per_second', 'freshness'];
const REQUIREMENT_KEYS = [
  'consistency',
  'rpo',
  'rto',
  'multi_tenant_key',
  'retention',
  'reads_per_second',
  'writes_per_second',
  'needs',
];
// No `set default`: a reference column has no default of its own, so it would set NULL, or fail on NOT NULL.
const ON_DELETE: readonly OnDelete[] = ['restrict', 'cascade', 'set null', 'no action'];
const CONSISTENCY: readonly Consistency[] = ['strong', 'read_your_writes', 'eventual'];
const SUPPORTED_POSTGRES = { min: 13, max: 18 };
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
/** PostgreSQL's NAMEDATALEN - 1. */
const MAX_NAME_BYTES = 63;
const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, y: 31_536_000 };

/**
 * Reads and validates a design spec. Throws SpecError with every problem found; returns the typed
 * spec only when there is none, so an invalid spec starts nothing.
 */
export async function loadSpec(text: string, fileName?: string): Promise<DesignSpec> {
  const source = new YamlSource(text);
  if (source.syntaxErrors.length > 0)
    throw new SpecError(
      source.syntaxErrors.map((p) => ({ ...p, message: `${p.message}: fix the YAML syntax here` })),
      fileName,
    );
  const reader = new SpecReader(source);
  const spec = await reader.read();
  if (reader.issues.length > 0 || !spec) throw new SpecError(reader.issues, fileName);
  return spec;
}

class SpecReader {
  readonly issues: SpecIssue[] = [];
  /** Entity names, known before any entity is read, so references resolve in any order. */
  private entityNames: string[] = [];
  /** Checks and defaults, parsed once every field is read (parsing SQL is asynchronous). */
  private expressions: { path: YamlPath; node: Node | null | undefined; sql: string; example: string }[] = [];

  constructor(private readonly source: YamlSource) {}

  async read(): Promise<DesignSpec | undefined> {
    const root = this.source.root;
    if (!isYamlMap(root)) {
      this.report(
        [],
        root,
        'a spec is a YAML map with name, entities, access_patterns and requirements: see docs/spec.md',
      );
      return undefined;
    }
    const top = this.fields(root, [], TOP_KEYS);
    const name = this.identifier(top.get('name'), ['name'], 'the design', true) ?? '';
    const postgres = this.postgresVersion(top.get('postgres'));
    const schema = top.has('schema')
      ? (this.identifier(top.get('schema'), ['schema'], 'a schema', true) ?? 'public')
      : 'public';

    const entitiesNode = top.get('entities');
    const entityNodes = isYamlMap(entitiesNode) ? entries(entitiesNode) : [];
    if (!isYamlMap(entitiesNode) || entityNodes.length === 0) {
      this.report(
        ['entities'],
        entitiesNode ?? root,
        'a spec needs at least one entity: entities: { customer: { fields: { email: text } } }',
      );
    }
    this.entityNames = entityNodes.map((e) => e.key);
    const entities = entityNodes.flatMap((e) => {
      const entity = this.entity(e.key, e.keyNode, e.value);
      return entity ? [entity] : [];
    });
    await this.checkExpressions();
    this.checkGeneratedNames(entities);
    const requirements = this.requirements(top.get('requirements'), entities);
    this.checkTenancy(requirements, entities, entityNodes);
    const accessPatterns = await this.accessPatterns(top.get('access_patterns'), entities, schema);
    return { name, postgres, schema, entities, accessPatterns, requirements };
  }

  private report(path: YamlPath, node: Node | null | undefined, message: string): void {
    this.issues.push(this.source.problem(path, node, message));
  }

  /**
   * The names PostgreSQL gets from the spec: tables, the join tables and enum types made from two
   * names, and reference columns (`<field>_id`). Each must fit PostgreSQL's 63 bytes (it would cut
   * a longer one silently, and the migration would no longer match), and tables and types share one
   * namespace: no two may be equal.
   */
  private checkGeneratedNames(entities: Entity[]): void {
    const made: { name: string; what: string; path: YamlPath; position: Position }[] = [];
    // Entities' tables first: a clash is reported at the name made from two, which is the one to change.
    for (const entity of entities)
      made.push({
        name: entity.table,
        what: `the table of entity ${entity.name}`,
        path: ['entities', entity.name],
        position: entity.position,
      });
    for (const entity of entities) {
      for (const relation of entity.manyToMany) {
        made.push({
          name: relation.table,
          what: `the join table of ${entity.name}.many_to_many.${relation.name}`,
          path: ['entities', entity.name, 'many_to_many', relation.name],
          position: relation.position,
        });
      }
      for (const field of entity.fields) {
        const path = ['entities', entity.name, 'fields', field.name];
        if (field.kind === 'enum')
          made.push({
            name: field.typeName,
            what: `the enum type of ${entity.name}.${field.name}`,
            path,
            position: field.position,
          });
        if (Buffer.byteLength(field.column) > MAX_NAME_BYTES) {
          this.issues.push({
            path: pathText(path),
            ...field.position,
            message: `its column '${field.column}' is ${Buffer.byteLength(field.column)} bytes; PostgreSQL cuts names at ${MAX_NAME_BYTES}: shorten the field name`,
          });
        }
      }
    }
    const seen = new Map<string, string>();
    for (const name of made) {
      const at = { path: pathText(name.path), ...name.position };
      if (Buffer.byteLength(name.name) > MAX_NAME_BYTES) {
        this.issues.push({
          ...at,
          message: `${name.what}, '${name.name}', is ${Buffer.byteLength(name.name)} bytes; PostgreSQL cuts names at ${MAX_NAME_BYTES}: shorten the names it is made of`,
        });
      }
      const other = seen.get(name.name);
      if (other)
        this.issues.push({
          ...at,
          message: `${name.what} would be named '${name.name}', as is ${other}: rename one of them`,
        });
      else seen.set(name.name, name.what);
    }
  }

  /** The map's values by key, reporting keys it does not know (with the closest known one). */
  private fields(map: Node, path: YamlPath, allowed: string[]): Map<string, Node | null> {
    const values = new Map<string, Node | null>();
    if (!isYamlMap(map)) return values;
    for (const entry of entries(map)) {
      if (/^\s*\d+\s*\)$/.test(entry.key)) {
        // `{ type: numeric(12,2) }`: in a flow map the comma ends the value, leaving `2)` as a key.
        this.report(
          [...path, entry.key],
          entry.keyNode,
          `'${entry.key}' is the rest of a type cut at its comma: inside { } quote the type, e.g. type: "numeric(12,2)"`,
        );
      } else if (!allowed.includes(entry.key)) {
        const hint = didYouMean(entry.key, allowed);
        this.report(
          [...path, entry.key],
          entry.keyNode,
          `unknown key '${entry.key}'${hint || `: use one of ${allowed.join(', ')}`}`,
        );
      } else {
        values.set(entry.key, entry.value);
      }
    }
    return values;
  }

  private string(node: Node | null | undefined, path: YamlPath, what: string): string | undefined {
    const value = scalarValue(node);
    if (typeof value === 'string' && value.trim() !== '') return value;
    this.report(path, node, `expected ${what} (a string), found ${describe(node)}`);
    return undefined;
  }

  private identifier(
    node: Node | null | undefined,
    path: YamlPath,
    what: string,
    required: boolean,
  ): string | undefined {
    if (node === undefined && !required) return undefined;
    const value = this.string(node, path, `the name of ${what}`);
    if (value === undefined) return undefined;
    if (!IDENTIFIER.test(value)) {
      this.report(
        path,
        node,
        `'${value}' is not a plain SQL name: use lower case letters, digits and underscores, e.g. '${snakeCase(value)}'`,
      );
      return undefined;
    }
    if (Buffer.byteLength(value) > MAX_NAME_BYTES)
      this.report(
        path,
        node,
        `'${value}' is ${Buffer.byteLength(value)} bytes; PostgreSQL cuts names at ${MAX_NAME_BYTES}: shorten it`,
      );
    return value;
  }

  private number(
    node: Node | null | undefined,
    path: YamlPath,
    what: string,
    options: { integer?: boolean; min?: number } = {},
  ): number | undefined {
    const value = scalarValue(node);
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      this.report(path, node, `expected ${what} (a number), found ${describe(node)}`);
      return undefined;
    }
    if (options.integer && !Number.isInteger(value)) {
      this.report(path, node, `expected ${what} as a whole number, found ${value}`);
      return undefined;
    }
    if (options.min !== undefined && value < options.min) {
      this.report(path, node, `${what} must be at least ${options.min}, found ${value}`);
      return undefined;
    }
    return value;
  }

  private boolean(node: Node | null | undefined, path: YamlPath): boolean {
    const value = scalarValue(node);
    if (typeof value === 'boolean') return value;
    this.report(path, node, `expected true or false, found ${describe(node)}`);
    return false;
  }

  private oneOf<T extends string>(node: Node | null | undefined, path: YamlPath, allowed: readonly T[]): T | undefined {
    const value = scalarValue(node);
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
    const hint = typeof value === 'string' ? didYouMean(value, allowed) : '';
    this.report(
      path,
      node,
      `${typeof value === 'string' ? `unknown value '${value}'` : `expected a string, found ${describe(node)}`}${hint || `: use one of ${allowed.join(', ')}`}`,
    );
    return undefined;
  }

  private duration(node: Node | null | undefined, path: YamlPath): Duration | undefined {
    const value = scalarValue(node);
    if (value === 0) return { text: '0', seconds: 0 };
    const match = typeof value === 'string' ? /^(\d+(?:\.\d+)?)\s*([smhdwy])$/.exec(value.trim()) : null;
    if (!match) {
      this.report(path, node, `expected a duration such as 30s, 5m, 1h, 7d or 7y, found ${describe(node)}`);
      return undefined;
    }
    return { text: String(value).trim(), seconds: Number(match[1]) * DURATION_UNITS[match[2]!]! };
  }

  private entityRef(node: Node | null | undefined, path: YamlPath): string | undefined {
    const value = this.string(node, path, 'an entity name');
    if (value === undefined) return undefined;
    if (this.entityNames.includes(value)) return value;
    this.report(
      path,
      node,
      `unknown entity '${value}'${didYouMean(value, this.entityNames) || `: the entities are ${this.entityNames.join(', ')}`}`,
    );
    return undefined;
  }

  private postgresVersion(node: Node | null | undefined): number {
    if (node === undefined) return 16;
    const version = this.number(node, ['postgres'], 'the target PostgreSQL major version', { integer: true });
    if (version === undefined) return 16;
    if (version < SUPPORTED_POSTGRES.min || version > SUPPORTED_POSTGRES.max) {
      this.report(
        ['postgres'],
        node,
        `PostgreSQL ${version} is not supported: use a major version from ${SUPPORTED_POSTGRES.min} to ${SUPPORTED_POSTGRES.max}`,
      );
    }
    return version;
  }

  private entity(name: string, keyNode: Node, node: Node | null): Entity | undefined {
    const path = ['entities', name];
    if (!IDENTIFIER.test(name)) {
      this.report(
        path,
        keyNode,
        `'${name}' is not a plain SQL name: use lower case letters, digits and underscores, e.g. '${snakeCase(name)}'`,
      );
    }
    if (!isYamlMap(node)) {
      this.report(
        path,
        node ?? keyNode,
        `expected the entity's map with its fields, e.g. ${name}: { fields: { name: text } }`,
      );
      return undefined;
    }
    const values = this.fields(node, path, ENTITY_KEYS);
    const fieldsNode = values.get('fields');
    const fieldEntries = isYamlMap(fieldsNode) ? entries(fieldsNode) : [];
    if (fieldEntries.length === 0)
      this.report(
        [...path, 'fields'],
        fieldsNode ?? keyNode,
        `entity '${name}' needs at least one field: fields: { name: text }`,
      );
    const fields = fieldEntries.flatMap((f) => {
      const field = this.field(name, f.key, f.keyNode, f.value);
      return field ? [field] : [];
    });
    this.checkColumnNames(path, fields);
    const columnOf = new Map(fields.map((f) => [f.name, f.column]));

    const unique: string[][] = [];
    const uniqueNode = values.get('unique');
    if (uniqueNode !== undefined) {
      if (!isYamlSeq(uniqueNode))
        this.report([...path, 'unique'], uniqueNode, 'expected a list of field lists, e.g. unique: [[project, name]]');
      else
        uniqueNode.items.forEach((group, n) => {
          if (!isYamlSeq(group) || group.items.length === 0) {
            this.report([...path, 'unique', n], group, 'expected a list of field names, e.g. [project, name]');
            return;
          }
          const columns = group.items.flatMap((item, m) => {
            const fieldName = scalarValue(item);
            const column = typeof fieldName === 'string' ? columnOf.get(fieldName) : undefined;
            if (column) return [column];
            this.report(
              [...path, 'unique', n, m],
              item,
              `unknown field '${String(fieldName)}'${typeof fieldName === 'string' ? didYouMean(fieldName, columnOf.keys()) : ''}`,
            );
            return [];
          });
          if (columns.length === group.items.length) unique.push(columns);
        });
    }

    let volume: Entity['volume'];
    const volumeNode = values.get('volume');
    if (volumeNode !== undefined) {
      if (!isYamlMap(volumeNode))
        this.report([...path, 'volume'], volumeNode, 'expected { rows: N, growth_per_day: N }');
      else {
        const v = this.fields(volumeNode, [...path, 'volume'], VOLUME_KEYS);
        // rows left out stays undefined: a table of unknown size is not an empty one.
        const rows = v.has('rows')
          ? this.number(v.get('rows'), [...path, 'volume', 'rows'], 'the expected row count', { integer: true, min: 0 })
          : undefined;
        const growth = v.has('growth_per_day')
          ? this.number(v.get('growth_per_day'), [...path, 'volume', 'growth_per_day'], 'rows added per day', {
              min: 0,
            })
          : 0;
        volume = { ...(rows !== undefined ? { rows } : {}), growthPerDay: growth ?? 0 };
      }
    }

    const manyToMany: ManyToMany[] = [];
    const m2mNode = values.get('many_to_many');
    if (m2mNode !== undefined) {
      if (!isYamlMap(m2mNode))
        this.report(
          [...path, 'many_to_many'],
          m2mNode,
          'expected a map of relation name to entity, e.g. many_to_many: { tags: tag }',
        );
      else
        for (const relation of entries(m2mNode)) {
          const relationPath = [...path, 'many_to_many', relation.key];
          if (!IDENTIFIER.test(relation.key))
            this.report(
              relationPath,
              relation.keyNode,
              `'${relation.key}' is not a plain SQL name: use lower case letters, digits and underscores`,
            );
          if (columnOf.has(relation.key))
            this.report(
              relationPath,
              relation.keyNode,
              `'${relation.key}' is already a field of ${name}: give the relation another name`,
            );
          const other = this.entityRef(relation.value, relationPath);
          if (!other) continue;
          const own = `${name}_id`;
          // A relation to the entity itself (follows: user) needs a second column name: the relation's.
          const theirs = other === name ? `${relation.key}_id` : `${other}_id`;
          manyToMany.push({
            name: relation.key,
            entity: other,
            table: `${name}_${relation.key}`,
            columns: [own, theirs],
            position: this.source.positionOf(relation.keyNode),
          });
        }
    }
    const shared = values.has('shared') ? this.boolean(values.get('shared'), [...path, 'shared']) : false;
    return { name, table: name, fields, unique, volume, manyToMany, shared, position: this.source.positionOf(keyNode) };
  }

  private field(entity: string, name: string, keyNode: Node, node: Node | null): Field | undefined {
    const path = ['entities', entity, 'fields', name];
    if (!IDENTIFIER.test(name)) {
      this.report(
        path,
        keyNode,
        `'${name}' is not a plain SQL name: use lower case letters, digits and underscores, e.g. '${snakeCase(name)}'`,
      );
      return undefined;
    }
    if (name === 'id') {
      this.report(
        path,
        keyNode,
        "'id' is the key every entity gets (bigint GENERATED ALWAYS AS IDENTITY): remove this field",
      );
      return undefined;
    }
    const position = this.source.positionOf(keyNode);
    // `placed_at: timestamptz` is short for `placed_at: { type: timestamptz }`.
    if (isScalar(node)) {
      const type = this.columnType(node, path);
      return type
        ? { kind: 'scalar', name, column: name, type, unique: false, pii: false, nullable: false, position }
        : undefined;
    }
    if (!isYamlMap(node)) {
      this.report(
        path,
        node ?? keyNode,
        'expected a type (placed_at: timestamptz) or a map ({ type: text, unique: true })',
      );
      return undefined;
    }
    const values = this.fields(node, path, FIELD_KEYS);
    const kinds = (['type', 'ref', 'enum'] as const).filter((k) => values.has(k));
    if (kinds.length !== 1) {
      this.report(
        path,
        keyNode,
        kinds.length === 0
          ? 'a field needs one of type, ref or enum'
          : `a field has exactly one of type, ref or enum; this one has ${kinds.join(' and ')}`,
      );
      return undefined;
    }
    const common = {
      name,
      unique: values.has('unique') ? this.boolean(values.get('unique'), [...path, 'unique']) : false,
      pii: values.has('pii') ? this.boolean(values.get('pii'), [...path, 'pii']) : false,
      nullable: values.has('nullable') ? this.boolean(values.get('nullable'), [...path, 'nullable']) : false,
      position,
    };
    if (values.has('on_delete') && kinds[0] !== 'ref')
      this.report(
        [...path, 'on_delete'],
        values.get('on_delete'),
        'on_delete applies to a ref field only: remove it, or make the field a ref',
      );

    let field: Field | undefined;
    if (kinds[0] === 'ref') {
      const target = this.entityRef(values.get('ref'), [...path, 'ref']);
      const onDelete = values.has('on_delete')
        ? this.oneOf(values.get('on_delete'), [...path, 'on_delete'], ON_DELETE)
        : 'restrict';
      if (onDelete === 'set null' && !common.nullable) {
        this.report(
          [...path, 'on_delete'],
          values.get('on_delete'),
          "on_delete 'set null' needs a column that may be null: add nullable: true, or use restrict or cascade",
        );
      }
      if (values.has('default') || values.has('default_sql'))
        this.report(
          path,
          keyNode,
          'a ref field takes no default: the referenced key is chosen when the row is inserted',
        );
      if (!target || !onDelete) return undefined;
      field = { ...common, kind: 'ref', column: name.endsWith('_id') ? name : `${name}_id`, entity: target, onDelete };
    } else if (kinds[0] === 'enum') {
      const valuesNode = values.get('enum');
      const labels = isYamlSeq(valuesNode) ? valuesNode.items.map((item) => scalarValue(item)) : [];
      if (labels.length === 0 || labels.some((l) => typeof l !== 'string' || l === '')) {
        this.report(
          [...path, 'enum'],
          valuesNode,
          'expected a list of value names, e.g. enum: [pending, paid, shipped]',
        );
        return undefined;
      }
      const duplicate = labels.find((l, n) => labels.indexOf(l) !== n);
      if (duplicate !== undefined)
        this.report([...path, 'enum'], valuesNode, `'${String(duplicate)}' is listed twice: list each value once`);
      field = { ...common, kind: 'enum', column: name, values: labels as string[], typeName: `${entity}_${name}` };
    } else {
      const type = this.columnType(values.get('type'), [...path, 'type']);
      if (!type) return undefined;
      field = { ...common, kind: 'scalar', column: name, type };
    }
    this.checkAndDefault(field, values, path);
    return field;
  }

  private columnType(node: Node | null | undefined, path: YamlPath): string | undefined {
    const written = this.string(node, path, 'a column type');
    if (written === undefined) return undefined;
    const checked = normalizeColumnType(written);
    if ('error' in checked) {
      this.report(path, node, checked.error);
      return undefined;
    }
    return checked.type;
  }

  /** Fills in check and default, both written as SQL; problems with them are reported, the field kept. */
  private checkAndDefault(field: Field, values: Map<string, Node | null>, path: YamlPath): void {
    if (values.has('check')) {
      const check = this.string(
        values.get('check'),
        [...path, 'check'],
        'a condition such as ">= 0" or "char_length(code) = 3"',
      );
      // A condition that starts with an operator is about the column itself: ">= 0" means "total >= 0".
      if (check) {
        field.check = /^\s*(<|>|=|!=|<>|~|between\b|in\b|like\b|ilike\b|is\b|not\b|similar\b)/i.test(check)
          ? `${quoteIdent(field.column)} ${check.trim()}`
          : check.trim();
        this.expressions.push({
          path: [...path, 'check'],
          node: values.get('check'),
          sql: field.check,
          example: `a condition such as ">= 0" or "char_length(${field.column}) <= 80"`,
        });
      }
    }
    if (values.has('default') && values.has('default_sql')) {
      this.report(
        path,
        values.get('default_sql'),
        'a field has default (a value) or default_sql (an expression such as now()), not both',
      );
      return;
    }
    if (values.has('default')) {
      const node = values.get('default');
      const value = scalarValue(node);
      if (field.kind === 'enum' && (typeof value !== 'string' || !field.values.includes(value))) {
        this.report(
          [...path, 'default'],
          node,
          `'${String(value)}' is not one of the enum's values${typeof value === 'string' ? didYouMean(value, field.values) || `: use one of ${field.values.join(', ')}` : ''}`,
        );
      } else if (typeof value === 'string') field.default = quoteLiteral(value);
      else if (typeof value === 'number' || typeof value === 'boolean') field.default = String(value).toUpperCase();
      else
        this.report(
          [...path, 'default'],
          node,
          `expected a value (a string, number or boolean), found ${describe(node)}: write default_sql for an expression`,
        );
    }
    if (values.has('default_sql')) {
      field.default = this.string(
        values.get('default_sql'),
        [...path, 'default_sql'],
        'an SQL expression such as now()',
      );
      if (field.default)
        this.expressions.push({
          path: [...path, 'default_sql'],
          node: values.get('default_sql'),
          sql: field.default,
          example: 'an expression such as now() or 0',
        });
    }
  }

  /** Two fields becoming one column (customer and customer_id) would make invalid DDL: say which. */
  private checkColumnNames(path: YamlPath, fields: Field[]): void {
    const seen = new Map<string, Field>();
    for (const field of fields) {
      const earlier = seen.get(field.column);
      if (earlier) {
        this.issues.push({
          path: pathText([...path, 'fields', field.name]),
          ...field.position,
          message: `becomes column '${field.column}', as field '${earlier.name}' does: rename one of them`,
        });
      }
      seen.set(field.column, field);
    }
  }

  private requirements(node: Node | null | undefined, entities: Entity[]): Requirements {
    const requirements: Requirements = { consistency: 'strong', multiTenantKey: null, retention: {}, needs: [] };
    if (node === undefined || node === null) return requirements;
    const path = ['requirements'];
    if (!isYamlMap(node)) {
      this.report(path, node, 'expected a map, e.g. requirements: { consistency: strong, rpo: 5m, rto: 1h }');
      return requirements;
    }
    const values = this.fields(node, path, REQUIREMENT_KEYS);
    if (values.has('consistency'))
      requirements.consistency =
        this.oneOf(values.get('consistency'), [...path, 'consistency'], CONSISTENCY) ?? 'strong';
    if (values.has('rpo')) requirements.rpo = this.duration(values.get('rpo'), [...path, 'rpo']);
    if (values.has('rto')) requirements.rto = this.duration(values.get('rto'), [...path, 'rto']);
    const tenant = values.get('multi_tenant_key');
    if (tenant !== undefined && tenant !== null && scalarValue(tenant) !== null)
      requirements.multiTenantKey = this.entityRef(tenant, [...path, 'multi_tenant_key']) ?? null;
    if (values.has('reads_per_second'))
      requirements.readsPerSecond = this.number(
        values.get('reads_per_second'),
        [...path, 'reads_per_second'],
        'reads per second',
        { min: 0 },
      );
    if (values.has('writes_per_second'))
      requirements.writesPerSecond = this.number(
        values.get('writes_per_second'),
        [...path, 'writes_per_second'],
        'writes per second',
        { min: 0 },
      );
    const retention = values.get('retention');
    if (retention !== undefined && retention !== null) {
      if (!isYamlMap(retention))
        this.report(
          [...path, 'retention'],
          retention,
          'expected a map of entity to duration, e.g. retention: { order: 7y }',
        );
      else
        for (const entry of entries(retention)) {
          const entityPath = [...path, 'retention', entry.key];
          if (!entities.some((e) => e.name === entry.key) && !this.entityNames.includes(entry.key)) {
            this.report(
              entityPath,
              entry.keyNode,
              `unknown entity '${entry.key}'${didYouMean(entry.key, this.entityNames)}`,
            );
            continue;
          }
          const duration = this.duration(entry.value, entityPath);
          if (duration) requirements.retention[entry.key] = duration;
        }
    }
    const needs = values.get('needs');
    if (needs !== undefined && needs !== null) {
      if (!isYamlSeq(needs)) this.report([...path, 'needs'], needs, `expected a list drawn from ${NEEDS.join(', ')}`);
      else
        requirements.needs = needs.items.flatMap((item, n) =>
          this.oneOf<Need>(item, [...path, 'needs', n], NEEDS) ? [scalarValue(item) as Need] : [],
        );
    }
    return requirements;
  }

  /** With a tenant key, every table but the shared ones must carry it, or row-level security cannot filter it. */
  private checkTenancy(
    requirements: Requirements,
    entities: Entity[],
    entityNodes: { key: string; keyNode: Node; value: Node | null }[],
  ): void {
    const tenant = requirements.multiTenantKey;
    if (!tenant) {
      // shared: true leaves a table out of row-level security, which only exists with a tenant key: said without one, it is a mistake.
      for (const entity of entities.filter((e) => e.shared)) {
        const value = entityNodes.find((e) => e.key === entity.name)?.value;
        const sharedNode = isYamlMap(value) ? entries(value).find((e) => e.key === 'shared')?.value : undefined;
        this.report(
          ['entities', entity.name, 'shared'],
          sharedNode,
          "'shared: true' only means something with requirements.multi_tenant_key: set the tenant entity there, or remove 'shared'",
        );
      }
      return;
    }
    for (const entity of entities) {
      if (entity.name === tenant || entity.shared) continue;
      if (entity.fields.some((f) => f.kind === 'ref' && f.entity === tenant)) continue;
      const keyNode = entityNodes.find((e) => e.key === entity.name)?.keyNode;
      this.report(
        ['entities', entity.name],
        keyNode,
        `multi_tenant_key is '${tenant}' but ${entity.name} has no field referencing it: add '${tenant}: { ref: ${tenant} }', or 'shared: true' if every tenant sees the same rows`,
      );
    }
  }

  private async accessPatterns(
    node: Node | null | undefined,
    entities: Entity[],
    schema: string,
  ): Promise<AccessPattern[]> {
    if (node === undefined || node === null) return [];
    if (!isYamlSeq(node)) {
      this.report(['access_patterns'], node, 'expected a list of { name, sql, per_second }');
      return [];
    }
    const tables: SpecTables = new Map();
    for (const entity of entities) {
      tables.set(entity.table, ['id', ...entity.fields.map((f) => f.column)]);
      for (const relation of entity.manyToMany) tables.set(relation.table, [...relation.columns]);
    }
    const patterns: AccessPattern[] = [];
    const names = new Set<string>();
    for (const [n, item] of node.items.entries()) {
      const path = ['access_patterns', n];
      if (!isYamlMap(item)) {
        this.report(path, item, 'expected { name, sql, per_second }');
        continue;
      }
      const values = this.fields(item, path, PATTERN_KEYS);
      for (const required of ['name', 'sql', 'per_second'])
        if (!values.has(required)) this.report(path, item, `missing '${required}'`);
      const name = values.has('name')
        ? this.string(values.get('name'), [...path, 'name'], 'a name for the pattern')
        : undefined;
      if (name !== undefined && names.has(name))
        this.report(
          [...path, 'name'],
          values.get('name'),
          `another access pattern is already named '${name}': give each a name of its own`,
        );
      if (name !== undefined) names.add(name);
      const sqlNode = values.get('sql');
      const sql = values.has('sql') ? this.string(sqlNode, [...path, 'sql'], 'the query, in SQL') : undefined;
      const perSecond = values.has('per_second')
        ? this.number(values.get('per_second'), [...path, 'per_second'], 'how often the pattern runs, per second', {
            min: 0,
          })
        : undefined;
      const freshness = values.has('freshness')
        ? this.duration(values.get('freshness'), [...path, 'freshness'])
        : undefined;
      if (sql !== undefined) {
        for (const problem of await checkPatternSql(sql, tables, schema))
          this.report([...path, 'sql'], sqlNode, problem);
      }
      if (name !== undefined && sql !== undefined && perSecond !== undefined) {
        patterns.push({
          name,
          sql: sql.trim(),
          perSecond,
          freshness,
          position: this.source.positionOf(item),
          sqlPosition: this.source.positionOf(sqlNode),
        });
      }
    }
    return patterns;
  }

  /** A check or default with a typo would only fail when the DDL runs: parse them now. */
  private async checkExpressions(): Promise<void> {
    for (const expression of this.expressions) {
      const problem = await checkSqlExpression(expression.sql);
      if (problem) this.report(expression.path, expression.node, `${problem}: write ${expression.example}`);
    }
  }
}

function describe(node: Node | null | undefined): string {
  if (node === undefined || node === null) return 'nothing';
  if (isYamlMap(node)) return 'a map';
  if (isYamlSeq(node)) return 'a list';
  const value = scalarValue(node);
  return value === null ? 'nothing' : `${typeof value} '${String(value)}'`;
}

function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9_]+/g, '_')
    .toLowerCase()
    .replace(/^([0-9])/, '_$1');
}
