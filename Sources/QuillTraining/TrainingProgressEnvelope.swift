/// The part of every model's training JSON that all kinds share: `{"progress": {...}, ...}`.
///
/// Each training task stores its own state beside `progress` (random generator, data position,
/// options); `quill info` and `quill report` read only this part.
public struct TrainingProgressEnvelope: Codable {
    /// Steps, time, tokens and the best validation loss so far.
    public var progress: TrainingProgress

    /// Wraps `progress`.
    public init(progress: TrainingProgress) { self.progress = progress }
}
