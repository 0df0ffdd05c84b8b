import { test } from 'node:test';
import assert from 'node:assert/strict';
import { continuousAction, discreteIndex, isSteeringKey, describeAction } from '../../../renderer/src/lib/keys.ts';

const car = { kind: 'box' as const, shape: [3], low: [-1, 0, 0], high: [1, 1, 1] };
const pole = { kind: 'box' as const, shape: [1], low: [-1], high: [1] };
const planar = { kind: 'box' as const, shape: [2], low: [-2, -2], high: [2, 2] };

test('car racing: arrows and WASD steer, accelerate and brake', () => {
  assert.deepEqual(continuousAction(new Set(), car), [0, 0, 0]);
  assert.deepEqual(continuousAction(new Set(['ArrowLeft', 'ArrowUp']), car), [-1, 1, 0]);
  assert.deepEqual(continuousAction(new Set(['KeyD', 'KeyS']), car), [1, 0, 0.8]);
  // left and right together cancel
  assert.deepEqual(continuousAction(new Set(['ArrowLeft', 'KeyD']), car), [0, 0, 0]);
});

test('1-D control pushes left/right to the box bounds', () => {
  assert.deepEqual(continuousAction(new Set(['ArrowRight']), pole), [1]);
  assert.deepEqual(continuousAction(new Set(['KeyA']), pole), [-1]);
  assert.deepEqual(continuousAction(new Set(['ArrowUp']), pole), [0]);
});

test('2-D control maps left/right and up/down to the two dimensions, scaled to the box', () => {
  assert.deepEqual(continuousAction(new Set(['ArrowRight', 'ArrowDown']), planar), [2, -2]);
  assert.deepEqual(continuousAction(new Set(['KeyW']), planar), [0, 2]);
});

test('actions stay inside asymmetric boxes', () => {
  const odd = { kind: 'box' as const, shape: [1], low: [0], high: [0.5] };
  assert.deepEqual(continuousAction(new Set(['ArrowLeft']), odd), [0]);
  assert.deepEqual(continuousAction(new Set(['ArrowRight']), odd), [0.5]);
});

test('number keys pick discrete actions: 1 → 0 … 0 → 9, Shift adds 10, out of range → null', () => {
  assert.equal(discreteIndex('Digit1', false, 4), 0);
  assert.equal(discreteIndex('Numpad4', false, 4), 3);
  assert.equal(discreteIndex('Digit5', false, 4), null);
  assert.equal(discreteIndex('Digit0', false, 20), 9);
  assert.equal(discreteIndex('Digit3', true, 20), 12);
  assert.equal(discreteIndex('KeyA', false, 20), null);
});

test('steering keys are recognised (so the page does not scroll on arrows)', () => {
  for (const k of ['ArrowUp', 'KeyW', 'KeyA', 'KeyS', 'KeyD', 'Digit7', 'Numpad0'])
    assert.equal(isSteeringKey(k), true, k);
  for (const k of ['KeyQ', 'Space', 'Enter', 'KeyR']) assert.equal(isSteeringKey(k), false, k);
});

test('describeAction names dimensions and 1-based discrete actions', () => {
  assert.equal(describeAction(2), 'action 3');
  assert.equal(describeAction([-1, 0.5], ['steer', 'gas']), 'steer −1.00  gas  0.50');
});
