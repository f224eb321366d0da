/**
 * Text of the status bar item, from the server's `querywright/status`
 * notification. Pure module.
 */

export type Backend = 'ready' | 'loading' | 'offline' | 'disabled';

export interface ServerStatus {
  model: string;
  backend: Backend;
  tables: number;
  message: string;
}

export interface StatusView {
  text: string;
  tooltip: string;
  /** 'warning' or 'error' picks the status bar's warning/error background. */
  severity: 'normal' | 'warning' | 'error';
}

const BACKEND_ICON: Record<Backend, string> = {
  ready: '$(check)',
  loading: '$(sync~spin)',
  offline: '$(warning)',
  disabled: '$(circle-slash)',
};

/** `builtin:smollm2-135m` stays as is; a path to a GGUF shows its file name. */
export function shortModel(ref: string): string {
  if (!ref) return 'no model';
  const adapterless = ref.split('+')[0];
  const hasScheme = /^[a-z][a-z0-9.-]*:(?![\\/])/i.test(adapterless);
  if (/[\\/]/.test(adapterless) && !hasScheme) {
    const parts = adapterless.split(/[\\/]/);
    return parts[parts.length - 1] + (ref.includes('+') ? '+adapter' : '');
  }
  return ref;
}

export function isServerStatus(value: unknown): value is ServerStatus {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.model === 'string' &&
    typeof v.backend === 'string' &&
    v.backend in BACKEND_ICON &&
    typeof v.tables === 'number'
  );
}

export function viewOfStatus(status: ServerStatus): StatusView {
  const tables = `${status.tables} table${status.tables === 1 ? '' : 's'}`;
  const lines = [
    `querywright — model ${status.model || '(none)'}`,
    `AI backend: ${status.backend}`,
    `Schema: ${tables}`,
  ];
  if (status.message) lines.push(status.message);
  lines.push('Click to select a model.');
  return {
    text: `$(database) ${shortModel(status.model)} ${BACKEND_ICON[status.backend]} ${status.backend} · ${tables}`,
    tooltip: lines.join('\n'),
    severity: status.backend === 'offline' ? 'warning' : 'normal',
  };
}

export function viewStarting(python: string): StatusView {
  return {
    text: '$(sync~spin) querywright',
    tooltip: `querywright: starting the language server with ${python}`,
    severity: 'normal',
  };
}

export function viewStopped(reason: string): StatusView {
  return {
    text: '$(error) querywright',
    tooltip: `querywright: the language server is not running.\n${reason}\nClick to show the log.`,
    severity: 'error',
  };
}

export function viewRunning(python: string): StatusView {
  return {
    text: '$(database) querywright',
    tooltip: `querywright: the language server is running (${python}); waiting for its status.`,
    severity: 'normal',
  };
}
