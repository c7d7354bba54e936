import Testing
import QuillNN
import QuillTensor
import TestSupport

@Suite struct GPTAttentionTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let batch: Int, length: Int, heads: Int, width: Int
        var dropout: Float = 0
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "one head, one position", batch: 1, length: 1, heads: 1, width: 3),
        Case(name: "two heads", batch: 2, length: 5, heads: 2, width: 4),
        Case(name: "rows span two query blocks", batch: 1, length: 70, heads: 1, width: 2),
        Case(name: "three heads, odd head size", batch: 2, length: 6, heads: 3, width: 9),
        Case(name: "attention dropout", batch: 2, length: 7, heads: 2, width: 4, dropout: 0.3),
    ]

    /// The packed projection [B, T, 3C] with uniform entries scaled so softmaxes are not flat.
    static func packed(_ c: Case, seed: UInt64 = 3) -> Tensor {
        var generator = RandomGenerator(seed: seed)
        return Tensor.uniform([c.batch, c.length, 3 * c.width], low: -1.5, high: 1.5, using: &generator)
    }

    @Test(arguments: cases)
    func gradientMatchesFiniteDifferences(_ c: Case) {
        let result = checkGradients([Self.packed(c)]) { inputs in
            inputs[0].causalSelfAttention(headCount: c.heads, dropoutProbability: c.dropout, dropoutSeed: 99)
        }
        #expect(result.passed, "\(result)")
    }

    /// The same attention composed from unfused ops: matmul, causal softmax, matmul.
    static func composed(_ qkv: Tensor, heads: Int) -> Tensor {
        let (B, T, C) = (qkv.shape[0], qkv.shape[1], qkv.shape[2] / 3)
        let D = C / heads
        func split(_ part: Int) -> Tensor {
            qkv.sliced(axis: 2, range: part * C..<(part + 1) * C).reshaped(to: [B, T, heads, D]).permuted([0, 2, 1, 3])
        }
        let scores = split(0).matmul(split(1).transposed()) * (1 / Float(D).squareRoot())
        let y = scores.causalSoftmax().matmul(split(2))
        return y.permuted([0, 2, 1, 3]).reshaped(to: [B, T, C])
    }

    @Test(arguments: cases.filter { $0.dropout == 0 })
    func matchesComposedOps(_ c: Case) {
        var generator = RandomGenerator(seed: 5)
        let weights = Tensor.uniform([c.batch, c.length, c.width], low: -1, high: 1, using: &generator)
        var outputs: [[Float]] = [], gradients: [[Float]] = []
        for fused in [true, false] {
            let qkv = Self.packed(c)
            qkv.requiresGrad = true
            let y = fused ? qkv.causalSelfAttention(headCount: c.heads) : Self.composed(qkv, heads: c.heads)
            (y * weights).sum().backward()
            outputs.append(y.toArray())
            gradients.append(qkv.grad!.toArray())
        }
        #expect(worstRatio(outputs[0], outputs[1], rtol: 1e-5, atol: 1e-6) <= 1)
        #expect(worstRatio(gradients[0], gradients[1], rtol: 1e-4, atol: 1e-6) <= 1)
    }

    @Test func cachedQueriesMatchTheLastRowsOfFullAttention() {
        let c = Case(name: "cache", batch: 2, length: 9, heads: 2, width: 6)
        let qkv = Self.packed(c)
        let full = withoutGradients { qkv.causalSelfAttention(headCount: c.heads) }
        let newRows = 3, C = c.width
        let query = qkv.sliced(axis: 1, range: c.length - newRows..<c.length).sliced(axis: 2, range: 0..<C)
        let key = qkv.sliced(axis: 2, range: C..<2 * C), value = qkv.sliced(axis: 2, range: 2 * C..<3 * C)
        let cached = Tensor.causalAttention(query: query, key: key, value: value, headCount: c.heads)
        let expected = full.sliced(axis: 1, range: c.length - newRows..<c.length).toArray()
        #expect(worstRatio(cached.toArray(), expected, rtol: 1e-5, atol: 1e-6) <= 1)
    }

    @Test func dropoutZeroesSomeWeightsAndIsReproducible() {
        let c = Case(name: "dropout", batch: 1, length: 16, heads: 2, width: 4, dropout: 0.5)
        let qkv = Self.packed(c)
        let a = qkv.causalSelfAttention(headCount: 2, dropoutProbability: 0.5, dropoutSeed: 1).toArray()
        let b = qkv.causalSelfAttention(headCount: 2, dropoutProbability: 0.5, dropoutSeed: 1).toArray()
        let plain = qkv.causalSelfAttention(headCount: 2).toArray()
        #expect(a == b)
        #expect(a != plain)
    }
}
