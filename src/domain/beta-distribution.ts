/**
 * The Beta distribution's CDF (the regularised incomplete beta function), for topic selection's
 * Thompson sampling (./topic-selection.ts). Pure arithmetic; Numerical Recipes' continued fraction
 * (Lentz's method) with the Lanczos log-gamma, accurate to ~1e-10 for the shapes learning uses.
 */

const LANCZOS = [
  676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.6150291621406, 12.507343278686905, -0.13857109526572012, 9.984369578019572e-6,
  1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0. */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = 0.9999999999998099;
  for (const [i, c] of LANCZOS.entries()) sum += c / (z + i + 1);
  const t = z + LANCZOS.length - 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** P(X ≤ x) for X ~ Beta(a, b), a > 0, b > 0. */
export function betaCdf(x: number, a: number, b: number): number {
  return betaCdfOf(a, b)(x);
}

/**
 * The CDF of Beta(a, b) as a function of x, with ln(1 / B(a, b)) computed once: topic selection
 * evaluates each posterior at hundreds of points per draw, and the three log-gammas were about a
 * third of the cost of each evaluation.
 */
export function betaCdfOf(a: number, b: number): (x: number) => number {
  const logInverseBeta = logGamma(a + b) - logGamma(a) - logGamma(b);
  const switchAt = (a + 1) / (a + b + 2);
  return (x) => {
    if (!(x > 0)) return 0;
    if (x >= 1) return 1;
    const logFront = logInverseBeta + a * Math.log(x) + b * Math.log1p(-x);
    // The continued fraction converges fast only on this side of the mean; use the symmetry otherwise.
    if (x < switchAt) return (Math.exp(logFront) * continuedFraction(x, a, b)) / a;
    return 1 - (Math.exp(logFront) * continuedFraction(1 - x, b, a)) / b;
  };
}

const TINY = 1e-300;

function continuedFraction(x: number, a: number, b: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-12) break;
  }
  return h;
}
