import { parseCommand } from '../args.ts';
import { getEnvSpec, listEnvs } from '../../envs/registry.ts';
import type { EnvSpec, Space } from '../../envs/types.ts';
import { UserError } from '../../util/errors.ts';

export const summary = 'list the built-in environments with their spaces and rewards';

const HELP = `usage: oneiro envs [NAME] [--json]

Lists the built-in environments: observation (frame size, vector state), action space, default action
repeat and episode length (in env steps, after action repeat), the anchor it is faithful to, and its doc.
With NAME, shows only that env. --json prints an array of
{name, doc, anchor, observation: {image: [H, W, 3], state}, actionSpace, defaults: {size, actionRepeat, maxSteps}, goal}.`;

function spaceText(s: Space): string {
  if (s.kind === 'discrete') return `discrete(${s.n})`;
  return `box[${s.shape.join('×')}] low [${s.low.join(', ')}] high [${s.high.join(', ')}]`;
}

function toJson(s: EnvSpec) {
  return {
    name: s.name,
    doc: s.doc,
    anchor: s.anchor,
    observation: { image: [s.defaults.size, s.defaults.size, 3], state: s.stateSize ?? 0 },
    actionSpace: s.actionSpace,
    defaults: s.defaults,
    goal: Boolean(s.goal),
  };
}

/** Wraps text at `width` columns with an indent. */
function wrap(text: string, width: number, indent: string): string {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      out.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(indent + line);
  return out.join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand('envs', argv, {});
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length > 1)
    throw new UserError(`envs takes at most one env name, got '${positionals.join(' ')}' (see 'oneiro envs --help')`);
  const specs = positionals.length ? [getEnvSpec(positionals[0])] : listEnvs();
  if (values.json) {
    console.log(JSON.stringify(specs.map(toJson), null, 2));
    return 0;
  }
  for (const s of specs) {
    const d = s.defaults;
    console.log(`${s.name}${s.goal ? '  (goal env: goalImage, isSuccess)' : ''}`);
    console.log(`  observation  ${d.size}×${d.size}×3 uint8${s.stateSize ? ` + state[${s.stateSize}]` : ''}`);
    console.log(`  actions      ${spaceText(s.actionSpace!)}`);
    console.log(`  defaults     action repeat ${d.actionRepeat}, ${d.maxSteps} steps per episode`);
    console.log(`  anchor       ${s.anchor}`);
    console.log(wrap(s.doc, 100, '  '));
    console.log('');
  }
  if (!positionals.length) console.log("'pinpad' is an alias of 'pinpad-three'.");
  return 0;
}
