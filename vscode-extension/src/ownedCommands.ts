/**
 * vscode-languageclient registers a VS Code command for every command the
 * server lists in `executeCommandProvider`. Some of those ids
 * (`querywright.generateFromComment`, `querywright.reloadSchema`,
 * `querywright.fineTune`) are also the extension's own commands, which wrap
 * them with UI; registering them twice throws. This feature wraps the
 * client's ExecuteCommand feature and leaves the extension's ids out.
 */
import type {
  ClientCapabilities,
  DocumentSelector,
  DynamicFeature,
  ExecuteCommandRegistrationOptions,
  FeatureState,
  RegistrationData,
  RegistrationType,
  ServerCapabilities,
} from 'vscode-languageclient/node';

export class OwnedCommandsFilter implements DynamicFeature<ExecuteCommandRegistrationOptions> {
  constructor(
    private readonly inner: DynamicFeature<ExecuteCommandRegistrationOptions>,
    private readonly owned: ReadonlySet<string>,
  ) {}

  get registrationType(): RegistrationType<ExecuteCommandRegistrationOptions> {
    return this.inner.registrationType;
  }

  fillClientCapabilities(capabilities: ClientCapabilities): void {
    this.inner.fillClientCapabilities(capabilities);
  }

  initialize(capabilities: ServerCapabilities, documentSelector: DocumentSelector | undefined): void {
    const provider = capabilities.executeCommandProvider;
    if (!provider) {
      this.inner.initialize(capabilities, documentSelector);
      return;
    }
    this.inner.initialize(
      { ...capabilities, executeCommandProvider: { ...provider, commands: this.filter(provider.commands) } },
      documentSelector,
    );
  }

  getState(): FeatureState {
    return this.inner.getState();
  }

  register(data: RegistrationData<ExecuteCommandRegistrationOptions>): void {
    this.inner.register({
      ...data,
      registerOptions: { ...data.registerOptions, commands: this.filter(data.registerOptions.commands) },
    });
  }

  unregister(id: string): void {
    this.inner.unregister(id);
  }

  clear(): void {
    this.inner.clear();
  }

  private filter(commands: string[]): string[] {
    return commands.filter((command) => !this.owned.has(command));
  }
}
