import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SlotBinding, movedObjects } from '../../../core/models/object-graph/binding.ts';

test('slot binding: share of each moved object’s encoded change per slot, by hand', () => {
  // K = 2 slots × D = 2. Step 0: object 0 moved; slot 0 changes by (3, 0) → 9, slot 1 by (0, 1) → 1.
  // Step 1: nothing moved (skipped although the slots change). Step 2: object 1 moved; only slot 1 changes, by (0, 2) → 4.
  const states = [
    [1, 2, -1, 0],
    [4, 2, -1, 1],
    [5, 5, 6, 6],
    [5, 5, 6, 8],
  ].flat();
  const b = new SlotBinding(2, 2);
  b.add(states, [0, -1, 1]);
  assert.deepEqual(b.shares(), [
    [0.9, 0.1],
    [0, 1],
  ]);
  assert.ok(Math.abs(b.diagonal() - 0.95) < 1e-12);
  // Slots swapped (slot 0 tracks object 1 and vice versa): the diagonal drops to (0.1 + 0) / 2.
  const swapped = new SlotBinding(2, 2);
  swapped.add([-1, 0, 1, 2, -1, 1, 4, 2, 6, 6, 5, 5, 6, 8, 5, 5], [0, -1, 1]);
  assert.ok(Math.abs(swapped.diagonal() - 0.05) < 1e-12);
  assert.throws(() => b.add([0, 0, 0, 0], [0]), /expected 2 states of 2×2 for 1 steps, got 4 numbers/);
  assert.throws(() => b.add([0, 0, 0, 0, 1, 1, 1, 1], [2]), /moved object 2 at step 0, expected < 2/);
});

test('moved objects: the single object whose (row, col) changed, −1 for none or several', () => {
  // 2 objects, 4 rows: object 1 moves, nothing moves, both move.
  const state = [
    [0, 0, 1, 1],
    [0, 0, 1, 2],
    [0, 0, 1, 2],
    [1, 0, 2, 2],
  ].flat();
  assert.deepEqual(Array.from(movedObjects(state, 4, 2)), [1, -1, -1]);
  assert.throws(() => movedObjects(state, 3, 2), /expected 3 rows of 4 positions, got 16 numbers/);
});
