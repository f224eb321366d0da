import assert from 'node:assert/strict';
import { test } from 'node:test';
import type {
  DynamicFeature,
  ExecuteCommandRegistrationOptions,
  RegistrationData,
  ServerCapabilities,
} from 'vscode-languageclient/node';
import { OwnedCommandsFilter } from '../src/ownedCommands';

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
