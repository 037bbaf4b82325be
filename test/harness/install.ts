import { ensureCodeServer, ensureDebianPackages } from './codeServer';
import { log } from './log';

/** `node out/harness/install.mjs`: warm the harness cache (code-server + Chromium) ahead of a test run. */
ensureDebianPackages(['chromium']);
const cs = ensureCodeServer();
log(`code-server ready: ${cs.entry}`);
