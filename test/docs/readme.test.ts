/**
 * The README is the user's manual, and this runs it: every shell block, in order, in one shell
 * session (as a reader pastes them into one terminal), against a stack that first received the
 * demo's data the examples name (Ann, Ben, Cara, Dan). Blocks that cannot run here (deploying to
 * AWS, the long-running `npm start`) carry a `<!-- doctest: skip why -->` mark and are listed.
 */
import { runDemo } from '../../local/demo/index.js';
import { describeDoc } from '../helpers/doctest.js';
import { stackSubstitutions } from '../helpers/doctest-stack.js';
import { stackInfo } from '../helpers/stack.js';

describeDoc('README.md', {
  substitutions: stackSubstitutions,
  session: true,
  timeoutMs: 180_000,
  before: async () => {
    await runDemo({ baseUrl: stackInfo().baseUrl, env: stackInfo().env, seed: 42, customers: 300, progress: false, log: () => {} });
  },
});
