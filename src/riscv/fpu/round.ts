/**
 * Fast final rounding from native round-to-nearest results.
 *
 * The arithmetic fast paths compute z = RN(x) with JS doubles and an exact
 * representation of the error (from error-free transformations: TwoSum,
 * Dekker's product, remainder checks). From z and the error these helpers
 * derive the result in every rounding mode and the NX/OF flags; anything
 * near the subnormal range or ambiguous goes to the exact BigInt path.
 */
import { acc, FLAG_NX, FLAG_OF, RM_RDN, RM_RMM, RM_RNE, RM_RTZ, RM_RUP } from './state.js';
import { dAway, dTowardZero, MAX_D, MAX_S, MIN_NORMAL_D, MIN_NORMAL_S, sAway, sTowardZero } from './scratch.js';
import { FMT_D, FMT_S, slowSum } from './exact.js';

/**
 * Double result for an exact value x = z + r1 + w, where z = RN(z + r1)
 * and, when w != 0, |w| is below the granularity of r1 (so r1 alone gives
 * the direction, and w only matters when z + r1 is exactly a midpoint).
 * z must be finite.
 */
export function finishD(z: number, r1: number, w: number, rm: number): number {
  if (r1 === 0 && w === 0) return z;
  const az = Math.abs(z);
  if (!(az > MIN_NORMAL_D && az <= MAX_D)) return slowSum([z, r1, w], FMT_D, rm);
  let tie = false;
  if (r1 !== 0) {
    if (w !== 0 || rm === RM_RMM) {
      const t2 = r1 * 2;
      if (z + t2 - z === t2) {
        // z + r1 is exactly halfway between z and its neighbour z + 2*r1.
        if (w === 0) tie = true;
        else if (w > 0 === r1 > 0) {
          z += t2; // x lies beyond the midpoint: the neighbour is nearer
          r1 = -r1;
        }
      }
    }
    return adjustD(z, r1 > 0, tie, rm);
  }
  return adjustD(z, w > 0, false, rm);
}

/**
 * Applies a directed rounding mode to z = RN(x), x != z, where up tells
 * whether x > z and tie whether x is exactly halfway (RN chose the even
 * neighbour). Raises NX, and OF when stepping out to infinity.
 * |z| must be above the smallest normal and finite.
 */
export function adjustD(z: number, up: boolean, tie: boolean, rm: number): number {
  acc.flags |= FLAG_NX;
  let r: number;
  switch (rm) {
    case RM_RNE: return z;
    case RM_RTZ: return up === z > 0 ? z : dTowardZero(z);
    case RM_RDN: if (up) return z; r = z > 0 ? dTowardZero(z) : dAway(z); break;
    case RM_RUP: if (!up) return z; r = z > 0 ? dAway(z) : dTowardZero(z); break;
    default: if (!tie || up !== z > 0) return z; r = dAway(z);
  }
  if (r === Infinity || r === -Infinity) acc.flags |= FLAG_OF;
  return r;
}

/**
 * Single result for an exact value x = s + w where s is a double and
 * |w| <= ulp(s)/2 (w is the rounding error of s, e.g. from TwoSum).
 */
export function finishS(s: number, w: number, rm: number): number {
  const z = Math.fround(s);
  const r1 = s - z;
  if (r1 === 0 && w === 0) return z;
  const az = Math.abs(z);
  if (!(az > MIN_NORMAL_S && az <= MAX_S)) return slowSum([s, w], FMT_S, rm);
  if (r1 === 0) return adjustS(z, w > 0, false, rm);
  let r = r1;
  let zz = z;
  let tie = false;
  if (w !== 0 || rm === RM_RMM) {
    const t2 = r * 2;
    if (Math.fround(zz + t2) - zz === t2) {
      if (w === 0) tie = true;
      else if (w > 0 === r > 0) {
        zz += t2;
        r = -r;
      }
    }
  }
  return adjustS(zz, r > 0, tie, rm);
}

/** adjustD for singles (z a float value). */
export function adjustS(z: number, up: boolean, tie: boolean, rm: number): number {
  acc.flags |= FLAG_NX;
  let r: number;
  switch (rm) {
    case RM_RNE: return z;
    case RM_RTZ: return up === z > 0 ? z : sTowardZero(z);
    case RM_RDN: if (up) return z; r = z > 0 ? sTowardZero(z) : sAway(z); break;
    case RM_RUP: if (!up) return z; r = z > 0 ? sAway(z) : sTowardZero(z); break;
    default: if (!tie || up !== z > 0) return z; r = sAway(z);
  }
  if (r === Infinity || r === -Infinity) acc.flags |= FLAG_OF;
  return r;
}
