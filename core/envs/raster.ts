/**
 * A small software rasterizer into an RGB Uint8Array (row-major, channels last), used by every built-in env.
 *
 * Conventions: pixel (i, j) covers [i, i+1) × [j, j+1) and is sampled at its centre (i + ½, j + ½), so shapes
 * given in float pixel coordinates fill exactly the pixels whose centres they cover (no double-filled seams
 * between adjacent polygons sharing an edge). Colours are packed 0xRRGGBB numbers.
 *
 * Speed matters (envs must run thousands of frames per second): every primitive walks spans with plain
 * loops over the byte array — no per-pixel closures or allocations. Optional 2×2 supersampling renders at
 * twice the size and box-filters down in `resolve()`.
 */
export class Raster {
  /** Output frame, width × height × 3. */
  readonly out: Uint8Array;
  /** The buffer primitives draw into: `out` itself, or the 2× buffer when supersampling. */
  readonly buf: Uint8Array;
  /** Drawing-space size (output size × supersample factor). */
  readonly w: number;
  readonly h: number;
  /** 1 or 2; primitives take coordinates in OUTPUT pixels and scale them by this. */
  readonly ss: number;
  // Scratch for polygon vertices in drawing space (avoid allocating per call).
  private px = new Float64Array(32);
  private py = new Float64Array(32);

  constructor(
    readonly width: number,
    readonly height: number,
    supersample = false,
  ) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
      throw new Error(`Raster size must be positive integers, got ${width}×${height}`);
    }
    this.ss = supersample ? 2 : 1;
    this.w = width * this.ss;
    this.h = height * this.ss;
    this.out = new Uint8Array(width * height * 3);
    this.buf = supersample ? new Uint8Array(this.w * this.h * 3) : this.out;
  }

  clear(color: number): void {
    const r = (color >> 16) & 255,
      g = (color >> 8) & 255,
      b = color & 255;
    const d = this.buf;
    if (r === g && g === b) {
      d.fill(r);
      return;
    }
    for (let i = 0; i < 3; i++) d[i] = i === 0 ? r : i === 1 ? g : b;
    // Doubling copies: log2(n) memmoves instead of n byte writes.
    let filled = 3;
    while (filled < d.length) {
      const n = Math.min(filled, d.length - filled);
      d.copyWithin(filled, 0, n);
      filled += n;
    }
  }

  /** Copies a prepared background (same size as `buf`) into the drawing buffer. */
  blit(background: Uint8Array): void {
    this.buf.set(background);
  }

  /** Fills pixels [xa, xb) of row y (drawing space, already clamped). */
  private span(y: number, xa: number, xb: number, r: number, g: number, b: number): void {
    const d = this.buf;
    let o = (y * this.w + xa) * 3;
    for (let x = xa; x < xb; x++) {
      d[o] = r;
      d[o + 1] = g;
      d[o + 2] = b;
      o += 3;
    }
  }

  /** Axis-aligned rectangle [x0, x1) × [y0, y1) in output pixel coordinates. */
  fillRect(x0: number, y0: number, x1: number, y1: number, color: number): void {
    const s = this.ss;
    const xa = Math.max(0, Math.ceil(x0 * s - 0.5)),
      xb = Math.min(this.w, Math.ceil(x1 * s - 0.5));
    const ya = Math.max(0, Math.ceil(y0 * s - 0.5)),
      yb = Math.min(this.h, Math.ceil(y1 * s - 0.5));
    if (xa >= xb) return;
    const r = (color >> 16) & 255,
      g = (color >> 8) & 255,
      b = color & 255;
    for (let y = ya; y < yb; y++) this.span(y, xa, xb, r, g, b);
  }

  /** Disc of radius `rad` centred at (cx, cy): pixels whose centres lie strictly inside. */
  fillCircle(cx: number, cy: number, rad: number, color: number): void {
    const s = this.ss;
    cx *= s;
    cy *= s;
    rad *= s;
    const r = (color >> 16) & 255,
      g = (color >> 8) & 255,
      b = color & 255;
    // Strictly inside: pixel i is in when |i + ½ − c| < r, i.e. floor(c − r − ½) < i < ceil(c + r − ½).
    const ya = Math.max(0, Math.floor(cy - rad - 0.5) + 1),
      yb = Math.min(this.h, Math.ceil(cy + rad - 0.5));
    const r2 = rad * rad;
    for (let y = ya; y < yb; y++) {
      const dy = y + 0.5 - cy;
      const q = r2 - dy * dy;
      if (q <= 0) continue;
      const hw = Math.sqrt(q);
      const xa = Math.max(0, Math.floor(cx - hw - 0.5) + 1),
        xb = Math.min(this.w, Math.ceil(cx + hw - 0.5));
      if (xa < xb) this.span(y, xa, xb, r, g, b);
    }
  }

  /**
   * Convex polygon (either winding) with n vertices given as flat coordinate arrays in output pixels.
   * Scanline fill: for each row, the span between the leftmost and rightmost edge crossing.
   */
  fillConvex(xs: ArrayLike<number>, ys: ArrayLike<number>, n: number, color: number): void {
    if (n < 3) return;
    if (n > this.px.length) {
      this.px = new Float64Array(n);
      this.py = new Float64Array(n);
    }
    const s = this.ss,
      px = this.px,
      py = this.py;
    let minY = Infinity,
      maxY = -Infinity,
      minX = Infinity,
      maxX = -Infinity;
    for (let i = 0; i < n; i++) {
      const x = xs[i] * s,
        y = ys[i] * s;
      px[i] = x;
      py[i] = y;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
    }
    if (maxX < 0 || minX > this.w || maxY < 0 || minY > this.h) return;
    const r = (color >> 16) & 255,
      g = (color >> 8) & 255,
      b = color & 255;
    const ya = Math.max(0, Math.ceil(minY - 0.5)),
      yb = Math.min(this.h, Math.ceil(maxY - 0.5));
    for (let y = ya; y < yb; y++) {
      const yc = y + 0.5;
      let lo = Infinity,
        hi = -Infinity;
      for (let i = 0, j = n - 1; i < n; j = i++) {
        const y0 = py[j],
          y1 = py[i];
        // Half-open crossing test so a vertex exactly on the scanline is counted once per side.
        if ((y0 <= yc && yc < y1) || (y1 <= yc && yc < y0)) {
          const x = px[j] + ((yc - y0) * (px[i] - px[j])) / (y1 - y0);
          if (x < lo) lo = x;
          if (x > hi) hi = x;
        }
      }
      if (lo > hi) continue;
      const xa = Math.max(0, Math.ceil(lo - 0.5)),
        xb = Math.min(this.w, Math.ceil(hi - 0.5));
      if (xa < xb) this.span(y, xa, xb, r, g, b);
    }
  }

  /** Segment of the given thickness (output pixels) as a filled quad, with flat (butt) ends. */
  line(x0: number, y0: number, x1: number, y1: number, thickness: number, color: number): void {
    let dx = x1 - x0,
      dy = y1 - y0;
    const len = Math.hypot(dx, dy);
    if (len === 0) return;
    const h = thickness / 2;
    dx = (dx / len) * h;
    dy = (dy / len) * h;
    const xs = this.lx,
      ys = this.ly;
    xs[0] = x0 - dy;
    ys[0] = y0 + dx;
    xs[1] = x1 - dy;
    ys[1] = y1 + dx;
    xs[2] = x1 + dy;
    ys[2] = y1 - dx;
    xs[3] = x0 + dy;
    ys[3] = y0 - dx;
    this.fillConvex(xs, ys, 4, color);
  }
  private lx = new Float64Array(4);
  private ly = new Float64Array(4);

  /** Segment with round caps (a capsule), e.g. a pole or a rail. */
  capsule(x0: number, y0: number, x1: number, y1: number, thickness: number, color: number): void {
    this.line(x0, y0, x1, y1, thickness, color);
    this.fillCircle(x0, y0, thickness / 2, color);
    this.fillCircle(x1, y1, thickness / 2, color);
  }

  /** Finishes a frame: box-filters the 2× buffer into `out` (no-op without supersampling). Returns `out`. */
  resolve(): Uint8Array {
    if (this.ss === 1) return this.out;
    const src = this.buf,
      dst = this.out,
      W = this.w,
      ow = this.width;
    for (let y = 0; y < this.height; y++) {
      let a = 2 * y * W * 3;
      let b = a + W * 3;
      let o = y * ow * 3;
      for (let x = 0; x < ow; x++) {
        dst[o] = (src[a] + src[a + 3] + src[b] + src[b + 3] + 2) >> 2;
        dst[o + 1] = (src[a + 1] + src[a + 4] + src[b + 1] + src[b + 4] + 2) >> 2;
        dst[o + 2] = (src[a + 2] + src[a + 5] + src[b + 2] + src[b + 5] + 2) >> 2;
        a += 6;
        b += 6;
        o += 3;
      }
    }
    return dst;
  }
}

/** Packs 0–255 channels into 0xRRGGBB. */
export function rgb(r: number, g: number, b: number): number {
  return ((r & 255) << 16) | ((g & 255) << 8) | (b & 255);
}
