import type { Raster } from './raster.ts';

/**
 * A pinhole camera placed like a MuJoCo `<camera>` (position + orthonormal x/y/z axes, looking along −z,
 * vertical field of view `fovy`, MuJoCo's default 45°), used to draw the dm_control-style side views with
 * the same geometry as the anchor's fixed cameras — without MuJoCo's lighting, shadows or reflections.
 */
export class Camera {
  readonly f: number;
  constructor(
    readonly width: number,
    readonly height: number,
    readonly pos: [number, number, number],
    readonly xAxis: [number, number, number],
    readonly yAxis: [number, number, number],
    fovyDeg = 45,
  ) {
    this.f = height / 2 / Math.tan((fovyDeg * Math.PI) / 360);
    this.zAxis = cross(xAxis, yAxis);
  }
  readonly zAxis: [number, number, number];

  /** World point → [pixel x, pixel y, depth] (depth > 0 in front of the camera). Writes into `out`. */
  project(X: number, Y: number, Z: number, out: Float64Array): Float64Array {
    const px = X - this.pos[0],
      py = Y - this.pos[1],
      pz = Z - this.pos[2];
    const xa = this.xAxis,
      ya = this.yAxis,
      za = this.zAxis;
    const xc = px * xa[0] + py * xa[1] + pz * xa[2];
    const yc = px * ya[0] + py * ya[1] + pz * ya[2];
    const depth = -(px * za[0] + py * za[1] + pz * za[2]);
    out[0] = this.width / 2 + (this.f * xc) / depth;
    out[1] = this.height / 2 - (this.f * yc) / depth;
    out[2] = depth;
    return out;
  }
}

function cross(a: [number, number, number], b: [number, number, number]): [number, number, number] {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

/**
 * Precomputes the static background of a fixed camera at the raster's drawing resolution: a checkered
 * floor plane z = floorZ of half-size `half` (dm_control's "grid" material: 0.5 m checks, colours
 * .1 .2 .3 / .2 .3 .4, dimmed with distance) over a vertical sky gradient (skybox .4 .6 .8 → black).
 * Done once per env, then blitted every frame.
 */
export function floorBackground(raster: Raster, cam: Camera, floorZ: number, half: number): Uint8Array {
  const W = raster.w,
    H = raster.h,
    s = raster.ss;
  const bg = new Uint8Array(W * H * 3);
  const xa = cam.xAxis,
    ya = cam.yAxis,
    za = cam.zAxis;
  for (let j = 0; j < H; j++) {
    const v = (cam.height / 2 - (j + 0.5) / s) / cam.f;
    for (let i = 0; i < W; i++) {
      const u = ((i + 0.5) / s - cam.width / 2) / cam.f;
      // Ray direction in world coordinates.
      const dx = -za[0] + u * xa[0] + v * ya[0];
      const dy = -za[1] + u * xa[1] + v * ya[1];
      const dz = -za[2] + u * xa[2] + v * ya[2];
      let r: number, g: number, b: number;
      const t = dz < 0 ? (floorZ - cam.pos[2]) / dz : -1;
      const X = cam.pos[0] + t * dx,
        Y = cam.pos[1] + t * dy;
      if (t > 0 && Math.abs(X) <= half && Math.abs(Y) <= half) {
        const check = (Math.floor(X / 0.5) + Math.floor(Y / 0.5)) & 1;
        const shade = 1.25 / (1 + 0.08 * t);
        const base = check ? [0.2, 0.3, 0.4] : [0.1, 0.2, 0.3];
        r = base[0] * shade;
        g = base[1] * shade;
        b = base[2] * shade;
      } else {
        // Elevation of the ray: +1 straight up, 0 at the horizon.
        const el = dz / Math.hypot(dx, dy, dz);
        const k = Math.min(1, Math.max(0, 0.5 + 0.5 * el));
        r = 0.4 * k;
        g = 0.6 * k;
        b = 0.8 * k;
      }
      const o = (j * W + i) * 3;
      bg[o] = Math.min(255, Math.round(r * 255));
      bg[o + 1] = Math.min(255, Math.round(g * 255));
      bg[o + 2] = Math.min(255, Math.round(b * 255));
    }
  }
  return bg;
}
