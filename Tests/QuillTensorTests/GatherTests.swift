import Testing
import QuillTensor
import TestSupport

@Suite struct GatherTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let shape: [Int]
        let transposed: Bool
        let op: @Sendable (Tensor) -> Tensor
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "embedding with repeated ids", shape: [5, 3], transposed: false) {
            Tensor.embedding($0, indices: IndexTensor([4, 1, 4, 0, 1, 4], shape: [2, 3]))
        },
        Case(name: "embedding of a 1-D id list", shape: [6, 9], transposed: false) {
            Tensor.embedding($0, indices: IndexTensor([5, 0, 5]))
        },
        Case(name: "gather middle axis", shape: [2, 4, 3], transposed: false) {
            $0.gathering(IndexTensor([3, 0, 3]), alongAxis: 1)
        },
        Case(name: "gather last axis with 2-D indices", shape: [3, 5], transposed: false) {
            $0.gathering(IndexTensor([1, 1, 4, 2], shape: [2, 2]), alongAxis: -1)
        },
        Case(name: "gather transposed view", shape: [4, 3], transposed: true) {
            $0.gathering(IndexTensor([2, 0]), alongAxis: 0)
        },
    ]

    @Test(arguments: cases)
    func gradientMatchesFiniteDifferences(_ c: Case) {
        var generator = RandomGenerator(seed: 11)
        var input = Tensor.uniform(c.shape, low: -1, high: 1, using: &generator)
        if c.transposed {
            input = Tensor(storage: input.storage, shape: [c.shape[1], c.shape[0]], strides: [1, c.shape[1]])
        }
        let result = checkGradients([input]) { c.op($0[0]) }
        #expect(result.passed, "\(result)")
    }

    @Test func embeddingCopiesRows() {
        let weight = Tensor([0, 1, 10, 11, 20, 21], shape: [3, 2])
        let out = Tensor.embedding(weight, indices: IndexTensor([2, 0, 2, 1], shape: [2, 2]))
        #expect(out.shape == [2, 2, 2])
        #expect(out.toArray() == [20, 21, 0, 1, 20, 21, 10, 11])
    }

    @Test func gatherMatchesNaiveTake() {
        var generator = RandomGenerator(seed: 5)
        let x = Tensor.uniform([2, 3, 4], using: &generator)
        let indices = IndexTensor([3, 1, 0, 3, 2], shape: [5])
        let out = x.gathering(indices, alongAxis: 2)
        #expect(out.shape == [2, 3, 5])
        for a in 0..<2 {
            for b in 0..<3 {
                for k in 0..<5 { #expect(out[a, b, k] == x[a, b, indices[k]]) }
            }
        }
    }

    /// Enough ids that the backward pass splits the channels across threads.
    @Test func embeddingGradientScatterAddsLargeBatch() {
        let vocabularySize = 50, channels = 64, tokens = 4096
        var generator = RandomGenerator(seed: 9)
        let weight = Tensor.uniform([vocabularySize, channels], using: &generator, requiresGrad: true)
        let ids = (0..<tokens).map { _ in generator.nextInt(below: vocabularySize) }
        let upstream = Tensor.uniform([tokens, channels], low: -1, high: 1, using: &generator)
        let out = Tensor.embedding(weight, indices: IndexTensor(ids))
        out.backward(gradient: upstream)
        var expected = [Double](repeating: 0, count: vocabularySize * channels)
        let g = upstream.toArray()
        for (t, id) in ids.enumerated() {
            for c in 0..<channels { expected[id * channels + c] += Double(g[t * channels + c]) }
        }
        let ratio = worstRatio(weight.grad!.toArray(), expected.map { Float($0) }, rtol: 1e-5, atol: 1e-5)
        #expect(ratio <= 1, "worst ratio \(ratio)")
    }

    @Test func indexTensorReadsPositions() {
        let indices = IndexTensor([Int32(7), 8, 9, 10, 11, 12], shape: [2, 3])
        #expect(indices.count == 6)
        #expect(indices.rank == 2)
        #expect(indices[1, 0] == 10)
        #expect(indices == IndexTensor([7, 8, 9, 10, 11, 12], shape: [2, 3]))
    }
}
