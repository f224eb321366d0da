/**
 * Which Python runs the server, and whether the `querywright` package is
 * importable there.
 *
 * Pure module: no `vscode` import.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';

export const SERVER_MODULE = 'querywright.cli.main';

export type InterpreterSource = 'setting' | 'python-extension' | 'managed' | 'default';

export interface Candidate {
  python: string;
  source: InterpreterSource;
}

export interface CandidateInputs {
  /** `querywright.interpreter`, possibly empty. */
  setting: string;
  /** The Python extension's selected interpreter, when that extension is installed. */
  pythonExtension?: string;
  /** The managed environment's interpreter, when that environment exists. */
  managed?: string;
}

/**
 * Interpreters to try, in order. An explicit setting comes first and is only
 * followed by the managed environment (where the server was installed when
 * that interpreter lacked it). Without a setting: the Python extension's
 * choice, then the managed environment, then `python3`.
 */
export function candidates(inputs: CandidateInputs): Candidate[] {
  const out: Candidate[] = [];
  const setting = inputs.setting.trim();
  if (setting) {
    out.push({ python: setting, source: 'setting' });
    if (inputs.managed) out.push({ python: inputs.managed, source: 'managed' });
    return out;
  }
  if (inputs.pythonExtension) out.push({ python: inputs.pythonExtension, source: 'python-extension' });
  if (inputs.managed) out.push({ python: inputs.managed, source: 'managed' });
  out.push({ python: 'python3', source: 'default' });
  return out;
}

/** Command line that starts the server with `python`. */
export function serverArgs(): string[] {
  return ['-m', SERVER_MODULE, 'lsp'];
}

/** Interpreter inside a venv directory. */
export function venvPython(venvDir: string, platform: NodeJS.Platform = process.platform): string {
  return platform === 'win32'
    ? path.join(venvDir, 'Scripts', 'python.exe')
    : path.join(venvDir, 'bin', 'python');
}

export type Probe =
  | { kind: 'ok'; version: string }
  | { kind: 'missing-package'; detail: string }
  | { kind: 'no-interpreter'; detail: string };

function probeScript(module: string): string {
  return (
    'import importlib.util, sys\n' +
    'try:\n' +
    `    spec = importlib.util.find_spec(${JSON.stringify(module)})\n` +
    'except ModuleNotFoundError:\n' +
    '    spec = None\n' +
    'if spec is None:\n' +
    '    sys.exit(3)\n' +
    'from importlib.metadata import version\n' +
    'print(version("querywright"))\n'
  );
}

/** Classify the outcome of running the probe script. */
export function classifyProbe(
  error: (Error & { code?: string | number }) | null,
  stdout: string,
  stderr: string,
): Probe {
  if (!error) return { kind: 'ok', version: stdout.trim() };
  if (error.code === 'ENOENT') return { kind: 'no-interpreter', detail: 'no such file' };
  if (error.code === 'EACCES') return { kind: 'no-interpreter', detail: 'not executable' };
  if (error.code === 3 || /ModuleNotFoundError|PackageNotFoundError/.test(stderr)) {
    return { kind: 'missing-package', detail: stderr.trim() || 'querywright is not installed' };
  }
  return { kind: 'no-interpreter', detail: (stderr || error.message).trim() };
}

/** Run `python` and report whether it can import `module` (the server's, by default). */
export function probe(python: string, timeoutMs = 20000, module = SERVER_MODULE): Promise<Probe> {
  return new Promise((resolve) => {
    execFile(python, ['-c', probeScript(module)], { timeout: timeoutMs }, (error, stdout, stderr) => {
      resolve(classifyProbe(error as (Error & { code?: string | number }) | null, String(stdout), String(stderr)));
    });
  });
}

/** Run `python -c "import MODULE"`; resolves to undefined when it imports, else the error's last line. */
export function importError(python: string, module: string, timeoutMs = 60000): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(python, ['-c', `import ${module}`], { timeout: timeoutMs }, (error, _stdout, stderr) => {
      if (!error) resolve(undefined);
      else resolve((String(stderr).trim().split('\n').pop() || error.message).trim());
    });
  });
}
