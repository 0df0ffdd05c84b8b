import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PRESETS, resolveWorldModelsConfig } from '../../../core/models/world-models/config.ts';
import { WM_CARTPOLE, recipeEpisodes, recipeOverrides } from '../../../scripts/measure-small-recipe.ts';

test('measure:small trains World Models on cartpole with the small preset itself on 300 episodes, controller off', () => {
  const c = resolveWorldModelsConfig('small', recipeOverrides('world-models', 'cartpole-swingup'));
  assert.deepEqual(c.rnn, PRESETS.small.rnn);
  assert.deepEqual(c.vae, PRESETS.small.vae);
  // The measured recipe (docs/results/small-presets.md "World Models on cartpole: M's LSTM 256 wide"; seqLen 300 covers the 124-transition
  // episodes, which M's window stops at): a change here is a change of what was measured there.
  assert.deepEqual(
    { hidden: c.rnn.hidden, steps: c.rnn.steps, startsAnywhere: c.rnn.startsAnywhere, vaeSteps: c.vae.steps },
    { hidden: 256, steps: 6000, startsAnywhere: 0.5, vaeSteps: 3000 },
  );
  assert.ok(c.rnn.seqLen >= 124);
  assert.equal(c.controller.enabled, false);
  assert.equal(recipeEpisodes('world-models', 'cartpole-swingup', 100), WM_CARTPOLE.episodes);
  assert.equal(WM_CARTPOLE.episodes, 300);
});

test('--vae-steps / --rnn-steps win over the preset; its other M settings stay', () => {
  const c = resolveWorldModelsConfig(
    'small',
    recipeOverrides('world-models', 'cartpole-swingup', { vae: 10, rnn: 20 }),
  );
  assert.equal(c.vae.steps, 10);
  assert.deepEqual(c.rnn, { ...PRESETS.small.rnn, steps: 20 });
});

test('car-racing keeps its episode count and the RSSM gets no overrides (World Models: the small preset, controller off)', () => {
  const c = resolveWorldModelsConfig('small', recipeOverrides('world-models', 'car-racing'));
  assert.deepEqual(c.rnn, PRESETS.small.rnn);
  assert.equal(c.controller.enabled, false);
  assert.equal(recipeEpisodes('world-models', 'car-racing', 150), 150);
  assert.deepEqual(recipeOverrides('rssm', 'cartpole-swingup'), {});
  assert.equal(recipeEpisodes('rssm', 'cartpole-swingup', 100), 100);
});
