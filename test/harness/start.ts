import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { demoRepos } from '../fake-hub/demo';
import { startFakeHub, type FakeHub } from '../fake-hub/index';
import { ensureCodeServer, ensureDebianPackages } from './codeServer';
import { log } from './log';
import { harnessCacheRoot } from './paths';
import { buildVsix } from './vsix';
import { startVsCodeServer } from './vscodeServer';

/**
 * `npm start`: MechInterp Studio in a real VS Code in the browser (code-server on 127.0.0.1), talking to the real
 * Hub with your real Hugging Face cache. `npm start -- --demo` (or `npm run demo`) instead starts the fake hub from
 * the tests with a few small demo repos and a separate demo cache, so every feature can be tried offline.
 */
const { values } = parseArgs({
  options: {
    demo: { type: 'boolean', default: false },
    port: { type: 'string', default: process.env.MISTUDIO_PORT ?? '8080' },
    folder: { type: 'string' },
  },
});

async function main(): Promise<void> {
  ensureCodeServer();
  const vsix = buildVsix();
  const demo = values.demo === true;
  const profileDir = path.join(harnessCacheRoot, demo ? 'profile-demo' : 'profile');
  let hub: FakeHub | undefined;
  let env: NodeJS.ProcessEnv = {};
  if (demo) {
    hub = await startFakeHub({ repos: demoRepos(), tokens: { hf_demo_token: { user: 'demo-user', canAccessGated: true } } });
    log(`demo hub at ${hub.url} (sign in with the token hf_demo_token to open the gated demo model)`);
    env = { HF_ENDPOINT: hub.url };
  }
  const server = await startVsCodeServer({
    vsix,
    profileDir,
    port: Number(values.port),
    isolateHuggingFace: demo,
    env,
    ...(values.folder ? { workspaceFolder: path.resolve(values.folder) } : {}),
  });
  const line = '─'.repeat(64);
  process.stdout.write(`\n${line}\n  MechInterp Studio is running${demo ? ' (demo hub, demo cache)' : ''}:\n\n    ${server.workbenchUrl}\n\n  Open it in a browser; Ctrl-C stops everything.\n${line}\n`);
  const stop = async (): Promise<void> => {
    await server.stop();
    await hub?.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
