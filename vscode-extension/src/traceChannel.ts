/**
 * The channel for LSP message traces. vscode-languageclient only traces when
 * its channel's log level is Trace; this channel always reports Trace, so the
 * `querywright.trace.server` setting alone decides (off / messages / verbose).
 */
import * as vscode from 'vscode';

export class TraceChannel implements vscode.LogOutputChannel {
  private readonly channel: vscode.OutputChannel;
  private readonly levelChanged = new vscode.EventEmitter<vscode.LogLevel>();
  readonly onDidChangeLogLevel = this.levelChanged.event;

  constructor(name: string) {
    this.channel = vscode.window.createOutputChannel(name);
  }

  get name(): string {
    return this.channel.name;
  }

  get logLevel(): vscode.LogLevel {
    return vscode.LogLevel.Trace;
  }

  private line(level: string, message: string, args: unknown[]): void {
    const extra = args.length ? ' ' + args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ') : '';
    this.channel.appendLine(`${new Date().toISOString()} [${level}] ${message}${extra}`);
  }

  trace(message: string, ...args: unknown[]): void {
    this.line('trace', message, args);
  }
  debug(message: string, ...args: unknown[]): void {
    this.line('debug', message, args);
  }
  info(message: string, ...args: unknown[]): void {
    this.line('info', message, args);
  }
  warn(message: string, ...args: unknown[]): void {
    this.line('warning', message, args);
  }
  error(error: string | Error, ...args: unknown[]): void {
    this.line('error', error instanceof Error ? (error.stack ?? error.message) : error, args);
  }
  append(value: string): void {
    this.channel.append(value);
  }
  appendLine(value: string): void {
    this.channel.appendLine(value);
  }
  replace(value: string): void {
    this.channel.replace(value);
  }
  clear(): void {
    this.channel.clear();
  }
  show(columnOrPreserveFocus?: vscode.ViewColumn | boolean, preserveFocus?: boolean): void {
    if (typeof columnOrPreserveFocus === 'boolean' || columnOrPreserveFocus === undefined) {
      this.channel.show(columnOrPreserveFocus);
    } else {
      this.channel.show(columnOrPreserveFocus, preserveFocus);
    }
  }
  hide(): void {
    this.channel.hide();
  }
  dispose(): void {
    this.levelChanged.dispose();
    this.channel.dispose();
  }
}
