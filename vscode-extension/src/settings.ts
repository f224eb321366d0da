/**
 * Settings: the `querywright.*` editor settings are generated from
 * schemas/config.schema.json (one source of truth) and nested back into the
 * schema's shape before they are sent to the server.
 *
 * Pure module: no `vscode` import, so unit tests and the generator script use it.
 */

export const SECTION = 'querywright';

/** A JSON Schema node, as far as settings generation needs it. */
export interface SchemaNode {
  type?: string | string[];
  default?: unknown;
  description?: string;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  items?: SchemaNode;
  properties?: Record<string, SchemaNode>;
}

/** One entry of `contributes.configuration.properties` in package.json. */
export interface SettingContribution {
  type: string | string[];
  default: unknown;
  description: string;
  enum?: unknown[];
  enumDescriptions?: string[];
  minimum?: number;
  maximum?: number;
  items?: { type: string | string[] };
  scope?: string;
  order?: number;
}

/** Settings of the extension itself: never sent to the server. */
export const EXTENSION_ONLY: Record<string, SettingContribution> = {
  [`${SECTION}.interpreter`]: {
    type: 'string',
    default: '',
    description:
      'Python interpreter that runs the language server (`<python> -m querywright.cli.main lsp`). ' +
      "Empty: the Python extension's selected interpreter, else a managed environment, else `python3`.",
  },
  [`${SECTION}.trace.server`]: {
    type: 'string',
    enum: ['off', 'messages', 'verbose'],
    enumDescriptions: ['No tracing.', 'Trace message names.', 'Trace messages with their content.'],
    default: 'off',
    description: 'Trace the communication between the editor and the querywright language server.',
    scope: 'window',
  },
};

function isObjectNode(node: SchemaNode): boolean {
  return node.type === 'object' && node.properties !== undefined;
}

function contributionOf(node: SchemaNode, key: string): SettingContribution {
  if (node.type === undefined) {
    throw new Error(`schema key ${key} has no type`);
  }
  const out: SettingContribution = {
    type: node.type,
    default: node.default,
    description: node.description ?? '',
  };
  if (node.enum !== undefined) out.enum = node.enum;
  if (node.minimum !== undefined) out.minimum = node.minimum;
  if (node.maximum !== undefined) out.maximum = node.maximum;
  if (node.items?.type !== undefined) out.items = { type: node.items.type };
  return out;
}

/**
 * Each schema key `k` becomes `querywright.k`; nested objects are flattened
 * with dots (`querywright.inline.debounce_ms`). Type, default and description
 * are copied unchanged.
 */
export function settingsFromSchema(schema: SchemaNode): Record<string, SettingContribution> {
  const out: Record<string, SettingContribution> = {};
  const walk = (node: SchemaNode, prefix: string): void => {
    for (const [name, child] of Object.entries(node.properties ?? {})) {
      const key = `${prefix}.${name}`;
      if (isObjectNode(child)) {
        walk(child, key);
      } else {
        out[key] = contributionOf(child, key);
      }
    }
  };
  walk(schema, SECTION);
  return out;
}

/** Every contributed setting: the schema's, then the extension's own. */
export function allContributions(schema: SchemaNode): Record<string, SettingContribution> {
  return { ...settingsFromSchema(schema), ...EXTENSION_ONLY };
}

/**
 * The settings in the schema's shape: `querywright.inline.debounce_ms` becomes
 * `{inline: {debounce_ms}}`; extension-only keys are dropped. `read` gets a key
 * relative to the section (`inline.debounce_ms`) and returns its value.
 */
export function nestSettings(
  schema: SchemaNode,
  read: (relativeKey: string) => unknown,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const fullKey of Object.keys(settingsFromSchema(schema))) {
    const relative = fullKey.slice(SECTION.length + 1);
    const value = read(relative);
    if (value === undefined) continue;
    const parts = relative.split('.');
    let target = out;
    for (const part of parts.slice(0, -1)) {
      const next = target[part];
      if (typeof next === 'object' && next !== null) {
        target = next as Record<string, unknown>;
      } else {
        const created: Record<string, unknown> = {};
        target[part] = created;
        target = created;
      }
    }
    target[parts[parts.length - 1]] = value;
  }
  return out;
}
