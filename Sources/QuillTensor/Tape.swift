/// The define-by-run record of differentiable ops, replayed backwards by ``Tensor/backward()``.
///
/// Ops append one entry each, in execution order, so the reverse of the tape is already a
/// topological order. Nothing is recorded when recording is off (``withoutGradients(_:)``)
/// or when no input requires gradients.
public enum Tape {
    struct Entry {
        let output: Tensor
        let backward: (Tensor) -> Void
    }

    /// One tape per thread, so independent computations (tests, workers) never mix.
    final class State {
        var entries: [Entry] = []
        var isRecording = true
    }

    private static let local = ThreadLocal { State() }

    /// This thread's tape.
    @inline(__always)
    static var current: State { local.value }

    static var entries: [Entry] {
        get { current.entries }
        set { current.entries = newValue }
    }

    /// Whether ops on this thread are being recorded.
    public internal(set) static var isRecording: Bool {
        get { current.isRecording }
        set { current.isRecording = newValue }
    }

    /// The number of ops recorded since the last backward pass or ``clear()``.
    public static var count: Int { entries.count }

    /// Whether an op on `inputs` must be recorded.
    @inline(__always)
    public static func needsRecord(_ inputs: Tensor...) -> Bool {
        guard current.isRecording else { return false }
        for input in inputs where input.requiresGrad { return true }
        return false
    }

    /// Whether an op on `input` must be recorded (no variadic array to allocate).
    @inline(__always)
    public static func needsRecord(_ input: Tensor) -> Bool {
        input.requiresGrad && current.isRecording
    }

    /// Whether an op on `a` and `b` must be recorded (no variadic array to allocate).
    @inline(__always)
    public static func needsRecord(_ a: Tensor, _ b: Tensor) -> Bool {
        (a.requiresGrad || b.requiresGrad) && current.isRecording
    }

    /// Records `output` as produced by an op whose gradient rule is `backward`.
    ///
    /// `backward` receives the gradient of `output` [output.shape], contiguous, and must
    /// accumulate into its inputs' gradients (``Tensor/accumulateGradient(_:)`` or
    /// ``Tensor/gradientPointer()``).
    public static func record(_ output: Tensor, backward: @escaping (Tensor) -> Void) {
        output.requiresGrad = true
        current.entries.append(Entry(output: output, backward: backward))
    }

    /// Forgets every recorded op, freeing the intermediate tensors they hold.
    public static func clear() { current.entries.removeAll(keepingCapacity: true) }
}

/// Runs `body` with recording off: ops cost only their kernels and keep no graph.
public func withoutGradients<T>(_ body: () throws -> T) rethrows -> T {
    let state = Tape.current
    let previous = state.isRecording
    state.isRecording = false
    defer { state.isRecording = previous }
    return try body()
}

extension Tensor {
    /// Back-propagates from this one-element tensor through every recorded op, then clears the tape.
    ///
    /// Gradients accumulate into `grad` of every tensor that requires them; call
    /// ``zeroGradient()`` (or the optimizer's `zeroGradients()`) between steps.
    public func backward() {
        precondition(count == 1, "backward() starts from a one-element tensor, got shape \(shape)")
        backward(gradient: Tensor(repeating: 1, shape: shape))
    }

    /// Back-propagates `gradient` [shape] (the gradient of some scalar with respect to this
    /// tensor) through every recorded op, then clears the tape.
    public func backward(gradient: Tensor) {
        precondition(gradient.shape == shape, "backward gradient shape \(gradient.shape) does not match \(shape)")
        accumulateGradient(gradient)
        let state = Tape.current
        var entries = state.entries
        state.entries = []
        // Gradient rules run tensor ops themselves; they must not be recorded. Each entry is
        // dropped as soon as its rule has run: nothing later in the pass reads it, so the
        // activations its rule captured, and its output with that output's gradient, go back
        // to the pool as the pass goes (as PyTorch frees saved tensors), and the pass never
        // holds every activation and every gradient at once.
        withoutGradients {
            while let entry = entries.popLast() {
                if let g = entry.output.grad { entry.backward(g) }
            }
        }
        // Hand the emptied storage back, so the next step records without growing an array.
        entries.removeAll(keepingCapacity: true)
        if state.entries.isEmpty { state.entries = entries }
    }

    /// Adds `gradient` [shape] to ``grad``, creating it on first use.
    public func accumulateGradient(_ gradient: Tensor) {
        precondition(gradient.shape == shape, "gradient shape \(gradient.shape) does not match tensor shape \(shape)")
        let source = gradient.contiguousNoGrad()
        let src = source.data
        guard let grad else {
            // First use: one copy instead of zero-filling and then adding.
            let g = source.uninitializedLike()
            let destination = g.data
            parallelFor(count, grain: 1 << 16) { range in
                (destination + range.lowerBound).update(from: src + range.lowerBound, count: range.count)
            }
            self.grad = g
            return
        }
        let destination = grad.data
        parallelFor(count, grain: 1 << 16) { range in
            addInPlace(destination + range.lowerBound, src + range.lowerBound, range.count)
        }
    }

    /// Adds `gradient` [broadcast shape], summed down to this tensor's shape, to ``grad``.
    /// With `fresh`, nothing else holds `gradient` and it may become ``grad`` itself; a sum
    /// down to a smaller shape is always fresh.
    func accumulateBroadcastGradient(_ gradient: Tensor, fresh: Bool) {
        let reduced = reduceBroadcastGradient(gradient)
        if fresh || reduced !== gradient {
            accumulateGradient(adopting: reduced)
        } else {
            accumulateGradient(reduced)
        }
    }

    /// Like ``accumulateGradient(_:)``, but on first use keeps `gradient` itself as ``grad``.
    /// Only for a fresh dense tensor that nothing else holds, such as a gradient rule's result.
    func accumulateGradient(adopting gradient: Tensor) {
        if grad == nil && gradient.isContiguous && gradient.offset == 0 && gradient.shape == shape {
            grad = gradient
        } else {
            accumulateGradient(gradient)
        }
    }

    /// The dense gradient buffer [shape], zero-filled on first use, for kernels that accumulate (`+=`).
    public func gradientPointer() -> UnsafeMutablePointer<Float> {
        if let grad { return grad.data }
        let g = Tensor(uninitializedShape: shape)
        g.data.initialize(repeating: 0, count: count)
        grad = g
        return g.data
    }

    /// The dense gradient tensor [shape], zero-filled on first use.
    public func gradientTensor() -> Tensor {
        _ = gradientPointer()
        return grad!
    }

    /// Drops the gradient, so the next backward pass starts from zero.
    public func zeroGradient() { grad = nil }

    /// A tensor sharing this one's storage that records nothing and stops gradients.
    public func detached() -> Tensor {
        Tensor(storage: storage, shape: shape, strides: strides, offset: offset)
    }
}

/// `destination[i] += source[i]` for `count` elements.
@inline(__always)
func addInPlace(_ destination: UnsafeMutablePointer<Float>, _ source: UnsafePointer<Float>, _ count: Int) {
    var i = 0
    while i + 8 <= count {
        let d = UnsafeMutableRawPointer(destination + i).loadUnaligned(as: SIMD8<Float>.self)
        let s = UnsafeRawPointer(source + i).loadUnaligned(as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(destination + i).storeBytes(of: d + s, as: SIMD8<Float>.self)
        i += 8
    }
    while i < count { destination[i] += source[i]; i += 1 }
}
