/**
 * The database password: set with "querywright: Set database password", kept in
 * VS Code's SecretStorage (the OS keychain), and handed to the server only in its
 * environment (QUERYWRIGHT_DATABASE_PASSWORD), where it fills a `database_url`
 * that names a user but no password. Never written to a settings file, never
 * sent in initializationOptions (which the trace channel may log).
 */
import * as vscode from 'vscode';

export const PASSWORD_SECRET = 'querywright.databasePassword';
export const PASSWORD_ENV = 'QUERYWRIGHT_DATABASE_PASSWORD';

/** The server's extra environment: the stored password, when there is one. */
export async function credentialEnvironment(secrets: vscode.SecretStorage): Promise<Record<string, string>> {
  const password = await secrets.get(PASSWORD_SECRET);
  return password ? { [PASSWORD_ENV]: password } : {};
}

/** Ask for the password and store it (an empty answer removes it); true when it changed. */
export async function setDatabasePassword(secrets: vscode.SecretStorage): Promise<boolean> {
  const value = await vscode.window.showInputBox({
    title: 'querywright: database password',
    prompt:
      "Password of the user in querywright.database_url, kept in VS Code's secret storage and passed to the " +
      'server in its environment. Leave empty to remove it.',
    password: true,
    ignoreFocusOut: true,
  });
  if (value === undefined) return false;
  if (value) {
    await secrets.store(PASSWORD_SECRET, value);
    vscode.window.setStatusBarMessage('querywright: database password stored; restarting the server', 4000);
  } else {
    await secrets.delete(PASSWORD_SECRET);
    vscode.window.setStatusBarMessage('querywright: database password removed; restarting the server', 4000);
  }
  return true;
}
