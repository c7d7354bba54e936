/// Whether `a` is within `atol + rtol·|b|` of `b`.
public func isClose(_ a: Float, _ b: Float, rtol: Float = 1e-5, atol: Float = 1e-6) -> Bool {
    if a.isNaN || b.isNaN { return false }
    return abs(a - b) <= atol + rtol * abs(b)
}

/// Whether every element of `a` is close to its counterpart in `b`.
public func allClose(_ a: [Float], _ b: [Float], rtol: Float = 1e-5, atol: Float = 1e-6) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { isClose($0, $1, rtol: rtol, atol: atol) }
}

/// The largest |a - b| / (atol + rtol·|b|) over the elements: at most 1 means all close.
public func worstRatio(_ a: [Float], _ b: [Float], rtol: Float, atol: Float) -> Float {
    precondition(a.count == b.count, "compared arrays differ in length: \(a.count) vs \(b.count)")
    var worst: Float = 0
    for (x, y) in zip(a, b) { worst = max(worst, abs(x - y) / (atol + rtol * abs(y))) }
    return worst
}

/// How closely Quill's float32 models must match a PyTorch fixture, element by element.
///
/// The floor is float32's epsilon (6e-8) times the fixtures' largest gradients (about 0.5):
/// the rounding a float32 model cannot avoid. Every nonzero gradient in the fixtures is above
/// it, so none could pass as zero or with its sign flipped; measured worst errors are 0.16
/// (char-rnn), 0.20 (VAE) and 0.32 (HVAE) of this tolerance.
public enum FixtureTolerance {
    /// The relative part.
    public static let rtol: Float = 1e-4
    /// The absolute floor.
    public static let atol: Float = 3e-8
}
