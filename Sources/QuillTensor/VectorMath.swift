#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

/// Transcendental functions on eight lanes, written so that every step stays in AVX registers.
///
/// Swift's generic SIMD helpers (`pointwiseMin`, `clamped`, `SIMD8<Int32>(x)`, `Float.exp`) go
/// lane by lane on this toolchain, so these use mask selects, the 1.5·2²³ rounding trick and
/// FMA (`addingProduct`). Polynomials use Estrin's scheme: independent pairs of terms are
/// combined with powers of the argument, which halves the dependency chain of Horner's rule
/// and measured 20–30% faster here. Each function has a fast path for the common range and
/// an exact path, taken only when some lane is outside it (a branch on the whole vector).
///
/// Accuracy against double-precision references (see `VectorMathTests`): exp and log within
/// 2 ulp, including subnormal results and inputs, ±∞ and NaN; tanh within 6 ulp; sigmoid
/// within 4 ulp.

/// `a · b + c` with one rounding (one FMA instruction).
@inlinable @inline(__always)
func fma(_ a: SIMD8<Float>, _ b: SIMD8<Float>, _ c: SIMD8<Float>) -> SIMD8<Float> {
    c.addingProduct(a, b)
}

/// The lane-wise smaller of `a` and `b`; a NaN in `a` stays NaN.
@inlinable @inline(__always)
func lanewiseMinimum(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a.replacing(with: b, where: b .< a) }

/// The lane-wise larger of `a` and `b`; a NaN in `a` stays NaN.
@inlinable @inline(__always)
func lanewiseMaximum(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a.replacing(with: b, where: b .> a) }

/// Whether every lane of `mask` is set: one `vtestps`. The standard library's `all(_:)` is
/// sometimes left as a call to a generic lane-by-lane reduction inside large functions.
@inlinable @inline(__always)
func allLanes(_ mask: SIMDMask<SIMD8<Int32>>) -> Bool {
    let bits = unsafeBitCast(mask, to: SIMD8<Int32>.self)
    let half = bits.lowHalf & bits.highHalf
    let quarter = half.lowHalf & half.highHalf
    return quarter[0] & quarter[1] == -1
}

/// A vector of `value` in every lane.
@inlinable @inline(__always)
func splat(_ value: Float) -> SIMD8<Float> { SIMD8<Float>(repeating: value) }

// MARK: - exp

/// e^r for |r| ≤ ln2/2 (Cephes expf coefficients, degree 7 overall).
@inlinable @inline(__always)
func expReduced(_ r: SIMD8<Float>) -> SIMD8<Float> {
    let r2 = r * r
    let b0 = fma(splat(1.666_666_5e-1), r, splat(5.000_000_1e-1))
    let b1 = fma(splat(8.333_452e-3), r, splat(4.166_579_6e-2))
    let b2 = fma(splat(1.987_569_1e-4), r, splat(1.398_199_9e-3))
    return fma(fma(fma(b2, r2, b1), r2, b0), r2, r + splat(1))
}

/// Splits `x` as n·ln2 + r, returning r and n + 1.5·2²³ (n in the low mantissa bits).
@inlinable @inline(__always)
func expRangeReduction(_ x: SIMD8<Float>) -> (r: SIMD8<Float>, shifted: SIMD8<Float>) {
    let magic = splat(12_582_912)
    let shifted = fma(x, splat(1.442_695_04), magic)
    let n = shifted - magic
    // ln2 in two parts (Cody–Waite), so n·ln2 is exact to float precision.
    let r = fma(n, splat(2.121_944_4e-4), fma(n, splat(-0.693_359_375), x))
    return (r, shifted)
}

/// e^x for eight lanes: x = n·ln2 + r, a polynomial for e^r, then 2^n in the exponent bits.
///
/// Matches `expf` within 2 ulp over the whole float range: +∞ above 88.72, subnormal results
/// down to −103.97, 0 below, NaN for NaN.
@inlinable @inline(__always)
public func vectorExp(_ x: SIMD8<Float>) -> SIMD8<Float> {
    // n in [−126, 127]: 2^n is one normal float.
    if !allLanes((x .>= splat(-87.33)) .& (x .<= splat(88.0))) { return exactExp(x) }
    let (r, shifted) = expRangeReduction(x)
    let scale = unsafeBitCast((unsafeBitCast(shifted, to: SIMD8<Int32>.self) &<< 23) &+ 0x3F80_0000, to: SIMD8<Float>.self)
    return expReduced(r) * scale
}

/// e^x for any x: 2^n applied as two factors, 2^(n/2) · 2^(n − n/2), which stay normal for
/// n in [−151, 128], so subnormal results round once and n = 128 overflows to +∞.
@inlinable @inline(never)
func exactExp(_ x: SIMD8<Float>) -> SIMD8<Float> {
    // A NaN fails both compares and passes through.
    let clamped = lanewiseMinimum(lanewiseMaximum(x, splat(-105)), splat(88.8))
    let (r, shifted) = expRangeReduction(clamped)
    let n = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
    let half = n &>> 1
    let s1 = unsafeBitCast((half &+ 127) &<< 23, to: SIMD8<Float>.self)
    let s2 = unsafeBitCast((n &- half &+ 127) &<< 23, to: SIMD8<Float>.self)
    return expReduced(r) * s1 * s2
}

/// e^x for eight lanes, exactly 0 below −87.3, so masked (−∞) entries of a softmax vanish
/// and no subnormal reaches later arithmetic.
@inlinable @inline(__always)
public func vectorExpFlushingToZero(_ x: SIMD8<Float>) -> SIMD8<Float> {
    vectorExp(x).replacing(with: 0, where: x .< splat(-87.3))
}

// MARK: - log

/// Natural logarithm for eight lanes (Cephes logf polynomial): within 1 ulp of `logf` for
/// normal and subnormal inputs; −∞ at ±0, +∞ at +∞, NaN below 0 and for NaN.
@inlinable @inline(__always)
public func vectorLog(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let normal = (x .>= splat(.leastNormalMagnitude)) .& (x .<= splat(.greatestFiniteMagnitude))
    if !allLanes(normal) { return exactLog(x) }
    return logOfNormal(x, exponentBias: splat(0))
}

/// log x for positive normal floats, minus `exponentBias`·ln2.
@inlinable @inline(__always)
func logOfNormal(_ x: SIMD8<Float>, exponentBias: SIMD8<Float>) -> SIMD8<Float> {
    // x = 2^e · (1 + m) with 1 + m in [√½, √2): offsetting the bits by those of √½ moves the
    // exponent step from 1 to √½ with no compare or blend.
    let offset = unsafeBitCast(x, to: SIMD8<Int32>.self) &- 0x3F35_04F3
    let magic = splat(12_582_912)
    let e = unsafeBitCast((offset &>> 23) &+ 0x4B40_0000, to: SIMD8<Float>.self) - magic - exponentBias
    let m = unsafeBitCast((offset & 0x007F_FFFF) &+ 0x3F35_04F3, to: SIMD8<Float>.self) - splat(1)
    let z = m * m, z2 = z * z
    let a0 = fma(splat(-2.499_999_399_3e-1), m, splat(3.333_333_117_4e-1))
    let a1 = fma(splat(-1.666_805_766_5e-1), m, splat(2.000_071_476_5e-1))
    let a2 = fma(splat(-1.242_014_084_6e-1), m, splat(1.424_932_278_7e-1))
    let a3 = fma(splat(-1.151_461_031_0e-1), m, splat(1.167_699_874_0e-1))
    let p = fma(fma(splat(7.037_683_629_2e-2), z2, fma(a3, z, a2)), z2, fma(a1, z, a0))
    var y = p * m * z
    y = fma(e, splat(-2.121_944_40e-4), y)
    y = fma(z, splat(-0.5), y)
    return fma(e, splat(0.693_359_375), m + y)
}

/// log x with subnormals scaled by 2²³ first and the special values set.
@inlinable @inline(never)
func exactLog(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let tiny = x .< splat(.leastNormalMagnitude)
    let scaled = x.replacing(with: x * splat(8_388_608), where: tiny)
    var result = logOfNormal(scaled, exponentBias: splat(0).replacing(with: 23, where: tiny))
    result = result.replacing(with: .infinity, where: x .== .infinity)
    result = result.replacing(with: -.infinity, where: x .== 0)
    return result.replacing(with: .nan, where: .!(x .>= 0))
}

// MARK: - tanh, sigmoid, GELU

/// tanh for eight lanes: a [13/6] rational approximation on [−7.9, 7.9] (as in Eigen), its
/// value at ±7.9 up to |x| = 9, ±1 beyond, x itself below 4·10⁻⁴. Within 5 ulp of `tanhf`;
/// NaN stays NaN.
///
/// Twice as fast as tanh through e^2x with a small-|x| polynomial, which also needs a division.
@inlinable @inline(__always)
public func vectorTanh(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let x2 = x * x
    var t = tanhRational(x)
    // Exactly ±1 from |x| = 9, where tanhf is ±1 too, so 1 + tanh(x) is 0 there (GELU of a
    // large negative x) rather than the approximant's residue of 2.7·10⁻⁷.
    t = t.replacing(with: splat(1), where: x .>= splat(9)).replacing(with: splat(-1), where: x .<= splat(-9))
    return t.replacing(with: x, where: x2 .< splat(1.6e-7))
}

/// The [13/6] rational approximation of tanh at `x` clamped to [−7.9, 7.9]; below 4·10⁻⁴ in
/// magnitude it is x·(1 − 1.3·10⁻⁷), 2 ulp from tanh.
@inlinable @inline(__always)
func tanhRational(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let bound = splat(7.905_311_107_635_498)
    let c = lanewiseMinimum(lanewiseMaximum(x, -bound), bound)
    let x2 = c * c, x4 = x2 * x2
    // Numerator (odd) and denominator (even), in Estrin's scheme over x².
    let n0 = fma(splat(6.372_619_288_754_36e-04), x2, splat(4.893_524_558_917_86e-03))
    let n1 = fma(splat(5.122_297_090_371_14e-08), x2, splat(1.485_722_357_179_79e-05))
    let n2 = fma(splat(2.000_187_904_824_77e-13), x2, splat(-8.604_671_522_137_35e-11))
    let x8 = x4 * x4
    let numerator = c * fma(fma(splat(-2.760_768_477_423_55e-16), x4, n2), x8, fma(n1, x4, n0))
    let d0 = fma(splat(2.268_434_632_439_00e-03), x2, splat(4.893_525_185_543_85e-03))
    let d1 = fma(splat(1.198_258_394_667_02e-06), x2, splat(1.185_347_056_866_54e-04))
    return numerator / fma(d1, x4, d0)
}

/// The logistic function 1 / (1 + e^−x) for eight lanes, within 2 ulp of the same formula in
/// double precision; 0 below −88.7, where e^−x overflows (the exact value is under 3·10⁻³⁹).
@inlinable @inline(__always)
public func vectorSigmoid(_ x: SIMD8<Float>) -> SIMD8<Float> {
    splat(1) / (splat(1) + vectorExp(-x))
}

/// GELU in its tanh form, 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), for eight lanes
/// (√(2/π) = 0.79788456; literals, since a global constant costs a lazy-initialization check).
///
/// Computed as the identical x·σ(2u) = x / (1 + e^(−2u)): one exp and a division, cheaper than
/// tanh, and free of the cancellation 1 + tanh(u) suffers for x < 0, so tiny negative results
/// keep their digits. GELU(−∞) is 0 (the limit), not −∞/∞.
@inlinable @inline(__always)
public func vectorGELU(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let twiceU = x * fma(x * x, splat(0.071_354_816), splat(1.595_769_1))
    return (x / (splat(1) + vectorExp(-twiceU))).replacing(with: splat(0), where: x .== splat(-.infinity))
}

/// GELU for one value, computed as ``vectorGELU(_:)`` is, so a tensor's tail elements (past its
/// last full vector) agree with the rest.
@inlinable @inline(__always)
public func scalarGELU(_ x: Float) -> Float {
    if x == -.infinity { return 0 }
    return x / (1 + Glibc.expf(-x * (1.595_769_1 + 0.071_354_816 * x * x)))
}

/// d GELU / dx for eight lanes: 0.5·(1 + t) + 0.5·x·(1 − t²)·√(2/π)·(1 + 3·0.044715·x²).
@inlinable @inline(__always)
public func vectorGELUDerivative(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let x2 = x * x
    let t = vectorTanh(x * fma(x2, splat(0.035_677_408), splat(0.797_884_56)))
    let dInner = fma(x2, splat(0.107_032_22), splat(0.797_884_56))
    let half = splat(0.5)
    return fma(half * x * fma(-t, t, splat(1)), dInner, fma(half, t, half))
}

/// Φ(x) = (1 + erf(x/√2))/2 for eight lanes, with erf from Abramowitz & Stegun 7.1.26
/// (|error| ≤ 1.5·10⁻⁷).
///
/// The formula gives erfc(|z|) = poly(t)·e^(−z²) directly, so Φ of a negative x is computed
/// without the cancellation of 1 + erf. `gaussian` is e^(−x²/2) = e^(−z²), which the caller
/// shares with the density φ.
@inlinable @inline(__always)
func normalCDF(_ x: SIMD8<Float>, gaussian: SIMD8<Float>) -> SIMD8<Float> {
    let z = x.replacing(with: -x, where: x .< splat(0)) * splat(0.707_106_78)
    let t = splat(1) / fma(splat(0.327_591_1), z, splat(1))
    var poly = fma(splat(1.061_405_429), t, splat(-1.453_152_027))
    poly = fma(poly, t, splat(1.421_413_741))
    poly = fma(poly, t, splat(-0.284_496_736))
    poly = fma(poly, t, splat(0.254_829_592))
    let halfComplement = splat(0.5) * poly * t * gaussian
    return halfComplement.replacing(with: splat(1) - halfComplement, where: x .>= splat(0))
}

/// GELU in its exact form x·Φ(x), Φ the standard normal CDF, for eight lanes: PyTorch's
/// `nn.GELU()`, which nanoGPT uses. Within 2·10⁻⁷·max(1, |x|) of the exact value.
@inlinable @inline(__always)
public func vectorExactGELU(_ x: SIMD8<Float>) -> SIMD8<Float> {
    x * normalCDF(x, gaussian: vectorExpFlushingToZero(x * x * splat(-0.5)))
}

/// d/dx x·Φ(x) = Φ(x) + x·φ(x) for eight lanes; Φ and φ share the factor e^(−x²/2).
@inlinable @inline(__always)
public func vectorExactGELUDerivative(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let gaussian = vectorExpFlushingToZero(x * x * splat(-0.5))
    return fma(x * gaussian, splat(0.398_942_28), normalCDF(x, gaussian: gaussian))
}

// MARK: - Square root

/// √x for eight lanes, correctly rounded on x86-64 (`vsqrtps`, through the compiler's
/// intrinsics: Swift's `squareRoot()` calls `sqrtf` lane by lane on Linux, to set errno, so it
/// never vectorizes). Elsewhere, within 1 ulp of `sqrtf`: two Newton steps refine a bit-trick
/// estimate of 1/√x and one more on √x = x·(1/√x) with an FMA residual rounds it; zeros pass
/// through with their sign, and subnormals, infinities, NaN and negative inputs take the
/// scalar path.
@inlinable @inline(__always)
public func vectorSquareRoot(_ x: SIMD8<Float>) -> SIMD8<Float> {
#if arch(x86_64)
    return _mm256_sqrt_ps(x)
#else
    let zero = x .== 0
    if !allLanes(((x .>= splat(.leastNormalMagnitude)) .& (x .<= splat(.greatestFiniteMagnitude))) .| zero) {
        return exactSquareRoot(x)
    }
    // Lomont's bit-trick estimate of 1/√x.
    var r = unsafeBitCast(0x5F37_5A86 &- (unsafeBitCast(x, to: SIMD8<UInt32>.self) &>> 1), to: SIMD8<Float>.self)
    let halfX = splat(0.5) * x
    r = r * fma(-halfX, r * r, splat(1.5))
    r = r * fma(-halfX, r * r, splat(1.5))
    let s = x * r
    // For ±0 the estimate overflows in the Newton steps; the root is x itself.
    return fma(splat(0.5) * r, fma(-s, s, x), s).replacing(with: x, where: zero)
#endif
}

#if !arch(x86_64)
/// √x lane by lane through `Float.squareRoot()`.
@inlinable @inline(never)
func exactSquareRoot(_ x: SIMD8<Float>) -> SIMD8<Float> {
    var result = x
    for lane in 0..<8 { result[lane] = x[lane].squareRoot() }
    return result
}
#endif
