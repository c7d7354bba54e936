/// Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay,
/// step for step as `torch.optim.SGD`.
///
/// With gradient `g`, weight decay `λ`, momentum `μ` and dampening `τ`:
/// `d = g + λ·p`; `b = d` on a parameter's first step, else `b = μ·b + (1 − τ)·d`;
/// `d = d + μ·b` (Nesterov) or `d = b`; `p = p − lr·d`.
public final class SGD: Optimizer {
    /// The parameters, in groups that share a weight decay.
    public let parameterGroups: [ParameterGroup]
    /// The rate the next ``step()`` applies.
    public var learningRate: Float
    /// The momentum factor `μ` (0 turns momentum off).
    public let momentum: Float
    /// The dampening `τ` applied to new gradients in the momentum buffer.
    public let dampening: Float
    /// Whether to use Nesterov momentum.
    public let nesterov: Bool

    private let flat: FlatParameters
    /// The momentum buffer of each parameter [parameter shape], created on its first step.
    private var momentumBuffers: [Tensor?]

    /// Creates an optimizer for `groups`.
    public init(groups: [ParameterGroup], learningRate: Float, momentum: Float = 0, dampening: Float = 0,
                nesterov: Bool = false) {
        precondition(learningRate >= 0 && momentum >= 0, "SGD needs learningRate >= 0 and momentum >= 0, got \(learningRate), \(momentum)")
        precondition(!nesterov || (momentum > 0 && dampening == 0),
                     "Nesterov momentum needs momentum > 0 and zero dampening, got momentum \(momentum), dampening \(dampening)")
        self.parameterGroups = groups
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.flat = FlatParameters(groups)
        self.momentumBuffers = Array(repeating: nil, count: flat.count)
    }

    /// Creates an optimizer for one group of `parameters` with `weightDecay`.
    public convenience init(parameters: [Tensor], learningRate: Float, momentum: Float = 0, dampening: Float = 0,
                            nesterov: Bool = false, weightDecay: Float = 0) {
        self.init(groups: [ParameterGroup(parameters, weightDecay: weightDecay)], learningRate: learningRate,
                  momentum: momentum, dampening: dampening, nesterov: nesterov)
    }

    /// Updates every parameter that has a gradient.
    public func step() {
        for index in 0..<flat.count {
            let parameter = flat.tensors[index]
            guard let gradient = parameter.grad else { continue }
            precondition(gradient.shape == parameter.shape,
                         "gradient shape \(gradient.shape) does not match parameter \(index) shape \(parameter.shape)")
            var isFirst = false
            if momentum != 0 && momentumBuffers[index] == nil {
                momentumBuffers[index] = Tensor(uninitializedShape: parameter.shape)
                isFirst = true
            }
            let constants = Constants(rate: learningRate, weightDecay: flat.weightDecays[index], momentum: momentum,
                                      dampening: dampening, nesterov: nesterov, isFirst: isFirst)
            let p = parameter.data, g = UnsafePointer(gradient.data)
            let b = momentumBuffers[index]?.data
            parallelFor(parameter.count, grain: 1 << 15) { range in
                let start = range.lowerBound
                sgdUpdate(p + start, g + start, b.map { $0 + start }, count: range.count, constants)
            }
        }
    }

    /// The momentum buffers, as `sgd.momentum.<i>` [parameter shape].
    public func stateTensors() -> [String: Tensor] {
        var state: [String: Tensor] = [:]
        for (index, buffer) in momentumBuffers.enumerated() {
            if let buffer { state["sgd.momentum.\(index)"] = buffer }
        }
        return state
    }

    /// Replaces the momentum buffers with copies of `sgd.momentum.<i>` from `state`.
    public func loadState(_ state: [String: Tensor], origin: String) throws {
        let reader = OptimizerStateReader(state: state, prefix: "sgd", origin: origin, parameters: flat.tensors)
        try reader.checkKeys(buffers: ["momentum"])
        var restored: [Tensor?] = Array(repeating: nil, count: flat.count)
        for index in 0..<flat.count {
            restored[index] = try reader.buffer("momentum", index)?.copy()
        }
        momentumBuffers = restored
    }

    /// The scalars of one parameter's update.
    struct Constants {
        let negativeRate: Float
        let weightDecay: Float
        let momentum: Float
        let keep: Float
        let nesterov: Bool
        let isFirst: Bool

        init(rate: Float, weightDecay: Float, momentum: Float, dampening: Float, nesterov: Bool, isFirst: Bool) {
            negativeRate = -rate
            self.weightDecay = weightDecay
            self.momentum = momentum
            keep = Float(1 - Double(dampening))
            self.nesterov = nesterov
            self.isFirst = isFirst
        }
    }
}

/// Applies one SGD update to `count` elements: parameter `p`, gradient `g`, momentum buffer `b`
/// (nil without momentum), all [count], in one pass.
@inline(never)
private func sgdUpdate(_ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ b: UnsafeMutablePointer<Float>?,
                       count: Int, _ c: SGD.Constants) {
    var i = 0
    while i + 8 <= count {
        sgdBlock(p + i, g + i, b.map { $0 + i }, lanes: 8, c)
        i += 8
    }
    if i < count { sgdBlock(p + i, g + i, b.map { $0 + i }, lanes: count - i, c) }
}

/// Updates `lanes` (at most 8) elements from `p`, `g` and `b`.
@inline(__always)
private func sgdBlock(_ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ b: UnsafeMutablePointer<Float>?,
                      lanes n: Int, _ c: SGD.Constants) {
    var weight = loadUpTo8(p, n)
    var direction = loadUpTo8(g, n)
    if c.weightDecay != 0 { direction = direction + c.weightDecay * weight }
    if let b {
        let buffer = c.isFirst ? direction : loadUpTo8(b, n) * c.momentum + c.keep * direction
        storeUpTo8(buffer, b, n)
        direction = c.nesterov ? direction + c.momentum * buffer : buffer
    }
    weight = weight + c.negativeRate * direction
    storeUpTo8(weight, p, n)
}
