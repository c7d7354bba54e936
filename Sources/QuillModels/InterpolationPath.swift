/// One decoded interpolation between two sentences, as token ids without specials: what the
/// interpolation figures of `quill eval --pairs` are measured on.
public struct InterpolationPath: Equatable, Sendable {
    /// The sentence the walk starts at, A.
    public var start: [Int]
    /// The sentence the walk ends at, B.
    public var end: [Int]
    /// The sentence decoded at each point, from A's posterior mean to B's (at least two).
    public var points: [[Int]]

    /// Pairs two sentences with the sentences decoded between them.
    public init(start: [Int], end: [Int], points: [[Int]]) {
        precondition(points.count >= 2, "a path has at least its two endpoints, got \(points.count) points")
        self.start = start
        self.end = end
        self.points = points
    }

    /// How many of the two endpoints decode to their own sentence: 0, 1 or 2.
    public var exactEndpoints: Int {
        (points.first == start ? 1 : 0) + (points.last == end ? 1 : 0)
    }

    /// How many different sentences the path passes through, endpoints included.
    public var distinctSentenceCount: Int { Set(points).count }

    /// The points between the endpoints.
    public var intermediatePoints: ArraySlice<[Int]> { points.dropFirst().dropLast() }

    /// Whether, point by point, the edit distance to A never falls and the edit distance to B
    /// never rises: the path moves away from A and toward B without turning back.
    public var isMonotone: Bool {
        let fromStart = points.map { editDistance($0, start) }, toEnd = points.map { editDistance($0, end) }
        return zip(fromStart, fromStart.dropFirst()).allSatisfy { $0 <= $1 }
            && zip(toEnd, toEnd.dropFirst()).allSatisfy { $0 >= $1 }
    }
}

/// The Levenshtein distance between two token sequences: the fewest insertions, deletions and
/// substitutions of one token that turn `a` into `b`.
public func editDistance(_ a: [Int], _ b: [Int]) -> Int {
    guard !a.isEmpty else { return b.count }
    guard !b.isEmpty else { return a.count }
    var previous = Array(0...b.count), current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
            current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
