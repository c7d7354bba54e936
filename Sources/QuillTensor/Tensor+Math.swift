#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Elementwise functions, each with its gradient rule below its forward.
extension Tensor {
    /// e^x.
    public func exp() -> Tensor {
        let out = unary(self, vectorExp, { Glibc.expf($0) })
        if Tape.needsRecord(self) {
            Tape.record(out) { g in self.accumulateGradient(adopting: zipDense(g, out, { $0 * $1 }, { $0 * $1 })) }
        }
        return out
    }

    /// Natural logarithm.
    public func log() -> Tensor {
        let out = unary(self, vectorLog, { Glibc.logf($0) })
        if Tape.needsRecord(self) {
            Tape.record(out) { g in self.accumulateGradient(g / self) }
        }
        return out
    }

    /// Square root.
    public func sqrt() -> Tensor {
        let out = unary(self, vectorSquareRoot, { $0.squareRoot() })
        if Tape.needsRecord(self) {
            Tape.record(out) { g in self.accumulateGradient(adopting: zipDense(g, out, { $0 * 0.5 / $1 }, { $0 * 0.5 / $1 })) }
        }
        return out
    }

    /// x raised to a constant power.
    ///
    /// Integer exponents multiply (exact signs for negative x, within a few ulp of `powf`),
    /// half-integers multiply by √x; others compute e^(p·log x), whose relative error grows as
    /// |p·log x|·2⁻²⁴ and which runs at about a fifth of memcpy speed.
    public func pow(_ exponent: Float) -> Tensor {
        let out: Tensor
        if exponent == 2 {
            out = unary(self, { $0 * $0 }, { $0 * $0 })
        } else if let k = integerExponent(exponent) {
            out = unary(self, { vectorPower($0, k) }, { Glibc.powf($0, exponent) })
        } else if let k = integerExponent(exponent - 0.5) {
            // x^(k + ½) = x^k · √x: a multiply chain and a square root instead of log and exp.
            let input = contiguousNoGrad()
            out = input.uninitializedLike()
            mapHalfIntegerPower(input.data, out.data, count, k, exponent)
        } else {
            let input = contiguousNoGrad()
            out = input.uninitializedLike()
            mapPower(input.data, out.data, count, exponent, scale: 1)
        }
        if Tape.needsRecord(self) {
            Tape.record(out) { g in
                let d = exponent - 1, scale = Vector(repeating: exponent)
                let dx: Tensor
                if let k = integerExponent(d) {
                    dx = zipDense(g, self, { g, x in g * scale * vectorPower(x, k) }, { g, x in g * exponent * Glibc.powf(x, d) })
                } else if let k = integerExponent(d - 0.5) {
                    dx = zipDense(g, self, { g, x in g * scale * vectorPower(x, k) * vectorSquareRoot(x) },
                                  { g, x in g * exponent * Glibc.powf(x, d) })
                } else {
                    let input = self.contiguousNoGrad()
                    dx = input.uninitializedLike()
                    mapPower(input.data, dx.data, self.count, d, scale: exponent)
                    mapBinary(dx.data, g.data, dx.data, dx.count, { $0 * $1 }, { $0 * $1 })
                }
                self.accumulateGradient(adopting: dx)
            }
        }
        return out
    }

    /// Hyperbolic tangent.
    public func tanh() -> Tensor {
        let out = unary(self, vectorTanh, { Glibc.tanhf($0) })
        if Tape.needsRecord(self) {
            Tape.record(out) { g in
                self.accumulateGradient(adopting: zipDense(g, out, { g, y in g * fma(-y, y, Vector(repeating: 1)) }, { g, y in g * (1 - y * y) }))
            }
        }
        return out
    }

    /// The logistic function 1 / (1 + e^-x).
    public func sigmoid() -> Tensor {
        let out = unary(self, vectorSigmoid, { 1 / (1 + Glibc.expf(-$0)) })
        if Tape.needsRecord(self) {
            Tape.record(out) { g in
                self.accumulateGradient(adopting: zipDense(g, out, { g, y in g * y * (1 - y) }, { g, y in g * y * (1 - y) }))
            }
        }
        return out
    }

    /// max(x, 0).
    public func relu() -> Tensor {
        let zero = Vector(repeating: 0)
        let out = unary(self, { $0.replacing(with: zero, where: $0 .< zero) }, { Swift.max($0, 0) })
        if Tape.needsRecord(self) {
            Tape.record(out) { g in
                self.accumulateGradient(adopting: zipDense(g, self, { g, x in g.replacing(with: zero, where: x .<= zero) },
                                                          { g, x in x > 0 ? g : 0 }))
            }
        }
        return out
    }

    /// GELU in its tanh form, as GPT-2: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
    public func gelu() -> Tensor {
        let out = unary(self, vectorGELU, scalarGELU)
        if Tape.needsRecord(self) {
            Tape.record(out) { g in
                self.accumulateGradient(adopting: zipDense(g, self, { g, x in g * vectorGELUDerivative(x) }, { g, x in
                    let t = Glibc.tanhf(0.797_884_56 * (x + 0.044715 * x * x * x))
                    return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * 0.797_884_56 * (1 + 3 * 0.044715 * x * x))
                }))
            }
        }
        return out
    }

    /// GELU in its exact form x·Φ(x), Φ the standard normal CDF: PyTorch's `nn.GELU()`, which
    /// nanoGPT uses (GPT-2's tanh form, ``gelu()``, differs by up to 5·10⁻⁴). Tail elements go
    /// through the vector kernel too, so every element is computed alike.
    public func exactGELU() -> Tensor {
        let out = unary(self, vectorExactGELU, { vectorExactGELU(Vector(repeating: $0))[0] })
        if Tape.needsRecord(self) {
            Tape.record(out) { g in
                self.accumulateGradient(adopting: zipDense(g, self, { g, x in g * vectorExactGELUDerivative(x) },
                                                          { g, x in g * vectorExactGELUDerivative(Vector(repeating: x))[0] }))
            }
        }
        return out
    }

    /// x limited to [low, high]; the gradient passes only where x is inside. NaN stays NaN.
    public func clamped(to low: Float, _ high: Float) -> Tensor {
        let lo = Vector(repeating: low), hi = Vector(repeating: high)
        let out = unary(self, { lanewiseMinimum(lanewiseMaximum($0, lo), hi) }, { $0 < low ? low : ($0 > high ? high : $0) })
        if Tape.needsRecord(self) {
            Tape.record(out) { g in
                self.accumulateGradient(adopting: zipDense(g, self, { g, x in
                    Vector(repeating: 0).replacing(with: g, where: (x .>= lo) .& (x .<= hi))
                }, { g, x in x >= low && x <= high ? g : 0 }))
            }
        }
        return out
    }

    /// Picks `a` where `condition` is nonzero and `b` elsewhere, broadcasting all three.
    ///
    /// A mask select, not arithmetic on `a` and `b`, so infinities in the unpicked branch
    /// cannot leak through.
    public static func select(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        let shape = broadcastShape(broadcastShape(condition.shape, a.shape), b.shape)
        let c = condition.densified(to: shape), x = a.densified(to: shape), y = b.densified(to: shape)
        let out = c.uninitializedLike()
        let pc = c.data, px = x.data, py = y.data, po = out.data
        let zero = Vector(repeating: 0)
        parallelFor(out.count, grain: 1 << 17) { range in
            var i = range.lowerBound
            while i + 8 <= range.upperBound {
                store(load(px + i).replacing(with: load(py + i), where: load(pc + i) .== zero), po + i)
                i += 8
            }
            while i < range.upperBound { po[i] = pc[i] != 0 ? px[i] : py[i]; i += 1 }
        }
        if Tape.needsRecord(a, b) {
            Tape.record(out) { g in
                if a.requiresGrad {
                    a.accumulateBroadcastGradient(zipDense(g, c, { g, c in g.replacing(with: zero, where: c .== zero) },
                                                           { g, c in c != 0 ? g : 0 }), fresh: true)
                }
                if b.requiresGrad {
                    b.accumulateBroadcastGradient(zipDense(g, c, { g, c in g.replacing(with: zero, where: c .!= zero) },
                                                           { g, c in c != 0 ? 0 : g }), fresh: true)
                }
            }
        }
        return out
    }

    /// This tensor broadcast to `shape` in dense memory (itself when it already is).
    func densified(to shape: [Int]) -> Tensor {
        if self.shape == shape && isContiguous { return self }
        return Tensor(storage: storage, shape: shape, strides: broadcastStrides(to: shape), offset: offset).contiguousNoGrad()
    }
}

/// `p` as an integer when it is one of at most 64 in magnitude.
func integerExponent(_ p: Float) -> Int? {
    p == p.rounded() && p.magnitude <= 64 ? Int(p) : nil
}

/// `out[i] = scale · x[i]^p` for `count` elements, as e^(p·log x), in a loop of its own: as a
/// closure passed to ``mapUnary`` the two inlined functions were too large to inline.
func mapPower(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ count: Int, _ p: Float, scale: Float) {
    let pv = Vector(repeating: p), sv = Vector(repeating: scale)
    parallelFor(count, grain: 1 << 17) { range in
        var i = range.lowerBound
        while i + 8 <= range.upperBound { store(sv * vectorExp(pv * vectorLog(load(x + i))), out + i); i += 8 }
        while i < range.upperBound { out[i] = scale * Glibc.powf(x[i], p); i += 1 }
    }
}

/// `out[i] = x[i]^(k + ½)` for `count` elements as x^k · √x, in a loop of its own (as a
/// closure the body was not inlined: one call per eight elements).
func mapHalfIntegerPower(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ count: Int, _ k: Int, _ p: Float) {
    parallelFor(count, grain: 1 << 17) { range in
        var i = range.lowerBound
        while i + 8 <= range.upperBound {
            let v = load(x + i)
            store(vectorPower(v, k) * vectorSquareRoot(v), out + i)
            i += 8
        }
        while i < range.upperBound { out[i] = Glibc.powf(x[i], p); i += 1 }
    }
}

/// x^k for eight lanes by repeated squaring.
@inline(__always)
func vectorPower(_ x: Vector, _ k: Int) -> Vector {
    var remaining = k.magnitude, base = x, result = Vector(repeating: 1)
    while remaining > 0 {
        if remaining & 1 == 1 { result *= base }
        base *= base
        remaining >>= 1
    }
    return k < 0 ? Vector(repeating: 1) / result : result
}

/// `f(a, b)` over two tensors of the same shape into a new dense tensor, for gradient rules.
@inline(__always)
func zipDense(_ a: Tensor, _ b: Tensor, _ vector: (Vector, Vector) -> Vector, _ scalar: (Float, Float) -> Float) -> Tensor {
    let x = a.contiguousNoGrad(), y = b.contiguousNoGrad()
    let out = x.uninitializedLike()
    mapBinary(x.data, y.data, out.data, out.count, vector, scalar)
    return withExtendedLifetime((x, y)) { out }
}
