/** Pearson's correlation of two equally long samples (NaN when either is constant). */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length || x.length < 2)
    throw new Error(`pearson needs two samples of equal length ≥ 2, got ${x.length} and ${y.length}`);
  let mx = 0,
    my = 0;
  for (let i = 0; i < x.length; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= x.length;
  my /= y.length;
  let c = 0,
    vx = 0,
    vy = 0;
  for (let i = 0; i < x.length; i++) {
    c += (x[i] - mx) * (y[i] - my);
    vx += (x[i] - mx) ** 2;
    vy += (y[i] - my) ** 2;
  }
  return c / Math.sqrt(vx * vy);
}
