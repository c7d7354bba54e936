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
            Tape.record(out) { g in self.accumulateGradient(g * out) }
        }
        return out
    }

    /// Natural logarithm.
    public func log() -> Tensor {
        let out = unary(self, { x in
            var r = x
            for i in 0..<8 { r[i] = Glibc.logf(x[i]) }
            return r
        }, { Glibc.logf($0) })
        if Tape.needsRecord(self) {
            Tape.record(out) { g in self.accumulateGradient(g / self) }
        }
        return out
    }

    /// Square root.
    public func sqrt() -> Tensor {
        let out = unary(self, { $0.squareRoot() }, { $0.squareRoot() })
        if Tape.needsRecord(self) {
            Tape.record(out) { g in self.accumulateGradient(g * 0.5 / out) }
        }
        return out
    }

    /// x raised to a constant power.
    public func pow(_ exponent: Float) -> Tensor {
        let out: Tensor
        if exponent == 2 {
            out = unary(self, { $0 * $0 }, { $0 * $0 })
        } else {
            out = unary(self, { x in
                var r = x
                for i in 0..<8 { r[i] = Glibc.powf(x[i], exponent) }
                return r
            }, { Glibc.powf($0, exponent) })
        }
        if Tape.needsRecord(self) {
            Tape.record(out) { g in
                self.accumulateGradient(g * self.detached().pow(exponent - 1).scaled(by: exponent))
            }
        }
        return out
    }

    /// Hyperbolic tangent.
    public func tanh() -> Tensor {
        let out = unary(self, vectorTanh, { Glibc.tanhf($0) })
        if Tape.needsRecord(self) {
            Tape.record(out) { g in
                let d = unary(out, { 1 - $0 * $0 }, { 1 - $0 * $0 })
                self.accumulateGradient(g * d)
            }
        }
        return out
    }

    /// The logistic function 1 / (1 + e^-x).
    public func sigmoid() -> Tensor {
        let out = unary(self, vectorSigmoid, { 1 / (1 + Glibc.expf(-$0)) })
        if Tape.needsRecord(self) {
            Tape.record(out) { g in
                let d = unary(out, { $0 * (1 - $0) }, { $0 * (1 - $0) })
                self.accumulateGradient(g * d)
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
                let mask = unary(self, { Vector(repeating: 1).replacing(with: zero, where: $0 .<= zero) },
                                 { $0 > 0 ? 1 : 0 })
                self.accumulateGradient(g * mask)
            }
        }
        return out
    }

    /// GELU in its tanh form, as GPT-2: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
    public func gelu() -> Tensor {
        let out = unary(self, { x in
            let inner = Vector(repeating: geluC) * (x + Vector(repeating: 0.044715) * x * x * x)
            return Vector(repeating: 0.5) * x * (Vector(repeating: 1) + vectorTanh(inner))
        }, { x in 0.5 * x * (1 + Glibc.tanhf(geluC * (x + 0.044715 * x * x * x))) })
        if Tape.needsRecord(self) {
            Tape.record(out) { g in
                let d = unary(self, { x in
                    let x2 = x * x
                    let t = vectorTanh(Vector(repeating: geluC) * (x + Vector(repeating: 0.044715) * x2 * x))
                    let sech2 = Vector(repeating: 1) - t * t
                    let dInner = Vector(repeating: geluC) * (Vector(repeating: 1) + Vector(repeating: 3 * 0.044715) * x2)
                    return Vector(repeating: 0.5) * (Vector(repeating: 1) + t) + Vector(repeating: 0.5) * x * sech2 * dInner
                }, { x in
                    let t = Glibc.tanhf(geluC * (x + 0.044715 * x * x * x))
                    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * geluC * (1 + 3 * 0.044715 * x * x)
                })
                self.accumulateGradient(g * d)
            }
        }
        return out
    }

    /// x limited to [low, high]; the gradient passes only where x is inside.
    public func clamped(to low: Float, _ high: Float) -> Tensor {
        let lo = Vector(repeating: low), hi = Vector(repeating: high)
        let out = unary(self, { $0.clamped(lowerBound: lo, upperBound: hi) }, { Swift.min(Swift.max($0, low), high) })
        if Tape.needsRecord(self) {
            Tape.record(out) { g in
                let mask = unary(self, { x in
                    Vector(repeating: 0).replacing(with: Vector(repeating: 1), where: (x .>= lo) .& (x .<= hi))
                }, { $0 >= low && $0 <= high ? 1 : 0 })
                self.accumulateGradient(g * mask)
            }
        }
        return out
    }

    /// Picks `a` where `condition` is nonzero and `b` elsewhere, broadcasting all three.
    public static func select(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        // where = b + c·(a − b) with c ∈ {0, 1}, computed without arithmetic on a and b
        // so infinities in the unpicked branch cannot leak through.
        let mask = unary(condition, { c in
            Vector(repeating: 0).replacing(with: Vector(repeating: 1), where: c .!= 0)
        }, { $0 != 0 ? 1 : 0 })
        let shape = broadcastShape(broadcastShape(mask.shape, a.shape), b.shape)
        let out = Tensor(uninitializedShape: shape)
        let m = broadcastBinary(mask, Tensor.zeros(shape), { x, _ in x }, { x, _ in x })
        let pickedA = broadcastBinary(m, a, { c, x in x.replacing(with: 0, where: c .== 0) }, { c, x in c == 0 ? 0 : x })
        let pickedB = broadcastBinary(m, b, { c, x in x.replacing(with: 0, where: c .!= 0) }, { c, x in c != 0 ? 0 : x })
        mapBinary(pickedA.data, pickedB.data, out.data, out.count, { $0 + $1 }, { $0 + $1 })
        if Tape.needsRecord(a, b) {
            Tape.record(out) { g in
                if a.requiresGrad { a.accumulateGradient(a.reduceBroadcastGradient(g * m)) }
                if b.requiresGrad { b.accumulateGradient(b.reduceBroadcastGradient(g * (1 - m))) }
            }
        }
        return out
    }
}

private let geluC: Float = 0.797_884_56  // √(2/π)
