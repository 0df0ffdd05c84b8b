import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../core/tensor/backend.ts';
import { discountWeights, lambdaReturn } from '../../../core/agents/lambda-return.ts';

// Reference values from Dreamer v1's lambda_return and loss weights, transcribed to numpy by
// test/fixtures/agents/make_fixtures.py (independent of our code).
const F = JSON.parse(readFileSync(new URL('../../fixtures/agents/fixtures.json', import.meta.url), 'utf8'));

before(async () => {
  await initBackend('cpu');
});

function close(actual: ArrayLike<number>, expected: number[], tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= tol * (1 + Math.abs(expected[i])),
      `${what}[${i}]: ${actual[i]} vs ${expected[i]}`,
    );
  }
}

test("λ-returns and discount weights equal Dreamer v1's lambda_return and cumprod weights (numpy fixture)", () => {
  assert.equal(F.cases.length, 4);
  for (const c of F.cases) {
    const H = c.reward.length;
    const got = tf.tidy(() => {
      const reward = tf.tensor2d(c.reward);
      const value = tf.tensor2d(c.value);
      const pcont = tf.tensor2d(c.pcont);
      // dreamer.py: lambda_return(reward[:-1], value[:-1], pcont[:-1], bootstrap=value[-1], λ)
      const head = (x: tf.Tensor2D) => tf.slice(x, [0, 0], [H - 1, -1]) as tf.Tensor2D;
      const ret = lambdaReturn(
        head(reward),
        head(value),
        head(pcont),
        tf.reshape(tf.slice(value, [H - 1, 0], [1, -1]), [-1]),
        c.lambda,
      );
      const w = discountWeights(head(pcont));
      return { ret: ret.dataSync(), w: w.dataSync() };
    });
    close(got.ret, c.returns.flat(), 1e-5, `returns (λ ${c.lambda})`);
    close(got.w, c.discount.flat(), 1e-5, `discount (λ ${c.lambda})`);
  }
});
