import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PRESETS, resolveWorldModelsConfig } from '../../../core/models/world-models/config.ts';
import { WM_CARTPOLE, recipeEpisodes, recipeOverrides } from '../../../scripts/measure-small-recipe.ts';

test('measure:small trains World Models on cartpole with the WM_CARTPOLE recipe over the small preset, controller off', () => {
  const c = resolveWorldModelsConfig('small', recipeOverrides('world-models', 'cartpole-swingup'));
  assert.deepEqual(c.rnn, { ...PRESETS.small.rnn, ...WM_CARTPOLE.rnn });
  // The measured recipe (README "World Models on cartpole"): a change here is a change of what the README measured.
  assert.deepEqual(
    { hidden: c.rnn.hidden, steps: c.rnn.steps, seqLen: c.rnn.seqLen, startsAnywhere: c.rnn.startsAnywhere },
    { hidden: 256, steps: 6000, seqLen: 124, startsAnywhere: 0.5 },
  );
  assert.equal(c.vae.steps, PRESETS.small.vae.steps);
  assert.equal(c.controller.enabled, false);
  assert.equal(recipeEpisodes('world-models', 'cartpole-swingup', 100), WM_CARTPOLE.episodes);
});

test("--vae-steps / --rnn-steps win over the recipe; the recipe's other M settings stay", () => {
  const c = resolveWorldModelsConfig(
    'small',
    recipeOverrides('world-models', 'cartpole-swingup', { vae: 10, rnn: 20 }),
  );
  assert.equal(c.vae.steps, 10);
  assert.deepEqual(c.rnn, { ...PRESETS.small.rnn, ...WM_CARTPOLE.rnn, steps: 20 });
});

test('car-racing and the RSSM get none of the cartpole recipe (World Models keeps the small preset, controller off)', () => {
  const c = resolveWorldModelsConfig('small', recipeOverrides('world-models', 'car-racing'));
  assert.deepEqual(c.rnn, PRESETS.small.rnn);
  assert.equal(c.controller.enabled, false);
  assert.equal(recipeEpisodes('world-models', 'car-racing', 150), 150);
  assert.deepEqual(recipeOverrides('rssm', 'cartpole-swingup'), {});
  assert.equal(recipeEpisodes('rssm', 'cartpole-swingup', 100), 100);
});
