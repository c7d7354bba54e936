/// Updates parameters from their gradients, one ``step()`` per training iteration.
///
/// Optimizers follow `torch.optim`: parameters come in ``ParameterGroup``s that each carry a
/// weight decay, a parameter without a gradient is skipped, and the running state (momentum,
/// moments, step counts) is kept per parameter, created on the parameter's first step.
public protocol Optimizer: AnyObject {
    /// The parameters, in groups that share a weight decay.
    var parameterGroups: [ParameterGroup] { get }
    /// The rate the next ``step()`` applies; a training loop sets it from a schedule each step.
    var learningRate: Float { get set }
    /// Updates every parameter that has a gradient.
    func step()
    /// The running state as named tensors, for a checkpoint.
    ///
    /// Keys are `<optimizer>.<buffer>.<i>`, with `i` the parameter's index in ``parameters``;
    /// parameters that have never stepped have no entries. Buffers are the live state, not
    /// copies: save them before the next ``step()``.
    func stateTensors() -> [String: Tensor]
    /// Replaces the running state with tensors saved by ``stateTensors()``.
    ///
    /// Keys of other optimizers (and model weights in the same file) are ignored. Nothing
    /// changes unless every key of this optimizer fits; `origin` (the checkpoint's path) is
    /// named in the error.
    func loadState(_ state: [String: Tensor], origin: String) throws
}

extension Optimizer {
    /// Every parameter, group by group; a parameter's position here is its state index.
    public var parameters: [Tensor] { parameterGroups.flatMap(\.parameters) }

    /// Drops every parameter's gradient, so the next backward pass starts from zero.
    public func zeroGradients() {
        for group in parameterGroups {
            for parameter in group.parameters { parameter.zeroGradient() }
        }
    }
}

/// Parameters that share optimizer settings, as in a `torch.optim` param group.
///
/// Biases, norm gains and embeddings usually go in a group without weight decay.
public struct ParameterGroup {
    /// The tensors this group updates.
    public var parameters: [Tensor]
    /// The weight decay applied to every tensor in the group (L2 for SGD and Adam, decoupled for AdamW).
    public var weightDecay: Float

    /// Creates a group of `parameters` with `weightDecay`.
    public init(_ parameters: [Tensor], weightDecay: Float = 0) {
        self.parameters = parameters
        self.weightDecay = weightDecay
    }

    /// Splits `parameters` into a group with `weightDecay` and a group without, keeping order.
    ///
    /// By default tensors of rank below 2 (biases, norm gains) are exempt, as in nanoGPT; pass
    /// `isExempt` to exempt embeddings too.
    public static func split(_ parameters: [Tensor], weightDecay: Float,
                             exempting isExempt: (Tensor) -> Bool = { $0.rank < 2 }) -> [ParameterGroup] {
        [ParameterGroup(parameters.filter { !isExempt($0) }, weightDecay: weightDecay),
         ParameterGroup(parameters.filter(isExempt), weightDecay: 0)]
    }
}

/// The groups flattened into parallel arrays, so a step loop touches no nested collection.
struct FlatParameters {
    let tensors: [Tensor]
    let weightDecays: [Float]

    init(_ groups: [ParameterGroup]) {
        tensors = groups.flatMap(\.parameters)
        weightDecays = groups.flatMap { group in group.parameters.map { _ in group.weightDecay } }
        var seen = Set<ObjectIdentifier>()
        for (index, tensor) in tensors.enumerated() {
            precondition(seen.insert(ObjectIdentifier(tensor)).inserted,
                         "parameter \(index) (shape \(tensor.shape)) appears in more than one place in the parameter groups")
            precondition(tensor.isContiguous, "parameter \(index) (shape \(tensor.shape)) is not contiguous")
        }
    }

    var count: Int { tensors.count }
}

/// Reads and checks one optimizer's entries in saved state.
struct OptimizerStateReader {
    let state: [String: Tensor]
    let prefix: String
    let origin: String
    let parameters: [Tensor]

    /// Throws unless every key under `prefix` is `<prefix>.<buffer>.<i>` with a known buffer and a valid index.
    func checkKeys(buffers: Set<String>) throws {
        for key in state.keys where key.hasPrefix(prefix + ".") {
            let parts = key.dropFirst(prefix.count + 1).split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 2, buffers.contains(String(parts[0])) else {
                throw invalid(key, "is not one of \(prefix)'s buffers (\(buffers.sorted().joined(separator: ", ")))")
            }
            guard let index = Int(parts[1]), index >= 0, index < parameters.count else {
                throw invalid(key, "names parameter \(parts[1]), but the optimizer has \(parameters.count)")
            }
        }
    }

    /// The buffer saved for parameter `index`, checked to have the parameter's shape.
    func buffer(_ name: String, _ index: Int) throws -> Tensor? {
        let key = "\(prefix).\(name).\(index)"
        guard let tensor = state[key] else { return nil }
        guard tensor.shape == parameters[index].shape else {
            throw invalid(key, "has shape \(tensor.shape) but parameter \(index) has shape \(parameters[index].shape)")
        }
        return tensor
    }

    /// The step count saved for parameter `index`, a whole non-negative scalar.
    func stepCount(_ name: String, _ index: Int) throws -> Int? {
        let key = "\(prefix).\(name).\(index)"
        guard let tensor = state[key] else { return nil }
        guard tensor.count == 1 else { throw invalid(key, "has shape \(tensor.shape) but a step count is a scalar") }
        let value = tensor.toArray()[0]
        guard value >= 0, value <= 16_777_216, value.rounded() == value else {
            throw invalid(key, "holds \(value), which is not a step count")
        }
        return Int(value)
    }

    func invalid(_ key: String, _ problem: String) -> CheckpointError {
        .invalidOptimizerState(origin: origin, key: key, problem: problem)
    }
}


/// Loads 8 lanes from `pointer`, or the first `available` of them (the rest zero) at a tail.
///
/// Kernels write their formula once, for a block of `available` lanes, and call it with a
/// literal 8 in the main loop, where this branch folds away, and once more for the tail.
@inline(__always)
func loadUpTo8(_ pointer: UnsafePointer<Float>, _ available: Int) -> SIMD8<Float> {
    if available >= 8 { return UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self) }
    var lanes = SIMD8<Float>(repeating: 0)
    for k in 0..<available { lanes[k] = pointer[k] }
    return lanes
}

/// Stores 8 lanes to `pointer`, or only the first `available` of them at a tail.
@inline(__always)
func storeUpTo8(_ lanes: SIMD8<Float>, _ pointer: UnsafeMutablePointer<Float>, _ available: Int) {
    if available >= 8 { UnsafeMutableRawPointer(pointer).storeBytes(of: lanes, as: SIMD8<Float>.self); return }
    for k in 0..<available { pointer[k] = lanes[k] }
}
