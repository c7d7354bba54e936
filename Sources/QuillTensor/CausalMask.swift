/// Causal masking of attention scores [..., T, S]: a fill op and a fused masked softmax.
///
/// Query row i sees keys 0...i + (S − T). With S == T that is the lower triangle j ≤ i; with S > T
/// (keys cached from S − T earlier steps) the T query rows line up with the last T keys.
extension Tensor {
    /// Replaces the scores each query may not see (key j > i + S − T) with `value`, [..., T, S] → [..., T, S].
    ///
    /// The gradient passes to the visible scores only; the masked ones get none.
    public func causallyMasked(with value: Float = -.infinity) -> Tensor {
        let (input, layout) = causalRows()
        let out = Tensor(uninitializedShape: shape)
        let x = input.data, y = out.data
        parallelFor(layout.rows, grain: rowGrain(layout.keys)) { range in
            for r in range {
                let visible = layout.visibleKeys(row: r), row = r * layout.keys
                (y + row).update(from: x + row, count: visible)
                (y + row + visible).initialize(repeating: value, count: layout.keys - visible)
            }
        }
        if Tape.needsRecord(self) {
            Tape.record(out) { g in
                let dx = self.gradientPointer(), gp = g.data
                parallelFor(layout.rows, grain: rowGrain(layout.keys)) { range in
                    for r in range {
                        addInPlace(dx + r * layout.keys, gp + r * layout.keys, layout.visibleKeys(row: r))
                    }
                }
            }
        }
        return out
    }

    /// Softmax over the last axis of scores [..., T, S] in which query i sees only keys
    /// j ≤ i + (S − T): equal to `causallyMasked().softmax()`, but masked probabilities are
    /// exactly 0 and their exponentials are never computed.
    public func causalSoftmax() -> Tensor {
        let (input, layout) = causalRows()
        let out = Tensor(uninitializedShape: shape)
        let x = input.data, y = out.data, s = layout.keys
        parallelFor(layout.rows, grain: rowGrain(s)) { range in
            for r in range {
                let visible = layout.visibleKeys(row: r)
                softmaxRow(y + r * s, x + r * s, visible)
                (y + r * s + visible).initialize(repeating: 0, count: s - visible)
            }
        }
        if Tape.needsRecord(self) {
            Tape.record(out) { g in
                let dx = self.gradientPointer(), gp = g.data
                parallelFor(layout.rows, grain: rowGrain(s)) { range in
                    for r in range {
                        // Masked probabilities are 0, so their gradient y ⊙ (g − Σ g·y) is 0 too.
                        softmaxBackwardRow(dx + r * s, gp + r * s, y + r * s, layout.visibleKeys(row: r))
                    }
                }
            }
        }
        return out
    }

    /// This tensor as dense rows of scores with the causal layout of its last two axes.
    private func causalRows() -> (Tensor, CausalLayout) {
        precondition(rank >= 2, "causal masking needs scores [..., T, S], got shape \(shape)")
        let queries = shape[rank - 2], keys = shape[rank - 1]
        precondition(keys >= queries, "causal masking needs at least as many keys as queries, got shape \(shape)")
        return (contiguousNoGrad(), CausalLayout(rows: count / Swift.max(keys, 1), queries: queries, keys: keys))
    }
}

/// Dense score rows [rows, S], where row r is query r mod T.
struct CausalLayout {
    let rows: Int, queries: Int, keys: Int

    /// How many leading keys the query of row `r` may see.
    @inline(__always) func visibleKeys(row r: Int) -> Int { r % queries + keys - queries + 1 }
}
