/// Inverted dropout, seeded by a caller-owned ``RandomGenerator``.
extension Tensor {
    /// Zeroes each element with `probability` and scales the survivors by 1/(1 − `probability`),
    /// so the expected value is unchanged and inference needs no rescaling.
    ///
    /// Returns `self` and records nothing when `isTraining` is false or `probability` is 0; the
    /// generator is then left untouched. Masks are drawn in row-major order, two elements per
    /// 64-bit draw, so the same generator state always drops the same elements.
    public func dropout(probability: Float, isTraining: Bool, using generator: inout RandomGenerator) -> Tensor {
        precondition(probability >= 0 && probability <= 1, "dropout probability \(probability) must be in [0, 1]")
        if !isTraining || probability == 0 { return self }
        let input = contiguousNoGrad()
        let mask = Tensor(uninitializedShape: shape)
        dropoutMask(mask.data, count: count, probability: probability, using: &generator)
        let out = Tensor(uninitializedShape: shape)
        mapBinary(input.data, mask.data, out.data, count, { $0 * $1 }, { $0 * $1 })
        if Tape.needsRecord(self) {
            Tape.record(out) { g in
                let dx = self.gradientPointer(), gp = g.data, mp = mask.data
                parallelFor(self.count, grain: 1 << 16) { range in
                    var i = range.lowerBound
                    while i + 8 <= range.upperBound { store(load(dx + i) + load(gp + i) * load(mp + i), dx + i); i += 8 }
                    while i < range.upperBound { dx[i] += gp[i] * mp[i]; i += 1 }
                }
            }
        }
        return out
    }
}

/// Fills `mask` [count] with 0 (dropped, with chance `probability`) or 1/(1 − `probability`) (kept).
///
/// Each element compares 24 random bits u with `probability`·2²⁴, the same test as
/// `nextFloat() < probability`; one 64-bit draw serves two elements.
func dropoutMask(_ mask: UnsafeMutablePointer<Float>, count: Int, probability: Float,
                 using generator: inout RandomGenerator) {
    let keptValue: Float = probability == 1 ? 0 : 1 / (1 - probability)
    // u / 2²⁴ < p  ⇔  u < ⌈p · 2²⁴⌉ for an integer u.
    let threshold = UInt64((Double(probability) * 16_777_216).rounded(.up))
    var i = 0
    while i < count {
        let bits = generator.next()
        mask[i] = bits >> 40 < threshold ? 0 : keptValue
        if i + 1 < count { mask[i + 1] = (bits >> 16) & 0xFF_FFFF < threshold ? 0 : keptValue }
        i += 2
    }
}
