import QuillTensor

/// The result of comparing autodiff gradients with central finite differences.
public struct GradientCheckResult: CustomStringConvertible {
    /// For each input, the largest error ratio (≤ 1 passes).
    public var worstRatios: [Float]
    /// Human-readable details of the worst element per input.
    public var details: [String]
    /// Whether every input passed.
    public var passed: Bool { worstRatios.allSatisfy { $0 <= 1 } }
    public var description: String { details.joined(separator: "; ") }
}

/// Checks the gradients `f` records for each of `inputs` against central finite differences.
///
/// The scalar being differentiated is `Σ f(inputs) · R` for a fixed random `R`, summed in
/// Double, so every output element contributes with a distinct weight. Inputs may be
/// non-contiguous views; they are perturbed through their own strides.
public func checkGradients(_ inputs: [Tensor], seed: UInt64 = 7, epsilon: Float = 1e-2,
                           rtol: Float = 2e-2, atol: Float = 2e-3,
                           _ f: ([Tensor]) -> Tensor) -> GradientCheckResult {
    for input in inputs { input.requiresGrad = true; input.zeroGradient() }
    Tape.clear()
    let output = f(inputs)
    var generator = RandomGenerator(seed: seed)
    let weights = Tensor.uniform(output.shape, low: -1, high: 1, using: &generator)
    let w = weights.toArray()
    output.backward(gradient: weights)

    func objective() -> Double {
        let values = withoutGradients { f(inputs) }.toArray()
        var total = 0.0
        for i in 0..<values.count { total += Double(values[i]) * Double(w[i]) }
        return total
    }

    var result = GradientCheckResult(worstRatios: [], details: [])
    for (n, input) in inputs.enumerated() {
        let analytic = input.grad?.toArray() ?? [Float](repeating: 0, count: input.count)
        var numeric = [Float](repeating: 0, count: input.count)
        let positions = elementPositions(input)
        for (i, position) in positions.enumerated() {
            let p = input.storage.pointer + position
            let original = p.pointee
            p.pointee = original + epsilon
            let plus = objective()
            p.pointee = original - epsilon
            let minus = objective()
            p.pointee = original
            numeric[i] = Float((plus - minus) / (2 * Double(epsilon)))
        }
        var worst: Float = 0, worstIndex = 0
        for i in 0..<numeric.count {
            let ratio = abs(analytic[i] - numeric[i]) / (atol + rtol * abs(numeric[i]))
            if ratio > worst || ratio.isNaN { worst = ratio.isNaN ? .infinity : ratio; worstIndex = i }
        }
        result.worstRatios.append(worst)
        if !numeric.isEmpty {
            result.details.append("input \(n) \(input.shape): worst at \(worstIndex) analytic \(analytic[worstIndex]) numeric \(numeric[worstIndex]) ratio \(worst)")
        }
    }
    for input in inputs { input.zeroGradient() }
    return result
}

/// The storage positions of a tensor's elements in row-major order.
private func elementPositions(_ t: Tensor) -> [Int] {
    var result: [Int] = []
    result.reserveCapacity(t.count)
    func walk(_ axis: Int, _ position: Int) {
        if axis == t.rank { result.append(position); return }
        for i in 0..<t.shape[axis] { walk(axis + 1, position + i * t.strides[axis]) }
    }
    walk(0, t.offset)
    return result
}
