import Testing
import QuillTensor
import TestSupport

@Suite struct CausalMaskTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let shape: [Int]
        let op: @Sendable (Tensor) -> Tensor
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "mask with finite fill", shape: [2, 4, 4]) { $0.causallyMasked(with: -3) },
        Case(name: "mask then softmax", shape: [2, 5, 5]) { $0.causallyMasked().softmax() },
        Case(name: "causal softmax square", shape: [2, 3, 9, 9]) { $0.causalSoftmax() },
        Case(name: "causal softmax with cached keys", shape: [3, 2, 6]) { $0.causalSoftmax() },
    ]

    @Test(arguments: cases)
    func gradientMatchesFiniteDifferences(_ c: Case) {
        var generator = RandomGenerator(seed: 47)
        let input = Tensor.uniform(c.shape, low: -2, high: 2, using: &generator)
        let result = checkGradients([input]) { c.op($0[0]) }
        #expect(result.passed, "\(result)")
    }

    @Test(arguments: [[2, 3, 3], [3, 5], [2, 2, 4]])
    func maskFillsKeysAfterEachQuery(_ shape: [Int]) {
        var generator = RandomGenerator(seed: 53)
        let x = Tensor.uniform(shape, using: &generator)
        let masked = x.causallyMasked()
        let queries = shape[shape.count - 2], keys = shape[shape.count - 1]
        let values = x.toArray(), out = masked.toArray()
        for (position, value) in out.enumerated() {
            let i = (position / keys) % queries, j = position % keys
            if j > i + keys - queries { #expect(value == -.infinity) } else { #expect(value == values[position]) }
        }
    }

    @Test(arguments: [[1, 4, 4], [2, 3, 7], [1, 12, 12]])
    func causalSoftmaxEqualsMaskThenSoftmax(_ shape: [Int]) {
        var generator = RandomGenerator(seed: 59)
        let x = Tensor.uniform(shape, low: -3, high: 3, using: &generator)
        let fused = x.causalSoftmax().toArray()
        let composed = x.causallyMasked().softmax().toArray()
        #expect(allClose(fused, composed, rtol: 1e-6, atol: 1e-7))
        let queries = shape[shape.count - 2], keys = shape[shape.count - 1]
        for (position, value) in fused.enumerated() where position % keys > (position / keys) % queries + keys - queries {
            #expect(value == 0)
        }
    }

    @Test func maskedScoresGetNoGradient() {
        let x = Tensor.ones([3, 3], requiresGrad: true)
        x.causallyMasked().backward(gradient: Tensor.ones([3, 3]))
        #expect(x.grad!.toArray() == [1, 0, 0, 1, 1, 0, 1, 1, 1])
    }
}
