import QuillTensor

/// Causal multi-head self-attention as in GPT-2 and nanoGPT: one projection to queries, keys and
/// values (`c_attn`), the fused attention kernel pair, an output projection (`c_proj`) and
/// residual dropout.
public final class CausalSelfAttention: Module {
    /// The packed query, key and value projection: weight [3C, C], bias [3C].
    public let inputProjection: Linear
    /// The output projection: weight [C, C], bias [C].
    public let outputProjection: Linear
    /// The number of heads; the width C divides evenly among them.
    public let headCount: Int
    /// The dropout probability on attention weights and on the output.
    public let dropoutProbability: Float
    /// Whether dropout is active.
    public private(set) var isTraining = true

    /// Creates a layer around existing projections.
    public init(inputProjection: Linear, outputProjection: Linear, headCount: Int, dropoutProbability: Float) {
        let width = outputProjection.weight.shape[0]
        precondition(width % headCount == 0, "width \(width) does not divide into \(headCount) heads")
        precondition(inputProjection.weight.shape == [3 * width, width],
                     "c_attn weight must be [\(3 * width), \(width)], got \(inputProjection.weight.shape)")
        self.inputProjection = inputProjection
        self.outputProjection = outputProjection
        self.headCount = headCount
        self.dropoutProbability = dropoutProbability
    }

    /// Attends over `input` [B, T, C] → [B, T, C]; `generator` seeds the dropout masks.
    public func callAsFunction(_ input: Tensor, generator: inout RandomGenerator) -> Tensor {
        let dropping = isTraining && dropoutProbability > 0
        let qkv = inputProjection(input)
        let heads = qkv.causalSelfAttention(headCount: headCount,
                                            dropoutProbability: dropping ? dropoutProbability : 0,
                                            dropoutSeed: dropping ? generator.next() : 0)
        return outputProjection(heads).dropout(probability: dropoutProbability, isTraining: isTraining, using: &generator)
    }

    /// `c_attn.weight`, `c_attn.bias`, `c_proj.weight`, `c_proj.bias` (biases when present), as nanoGPT names them.
    public func namedParameters() -> [(name: String, tensor: Tensor)] {
        prefixed("c_attn", inputProjection.namedParameters()) + prefixed("c_proj", outputProjection.namedParameters())
    }

    /// Switches dropout on (training) or off.
    public func setTraining(_ training: Bool) { isTraining = training }
}

extension Tensor {
    /// Causal multi-head attention of a packed projection [B, T, 3C] (queries, keys and values
    /// side by side, each split into `headCount` heads of C/`headCount`) → [B, T, C], heads
    /// concatenated. Scores are scaled by 1/√(head size).
    ///
    /// One tape op: the forward keeps only each query row's log Σ e^score [B, H, T], and the
    /// backward recomputes the scores block by block. With `dropoutProbability` > 0 the
    /// attention weights are dropped out with a mask hashed from `dropoutSeed`.
    public func causalSelfAttention(headCount: Int, dropoutProbability: Float = 0, dropoutSeed: UInt64 = 0) -> Tensor {
        precondition(rank == 3 && shape[2] % (3 * headCount) == 0,
                     "causalSelfAttention needs [B, T, 3C] with C divisible by \(headCount) heads, got \(shape)")
        let (B, T, C) = (shape[0], shape[1], shape[2] / 3)
        let qkv = contiguousNoGradCopy()
        let layout = AttentionLayout.packed(batch: B, length: T, heads: headCount, width: C)
        let scale = 1 / Float(C / headCount).squareRoot()
        let dropout = dropoutProbability > 0 ? AttentionDropout(probability: dropoutProbability, seed: dropoutSeed) : nil
        let out = Tensor(uninitializedShape: [B, T, C])
        let logSumExp = Tensor(uninitializedShape: [B, headCount, T])
        let p = UnsafePointer(qkv.data)
        attentionForward(output: out.data, logSumExp: logSumExp.data, query: p, key: p + C, value: p + 2 * C,
                         layout: layout, scale: scale, dropout: dropout)
        if Tape.needsRecord(self) {
            Tape.record(out) { g in
                let dqkv = self.gradientPointer()
                attentionBackward(queryGradient: dqkv, keyGradient: dqkv + C, valueGradient: dqkv + 2 * C,
                                  outputGradient: g.data, query: p, key: p + C, value: p + 2 * C,
                                  output: out.data, logSumExp: logSumExp.data, layout: layout, scale: scale,
                                  dropout: dropout)
                withExtendedLifetime(qkv) {}
            }
        }
        return out
    }

    /// Causal multi-head attention of `query` [B, N, C] against `key` and `value` [B, S, C],
    /// S ≥ N, where query i sees keys 0...i + S − N: the new rows of a key-value cache
    /// attending to everything cached so far. Records nothing (inference only).
    ///
    /// Each operand may be a strided view whose last axis is dense, such as a column slice of a
    /// packed projection or the filled rows of a cache.
    public static func causalAttention(query: Tensor, key: Tensor, value: Tensor, headCount: Int) -> Tensor {
        precondition(query.rank == 3 && key.rank == 3 && value.rank == 3 && key.shape == value.shape
                     && query.shape[0] == key.shape[0] && query.shape[2] == key.shape[2]
                     && key.shape[1] >= query.shape[1] && query.shape[2] % headCount == 0,
                     "causalAttention needs query [B, N, C], key and value [B, S ≥ N, C], got \(query.shape), \(key.shape), \(value.shape)")
        let operands = [query, key, value].map { $0.strides[2] == 1 ? $0 : $0.contiguousNoGradCopy() }
        let (B, N, C, S) = (query.shape[0], query.shape[1], query.shape[2], key.shape[1])
        let out = Tensor(uninitializedShape: [B, N, C])
        let logSumExp = Tensor(uninitializedShape: [B, headCount, N])
        let (q, k, v) = (operands[0], operands[1], operands[2])
        let layout = AttentionLayout(batch: B, heads: headCount, headSize: C / headCount, queries: N, keys: S,
                                     queryStride: q.strides[1], keyStride: k.strides[1], valueStride: v.strides[1],
                                     outputStride: C, queryBatchStride: q.strides[0], keyBatchStride: k.strides[0],
                                     valueBatchStride: v.strides[0], outputBatchStride: N * C)
        attentionForward(output: out.data, logSumExp: logSumExp.data, query: q.storage.pointer + q.offset,
                         key: k.storage.pointer + k.offset, value: v.storage.pointer + v.offset, layout: layout,
                         scale: 1 / Float(C / headCount).squareRoot(), dropout: nil)
        withExtendedLifetime(operands) {}
        return out
    }

    /// This tensor if dense, else a dense copy; records nothing.
    private func contiguousNoGradCopy() -> Tensor { isContiguous ? self : copy() }
}
