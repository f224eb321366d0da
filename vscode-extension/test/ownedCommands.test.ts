import assert from 'node:assert/strict';
import { test } from 'node:test';
import type {
  DynamicFeature,
  ExecuteCommandRegistrationOptions,
  RegistrationData,
  ServerCapabilities,
} from 'vscode-languageclient/node';
import { OwnedCommandsFilter, ServerCommandSlot } from '../src/ownedCommands';

/** Records what the client's ExecuteCommand feature would register as VS Code commands. */
class RecordingFeature implements DynamicFeature<ExecuteCommandRegistrationOptions> {
  registered: string[][] = [];
  registrationType = { method: 'workspace/executeCommand' } as DynamicFeature<ExecuteCommandRegistrationOptions>['registrationType'];
  fillClientCapabilities(): void {}
  initialize(capabilities: ServerCapabilities): void {
    if (capabilities.executeCommandProvider) {
      this.register({ id: 'static', registerOptions: { commands: capabilities.executeCommandProvider.commands } });
    }
  }
  getState() {
    return { kind: 'static' as const };
  }
  register(data: RegistrationData<ExecuteCommandRegistrationOptions>): void {
    this.registered.push(data.registerOptions.commands);
  }
  unregister(): void {}
  clear(): void {}
}

const owned = new Set(['querywright.generateFromComment', 'querywright.reloadSchema', 'querywright.fineTune']);

test("the server's commands that the extension owns are not registered again", () => {
  const inner = new RecordingFeature();
  const filter = new OwnedCommandsFilter(inner, owned);
  filter.initialize(
    {
      executeCommandProvider: {
        commands: ['querywright.reloadSchema', 'querywright.schema', 'querywright.generateFromComment', 'querywright.applyFix'],
      },
    },
    undefined,
  );
  assert.deepEqual(inner.registered, [['querywright.schema', 'querywright.applyFix']]);
  filter.register({ id: 'dynamic', registerOptions: { commands: ['querywright.fineTune', 'querywright.listModels'] } });
  assert.deepEqual(inner.registered[1], ['querywright.listModels']);
  assert.equal(filter.registrationType.method, 'workspace/executeCommand');
});

test('a server without executeCommandProvider passes through', () => {
  const inner = new RecordingFeature();
  new OwnedCommandsFilter(inner, owned).initialize({}, undefined);
  assert.deepEqual(inner.registered, []);
});

/**
 * The client's ExecuteCommand feature over a registry that behaves as VS Code's
 * `commands.registerCommand` does: an id registered twice throws, `clear()`
 * disposes what this feature registered.
 */
class RegistryFeature extends RecordingFeature {
  private mine: string[] = [];
  constructor(private readonly registry: Set<string>) {
    super();
  }
  override register(data: RegistrationData<ExecuteCommandRegistrationOptions>): void {
    for (const command of data.registerOptions.commands) {
      if (this.registry.has(command)) throw new Error(`command '${command}' already exists`);
      this.registry.add(command);
      this.mine.push(command);
    }
    super.register(data);
  }
  override clear(): void {
    for (const command of this.mine) this.registry.delete(command);
    this.mine = [];
  }
}

const serverCapabilities: ServerCapabilities = {
  executeCommandProvider: { commands: ['querywright.listModels', 'querywright.setModel', 'querywright.reloadSchema'] },
};

test("a client that failed without cleaning up does not block the next client's commands", () => {
  const registry = new Set<string>();
  const slot = new ServerCommandSlot();
  // the first client registered the server's commands, then failed: nothing cleared them
  new OwnedCommandsFilter(new RegistryFeature(registry), owned, slot).initialize(serverCapabilities, undefined);
  assert.deepEqual([...registry].sort(), ['querywright.listModels', 'querywright.setModel']);
  // the restart's client registers them again without "already exists"
  const second = new OwnedCommandsFilter(new RegistryFeature(registry), owned, slot);
  second.initialize(serverCapabilities, undefined);
  second.register({ id: 'dynamic', registerOptions: { commands: ['querywright.fineTuneStatus'] } });
  assert.deepEqual([...registry].sort(), ['querywright.fineTuneStatus', 'querywright.listModels', 'querywright.setModel']);
  // and a third after a clean stop
  second.clear();
  assert.deepEqual([...registry], []);
  new OwnedCommandsFilter(new RegistryFeature(registry), owned, slot).initialize(serverCapabilities, undefined);
  assert.deepEqual([...registry].sort(), ['querywright.listModels', 'querywright.setModel']);
});

test("a late clear of a replaced client leaves its successor's commands in place", () => {
  const registry = new Set<string>();
  const slot = new ServerCommandSlot();
  const first = new OwnedCommandsFilter(new RegistryFeature(registry), owned, slot);
  first.initialize(serverCapabilities, undefined);
  new OwnedCommandsFilter(new RegistryFeature(registry), owned, slot).initialize(serverCapabilities, undefined);
  first.clear();
  assert.deepEqual([...registry].sort(), ['querywright.listModels', 'querywright.setModel']);
});

test('without a shared slot the second registration throws, as in VS Code', () => {
  const registry = new Set<string>();
  new OwnedCommandsFilter(new RegistryFeature(registry), owned).initialize(serverCapabilities, undefined);
  assert.throws(
    () => new OwnedCommandsFilter(new RegistryFeature(registry), owned).initialize(serverCapabilities, undefined),
    /command 'querywright.listModels' already exists/,
  );
});
