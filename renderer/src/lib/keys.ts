/**
 * Keyboard → action for playing inside a dream. Continuous (box) spaces are steered with the arrows or WASD
 * while keys are held; discrete spaces pick an action with the number keys (1–9, 0 = tenth; Shift adds 10).
 * Pure: the player keeps the set of held keys and asks for the action each frame.
 */
export type ActionSpace =
  { kind: 'box'; shape: number[]; low: number[]; high: number[] } | { kind: 'discrete'; n: number };

/** Normalised key names (KeyboardEvent.code), so layouts and Shift do not change the mapping. */
const LEFT = ['ArrowLeft', 'KeyA'];
const RIGHT = ['ArrowRight', 'KeyD'];
const UP = ['ArrowUp', 'KeyW'];
const DOWN = ['ArrowDown', 'KeyS'];

/** Keys the player handles, so it can preventDefault them (arrows would scroll the page). */
export function isSteeringKey(code: string): boolean {
  return (
    LEFT.includes(code) || RIGHT.includes(code) || UP.includes(code) || DOWN.includes(code) || digitOf(code) !== null
  );
}

function digitOf(code: string): number | null {
  const m = /^(?:Digit|Numpad)([0-9])$/.exec(code);
  return m ? Number(m[1]) : null;
}

/** Index of the discrete action a number key selects: '1' → 0 … '9' → 8, '0' → 9; Shift adds 10. */
export function discreteIndex(code: string, shift: boolean, n: number): number | null {
  const d = digitOf(code);
  if (d === null) return null;
  const i = (d === 0 ? 9 : d - 1) + (shift ? 10 : 0);
  return i < n ? i : null;
}

function any(held: ReadonlySet<string>, keys: string[]): boolean {
  return keys.some((k) => held.has(k));
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/**
 * The continuous action for the held keys, clamped to the box. Dimensions by convention of the built-in envs:
 * 1-D (cartpole, pendulum): left/right push → −high/+high.
 * 3-D (car-racing: steer, gas, brake — Gymnasium CarRacing's layout): left/right steer, up gas, down brake.
 * Other sizes: dim 0 = left/right, dim 1 = up/down, the rest 0.
 */
export function continuousAction(held: ReadonlySet<string>, space: Extract<ActionSpace, { kind: 'box' }>): number[] {
  const dims = space.shape.reduce((a, b) => a * b, 1);
  const a = new Array<number>(dims).fill(0);
  const x = (any(held, RIGHT) ? 1 : 0) - (any(held, LEFT) ? 1 : 0);
  const y = (any(held, UP) ? 1 : 0) - (any(held, DOWN) ? 1 : 0);
  const toRange = (v: number, i: number) => (v >= 0 ? v * space.high[i] : -v * space.low[i]);
  if (dims === 3) {
    a[0] = toRange(x, 0);
    a[1] = any(held, UP) ? space.high[1] : Math.max(0, space.low[1]);
    // Full brake locks the wheels in CarRacing; 0.8 is what its keyboard demo uses.
    a[2] = any(held, DOWN) ? 0.8 * space.high[2] : Math.max(0, space.low[2]);
  } else {
    if (dims >= 1) a[0] = toRange(x, 0);
    if (dims >= 2) a[1] = toRange(y, 1);
  }
  return a.map((v, i) => clamp(v, space.low[i], space.high[i]));
}

/** Short human label of an action, for the HUD ("steer −1.00 gas 1.00 brake 0.00" or "action 3"). */
export function describeAction(action: number[] | number, names?: string[]): string {
  if (typeof action === 'number') return `action ${action + 1}`;
  return action.map((v, i) => `${names?.[i] ?? `a${i}`} ${v >= 0 ? ' ' : '−'}${Math.abs(v).toFixed(2)}`).join('  ');
}
