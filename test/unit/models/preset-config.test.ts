import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { presetConfig } from '../../../core/models/preset-config.ts';
import { familyNames, getFamily } from '../../../core/models/registry.ts';
import { rssmConfig } from '../../../core/models/rssm/config.ts';
import { isUserError } from '../../../core/util/errors.ts';

// One config path for every family (tests-and-configs issue, item 2; hardening issue, item 4).

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every leaf path of a config whose value is a number, a number array element, or null. */
function leaves(v: Json, path: string[] = []): { path: string[]; value: Json }[] {
  if (v === null || typeof v === 'number') return [{ path, value: v }];
  if (Array.isArray(v))
    return v.flatMap((x, i) => (typeof x === 'number' ? [{ path: [...path, String(i)], value: x }] : []));
  if (typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => leaves(x, [...path, k]));
  return [];
}

/** Overrides that set one leaf (an array element replaces the whole array, as deepMerge does). */
function overrideAt(config: Json, path: string[], value: Json): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  let node = root;
  let src = config as Record<string, Json>;
  for (let i = 0; i < path.length - 1; i++) {
    const next = src[path[i]];
    if (Array.isArray(next)) {
      const arr = [...next];
      arr[Number(path[i + 1])] = value;
      node[path[i]] = arr;
      return root;
    }
    node = node[path[i]] = {};
    src = next as Record<string, Json>;
  }
  node[path.at(-1)!] = value;
  return root;
}

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.ok(isUserError(e), `expected a UserError, got ${String(e)}`);
    const m = (e as Error).message;
    assert.ok(!m.includes('\n'), `one line: ${m}`);
    return m;
  }
  assert.fail('the config was accepted');
}

test('the issue reproduction: a misspelled rssm key is refused with its name, not dropped', () => {
  const m = refusal(() => rssmConfig('debug', { loss: { klBalnce: 0.5 } } as never));
  assert.match(m, /loss\.klBalnce: unknown field \(did you mean 'loss\.klBalance'\?\)/);
});

test('every family refuses a misspelled key at every level, naming it', async () => {
  for (const name of familyNames()) {
    const family = await getFamily(name);
    assert.ok(family.presets.includes('debug') && family.presets.includes('default'), name);
    const cfg = family.resolveConfig('debug') as Record<string, Json>;
    let checked = 0;
    for (const [section, block] of Object.entries(cfg)) {
      const m1 = refusal(() => family.resolveConfig('debug', { [`${section}x`]: 1 }));
      assert.match(m1, new RegExp(`${section}x: unknown field`), `${name}: ${m1}`);
      if (block && typeof block === 'object' && !Array.isArray(block)) {
        const key = Object.keys(block)[0];
        const m2 = refusal(() => family.resolveConfig('debug', { [section]: { [`${key}_`]: 1 } }));
        assert.match(m2, new RegExp(`${section}\\.${key}_: unknown field \\(did you mean '${section}\\.${key}'\\?\\)`));
        checked++;
      }
    }
    assert.ok(checked >= 3, `${name}: checked ${checked} sections`);
    // A stored config is held to the same schema.
    assert.match(
      refusal(() => family.parseConfig({ ...cfg, extra: 1 })),
      /extra: unknown field/,
    );
  }
});

test('every numeric field of every family has an upper bound, named in a one-line error', async () => {
  for (const name of familyNames()) {
    const family = await getFamily(name);
    let checked = 0;
    for (const preset of family.presets) {
      const cfg = family.resolveConfig(preset) as Json;
      for (const leaf of leaves(cfg)) {
        const dotted = leaf.path.join('.');
        const m = refusal(() => family.resolveConfig(preset, overrideAt(cfg, leaf.path, 1e12)));
        const field = leaf.path.filter((p) => !/^\d+$/.test(p)).join('.');
        assert.ok(m.includes(field), `${name} ${preset} ${dotted}: ${m}`);
        if (leaf.value !== null) assert.match(m, /too large, expected at most \d+/, `${name} ${dotted}: ${m}`);
        checked++;
      }
    }
    assert.ok(checked > 40, `${name}: ${checked} numeric fields`);
  }
  // The reproductions.
  assert.match(
    refusal(() => rssmConfig('debug', { rssm: { deter: 1e7 } })),
    /rssm\.deter: 10000000 is too large, expected at most 8192/,
  );
  assert.match(
    refusal(() => rssmConfig('debug', { train: { batch: 1e9 } })),
    /train\.batch: 1000000000 is too large, expected at most 4096/,
  );
});

test('the helper serves any family: presets, strict merge, union blocks replaced by adjust', () => {
  const schema = z.strictObject({
    net: z.strictObject({ width: z.number().int().min(1).max(64) }),
    shape: z.discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('a'), x: z.number().max(9) }),
      z.strictObject({ kind: z.literal('b'), y: z.number().max(9) }),
    ]),
  });
  type C = z.infer<typeof schema>;
  const toy = presetConfig<C>({
    family: 'toy',
    schema,
    presets: { default: { net: { width: 8 }, shape: { kind: 'a', x: 1 } } },
    adjust(merged, base, over) {
      const s = (over as { shape?: { kind?: string } }).shape;
      if (s?.kind && s.kind !== base.shape.kind) merged.shape = s;
    },
  });
  assert.deepEqual(toy.presets, ['default']);
  assert.equal(toy.resolveConfig('default', { net: { width: 16 } }).net.width, 16);
  assert.deepEqual(toy.resolveConfig('default', { shape: { kind: 'b', y: 2 } }).shape, { kind: 'b', y: 2 });
  assert.match(
    refusal(() => toy.resolveConfig('big')),
    /unknown toy preset 'big': expected one of default/,
  );
  assert.match(
    refusal(() => toy.resolveConfig('default', { net: { widht: 2 } })),
    /net\.widht: unknown field/,
  );
  assert.match(
    refusal(() => toy.resolveConfig('default', { net: { width: 65 } })),
    /net\.width: 65 .*at most 64/,
  );
  assert.match(
    refusal(() => toy.resolveConfig('default', 'width=3')),
    /toy overrides must be an object/,
  );
  // Presets are not mutated by a resolve.
  assert.equal(toy.resolveConfig('default').net.width, 8);
});
