/** Series colours on the dark theme: distinguishable, not neon (Tableau 10, slightly lifted). */
export const PALETTE = [
  '#6cb6ff',
  '#f0a35e',
  '#6fcf97',
  '#f07178',
  '#c39bd3',
  '#e6c86e',
  '#5fd3d0',
  '#d4a3a3',
  '#a3b4d4',
  '#b0d98a',
];

export function colorFor(i: number): string {
  return PALETTE[((i % PALETTE.length) + PALETTE.length) % PALETTE.length];
}

/** Sort metric keys so losses come first, then alphabetically (Dreamer-style `loss/...`, `kl`, ...). */
export function metricOrder(a: string, b: string): number {
  const la = /loss/i.test(a) ? 0 : 1;
  const lb = /loss/i.test(b) ? 0 : 1;
  return la - lb || a.localeCompare(b);
}
