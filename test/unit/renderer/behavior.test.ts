import { test } from 'node:test';
import assert from 'node:assert/strict';
import { achieverAbsence, actorAbsence, behaviorGroup, behaviorKeys } from '../../../renderer/src/lib/behavior.ts';

test('only actor-critic runs have an actor; the others get a reason naming their behaviour', () => {
  assert.equal(actorAbsence({ id: 'a', family: 'rssm', behavior: 'actor-critic' }), null);
  assert.match(actorAbsence({ id: 'p', family: 'rssm', behavior: 'cem' })!, /^Run p plans with CEM .*no actor/);
  assert.match(
    actorAbsence({ id: 'w', family: 'world-models', behavior: null })!,
    /^Run w \(world-models\) trains no actor-critic/,
  );
  assert.equal(actorAbsence(null), 'Choose a run first.');
});

test("the actor-critic's logged metrics group into actor, critic, imagined return and env return", () => {
  // The keys a debug actor-critic run writes to metrics.jsonl.
  const logged = [
    'model/model_loss',
    'model/kl',
    'model/actor_loss',
    'model/critic_loss',
    'model/actor_grad_norm',
    'model/critic_grad_norm',
    'model/actor_entropy',
    'model/imag_return',
    'model/imag_reward',
    'model/imag_weight',
    'model/value_mean',
    'model/eval_return',
    'model/random_return',
    'model/train_return',
    'fps',
  ];
  assert.equal(behaviorGroup('model/model_loss'), null);
  assert.equal(behaviorGroup('fps'), null);
  assert.equal(behaviorGroup('model/value_mean'), 'critic');
  assert.deepEqual(behaviorKeys(logged), [
    'model/actor_loss',
    'model/actor_entropy',
    'model/actor_grad_norm',
    'model/critic_loss',
    'model/critic_grad_norm',
    'model/value_mean',
    'model/imag_return',
    'model/imag_reward',
    'model/imag_weight',
    'model/eval_return',
    'model/random_return',
    'model/train_return',
  ]);
});

test('achieverAbsence: only LEXA runs have a goal-reaching achiever; the others say why in one line', () => {
  assert.equal(achieverAbsence({ id: 'l', family: 'rssm', behavior: 'lexa' }), null);
  assert.match(
    achieverAbsence({ id: 'a', family: 'rssm', behavior: 'actor-critic' })!,
    /^Run a trains behaviour 'actor-critic', which has no goal-reaching achiever: train one with behavior=lexa\.$/,
  );
  assert.match(
    achieverAbsence({ id: 'w', family: 'world-models', behavior: null })!,
    /^Run w trains no behaviour \(world-models\)/,
  );
  assert.equal(achieverAbsence(undefined), 'Choose a run first.');
});
