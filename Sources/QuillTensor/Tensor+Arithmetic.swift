/// Broadcasting arithmetic: +, -, *, / between tensors and with scalars, and negation.
extension Tensor {
    /// Elementwise sum, broadcasting.
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        let out = broadcastBinary(a, b, { $0 + $1 }, { $0 + $1 })
        if Tape.needsRecord(a, b) {
            Tape.record(out) { g in
                if a.requiresGrad { a.accumulateBroadcastGradient(g, fresh: false) }
                if b.requiresGrad { b.accumulateBroadcastGradient(g, fresh: false) }
            }
        }
        return out
    }

    /// Elementwise difference, broadcasting.
    public static func - (a: Tensor, b: Tensor) -> Tensor {
        let out = broadcastBinary(a, b, { $0 - $1 }, { $0 - $1 })
        if Tape.needsRecord(a, b) {
            Tape.record(out) { g in
                if a.requiresGrad { a.accumulateBroadcastGradient(g, fresh: false) }
                if b.requiresGrad { b.accumulateBroadcastGradient(-g, fresh: true) }
            }
        }
        return out
    }

    /// Elementwise product, broadcasting.
    public static func * (a: Tensor, b: Tensor) -> Tensor {
        let out = broadcastBinary(a, b, { $0 * $1 }, { $0 * $1 })
        if Tape.needsRecord(a, b) {
            Tape.record(out) { g in
                if a.requiresGrad { a.accumulateBroadcastGradient(g * b, fresh: true) }
                if b.requiresGrad { b.accumulateBroadcastGradient(g * a, fresh: true) }
            }
        }
        return out
    }

    /// Elementwise quotient, broadcasting.
    public static func / (a: Tensor, b: Tensor) -> Tensor {
        let out = broadcastBinary(a, b, { $0 / $1 }, { $0 / $1 })
        if Tape.needsRecord(a, b) {
            Tape.record(out) { g in
                if a.requiresGrad { a.accumulateBroadcastGradient(g / b, fresh: true) }
                if b.requiresGrad {
                    // d(a/b)/db = -a/b² = -out/b
                    b.accumulateBroadcastGradient(-(g * out / b), fresh: true)
                }
            }
        }
        return out
    }

    /// Elementwise negation.
    public static prefix func - (a: Tensor) -> Tensor { a.scaled(by: -1) }

    /// `self * scale + shift`, elementwise.
    public func affine(scale: Float, shift: Float) -> Tensor {
        let vs = Vector(repeating: scale), vb = Vector(repeating: shift)
        let out = unary(self, { $0 * vs + vb }, { $0 * scale + shift })
        if Tape.needsRecord(self) {
            Tape.record(out) { g in self.accumulateGradient(g.scaled(by: scale)) }
        }
        return out
    }

    /// `self * scale`, elementwise.
    public func scaled(by scale: Float) -> Tensor { affine(scale: scale, shift: 0) }

    /// Tensor plus scalar.
    public static func + (a: Tensor, b: Float) -> Tensor { a.affine(scale: 1, shift: b) }
    /// Scalar plus tensor.
    public static func + (a: Float, b: Tensor) -> Tensor { b.affine(scale: 1, shift: a) }
    /// Tensor minus scalar.
    public static func - (a: Tensor, b: Float) -> Tensor { a.affine(scale: 1, shift: -b) }
    /// Scalar minus tensor.
    public static func - (a: Float, b: Tensor) -> Tensor { b.affine(scale: -1, shift: a) }
    /// Tensor times scalar.
    public static func * (a: Tensor, b: Float) -> Tensor { a.scaled(by: b) }
    /// Scalar times tensor.
    public static func * (a: Float, b: Tensor) -> Tensor { b.scaled(by: a) }
    /// Tensor divided by scalar.
    public static func / (a: Tensor, b: Float) -> Tensor { a.scaled(by: 1 / b) }
}
