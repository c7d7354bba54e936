import Testing
import QuillTensor
#if canImport(Glibc)
import Glibc
#endif

/// The SIMD8 transcendental kernels against double-precision references over wide ranges,
/// special values (±∞, NaN, ±0) and the subnormal boundaries, in units in the last place.
@Suite struct VectorMathTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let vector: @Sendable (SIMD8<Float>) -> SIMD8<Float>
        let reference: @Sendable (Double) -> Double
        let inputs: [Float]
        /// The largest error allowed, in ulps of the correctly rounded result.
        let ulps: Double
        /// Errors up to this absolute size also pass (results the kernel flushes toward 0).
        var absolute: Double = 0
        var testDescription: String { name }
    }

    static let specials: [Float] = [
        0, -0.0, .infinity, -.infinity, .nan, 1, -1, .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
        .leastNormalMagnitude, .leastNormalMagnitude.nextDown, -.leastNormalMagnitude,
        .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 1e-30, -1e-30, 1e-40, 3e-4, 4e-4, 0.625,
    ]

    static func linear(_ low: Float, _ high: Float, _ count: Int = 20_000) -> [Float] {
        (0...count).map { low + (high - low) * Float($0) / Float(count) }
    }

    static func logarithmic(_ low: Float, _ high: Float, _ count: Int = 20_000) -> [Float] {
        let a = Glibc.log(Double(low)), b = Glibc.log(Double(high))
        return (0...count).map { Float(Glibc.exp(a + (b - a) * Double($0) / Double(count))) }
    }

    // GELU's derivative has 1 − tanh², which float tanh leaves with an absolute error near
    // 10⁻⁷ (5·10⁻⁷ for this approximant, whose value at |x| = 7.9 stands in up to 9): a few
    // 10⁻⁶ once multiplied by x·√(2/π)·(1 + 0.134·x²).
    /// GELU's tanh form in double precision, written as x·σ(2u), which it equals.
    static func geluReference(_ x: Double) -> Double {
        if x == -.infinity { return 0 }
        return x / (1 + Glibc.exp(-2 * 0.7978845608028654 * (x + 0.044715 * x * x * x)))
    }

    /// x·Φ(x) in double precision.
    static func exactGELUReference(_ x: Double) -> Double { 0.5 * x * Glibc.erfc(-x / 2.0.squareRoot()) }

    static let cases: [Case] = [
        Case(name: "exp", vector: vectorExp, reference: { Glibc.exp($0) },
             inputs: linear(-110, 90) + specials + [88.72, 88.7228, 88.73, 88.0, 88.01, -87.33, -87.34, -103.9, -104, -150],
             ulps: 2),
        Case(name: "log", vector: vectorLog, reference: { $0 < 0 ? .nan : Glibc.log($0) },
             inputs: logarithmic(.leastNonzeroMagnitude, 3e38) + linear(0.5, 2) + linear(-3, 0, 100) + specials, ulps: 2),
        Case(name: "square root", vector: vectorSquareRoot, reference: { $0 < 0 ? .nan : $0.squareRoot() },
             inputs: logarithmic(.leastNonzeroMagnitude, 3e38) + linear(0, 100) + specials, ulps: 1),
        Case(name: "tanh", vector: vectorTanh, reference: { Glibc.tanh($0) },
             inputs: linear(-20, 20) + linear(-1, 1) + logarithmic(1e-12, 1, 2000) + specials, ulps: 6),
        Case(name: "sigmoid", vector: vectorSigmoid, reference: { 1 / (1 + Glibc.exp(-$0)) },
             inputs: linear(-100, 100) + specials, ulps: 3, absolute: 3e-39),
        // Computed as x·σ(2u), GELU does not cancel for x < 0, but its tail is ill-conditioned:
        // rounding 2u = 2√(2/π)(x + 0.044715x³) to float moves e^(−2u) by about |2u| ulps, so the
        // tolerance follows |2u| (about 7 at x = −3, 87 at x = −10) instead of an absolute 1e-6,
        // which would accept any value below 1e-6.
        Case(name: "GELU", vector: vectorGELU, reference: geluReference,
             inputs: linear(-3, 10) + linear(-1, 1, 2000) + [0, -0.0, 1e-30, 1e-6, -1e-6, 40, .infinity],
             ulps: 16, absolute: 1e-44),
        Case(name: "GELU tail", vector: vectorGELU, reference: geluReference,
             inputs: linear(-10, -3) + [-10.4, -40, -.infinity], ulps: 200,
             absolute: 1.2e-38),  // below float's normal range (x < −10.1) e^(−2u) overflows and GELU flushes to −0
        // Abramowitz & Stegun's erf is good to 1.5e-7 absolute, so x·Φ(x) is good to about
        // 1e-7·|x|: checked absolutely, more tightly near 0.
        Case(name: "exact GELU", vector: vectorExactGELU, reference: exactGELUReference,
             inputs: linear(-2, 2) + [0, -0.0, 1e-30, -1e-30], ulps: 4, absolute: 2e-7),
        Case(name: "exact GELU, wide", vector: vectorExactGELU, reference: exactGELUReference,
             inputs: linear(-12, 12) + [40, -40], ulps: 4, absolute: 1.5e-6),
        Case(name: "exact GELU derivative", vector: vectorExactGELUDerivative, reference: { x in
                 0.5 * Glibc.erfc(-x / 2.0.squareRoot()) + x * Glibc.exp(-0.5 * x * x) / (2 * Double.pi).squareRoot()
             }, inputs: linear(-12, 12) + [0, -0.0, 1e-30], ulps: 4, absolute: 3e-7),
        Case(name: "GELU derivative", vector: vectorGELUDerivative, reference: { x in
                 let t = Glibc.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x))
                 return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * 0.7978845608028654 * (1 + 3 * 0.044715 * x * x)
             }, inputs: linear(-10, 10) + [0, -0.0, 1e-30], ulps: 8, absolute: 5e-6),
    ]

    /// A tensor's tail elements (past its last full vector) take the scalar path; it must
    /// agree with the vector path, down to the tiny negative values the tanh form lost.
    @Test func scalarGELUAgreesWithTheVectorPath() {
        for x: Float in [-40, -10, -9, -6, -4.5, -1, -0.25, 0, 0.5, 3, 12, .infinity, -.infinity] {
            let vector = vectorGELU(SIMD8<Float>(repeating: x))[0], scalar = scalarGELU(x)
            #expect(scalar == vector || ulpError(scalar, Double(vector), absolute: 0) <= 2,
                    "GELU(\(x)): scalar \(scalar), vector \(vector)")
        }
    }

    @Test(arguments: cases)
    func matchesDoublePrecisionReference(_ c: Case) {
        var inputs = c.inputs
        while inputs.count % 8 != 0 { inputs.append(0.5) }
        var worst = 0.0, worstInput: Float = 0
        var mismatches: [String] = []
        for start in stride(from: 0, to: inputs.count, by: 8) {
            let x = SIMD8<Float>(inputs[start..<start + 8])
            let y = c.vector(x)
            for lane in 0..<8 {
                let expected = c.reference(Double(x[lane]))
                let error = ulpError(y[lane], expected, absolute: c.absolute)
                if error > worst { worst = error; worstInput = x[lane] }
                if error > c.ulps && mismatches.count < 5 {
                    mismatches.append("\(c.name)(\(x[lane])) = \(y[lane]), expected \(Float(expected))")
                }
            }
        }
        #expect(worst <= c.ulps, "worst error \(worst) ulp at x = \(worstInput): \(mismatches)")
    }

    /// Lanes on either side of the fast-path range in one vector take the exact path together.
    @Test func mixedLanesTakeTheExactPath() {
        let x = SIMD8<Float>(1, 100, -200, .nan, 0, -100, 88.5, -88)
        let e = vectorExp(x)
        #expect(e[0] == Float(Glibc.exp(1.0)).nextDown || e[0] == Float(Glibc.exp(1.0)) || e[0] == Float(Glibc.exp(1.0)).nextUp)
        #expect(e[1] == .infinity && e[2] == 0 && e[3].isNaN && e[4] == 1)
        #expect(e[5] > 0 && e[5] < 1e-43, "e^-100 is the subnormal 3.7e-44, got \(e[5])")
        #expect(ulpError(e[6], Glibc.exp(88.5)) <= 2 && ulpError(e[7], Glibc.exp(-88.0)) <= 2)
        let l = vectorLog(SIMD8<Float>(1, -1, 0, .infinity, 1e-42, 2, .nan, 10))
        #expect(l[0] == 0 && l[1].isNaN && l[2] == -.infinity && l[3] == .infinity && l[6].isNaN)
        #expect(ulpError(l[4], Glibc.log(Double(Float(1e-42)))) <= 2)
    }

    struct PowerCase: CustomTestStringConvertible, Sendable {
        let exponent: Float
        let inputs: [Float]
        let relativeTolerance: Float
        var testDescription: String { "pow(\(exponent))" }
    }

    static let powerCases: [PowerCase] = [
        PowerCase(exponent: 3, inputs: linear(-10, 10, 999), relativeTolerance: 4e-7),
        PowerCase(exponent: -2, inputs: linear(0.01, 10, 999) + linear(-10, -0.01, 999), relativeTolerance: 4e-7),
        PowerCase(exponent: 0, inputs: [0, -1, 2, .infinity], relativeTolerance: 0),
        PowerCase(exponent: 1.5, inputs: linear(0, 100, 999), relativeTolerance: 4e-7),
        PowerCase(exponent: -0.5, inputs: linear(0.001, 100, 999), relativeTolerance: 4e-7),
        // e^(p·log x): the error of p·log x, about |p·log x|·2⁻²⁴, carries into the result.
        PowerCase(exponent: 0.7, inputs: logarithmic(1e-3, 1e3, 999), relativeTolerance: 1e-6),
        PowerCase(exponent: -2.3, inputs: logarithmic(1e-2, 1e2, 999), relativeTolerance: 2e-6),
    ]

    /// The tensor op (vector body and scalar tail) against Double `pow`.
    @Test(arguments: powerCases)
    func powerMatchesDoublePrecision(_ c: PowerCase) {
        let got = Tensor(c.inputs).pow(c.exponent).toArray()
        for (x, y) in zip(c.inputs, got) {
            let expected = Float(Glibc.pow(Double(x), Double(c.exponent)))
            #expect(isCloseRelative(y, expected, c.relativeTolerance), "pow(\(x), \(c.exponent)) = \(y), expected \(expected)")
        }
    }

    @Test func powerSpecialValues() {
        let x: [Float] = [0, -0.0, .infinity, -1, .nan, 1, 4, 0.25]
        #expect(Tensor(x).pow(0.5).toArray().map { $0.isNaN ? -99 : $0 } == [0, -0.0, .infinity, -99, -99, 1, 2, 0.5])
        let general = Tensor(x).pow(0.7).toArray()
        #expect(general[0] == 0 && general[2] == .infinity && general[3].isNaN && general[4].isNaN && general[5] == 1)
        #expect(Tensor(x).pow(-1).toArray()[0] == .infinity && Tensor(x).pow(-1).toArray()[1] == -.infinity)
    }
}

/// The error of `value` against `expected` in ulps of `expected` rounded to Float; NaN must
/// match NaN and infinities must match exactly, and errors up to `absolute` count as 0.
func ulpError(_ value: Float, _ expected: Double, absolute: Double = 0) -> Double {
    if expected.isNaN { return value.isNaN ? 0 : .infinity }
    let rounded = Float(expected)
    if rounded.isInfinite || value.isInfinite || value.isNaN { return value == rounded ? 0 : .infinity }
    let difference = abs(Double(value) - expected)
    if difference <= absolute { return 0 }
    let ulp = Double(max(rounded.magnitude.ulp, Float.leastNonzeroMagnitude))
    return difference / ulp
}

/// Whether `a` and `b` agree to `tolerance` relative to `b`, with exact matches for 0, ±∞ and NaN.
func isCloseRelative(_ a: Float, _ b: Float, _ tolerance: Float) -> Bool {
    if b.isNaN { return a.isNaN }
    if b.isInfinite || b == 0 { return a == b }
    return abs(a - b) <= tolerance * abs(b)
}
