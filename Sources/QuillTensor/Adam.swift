#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Adam (Kingma & Ba, 2015) with L2 weight decay, step for step as `torch.optim.Adam`;
/// ``AdamW`` decouples the decay instead.
///
/// With gradient `g`, step `t` and weight decay `λ`: `g = g + λ·p` (L2) or `p = p·(1 − lr·λ)`
/// (decoupled); `m = m + (1 − β₁)(g − m)`; `v = β₂·v + (1 − β₂)·g²`;
/// `p = p − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)`. As in PyTorch, ε is added outside the
/// square root, after the bias correction.
///
/// The betas and ε are `Double` so that `1 − β₂` and the bias corrections are computed exactly
/// as PyTorch computes them from Python floats; `Float(0.999)` alone would shift `1 − β₂` by 1e-5.
public class Adam: Optimizer {
    /// The parameters, in groups that share a weight decay.
    public let parameterGroups: [ParameterGroup]
    /// The rate the next ``step()`` applies.
    public var learningRate: Float
    /// The decay rate β₁ of the first-moment average.
    public let beta1: Double
    /// The decay rate β₂ of the second-moment average.
    public let beta2: Double
    /// The term ε added to the denominator for stability.
    public let epsilon: Double
    /// Whether weight decay shrinks the parameters directly (AdamW) rather than adding to the gradient.
    public let decouplesWeightDecay: Bool

    private let flat: FlatParameters
    /// The first-moment average `m` of each parameter [parameter shape], created on its first step.
    private var firstMoments: [Tensor?]
    /// The second-moment average `v` of each parameter [parameter shape], created on its first step.
    private var secondMoments: [Tensor?]
    /// The number of steps each parameter has taken.
    private var stepCounts: [Int]

    /// Creates an optimizer for `groups`; each group's `weightDecay` is L2 unless `decouplesWeightDecay`.
    public init(groups: [ParameterGroup], learningRate: Float = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
                epsilon: Double = 1e-8, decouplesWeightDecay: Bool = false) {
        precondition(learningRate >= 0 && epsilon >= 0, "Adam needs learningRate >= 0 and epsilon >= 0, got \(learningRate), \(epsilon)")
        precondition((0..<1).contains(beta1) && (0..<1).contains(beta2), "Adam needs betas in [0, 1), got \(beta1), \(beta2)")
        self.parameterGroups = groups
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.decouplesWeightDecay = decouplesWeightDecay
        self.flat = FlatParameters(groups)
        self.firstMoments = Array(repeating: nil, count: flat.count)
        self.secondMoments = Array(repeating: nil, count: flat.count)
        self.stepCounts = Array(repeating: 0, count: flat.count)
    }

    /// Creates an optimizer for one group of `parameters` with L2 `weightDecay`.
    public convenience init(parameters: [Tensor], learningRate: Float = 1e-3, beta1: Double = 0.9,
                            beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Float = 0) {
        self.init(groups: [ParameterGroup(parameters, weightDecay: weightDecay)], learningRate: learningRate,
                  beta1: beta1, beta2: beta2, epsilon: epsilon)
    }

    /// Updates every parameter that has a gradient.
    public func step() {
        let rate = Double(learningRate)
        for index in 0..<flat.count {
            let parameter = flat.tensors[index]
            guard let gradient = parameter.grad else { continue }
            precondition(gradient.shape == parameter.shape,
                         "gradient shape \(gradient.shape) does not match parameter \(index) shape \(parameter.shape)")
            if firstMoments[index] == nil {
                firstMoments[index] = Tensor.zeros(parameter.shape)
                secondMoments[index] = Tensor.zeros(parameter.shape)
            }
            stepCounts[index] += 1
            let t = Double(stepCounts[index])
            let decay = Double(flat.weightDecays[index])
            let biasCorrection2 = 1 - pow(beta2, t)
            let constants = Constants(
                shrink: Float(decouplesWeightDecay ? 1 - rate * decay : 1),
                l2: decouplesWeightDecay ? 0 : Float(decay),
                beta1Complement: Float(1 - beta1), beta2: Float(beta2), beta2Complement: Float(1 - beta2),
                correction2Root: Float(biasCorrection2.squareRoot()), epsilon: Float(epsilon),
                negativeStepSize: Float(-(rate / (1 - pow(beta1, t)))))
            let p = parameter.data, g = UnsafePointer(gradient.data)
            let m = firstMoments[index]!.data, v = secondMoments[index]!.data
            parallelFor(parameter.count, grain: 1 << 15) { range in
                let s = range.lowerBound
                adamUpdate(p + s, g + s, m + s, v + s, count: range.count, constants)
            }
        }
    }

    /// The moments and step counts, as `adam.m.<i>`, `adam.v.<i>` [parameter shape] and `adam.step.<i>` [].
    ///
    /// Step counts are float32 scalars, as PyTorch stores `state["step"]`.
    public func stateTensors() -> [String: Tensor] {
        var state: [String: Tensor] = [:]
        for index in 0..<flat.count {
            guard let m = firstMoments[index], let v = secondMoments[index] else { continue }
            state["adam.m.\(index)"] = m
            state["adam.v.\(index)"] = v
            state["adam.step.\(index)"] = Tensor(scalar: Float(stepCounts[index]))
        }
        return state
    }

    /// Replaces the moments and step counts with copies of `adam.*` entries in `state`.
    public func loadState(_ state: [String: Tensor], origin: String) throws {
        let reader = OptimizerStateReader(state: state, prefix: "adam", origin: origin, parameters: flat.tensors)
        try reader.checkKeys(buffers: ["m", "v", "step"])
        var m: [Tensor?] = Array(repeating: nil, count: flat.count)
        var v = m
        var steps = Array(repeating: 0, count: flat.count)
        for index in 0..<flat.count {
            let first = try reader.buffer("m", index), second = try reader.buffer("v", index)
            let count = try reader.stepCount("step", index)
            if first == nil && second == nil && count == nil { continue }
            guard let first, let second, let count else {
                throw reader.invalid("adam.*.\(index)", "is incomplete: parameter \(index) needs m, v and step together")
            }
            m[index] = first.copy()
            v[index] = second.copy()
            steps[index] = count
        }
        firstMoments = m
        secondMoments = v
        stepCounts = steps
    }

    /// The scalars of one parameter's update.
    struct Constants {
        let shrink: Float
        let l2: Float
        let beta1Complement: Float
        let beta2: Float
        let beta2Complement: Float
        let correction2Root: Float
        let epsilon: Float
        let negativeStepSize: Float
    }
}

/// Adam with decoupled weight decay (Loshchilov & Hutter, 2019), step for step as `torch.optim.AdamW`.
public final class AdamW: Adam {
    /// Creates an optimizer for `groups`, each group's `weightDecay` decoupled from the gradient.
    public init(groups: [ParameterGroup], learningRate: Float = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
                epsilon: Double = 1e-8) {
        super.init(groups: groups, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                   decouplesWeightDecay: true)
    }

    /// Creates an optimizer for one group of `parameters` with decoupled `weightDecay` (PyTorch's default 0.01).
    public convenience init(parameters: [Tensor], learningRate: Float = 1e-3, beta1: Double = 0.9,
                            beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Float = 0.01) {
        self.init(groups: [ParameterGroup(parameters, weightDecay: weightDecay)], learningRate: learningRate,
                  beta1: beta1, beta2: beta2, epsilon: epsilon)
    }
}

/// Applies one Adam update to `count` elements: parameter `p`, gradient `g`, moments `m` and `v`,
/// all [count], in one pass.
@inline(never)
private func adamUpdate(_ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ m: UnsafeMutablePointer<Float>,
                        _ v: UnsafeMutablePointer<Float>, count: Int, _ c: Adam.Constants) {
    var i = 0
    while i + 8 <= count {
        adamBlock(p + i, g + i, m + i, v + i, lanes: 8, c)
        i += 8
    }
    if i < count { adamBlock(p + i, g + i, m + i, v + i, lanes: count - i, c) }
}

/// Updates `lanes` (at most 8) elements from `p`, `g`, `m` and `v`, in PyTorch's order of operations.
@inline(__always)
private func adamBlock(_ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ m: UnsafeMutablePointer<Float>,
                       _ v: UnsafeMutablePointer<Float>, lanes n: Int, _ c: Adam.Constants) {
    var weight = loadUpTo8(p, n)
    var gradient = loadUpTo8(g, n)
    if c.l2 != 0 { gradient = gradient + c.l2 * weight }
    weight = weight * c.shrink
    var first = loadUpTo8(m, n)
    first = first + c.beta1Complement * (gradient - first)
    var second = loadUpTo8(v, n) * c.beta2
    second = second + c.beta2Complement * gradient * gradient
    let denominator = vectorSquareRoot(second) / c.correction2Root + c.epsilon
    weight = weight + c.negativeStepSize * (first / denominator)
    storeUpTo8(first, m, n)
    storeUpTo8(second, v, n)
    storeUpTo8(weight, p, n)
}
