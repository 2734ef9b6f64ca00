/**
 * Builds DynamoDB update and condition expressions with generated placeholders, so attribute
 * names never collide with reserved words (`status`, `state`, `ttl`, `role`…).
 */
export class ExpressionBuilder {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, unknown> = {};
  readonly #set: string[] = [];
  readonly #remove: string[] = [];
  readonly #add: string[] = [];
  #n = 0;

  /** `#placeholder` for an attribute name. */
  name(attribute: string): string {
    const existing = Object.entries(this.names).find(([, v]) => v === attribute);
    if (existing) return existing[0];
    const key = `#n${this.#n++}`;
    this.names[key] = attribute;
    return key;
  }

  /** `:placeholder` for a value. */
  value(v: unknown): string {
    const key = `:v${this.#n++}`;
    this.values[key] = v;
    return key;
  }

  /** `SET attr = value`; with `ifAbsent`, `SET attr = if_not_exists(attr, value)`. */
  set(attribute: string, v: unknown, mode: 'always' | 'ifAbsent' = 'always'): this {
    if (v === undefined) return this;
    const n = this.name(attribute);
    const val = this.value(v);
    this.#set.push(mode === 'ifAbsent' ? `${n} = if_not_exists(${n}, ${val})` : `${n} = ${val}`);
    return this;
  }

  /** `REMOVE attr`. */
  remove(...attributes: string[]): this {
    for (const a of attributes) this.#remove.push(this.name(a));
    return this;
  }

  /** `ADD attr value` (numbers). */
  add(attribute: string, v: number): this {
    this.#add.push(`${this.name(attribute)} ${this.value(v)}`);
    return this;
  }

  /** The `UpdateExpression`. */
  get update(): string {
    const parts: string[] = [];
    if (this.#set.length > 0) parts.push(`SET ${this.#set.join(', ')}`);
    if (this.#remove.length > 0) parts.push(`REMOVE ${this.#remove.join(', ')}`);
    if (this.#add.length > 0) parts.push(`ADD ${this.#add.join(', ')}`);
    return parts.join(' ');
  }

  /** Names and values for the command, omitting empty maps (DynamoDB rejects them). */
  attributes(): {
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Record<string, unknown>;
  } {
    return {
      ...(Object.keys(this.names).length > 0 ? { ExpressionAttributeNames: this.names } : {}),
      ...(Object.keys(this.values).length > 0 ? { ExpressionAttributeValues: this.values } : {}),
    };
  }
}
