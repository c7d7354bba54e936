import Testing
import QuillTensor
import TestSupport

@Suite struct LayerNormTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let shape: [Int]
        let hasWeight: Bool
        let hasBias: Bool
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "weight and bias, short rows", shape: [3, 5], hasWeight: true, hasBias: true),
        Case(name: "weight and bias, vector plus tail", shape: [2, 2, 19], hasWeight: true, hasBias: true),
        Case(name: "weight only", shape: [4, 8], hasWeight: true, hasBias: false),
        Case(name: "bias only", shape: [2, 6], hasWeight: false, hasBias: true),
        Case(name: "no affine", shape: [3, 9], hasWeight: false, hasBias: false),
    ]

    @Test(arguments: cases)
    func gradientMatchesFiniteDifferences(_ c: Case) {
        var generator = RandomGenerator(seed: 13)
        let channels = c.shape.last!
        var inputs = [Tensor.uniform(c.shape, low: -1, high: 1, using: &generator)]
        if c.hasWeight { inputs.append(Tensor.uniform([channels], low: 0.5, high: 1.5, using: &generator)) }
        if c.hasBias { inputs.append(Tensor.uniform([channels], low: -1, high: 1, using: &generator)) }
        let result = checkGradients(inputs, epsilon: 1e-2) { t in
            t[0].layerNormalized(weight: c.hasWeight ? t[1] : nil, bias: c.hasBias ? t[t.count - 1] : nil)
        }
        #expect(result.passed, "\(result)")
    }

    @Test(arguments: cases)
    func forwardMatchesDoubleReference(_ c: Case) {
        var generator = RandomGenerator(seed: 19)
        let channels = c.shape.last!
        let x = Tensor.uniform(c.shape, low: -3, high: 3, using: &generator)
        let weight = c.hasWeight ? Tensor.uniform([channels], using: &generator) : nil
        let bias = c.hasBias ? Tensor.uniform([channels], using: &generator) : nil
        let expected = referenceLayerNorm(x.toArray(), channels: channels, weight: weight?.toArray(), bias: bias?.toArray())
        let out = x.layerNormalized(weight: weight, bias: bias)
        #expect(out.shape == c.shape)
        let ratio = worstRatio(out.toArray(), expected.output, rtol: 1e-5, atol: 1e-5)
        #expect(ratio <= 1, "worst ratio \(ratio)")
    }

    /// [256, 256] splits the backward pass across threads, each with its own weight and bias sums.
    @Test func parallelBackwardMatchesDoubleReference() {
        let rows = 256, channels = 256
        var generator = RandomGenerator(seed: 29)
        let x = Tensor.uniform([rows, channels], low: -2, high: 2, using: &generator, requiresGrad: true)
        let weight = Tensor.uniform([channels], low: 0.5, high: 1.5, using: &generator, requiresGrad: true)
        let bias = Tensor.uniform([channels], using: &generator, requiresGrad: true)
        let upstream = Tensor.uniform([rows, channels], low: -1, high: 1, using: &generator)
        x.layerNormalized(weight: weight, bias: bias).backward(gradient: upstream)
        let reference = referenceLayerNorm(x.toArray(), channels: channels, weight: weight.toArray(), bias: bias.toArray(),
                                           upstream: upstream.toArray())
        for (name, analytic, expected) in [("input", x.grad!, reference.inputGradient),
                                           ("weight", weight.grad!, reference.weightGradient),
                                           ("bias", bias.grad!, reference.biasGradient)] {
            let ratio = worstRatio(analytic.toArray(), expected, rtol: 1e-4, atol: 1e-5)
            #expect(ratio <= 1, "\(name) gradient worst ratio \(ratio)")
        }
    }

    @Test func constantRowNormalizesToBias() {
        let x = Tensor(repeating: 4, shape: [2, 3])
        let out = x.layerNormalized(weight: Tensor([2, 2, 2]), bias: Tensor([1, -1, 0.5]))
        #expect(out.toArray() == [1, -1, 0.5, 1, -1, 0.5])
    }
}

/// Layer norm over rows of `channels` in Double, and its gradients for `upstream` when given.
private func referenceLayerNorm(_ x: [Float], channels c: Int, weight: [Float]?, bias: [Float]?, upstream: [Float]? = nil)
    -> (output: [Float], inputGradient: [Float], weightGradient: [Float], biasGradient: [Float]) {
    let rows = x.count / c
    var output = [Float](), dx = [Float]()
    var dw = [Double](repeating: 0, count: c), db = [Double](repeating: 0, count: c)
    for r in 0..<rows {
        let row = x[(r * c)..<((r + 1) * c)].map(Double.init)
        let mean = row.reduce(0, +) / Double(c)
        let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(c)
        let rstd = 1 / (variance + 1e-5).squareRoot()
        let norm = row.map { ($0 - mean) * rstd }
        let w = weight.map { $0.map(Double.init) } ?? [Double](repeating: 1, count: c)
        let b = bias.map { $0.map(Double.init) } ?? [Double](repeating: 0, count: c)
        output += (0..<c).map { Float(norm[$0] * w[$0] + b[$0]) }
        guard let upstream else { continue }
        let dy = upstream[(r * c)..<((r + 1) * c)].map(Double.init)
        let dnorm = (0..<c).map { w[$0] * dy[$0] }
        let dnormMean = dnorm.reduce(0, +) / Double(c)
        let dnormNormMean = (0..<c).reduce(0) { $0 + dnorm[$1] * norm[$1] } / Double(c)
        dx += (0..<c).map { Float((dnorm[$0] - dnormMean - norm[$0] * dnormNormMean) * rstd) }
        for i in 0..<c { dw[i] += dy[i] * norm[i]; db[i] += dy[i] }
    }
    return (output, dx, dw.map { Float($0) }, db.map { Float($0) })
}
