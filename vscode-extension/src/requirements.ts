/**
 * What the managed environment must hold for the configured model: the `local`
 * extra (embedded llama.cpp through xllamacpp) for the builtin model, a GGUF
 * file or a registered fine-tune, and for `ollama:` models too, since the server
 * falls back to the builtin model while Ollama is unreachable. Only `openai:`
 * models run entirely elsewhere.
 *
 * Pure module: no `vscode` import.
 */

/** The Python module the `local` extra provides (what server/ai/embedded.py imports). */
export const LOCAL_MODULE = 'xllamacpp';

/** Extras of the `querywright` package that `model` needs. */
export function extrasFor(model: string | undefined): string[] {
  const ref = (model ?? '').trim();
  return ref.startsWith('openai:') ? [] : ['local'];
}

/** Python modules that must import for `extras` to work. */
export function modulesFor(extras: readonly string[]): string[] {
  return extras.includes('local') ? [LOCAL_MODULE] : [];
}

/**
 * `requirement` with `extras` added, in each form pip takes: a name
 * (`querywright[local]`), a pinned name (`querywright[local]==0.1.0`), a name with
 * extras already (`querywright[postgres,local]`), `name @ url`, or a wheel/sdist
 * path (`/tmp/querywright-0.1.0-py3-none-any.whl[local]`).
 */
export function withExtras(requirement: string, extras: readonly string[]): string {
  const req = requirement.trim();
  if (extras.length === 0) return req;
  const at = req.indexOf(' @ ');
  const head = at >= 0 ? req.slice(0, at) : req;
  const tail = at >= 0 ? req.slice(at) : '';
  const isPath = at < 0 && /[\\/]|\.(whl|tar\.gz|zip)$/i.test(req.replace(/\[[^\]]*\]$/, ''));
  const match = isPath ? /^(.*?)(?:\[([^\]]*)\])?$/.exec(head) : /^([A-Za-z0-9._-]+)(?:\[([^\]]*)\])?(.*)$/.exec(head);
  if (!match) return req;
  const [, name, current = '', rest = ''] = match;
  const merged = [...current.split(',').map((e) => e.trim()).filter(Boolean)];
  for (const extra of extras) if (!merged.includes(extra)) merged.push(extra);
  return `${name}[${merged.join(',')}]${rest}${tail}`;
}
