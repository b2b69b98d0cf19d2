/** Every shell block of docs/webhook-signing.md runs against the embedded stack and must exit 0. */
import { describeDoc } from '../helpers/doctest.js';
import { stackSubstitutions } from '../helpers/doctest-stack.js';

describeDoc('docs/webhook-signing.md', { substitutions: stackSubstitutions });
