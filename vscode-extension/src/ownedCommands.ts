/**
 * vscode-languageclient registers a VS Code command for every command the
 * server lists in `executeCommandProvider`. Some of those ids
 * (`querywright.generateFromComment`, `querywright.reloadSchema`,
 * `querywright.fineTune`) are also the extension's own commands, which wrap
 * them with UI; registering them twice throws. This feature wraps the
 * client's ExecuteCommand feature and leaves the extension's ids out.
 *
 * The server's own commands (`querywright.listModels`, ...) are registered by
 * one client at a time: a `ServerCommandSlot` shared by every client the
 * extension creates hands them over, so a client that failed or was given up
 * on cannot keep them registered and make the next client's registration
 * throw "command ... already exists".
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

/** Which client's feature holds the server's commands now (one per extension). */
export class ServerCommandSlot {
  private holder: OwnedCommandsFilter | undefined;

  /** `feature` registers next: the previous holder's commands are disposed first. */
  claim(feature: OwnedCommandsFilter): void {
    const previous = this.holder;
    this.holder = feature;
    if (previous && previous !== feature) previous.clear();
  }

  release(feature: OwnedCommandsFilter): void {
    if (this.holder === feature) this.holder = undefined;
  }
}

export class OwnedCommandsFilter implements DynamicFeature<ExecuteCommandRegistrationOptions> {
  constructor(
    private readonly inner: DynamicFeature<ExecuteCommandRegistrationOptions>,
    private readonly owned: ReadonlySet<string>,
    private readonly slot: ServerCommandSlot = new ServerCommandSlot(),
  ) {}

  get registrationType(): RegistrationType<ExecuteCommandRegistrationOptions> {
    return this.inner.registrationType;
  }

  fillClientCapabilities(capabilities: ClientCapabilities): void {
    this.inner.fillClientCapabilities(capabilities);
  }

  initialize(capabilities: ServerCapabilities, documentSelector: DocumentSelector | undefined): void {
    const provider = capabilities.executeCommandProvider;
    if (provider) this.slot.claim(this);
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
    this.slot.claim(this);
    this.inner.register({
      ...data,
      registerOptions: { ...data.registerOptions, commands: this.filter(data.registerOptions.commands) },
    });
  }

  unregister(id: string): void {
    this.inner.unregister(id);
  }

  clear(): void {
    this.slot.release(this);
    this.inner.clear();
  }

  private filter(commands: string[]): string[] {
    return commands.filter((command) => !this.owned.has(command));
  }
}
